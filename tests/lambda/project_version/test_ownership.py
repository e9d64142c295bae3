"""The provider never modifies, stops or deletes a version it did not create: its ownership tag names
the stack's resource, and a version whose tag someone changed by hand is handed over, left alone."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation
from tests.provider_function import versions

# Each test plays CloudFormation's requests through the provider function's processes.
pytestmark = pytest.mark.scenario

OWNER_TAG = "cdk-rekognition-custom-labels:owner"  # resource_properties.OWNER_TAG
MUTATING = ("TagResource", "UntagResource", "StopProjectVersion", "DeleteProjectVersion")


@pytest.fixture
def handed_over(cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any]) -> str:
    """A version the resource made, whose ownership tag someone then set to another owner."""
    created = cfn.send(cfn.event("Create", "Classifier", properties))
    assert created.status == "SUCCESS", created.reason
    cloud.client("rekognition").tag_resource(ResourceArn=created.physical_id, Tags={OWNER_TAG: "team-b/0"})
    return created.physical_id


def mutating_calls(cloud: LocalCloud) -> dict[str, int]:
    return {operation: cloud.service.calls.count(operation) for operation in MUTATING}


def tags(cloud: LocalCloud, arn: str) -> dict[str, str]:
    return dict(cloud.client("rekognition").list_tags_for_resource(ResourceArn=arn)["Tags"])


def test_an_update_of_a_handed_over_version_is_refused_and_changes_no_tag(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any], handed_over: str
) -> None:
    # GIVEN a handed-over version, WHEN an update asks for other tags
    before, calls = tags(cloud, handed_over), mutating_calls(cloud)
    new = {**properties, "Tags": {"team": "ml"}}
    outcome = cfn.send(
        cfn.event("Update", "Classifier", new, physical_id=handed_over, old_properties=properties)
    )
    # THEN FAILED naming the ownership tag, and no tag was written
    assert outcome.status == "FAILED"
    assert "ownership tag" in outcome.reason and handed_over in outcome.reason
    assert tags(cloud, handed_over) == before and mutating_calls(cloud) == calls
    # AND the rollback update (the tags it already has) succeeds without writing anything
    rollback = cfn.send(
        cfn.event("Update", "Classifier", properties, physical_id=handed_over, old_properties=new)
    )
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == handed_over and mutating_calls(cloud) == calls


def test_a_delete_leaves_a_handed_over_version_alone(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any], handed_over: str
) -> None:
    # GIVEN a handed-over version that is running (started by its new owner)
    rekognition = cloud.client("rekognition")
    rekognition.start_project_version(ProjectVersionArn=handed_over, MinInferenceUnits=1)
    calls = mutating_calls(cloud)
    # WHEN the stack deletes the resource
    outcome = cfn.send(cfn.event("Delete", "Classifier", properties, physical_id=handed_over))
    # THEN SUCCESS (the stack can go), and the version was neither stopped nor deleted
    assert outcome.status == "SUCCESS", outcome.reason
    assert mutating_calls(cloud) == calls
    (version,) = versions(cfn.cloud, properties["ProjectArn"])
    assert version["ProjectVersionArn"] == handed_over and version["Status"] in ("STARTING", "RUNNING")
    assert "left alone" in outcome.logs
