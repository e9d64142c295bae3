"""Create: train, poll, answer; failures answer FAILED with a useful Reason and the version's ARN."""

from __future__ import annotations

from typing import Any

import pytest
from version_lifecycle import is_version_arn

from localcloud.clock import ManualClock
from localcloud.deploy.custom_resources.response_url import ResponseServer
from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation
from localcloud.testing.clouds import POLLS
from tests.provider_function import RULE_PREFIX, versions

# Each test plays CloudFormation's requests through the provider function's processes.
pytestmark = pytest.mark.scenario

DURATIONS = POLLS.durations


def test_create_trains_and_answers_success_with_the_version_arn_and_attributes(
    cfn: CloudFormation, properties: dict[str, Any], responses: ResponseServer
) -> None:
    # GIVEN a Create request as CloudFormation sends it (every scalar a string)
    event = cfn.event("Create", "Classifier", properties)
    # WHEN the handler runs and its polling rule fires until training ends
    outcome = cfn.send(event)
    # THEN it answered SUCCESS once, with the version ARN as physical id and the documented attributes
    assert outcome.status == "SUCCESS", outcome.reason
    arn = outcome.physical_id
    assert arn.startswith(properties["ProjectArn"].rsplit("/", 1)[0] + "/version/Classifier-0123456789ab/")
    assert outcome.data["Arn"] == arn
    assert outcome.data["Status"] == "TRAINING_COMPLETED"
    assert float(outcome.data["F1Score"]) >= 0.9
    assert outcome.data["EvaluationSummaryKey"].startswith("Classifier/")
    assert outcome.data["BillableTrainingTimeInSeconds"] == str(int(DURATIONS.training))
    assert outcome.polls == 3  # 180 s of training at one poll a minute
    # AND the response fits CloudFormation's limit, and nothing is left behind
    (received,) = responses.responses(event["RequestId"])
    assert received.size <= 4096
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []
    # AND the logs never show the ResponseURL's credentials
    assert not any(secret in outcome.logs for secret in responses.secret_fragments)


