"""Update: tags change in place; a changed model trains a replacement; failures roll back cleanly.

CloudFormation's side of an update (User Guide, custom resources): a different PhysicalResourceId answered
to an Update is a replacement, and CloudFormation later deletes the old id with the old properties; a
FAILED Update is followed by a rollback Update back to the old properties, with the current physical id.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import pytest

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation, Outcome
from localcloud.testing.clouds import POLLS
from tests.provider_function import versions as described_versions

# Each test plays CloudFormation's requests through the provider function's processes.
pytestmark = pytest.mark.scenario

DURATIONS = POLLS.durations

OWNER_TAG = "cdk-rekognition-custom-labels:owner"  # resource_properties.OWNER_TAG
LOGICAL_ID = "Classifier"
POLL_SECONDS = 60


@dataclass
class Stack:
    """CloudFormation's requests for one resource. A request sent with ``quick=True`` has the training it
    starts end at the first poll (the clock skips the rest): trainings a scenario only needs done would
    otherwise cost two more invocations each."""

    cfn: CloudFormation
    clock: ManualClock

    def send(self, event: dict[str, Any], *, quick: bool) -> Outcome:
        if not quick:
            return self.cfn.send(event)
        delivered = self.cfn.invoke(event)
        self.clock.advance(DURATIONS.training - POLL_SECONDS)
        outcome = self.cfn.send(event, delivered=True)
        outcome.invocations[:0] = delivered
        return outcome

    def create(self, properties: dict[str, Any]) -> str:
        """The version ARN a successful Create of ``properties`` answered."""
        outcome = self.send(self.cfn.event("Create", LOGICAL_ID, properties), quick=True)
        assert outcome.status == "SUCCESS", outcome.reason
        assert outcome.polls == 1
        return outcome.physical_id

    def update(
        self, new: dict[str, Any], old: dict[str, Any], physical_id: str, *, quick: bool = False
    ) -> Outcome:
        event = self.cfn.event("Update", LOGICAL_ID, new, physical_id=physical_id, old_properties=old)
        return self.send(event, quick=quick)

    def delete(self, properties: dict[str, Any], physical_id: str) -> Outcome:
        return self.send(
            self.cfn.event("Delete", LOGICAL_ID, properties, physical_id=physical_id), quick=False
        )


@pytest.fixture
def stack(cfn: CloudFormation, clock: ManualClock) -> Stack:
    return Stack(cfn, clock)


def versions(cfn: CloudFormation, project_arn: str) -> dict[str, str]:
    """Every version left in the project, ARN -> status."""
    return {v["ProjectVersionArn"]: v["Status"] for v in described_versions(cfn.cloud, project_arn)}


def assert_nothing_left_polling(cfn: CloudFormation) -> None:
    leftovers = cfn.leftovers()
    assert leftovers["rules"] == [] and leftovers["all_rules"] == [], leftovers
    assert leftovers["permissions"] == [], leftovers


def changed(properties: dict[str, Any], **changes: Any) -> dict[str, Any]:
    new = copy.deepcopy(properties)
    new.update(changes)
    return new


def test_tags_only_update_retags_in_place_without_polling(
    stack: Stack, cfn: CloudFormation, properties: dict[str, Any], project_arn: str, rekognition: Any
) -> None:
    # GIVEN a trained version created with tags {team, stage} and its ownership tag
    old = changed(properties, Tags={"team": "vision", "stage": "dev"})
    arn = stack.create(old)
    owner = rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"][OWNER_TAG]
    # WHEN only the tags change: one value changed, one added, one removed
    new = changed(properties, Tags={"team": "platform", "cost-centre": "42"})
    outcome = stack.update(new, old, arn)
    # THEN it answers SUCCESS at once with the same physical id (no replacement) and its attributes
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == arn
    assert outcome.polls == 0
    assert outcome.data["Arn"] == arn and outcome.data["Status"] == "TRAINING_COMPLETED"
    # AND the version carries exactly the new tags plus the unchanged ownership tag
    tags = rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"]
    assert tags == {"team": "platform", "cost-centre": "42", OWNER_TAG: owner}
    # AND no version was trained, nothing runs and nothing polls
    assert versions(cfn, project_arn) == {arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)


def test_replacement_trains_a_new_version_and_the_cleanup_delete_removes_the_old_one(
    stack: Stack, cfn: CloudFormation, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a trained version
    old_arn = stack.create(properties)
    # WHEN VersionName and the training data both change
    new = changed(properties, VersionName="Classifier-ba9876543210", TestingData={"AutoCreate": True})
    outcome = stack.update(new, properties, old_arn)
    # THEN a new version is trained and its ARN answered: a replacement
    assert outcome.status == "SUCCESS", outcome.reason
    new_arn = outcome.physical_id
    assert new_arn != old_arn and "/version/Classifier-ba9876543210/" in new_arn
    assert outcome.data["Arn"] == new_arn and outcome.data["Status"] == "TRAINING_COMPLETED"
    assert outcome.polls == 3  # 180 s of training, one poll a minute
    assert versions(cfn, project_arn) == {new_arn: "TRAINING_COMPLETED", old_arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)
    # WHEN CloudFormation's cleanup deletes the old physical id with the old properties
    cleanup = stack.delete(properties, old_arn)
    # THEN the old version is gone and only the new one remains
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert cleanup.physical_id == old_arn
    assert cleanup.polls == 1  # one interval DELETING
    assert versions(cfn, project_arn) == {new_arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)


def test_changing_a_replacing_property_under_the_same_name_fails_at_once_and_rolls_back(
    stack: Stack, cfn: CloudFormation, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a trained version with an explicit VersionName
    arn = stack.create(properties)
    # WHEN VersionDescription changes but VersionName does not
    new = changed(properties, VersionDescription="Shapes classifier v2")
    outcome = stack.update(new, properties, arn)
    # THEN it answers FAILED without polling, keeping the physical id, and says what to do
    assert outcome.status == "FAILED"
    assert outcome.polls == 0
    assert outcome.physical_id == arn
    assert "VersionDescription" in outcome.reason
    assert "VersionName" in outcome.reason and "another VersionName" in outcome.reason
    assert versions(cfn, project_arn) == {arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)
    # WHEN CloudFormation rolls back: the old properties again, the failed ones as old, the same id
    rollback = stack.update(properties, new, arn)
    # THEN the rollback succeeds at once with the same physical id and nothing changes
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == arn
    assert rollback.polls == 0
    assert versions(cfn, project_arn) == {arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)


def test_failed_replacement_training_is_reported_deleted_and_rolled_back(
    stack: Stack,
    cfn: CloudFormation,
    cloud: LocalCloud,
    clock: ManualClock,
    properties: dict[str, Any],
    project_arn: str,
) -> None:
    # GIVEN a trained version, and a replacement whose training will fail
    old_arn = stack.create(properties)
    message = "The manifest file has too few labels."
    new = changed(properties, VersionName="Classifier-ba9876543210", VersionDescription="Shapes v2")
    cloud.service.faults.fail_training("Classifier-ba9876543210", message)
    # WHEN the update runs until training ends
    outcome = stack.update(new, properties, old_arn, quick=True)
    # THEN it answers FAILED with Rekognition's StatusMessage first, keeping the old physical id
    assert outcome.status == "FAILED"
    assert outcome.reason.startswith(message), outcome.reason
    assert outcome.physical_id == old_arn
    assert outcome.polls == 1  # training (skipped ahead) ends at the first poll
    # AND the failed version, which CloudFormation will never delete, is being deleted by the handler
    (failed_arn,) = set(versions(cfn, project_arn)) - {old_arn}
    assert versions(cfn, project_arn)[failed_arn] == "DELETING"
    assert failed_arn in outcome.reason
    clock.advance(DURATIONS.deleting)
    assert versions(cfn, project_arn) == {old_arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)
    # WHEN CloudFormation rolls back to the old properties
    rollback = stack.update(properties, new, old_arn)
    # THEN the old version is kept: SUCCESS, same id, nothing to wait for
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == old_arn
    assert rollback.polls == 0
    assert versions(cfn, project_arn) == {old_arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)


def test_rollback_after_a_successful_replacement_adopts_the_old_version_without_retraining(
    stack: Stack, cfn: CloudFormation, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN version A, replaced by version B in an update that succeeded
    a_properties = properties
    a_arn = stack.create(a_properties)
    b_properties = changed(properties, VersionName="Classifier-ba9876543210", VersionDescription="Shapes v2")
    replaced = stack.update(b_properties, a_properties, a_arn, quick=True)
    assert replaced.status == "SUCCESS", replaced.reason
    b_arn = replaced.physical_id
    assert b_arn != a_arn
    # WHEN another resource fails and CloudFormation rolls this one back from B to A
    rollback = stack.update(a_properties, b_properties, b_arn)
    # THEN it answers SUCCESS with A's ARN at once: A is adopted, not trained again
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == a_arn
    assert rollback.polls == 0
    assert rollback.data["Arn"] == a_arn
    assert versions(cfn, project_arn) == {a_arn: "TRAINING_COMPLETED", b_arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)
    # WHEN the rollback's cleanup deletes B with B's properties
    cleanup = stack.delete(b_properties, b_arn)
    # THEN B is gone and only A remains
    assert cleanup.status == "SUCCESS", cleanup.reason
    assert cleanup.physical_id == b_arn and cleanup.polls == 1
    assert versions(cfn, project_arn) == {a_arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)


def test_update_to_invalid_properties_fails_naming_the_property_and_creates_nothing(
    stack: Stack, cfn: CloudFormation, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a trained version
    arn = stack.create(properties)
    # WHEN the new properties hold an invalid VersionName
    new = changed(properties, VersionName="bad name")
    outcome = stack.update(new, properties, arn)
    # THEN it answers FAILED at once, naming VersionName, keeping the physical id
    assert outcome.status == "FAILED"
    assert "VersionName" in outcome.reason and "bad name" in outcome.reason
    assert outcome.physical_id == arn
    assert outcome.polls == 0
    # AND nothing was created
    assert versions(cfn, project_arn) == {arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)
    # WHEN CloudFormation rolls back (the invalid properties as the old ones)
    rollback = stack.update(properties, new, arn)
    # THEN the rollback succeeds at once with the same physical id
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == arn
    assert rollback.polls == 0
    assert versions(cfn, project_arn) == {arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)


def test_rollback_of_a_timed_out_replacement_deletes_the_abandoned_version_once_its_training_ends(
    stack: Stack, cfn: CloudFormation, properties: dict[str, Any], project_arn: str
) -> None:
    # (Beyond the brief: the only scenario that reaches the rollback's "Abandoned" clean-up.)
    # GIVEN a trained version A, and a replacement B whose ServiceTimeout is shorter than one poll
    # interval plus the handler's margin, so the update gives up at its first poll
    a_arn = stack.create(properties)
    b_properties = changed(
        properties, VersionName="Classifier-ba9876543210", VersionDescription="Shapes v2", ServiceTimeout=60
    )
    timed_out = stack.update(b_properties, properties, a_arn)
    # THEN the update answers FAILED with A's id, saying B was still training and will be cleaned up
    assert timed_out.status == "FAILED"
    assert timed_out.physical_id == a_arn
    assert timed_out.polls == 1
    (b_arn,) = set(versions(cfn, project_arn)) - {a_arn}
    assert b_arn in timed_out.reason and "still training" in timed_out.reason
    assert "rollback deletes it" in timed_out.reason
    assert versions(cfn, project_arn) == {a_arn: "TRAINING_COMPLETED", b_arn: "TRAINING_IN_PROGRESS"}
    assert_nothing_left_polling(cfn)
    # WHEN CloudFormation rolls back at once, B still training (120 s left)
    rollback = stack.update(properties, b_properties, a_arn)
    # THEN the rollback waits for B's training to end, deletes B, and keeps A
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == a_arn
    assert rollback.polls == 3  # two intervals of training left, then one DELETING
    assert versions(cfn, project_arn) == {a_arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)


def test_immediate_rollback_after_a_failed_replacement_training_waits_for_its_deletion(
    stack: Stack, cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any], project_arn: str
) -> None:
    # (Beyond the brief: CloudFormation sends the rollback right after the FAILED, while the failed
    # version is still DELETING.)
    # GIVEN a trained version A and a replacement B whose training failed, B still being deleted
    a_arn = stack.create(properties)
    b_properties = changed(properties, VersionName="Classifier-ba9876543210", VersionDescription="Shapes v2")
    cloud.service.faults.fail_training("Classifier-ba9876543210", "The manifest file is empty.")
    failed = stack.update(b_properties, properties, a_arn, quick=True)
    assert failed.status == "FAILED" and failed.reason.startswith("The manifest file is empty.")
    (b_arn,) = set(versions(cfn, project_arn)) - {a_arn}
    assert versions(cfn, project_arn)[b_arn] == "DELETING"
    # WHEN CloudFormation rolls back at once
    rollback = stack.update(properties, b_properties, a_arn)
    # THEN the rollback keeps A and answers SUCCESS once B is gone
    assert rollback.status == "SUCCESS", rollback.reason
    assert rollback.physical_id == a_arn
    assert rollback.polls == 1  # B's DELETING lasts one interval
    assert versions(cfn, project_arn) == {a_arn: "TRAINING_COMPLETED"}
    assert_nothing_left_polling(cfn)
