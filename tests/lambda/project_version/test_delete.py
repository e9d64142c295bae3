"""Delete: whatever state the version is in, it ends gone and answers SUCCESS, or FAILED saying why.

CloudFormation cannot delete a stack whose custom resource does not answer SUCCESS to Delete, and the
Delete after a failed Create carries whatever PhysicalResourceId the FAILED response gave.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import STACK_ID, CloudFormation
from localcloud.testing.clouds import POLLS
from tests.provider_function import FUNCTION_NAME
from tests.provider_function import versions as described_versions

# Each test plays CloudFormation's requests through the provider function's processes.
pytestmark = pytest.mark.scenario

DURATIONS = POLLS.durations

OWNER_TAG = "cdk-rekognition-custom-labels:owner"  # resource_properties.OWNER_TAG
LOGICAL_ID = "Classifier"
OWNER = hashlib.sha256(f"{STACK_ID}|{LOGICAL_ID}".encode()).hexdigest()[:32]  # version_lifecycle.owner_value


def trained_directly(
    rekognition: Any, properties: dict[str, Any], *, clock: ManualClock | None, owner: str = OWNER
) -> str:
    """A version made as the handler makes it for this resource (its ownership tag included); trained when
    ``clock`` is given."""
    arn: str = rekognition.create_project_version(
        ProjectArn=properties["ProjectArn"],
        VersionName=properties["VersionName"],
        OutputConfig=properties["OutputConfig"],
        TrainingData=properties["TrainingData"],
        TestingData=properties["TestingData"],
        VersionDescription=properties["VersionDescription"],
        Tags={**properties["Tags"], OWNER_TAG: f"{owner}/{'b' * 32}"},
    )["ProjectVersionArn"]
    if clock is not None:
        clock.advance(DURATIONS.training)
        assert status_of(rekognition, properties["ProjectArn"], arn) == "TRAINING_COMPLETED"
    return arn


def status_of(rekognition: Any, project_arn: str, arn: str) -> str:
    described = rekognition.describe_project_versions(ProjectArn=project_arn)["ProjectVersionDescriptions"]
    return str(next(v["Status"] for v in described if v["ProjectVersionArn"] == arn))


def versions(cfn: CloudFormation, project_arn: str) -> dict[str, str]:
    """Every version left in the project, ARN -> status."""
    return {v["ProjectVersionArn"]: v["Status"] for v in described_versions(cfn.cloud, project_arn)}


def assert_nothing_left_polling(cfn: CloudFormation) -> None:
    leftovers = cfn.leftovers()
    assert leftovers["rules"] == [] and leftovers["all_rules"] == [], leftovers
    assert leftovers["permissions"] == [], leftovers


def drop_polls(cfn: CloudFormation) -> None:
    """Every polling rule and its permission gone, as if the poll died without answering."""
    events, lambda_ = cfn.cloud.client("events"), cfn.cloud.client("lambda")
    for target in cfn.targets():
        events.remove_targets(Rule=target.rule_name, Ids=["1"])
        events.delete_rule(Name=target.rule_name)
        lambda_.remove_permission(FunctionName=FUNCTION_NAME, StatementId=target.rule_name)


def delete_event(cfn: CloudFormation, properties: dict[str, Any], physical_id: str) -> dict[str, Any]:
    return cfn.event("Delete", LOGICAL_ID, properties, physical_id=physical_id)


def test_delete_of_a_trained_version_deletes_it(
    cfn: CloudFormation, rekognition: Any, clock: ManualClock, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a trained version
    arn = trained_directly(rekognition, properties, clock=clock)
    # WHEN CloudFormation deletes it
    outcome = cfn.send(delete_event(cfn, properties, arn))
    # THEN it answers SUCCESS with the same id once the version is gone
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == arn
    assert outcome.polls == 1  # DELETING lasts one poll interval
    assert versions(cfn, project_arn) == {}
    assert_nothing_left_polling(cfn)


def test_delete_of_a_running_version_stops_it_first(
    cfn: CloudFormation, rekognition: Any, clock: ManualClock, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a trained version that is running
    arn = trained_directly(rekognition, properties, clock=clock)
    rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)
    clock.advance(DURATIONS.starting)
    assert status_of(rekognition, project_arn, arn) == "RUNNING"
    # WHEN CloudFormation deletes it
    outcome = cfn.send(delete_event(cfn, properties, arn))
    # THEN the handler stops it, waits for STOPPED, deletes it, and answers SUCCESS
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == arn
    assert outcome.polls == 2  # one interval STOPPING, one DELETING
    assert versions(cfn, project_arn) == {}
    assert_nothing_left_polling(cfn)


def test_delete_of_a_starting_version_waits_for_it_to_run_and_then_stops_it(
    cfn: CloudFormation,
    cloud: LocalCloud,
    rekognition: Any,
    clock: ManualClock,
    properties: dict[str, Any],
    project_arn: str,
) -> None:
    # GIVEN a trained version that is still starting (stopping is documented for running models only,
    # and the emulator refuses it before RUNNING)
    arn = trained_directly(rekognition, properties, clock=clock)
    rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)
    assert status_of(rekognition, project_arn, arn) == "STARTING"
    # WHEN CloudFormation deletes it
    outcome = cfn.send(delete_event(cfn, properties, arn))
    # THEN the handler waited for RUNNING, stopped it once (never refused), deleted it, answered SUCCESS
    assert outcome.status == "SUCCESS", outcome.reason
    assert [c.error for c in cloud.service.calls.calls(["StopProjectVersion"])] == [""]
    assert versions(cfn, project_arn) == {}
    assert_nothing_left_polling(cfn)


def test_delete_of_a_training_version_waits_for_the_training_to_end(
    cfn: CloudFormation, rekognition: Any, clock: ManualClock, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a version with 120 s of training left
    arn = trained_directly(rekognition, properties, clock=None)
    clock.advance(DURATIONS.training - 120)
    assert status_of(rekognition, project_arn, arn) == "TRAINING_IN_PROGRESS"
    # WHEN CloudFormation deletes it
    outcome = cfn.send(delete_event(cfn, properties, arn))
    # THEN the handler waits until training ends, deletes it, and answers SUCCESS
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == arn
    assert outcome.polls == 3  # two intervals of training left, then one DELETING
    assert versions(cfn, project_arn) == {}
    assert_nothing_left_polling(cfn)


def test_delete_of_a_version_already_gone_succeeds(
    cfn: CloudFormation, rekognition: Any, clock: ManualClock, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a version deleted out of band
    arn = trained_directly(rekognition, properties, clock=clock)
    rekognition.delete_project_version(ProjectVersionArn=arn)
    clock.advance(DURATIONS.deleting)
    assert versions(cfn, project_arn) == {}
    # WHEN CloudFormation deletes it
    outcome = cfn.send(delete_event(cfn, properties, arn))
    # THEN it answers SUCCESS at once
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == arn
    assert outcome.polls == 0
    assert versions(cfn, project_arn) == {}
    assert_nothing_left_polling(cfn)


def test_delete_after_a_create_that_made_nothing_succeeds_and_touches_nothing(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN the physical id a Create that never made a version answers, and a version of the same
    # name made by someone else
    physical = f"not-created:{LOGICAL_ID}"
    foreign = trained_directly(cloud.client("rekognition"), properties, clock=None, owner="a" * 32)
    # WHEN CloudFormation deletes it
    outcome = cfn.send(delete_event(cfn, properties, physical))
    # THEN it answers SUCCESS at once with that same id, and only looked (no Stop, no Delete)
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == physical
    assert outcome.polls == 0
    assert versions(cfn, project_arn) == {foreign: "TRAINING_IN_PROGRESS"}
    assert cloud.service.calls.count("StopProjectVersion") == 0
    assert cloud.service.calls.count("DeleteProjectVersion") == 0
    assert_nothing_left_polling(cfn)


@pytest.mark.parametrize("physical", [f"not-created:{LOGICAL_ID}", "Example-Classifier-1QZ8X2V7K4M9A"])
def test_delete_of_a_create_that_never_answered_deletes_the_version_it_made(
    cfn: CloudFormation, clock: ManualClock, properties: dict[str, Any], project_arn: str, physical: str
) -> None:
    # GIVEN a Create whose first invocation made the version, and whose poll is gone without an answer
    create = cfn.event("Create", LOGICAL_ID, properties)
    cfn.invoke(create)
    drop_polls(cfn)
    (made,) = versions(cfn, project_arn)
    # WHEN CloudFormation, having heard nothing, deletes an id of its own making (or the timeout's)
    outcome = cfn.send(delete_event(cfn, properties, physical))
    # THEN the version this resource made (found by name, ours by its tag) is deleted once trained
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == physical
    assert versions(cfn, project_arn) == {}
    assert made.startswith(project_arn.rsplit("/", 1)[0])
    assert_nothing_left_polling(cfn)


def test_a_delete_stops_the_poll_of_a_create_it_cancels(
    cfn: CloudFormation, clock: ManualClock, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a Create still polling its training (CloudFormation gave up on it: a rollback, a stack delete)
    create = cfn.event("Create", LOGICAL_ID, properties)
    cfn.invoke(create)
    (create_rule,) = cfn.leftovers()["rules"]
    # WHEN CloudFormation deletes the resource under an id of its own making
    outcome = cfn.send(delete_event(cfn, properties, "Example-Classifier-1QZ8X2V7K4M9A"))
    # THEN the Create's poll was stopped at once, and the version it was training is deleted
    assert outcome.status == "SUCCESS", outcome.reason
    assert create_rule not in [r.rule_name for r in cfn.targets()]
    assert "Stopping the poll of earlier request" in outcome.logs
    assert versions(cfn, project_arn) == {}
    assert cfn.responses.responses(create["RequestId"]) == []
    assert_nothing_left_polling(cfn)


def test_delete_when_the_project_is_gone_succeeds(
    cfn: CloudFormation, rekognition: Any, clock: ManualClock, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a version, then its project, deleted out of band
    arn = trained_directly(rekognition, properties, clock=clock)
    rekognition.delete_project_version(ProjectVersionArn=arn)
    clock.advance(DURATIONS.deleting)
    rekognition.delete_project(ProjectArn=project_arn)
    clock.advance(DURATIONS.project_deleting)
    assert rekognition.describe_projects()["ProjectDescriptions"] == []
    # WHEN CloudFormation deletes the version
    outcome = cfn.send(delete_event(cfn, properties, arn))
    # THEN it answers SUCCESS at once
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == arn
    assert outcome.polls == 0
    assert_nothing_left_polling(cfn)


def test_delete_that_cannot_finish_in_time_fails_saying_why(
    cfn: CloudFormation, rekognition: Any, clock: ManualClock, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN a version that has just started training, and a ServiceTimeout shorter than one poll
    # interval plus the handler's margin (its deadline has passed by the first poll)
    arn = trained_directly(rekognition, properties, clock=None)
    short = {**properties, "ServiceTimeout": 60}
    # WHEN CloudFormation deletes it
    outcome = cfn.send(delete_event(cfn, short, arn))
    # THEN it answers FAILED at the first poll, naming the version and why it cannot be deleted yet
    assert outcome.status == "FAILED"
    assert outcome.physical_id == arn
    assert outcome.polls == 1
    assert outcome.reason.startswith(f"Model version {arn} has been training since ")
    assert "Rekognition can neither stop nor delete a model version while it trains" in outcome.reason
    assert "Retry the delete (cdk destroy) once training has ended" in outcome.reason
    # AND the version is left training (nothing else could be done), and nothing polls any more
    assert versions(cfn, project_arn) == {arn: "TRAINING_IN_PROGRESS"}
    assert_nothing_left_polling(cfn)
    # WHEN training has ended and the delete is retried THEN it succeeds and the version is gone
    clock.advance(DURATIONS.training)
    retried = cfn.send(delete_event(cfn, short, arn))
    assert retried.status == "SUCCESS", retried.reason
    assert versions(cfn, project_arn) == {}
    assert_nothing_left_polling(cfn)


def test_a_throttled_look_up_of_an_unanswered_create_polls_until_it_finds_and_deletes_the_version(
    cfn: CloudFormation, cloud: LocalCloud, clock: ManualClock, properties: dict[str, Any], project_arn: str
) -> None:
    # GIVEN the version of a Create that never answered (its poll gone), and DescribeProjectVersions
    # throttled for the next two minutes
    cfn.invoke(cfn.event("Create", LOGICAL_ID, properties))
    drop_polls(cfn)
    cloud.service.faults.fail_until("DescribeProjectVersions", "ThrottlingException", clock.now() + 120)
    # WHEN CloudFormation deletes an id of its own making
    outcome = cfn.send(delete_event(cfn, properties, "Example-Classifier-1QZ8X2V7K4M9A"))
    # THEN it kept polling through the throttling, then found the version and deleted it
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.polls >= 2
    assert versions(cfn, project_arn) == {}
    assert_nothing_left_polling(cfn)
