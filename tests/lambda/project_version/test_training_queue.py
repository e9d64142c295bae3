"""The account's training quota: a version without a slot waits for one, poll by poll, until its deadline.

Two foreign trainings (not this stack's) hold the account's two slots for three minutes, much longer
than botocore's retries of one call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation
from localcloud.testing.clouds import POLLS
from tests.provider_function import versions

# Each test plays CloudFormation's requests through the provider function's processes.
pytestmark = pytest.mark.scenario

DURATIONS = POLLS.durations

CREATE = "CreateProjectVersion"


def hold_both_training_slots(cloud: LocalCloud, properties: dict[str, Any]) -> list[str]:
    """Two trainings started by someone else in the same account (another project of theirs)."""
    rekognition = cloud.client("rekognition")
    project = rekognition.create_project(ProjectName="colleague")["ProjectArn"]
    request = {k: properties[k] for k in ("OutputConfig", "TrainingData", "TestingData")}
    created = [
        rekognition.create_project_version(ProjectArn=project, VersionName=name, **request)
        for name in ("theirs-1", "theirs-2")
    ]
    return [str(c["ProjectVersionArn"]) for c in created]


def test_a_create_without_a_slot_waits_and_succeeds_once_one_frees(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any]
) -> None:
    # GIVEN both training slots held by trainings that end in three minutes
    hold_both_training_slots(cloud, properties)
    cloud.service.calls.clear()
    # WHEN CloudFormation creates a model version
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN it waited (no answer) while the slots were taken, then trained: SUCCESS, one version of ours
    assert outcome.status == "SUCCESS", outcome.reason
    calls = list(cloud.service.calls.calls())
    (ours,) = versions(cfn.cloud, properties["ProjectArn"])
    assert ours["ProjectVersionArn"] == outcome.physical_id and ours["Status"] == "TRAINING_COMPLETED"
    # AND CreateProjectVersion was called once by the first invocation and once per waiting poll,
    # never retried inside an invocation (3 polls of one minute until the slots freed, then 3 of training)
    creates = [c.error for c in calls if c.operation == CREATE]
    assert creates == ["LimitExceededException"] * 3 + [""]
    assert outcome.polls == 6
    # AND each quota answer was checked against the name (a version of ours there would be adopted)
    waiting = [c.operation for c in calls[: 2 * 3]]
    assert waiting == [CREATE, "DescribeProjectVersions"] * 3
    # AND once training had started, each poll made one call (the ARN was kept for the next poll):
    # the Describe after the successful Create, then one per training poll, nothing else
    assert [c.operation for c in calls[2 * 3 + 1 :]] == ["DescribeProjectVersions"] * 4
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_a_create_that_never_gets_a_slot_fails_at_its_deadline_and_leaves_nothing(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any]
) -> None:
    # GIVEN both slots held, and a ServiceTimeout that ends before they free (the deadline is a poll
    # and a margin before it, so the first poll is past it)
    hold_both_training_slots(cloud, properties)
    timed = {**properties, "ServiceTimeout": 60}
    # WHEN created
    outcome = cfn.send(cfn.event("Create", "Classifier", timed))
    # THEN FAILED with a Reason that says how long it waited and why, before CloudFormation gives up
    assert outcome.status == "FAILED"
    assert outcome.reason.startswith("No training slot for model version Classifier-0123456789ab after")
    assert "at most 2 model versions at once per account" in outcome.reason
    assert "LimitExceededException" in outcome.reason
    assert "1 model version of this stack was waiting" in outcome.reason
    assert "60 s (ServiceTimeout)" in outcome.reason
    # AND no version was made, the physical id says so, and no rule or permission is left
    assert versions(cfn.cloud, properties["ProjectArn"]) == []
    assert outcome.physical_id == "not-created:Classifier"
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []
    # AND the rollback Delete succeeds at once
    rollback = cfn.send(cfn.event("Delete", "Classifier", timed, physical_id=outcome.physical_id))
    assert rollback.status == "SUCCESS"


def test_several_waiting_versions_are_counted_in_the_reason(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any]
) -> None:
    # GIVEN both slots held and three versions of this stack waiting (their requests delivered)
    hold_both_training_slots(cloud, properties)
    timed = {**properties, "ServiceTimeout": 60}
    events = [
        cfn.event("Create", f"Classifier{n}", {**timed, "VersionName": f"Classifier{n}-0123456789ab"})
        for n in range(3)
    ]
    for event in events:
        cfn.invoke(event)
    # WHEN their polls run until each has answered
    outcomes = [cfn.send(event, delivered=True) for event in events]
    # THEN the first to give up saw all three waiting
    assert [o.status for o in outcomes] == ["FAILED"] * 3
    assert "3 model versions of this stack were waiting" in outcomes[0].reason
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_a_replacing_update_without_a_slot_waits_too(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any]
) -> None:
    # GIVEN a deployed version, then both slots taken by someone else
    created = cfn.send(cfn.event("Create", "Classifier", properties))
    hold_both_training_slots(cloud, properties)
    # WHEN an update needs a new version (new name and description)
    new = {**properties, "VersionName": "Classifier-ba9876543210", "VersionDescription": "Retrained"}
    update = cfn.event(
        "Update", "Classifier", new, physical_id=created.physical_id, old_properties=properties
    )
    outcome = cfn.send(update)
    # THEN it waited for a slot and answered with the new version's ARN (a replacement)
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id != created.physical_id and "Classifier-ba9876543210" in outcome.physical_id
    assert cloud.service.calls.count(CREATE, "LimitExceededException") >= 1
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def lambda_retries_the_first_invocation(cfn: CloudFormation, event: dict[str, Any]) -> None:
    cfn.invoke(event)  # the same event again, racing the poll


def the_next_create_answer_is_lost(cfn: CloudFormation, event: dict[str, Any]) -> None:
    cfn.cloud.service.faults.lose_next_answers(CREATE)  # the service trains; the handler sees a 500


@pytest.mark.parametrize("disturbance", [lambda_retries_the_first_invocation, the_next_create_answer_is_lost])
def test_a_waiting_create_ends_with_one_version_whatever_happens_when_the_slot_frees(
    cfn: CloudFormation,
    cloud: LocalCloud,
    clock: ManualClock,
    properties: dict[str, Any],
    disturbance: Callable[[CloudFormation, dict[str, Any]], None],
) -> None:
    # GIVEN a Create waiting for a slot
    hold_both_training_slots(cloud, properties)
    event = cfn.event("Create", "Classifier", properties)
    cfn.invoke(event)
    # WHEN the slots free and a second CreateProjectVersion is under way, or the answer of the one that
    # took the slot is lost
    clock.advance(DURATIONS.training)
    disturbance(cfn, event)
    outcome = cfn.send(event, delivered=True)
    # THEN the handler adopted the version its request made: exactly one, SUCCESS with its ARN
    assert outcome.status == "SUCCESS", outcome.reason
    (ours,) = versions(cfn.cloud, properties["ProjectArn"])
    assert outcome.physical_id == ours["ProjectVersionArn"]
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


@pytest.mark.parametrize(
    ("code", "count"),
    [
        ("ThrottlingException", 3),  # more than the first invocation's own attempts
        ("InternalServerError", 3),
    ],
)
def test_a_create_refused_for_a_while_waits_and_then_trains(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any], code: str, count: int
) -> None:
    # GIVEN CreateProjectVersion will be refused ``count`` times with ``code``
    cloud.service.faults.fail_next(CREATE, code, count=count)
    # WHEN CloudFormation creates the resource
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN the first invocation gave up its call without failing, and the first poll started training
    assert outcome.status == "SUCCESS", outcome.reason
    assert [c.error for c in cloud.service.calls.calls([CREATE])] == [code] * count + [""]
    assert len(versions(cfn.cloud, properties["ProjectArn"])) == 1
    assert outcome.polls == 1 + 3  # one poll to start, three of training


def test_a_quota_that_waiting_does_not_free_fails_the_create_at_once_naming_it(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any]
) -> None:
    # GIVEN CreateProjectVersion answers ServiceQuotaExceededException (e.g. the project holds the most
    # model versions it may): unlike the training-slot quota, no training that ends frees it
    cloud.service.faults.fail_next(
        CREATE, "ServiceQuotaExceededException", message="The project already has 100 model versions."
    )
    # WHEN CloudFormation creates the resource
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN it fails at once, naming the answer and what to do, having made one call and nothing else
    assert outcome.status == "FAILED"
    assert outcome.polls == 0
    assert "ServiceQuotaExceededException (The project already has 100 model versions.)" in outcome.reason
    assert "a quota that waiting does not free" in outcome.reason
    assert [c.error for c in cloud.service.calls.calls([CREATE])] == ["ServiceQuotaExceededException"]
    assert versions(cfn.cloud, properties["ProjectArn"]) == []
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_a_retried_create_adopts_its_version_even_if_the_quota_is_checked_before_the_name(
    cfn: CloudFormation, cloud: LocalCloud, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN a CreateProjectVersion that trains the version but whose answer is lost, after which every
    # CreateProjectVersion is answered with the training-slot quota rather than with the name in use (AWS
    # does not document which it checks first), for longer than the request may wait
    faults = cloud.service.faults
    faults.lose_next_answers(CREATE)
    faults.interrupt_after(
        CREATE, lambda: faults.fail_until(CREATE, "LimitExceededException", until=clock.now() + 10 * 3600)
    )
    # WHEN CloudFormation creates the resource
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN the handler looked the name up and adopted its own version: one version, SUCCESS with its ARN
    assert outcome.status == "SUCCESS", outcome.reason
    assert cloud.service.calls.count(CREATE, "LimitExceededException") >= 1
    (ours,) = versions(cfn.cloud, properties["ProjectArn"])
    assert outcome.physical_id == ours["ProjectVersionArn"]
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []
