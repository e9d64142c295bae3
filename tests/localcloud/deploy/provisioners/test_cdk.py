"""The CDK's own resource types (``cdk.py``): ``AWS::CDK::Metadata`` is documentation only, so its
provisioner must create, update and delete without reaching any service."""

from __future__ import annotations

from localcloud.deploy.provisioners import Provisioned, provisioner_for

from .context import OfflineContext


def test_cdk_metadata_is_documentation_only() -> None:
    ctx = OfflineContext()
    metadata = provisioner_for("AWS::CDK::Metadata")
    assert metadata is not None
    made = metadata.create(ctx, "CDKMetadata", {"Analytics": "v2:deflate64:abc"})
    assert made == Provisioned("metadata", {})
    assert metadata.update(ctx, "CDKMetadata", "metadata", {}, {"Analytics": "x"}) == made
    metadata.delete(ctx, "metadata", {})