def test_training_failure_answers_failed_with_the_service_message_and_the_version_arn(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any]
) -> None:
    # GIVEN a training that the service will fail with its own words
    cloud.service.faults.fail_training(properties["VersionName"], "The manifest file has too few labels.")
    # WHEN CloudFormation creates the resource
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN FAILED, the Reason starts with the service's StatusMessage and names the version,
    # and the physical id is the version ARN so that the rollback Delete removes it
    assert outcome.status == "FAILED"
    assert outcome.reason.startswith("The manifest file has too few labels.")
    assert is_version_arn(outcome.physical_id) and outcome.physical_id in outcome.reason
    # WHEN CloudFormation rolls back with a Delete of that physical id
    rollback = cfn.send(cfn.event("Delete", "Classifier", properties, physical_id=outcome.physical_id))
    # THEN it succeeds and nothing is left
    assert rollback.status == "SUCCESS" and rollback.physical_id == outcome.physical_id
    assert versions(cfn.cloud, properties["ProjectArn"]) == []
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"VersionName": "bad name"}, "VersionName"),
        ({"ProjectArn": "arn:aws:rekognition:us-east-1:123456789012:project/x"}, "ProjectArn"),
        ({"ServiceTimeout": "7200"}, "ServiceTimeout"),
        ({"TestingData": None}, "TrainingData and TestingData"),
        ({"Tags": {"aws:reserved": "x"}}, "aws:"),
        ({"TrainingDatas": {}}, "TrainingDatas"),
    ],
    ids=["name", "project", "timeout", "both-or-neither", "reserved-tag", "unknown-property"],
)
def test_invalid_properties_fail_at_once_naming_the_property(
    cfn: CloudFormation, properties: dict[str, Any], change: dict[str, Any], named: str
) -> None:
    # GIVEN properties with one invalid value
    bad = {k: v for k, v in {**properties, **change}.items() if v is not None}
    # WHEN created THEN FAILED without polling, the Reason naming what is wrong, and nothing created
    outcome = cfn.send(cfn.event("Create", "Classifier", bad))
    assert outcome.status == "FAILED" and outcome.polls == 0
    assert named in outcome.reason
    assert not is_version_arn(outcome.physical_id)
    assert versions(cfn.cloud, properties["ProjectArn"]) == []
    # AND the rollback Delete of that physical id succeeds without touching anything
    rollback = cfn.send(cfn.event("Delete", "Classifier", bad, physical_id=outcome.physical_id))
    assert rollback.status == "SUCCESS" and rollback.polls == 0
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_a_retried_create_adopts_its_own_version_and_answers_once(
    cfn: CloudFormation, properties: dict[str, Any]
) -> None:
    # GIVEN a Create whose first invocation started training and set up polling, then "crashed"
    event = cfn.event("Create", "Classifier", properties)
    cfn.invoke(event)
    first_rules = cfn.leftovers()["rules"]
    # WHEN Lambda retries the same event and polling runs to the end
    outcome = cfn.send(event)
    # THEN the retry adopted the same version (one version), reused the same rule, and one answer went out
    assert outcome.status == "SUCCESS", outcome.reason
    assert [v["ProjectVersionArn"] for v in versions(cfn.cloud, properties["ProjectArn"])] == [
        outcome.physical_id
    ]
    assert len(first_rules) == 1
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_a_version_of_the_same_name_that_is_not_ours_is_refused_and_left_alone(
    cfn: CloudFormation, rekognition: Any, properties: dict[str, Any]
) -> None:
    # GIVEN someone else's version with the name the resource wants
    foreign = rekognition.create_project_version(
        ProjectArn=properties["ProjectArn"],
        VersionName=properties["VersionName"],
        OutputConfig=properties["OutputConfig"],
        TrainingData=properties["TrainingData"],
        TestingData=properties["TestingData"],
    )["ProjectVersionArn"]
    # WHEN CloudFormation creates the resource
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN FAILED, saying the version exists and is not ours, with a physical id that is not that version
    assert outcome.status == "FAILED"
    assert "already exists" in outcome.reason and "not created by this resource" in outcome.reason
    assert outcome.physical_id != foreign
    # AND the rollback Delete leaves the foreign version alone
    cfn.send(cfn.event("Delete", "Classifier", properties, physical_id=outcome.physical_id))
    assert [v["ProjectVersionArn"] for v in versions(cfn.cloud, properties["ProjectArn"])] == [foreign]


