"""What the deploy engine records of a stack, and what its provisioners see of it."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..gateway.server import LocalCloud
from .assembly import StackArtifact, code_asset_dir
from .packages import s3_package
from .provisioners import ProvisionError

BOOTSTRAP_PARAMETERS = {"BootstrapVersion": "6"}  # the local cloud stands in for a bootstrapped account


class DeployFailed(Exception):
    """``remaining`` is what is deployed once the rollback ended: the previous deployment when it
    completed (None after a create), or what a failed rollback left behind."""

    def __init__(self, message: str, remaining: Deployment | None = None) -> None:
        super().__init__(message)
        self.remaining = remaining


@dataclass
class Resource:
    logical_id: str
    type: str
    physical_id: str
    attributes: dict[str, Any]
    properties: dict[str, Any]
    deletion_policy: str = "Delete"


@dataclass
class Deployment:
    """What is deployed: the template it came from and each resource's identity and properties."""

    stack_name: str
    stack_id: str
    template: dict[str, Any]
    assembly_dir: Path | None  # None: deployed through the CloudFormation API, its code in S3 and Lambda
    resources: dict[str, Resource] = field(default_factory=dict)
    outputs: dict[str, Any] = field(default_factory=dict)
    status: str = "CREATE_IN_PROGRESS"
    created: float = field(default_factory=time.time)  # the stack's CreationTime, kept by updates
    parameters: dict[str, str] = field(default_factory=lambda: dict(BOOTSTRAP_PARAMETERS))  # resolved
    tags: dict[str, str] = field(default_factory=dict)  # the stack's, propagated to resources

    def artifact(self) -> StackArtifact:
        """The stack as it was deployed: its template and the assembly holding its code."""
        return StackArtifact(self.stack_name, self.stack_name, self.template, self.assembly_dir)


class StackContext:
    """What provisioners need: the account, clients of the local cloud and the Lambda code zips."""

    def __init__(self, cloud: LocalCloud, stack: StackArtifact, account: str, region: str) -> None:
        self.cloud, self.stack = cloud, stack
        self.account, self.region, self.stack_name = account, region, stack.stack_name

    def client(self, service: str) -> Any:
        return self.cloud.client(service, region=self.region)

    def asset_zip(self, properties: Mapping[str, Any]) -> bytes:
        """From the cloud assembly (the in-process deploy stands in for the asset upload), else from S3."""
        if self.stack.assembly_dir is None:
            return s3_package(self.client("s3"), properties.get("Code") or {})
        folder = code_asset_dir(self.stack.assembly_dir, properties)
        if folder is None:
            key = (properties.get("Code") or {}).get("S3Key")
            raise ProvisionError(f"the Lambda code asset {key} is not in {self.stack.assembly_dir}")
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(p for p in folder.rglob("*") if p.is_file()):
                archive.write(path, path.relative_to(folder).as_posix())
        return buffer.getvalue()