def test_throttling_on_every_call_is_absorbed(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any]
) -> None:
    # GIVEN every Rekognition call of every invocation first answered with a transient error
    operations = ("CreateProjectVersion", "DescribeProjectVersions", "ListTagsForResource")
    codes = ("ThrottlingException", "ProvisionedThroughputExceededException", "InternalServerError")

    def throttle_everything() -> None:
        cloud.service.faults.clear()
        for operation, code in zip(operations, codes, strict=True):
            cloud.service.faults.fail_next(operation, code)

    cfn.before_invocation = throttle_everything
    # WHEN CloudFormation creates the resource
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN the retries inside each call absorbed them: SUCCESS, one version, nothing left
    assert outcome.status == "SUCCESS", outcome.reason
    assert len(versions(cfn.cloud, properties["ProjectArn"])) == 1
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_a_poll_that_keeps_being_throttled_just_polls_again(
    cfn: CloudFormation, cloud: LocalCloud, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN training that ends just before the first poll, whose Describe calls are all throttled
    # (five attempts: more than botocore's retries)
    event = cfn.event("Create", "Classifier", properties)
    cfn.invoke(event)
    clock.advance(DURATIONS.training - 60)
    cloud.service.faults.fail_next("DescribeProjectVersions", "ThrottlingException", count=5)
    # WHEN polling goes on
    outcome = cfn.send(event, delivered=True)
    # THEN that poll was "not yet" (no FAILED), and the next one answered SUCCESS
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.polls == 2


def test_a_response_put_that_fails_once_is_retried(
    cfn: CloudFormation, responses: ResponseServer, properties: dict[str, Any]
) -> None:
    # GIVEN the ResponseURL answers the first PUT with HTTP 500
    responses.fail_next(1, status=500)
    event = cfn.event("Create", "Classifier", properties)
    # WHEN the resource is created
    outcome = cfn.send(event)
    # THEN the handler retried: two PUTs, the second accepted, with the same body
    received = responses.responses(event["RequestId"])
    assert [r.failed for r in received] == [True, False]
    assert received[0].body == received[1].body
    assert outcome.status == "SUCCESS"


def test_the_poll_deadline_answers_failed_before_cloudformation_gives_up(
    cfn: CloudFormation, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN a ServiceTimeout shorter than training (the deadline is one poll and a margin before it)
    timed = {**properties, "ServiceTimeout": 60}
    # WHEN created
    outcome = cfn.send(cfn.event("Create", "Classifier", timed))
    # THEN FAILED with a Reason that says what is still training and why it stopped waiting
    assert outcome.status == "FAILED"
    assert outcome.reason.startswith(f"Model version {outcome.physical_id} was still training")
    assert "ServiceTimeout" in outcome.reason
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []
    # AND the rollback Delete waits for training to end, then deletes the version
    rollback = cfn.send(cfn.event("Delete", "Classifier", properties, physical_id=outcome.physical_id))
    assert rollback.status == "SUCCESS"
    assert versions(cfn.cloud, properties["ProjectArn"]) == []


def test_errors_for_thirty_minutes_while_training_end_the_wait_with_a_reason(
    cfn: CloudFormation, cloud: LocalCloud, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN a training whose DescribeProjectVersions keeps answering InternalServerError (the guide's word
    # for service errors during training), well within the one-hour ServiceTimeout
    event = cfn.event("Create", "Classifier", properties)
    cloud.service.faults.fail_until(
        "DescribeProjectVersions", "InternalServerError", until=clock.now() + 7200
    )
    # WHEN created and polled
    outcome = cfn.send(event)
    # THEN after thirty minutes of errors it answers FAILED saying what Rekognition answered, not that
    # it ran out of time, and the version it made is the physical id
    assert outcome.status == "FAILED"
    assert "answered DescribeProjectVersions with InternalServerError" in outcome.reason
    assert "for 18" in outcome.reason  # 1800-1860 s: thirty minutes of one-minute polls
    assert 30 <= outcome.polls <= 32
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []
    # AND once the service answers again, the rollback Delete removes the version
    cloud.service.faults.clear()
    rollback = cfn.send(cfn.event("Delete", "Classifier", properties, physical_id=outcome.physical_id))
    assert rollback.status == "SUCCESS"
    assert versions(cfn.cloud, properties["ProjectArn"]) == []


def test_a_255_character_logical_id_gets_a_short_rule_name(
    cfn: CloudFormation, properties: dict[str, Any]
) -> None:
    # GIVEN the longest logical id CloudFormation allows
    logical_id = "L" * 255
    event = cfn.event("Create", logical_id, properties)
    # WHEN the handler sets up polling THEN its rule name is at most 64 characters with the fixed prefix
    cfn.invoke(event)
    (rule,) = cfn.leftovers()["rules"]
    assert len(rule) <= 64 and rule.startswith(RULE_PREFIX)
    # AND the create completes normally
    outcome = cfn.send(event)
    assert outcome.status == "SUCCESS", outcome.reason
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_logs_are_info_and_never_show_the_response_url(
    cfn: CloudFormation, responses: ResponseServer, properties: dict[str, Any]
) -> None:
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    assert "[INFO]" in outcome.logs and "[DEBUG]" not in outcome.logs
    assert "cfn-responses" not in outcome.logs
    assert not any(secret in outcome.logs for secret in responses.secret_fragments)
