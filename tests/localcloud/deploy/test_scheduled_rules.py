"""EventBridge's scheduled rules read back from moto (``localcloud.deploy.scheduled_rules``): enabled
rate rules and their Lambda targets, rate expressions, rules EventBridge would refuse, and a function's
Lambda permissions."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

import pytest

from localcloud.deploy.scheduled_rules import (
    InvalidRuleError,
    lambda_permissions,
    rate_seconds,
    scheduled_targets,
)
from localcloud.gateway.server import LocalCloud
from tests.localcloud.deploy.handlers import ACCOUNT, FUNCTION_ARN


def lambda_target(input_: dict[str, Any] | None = None, target_id: str = "1") -> dict[str, Any]:
    target: dict[str, Any] = {"Id": target_id, "Arn": FUNCTION_ARN}
    if input_ is not None:
        target["Input"] = json.dumps(input_)
    return target


def test_scheduled_targets_reads_enabled_rate_rules_and_their_lambda_targets(cloud: LocalCloud) -> None:
    # GIVEN crhelper-like polling rules, a disabled one, an event-pattern one and one outside the prefix
    events = cloud.client("events")
    poll_event = {"RequestType": "Create", "CrHelperPoll": True, "CrHelperData": {"Key": "v"}}
    events.put_rule(Name="ModelVersionAB12CD34", ScheduleExpression="rate(1 minute)", State="ENABLED")
    events.put_targets(Rule="ModelVersionAB12CD34", Targets=[lambda_target(poll_event)])
    events.put_rule(Name="ModelVersionEF56GH78", ScheduleExpression="rate(5 minutes)", State="ENABLED")
    events.put_targets(
        Rule="ModelVersionEF56GH78",
        Targets=[
            lambda_target({"n": 2}),
            {"Id": "queue", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:not-a-function", "Input": "{}"},
        ],
    )
    events.put_rule(Name="ModelVersionOFF00000", ScheduleExpression="rate(1 minute)", State="DISABLED")
    events.put_targets(Rule="ModelVersionOFF00000", Targets=[lambda_target({"n": 3})])
    events.put_rule(Name="ModelVersionPattern", EventPattern=json.dumps({"source": ["aws.s3"]}))
    events.put_targets(Rule="ModelVersionPattern", Targets=[lambda_target({"n": 4})])
    events.put_rule(Name="OtherRule", ScheduleExpression="rate(2 hours)", State="ENABLED")
    events.put_targets(Rule="OtherRule", Targets=[lambda_target()])

    # WHEN the scheduled targets are read, with and without a prefix
    polling = sorted(scheduled_targets(events, name_prefix="ModelVersion"), key=lambda t: t.rule_name)
    everything = scheduled_targets(events)

    # THEN only the enabled rate rules' Lambda targets come back, with their interval and parsed Input
    assert [(t.rule_name, t.schedule, t.interval_seconds) for t in polling] == [
        ("ModelVersionAB12CD34", "rate(1 minute)", 60.0),
        ("ModelVersionEF56GH78", "rate(5 minutes)", 300.0),
    ]
    assert polling[0].input == poll_event
    assert polling[0].target_arn == FUNCTION_ARN
    assert polling[0].function_name == "project-version-handler"
    assert polling[0].rule_arn == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/ModelVersionAB12CD34"
    assert polling[1].input == {"n": 2}
    assert sorted(t.rule_name for t in everything) == [
        "ModelVersionAB12CD34",
        "ModelVersionEF56GH78",
        "OtherRule",
    ]
    # AND a target without Input gets EventBridge's scheduled event
    other = next(t for t in everything if t.rule_name == "OtherRule")
    assert other.interval_seconds == 7200.0
    assert other.input["detail-type"] == "Scheduled Event"
    assert other.input["resources"] == [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/OtherRule"]


def test_rules_eventbridge_would_refuse_are_reported(cloud: LocalCloud) -> None:
    # GIVEN a rule whose name is longer than EventBridge's 64 characters (moto stores it anyway)
    events = cloud.client("events")
    long_name = "A" * 57 + "ABCD1234"
    events.put_rule(Name=long_name, ScheduleExpression="rate(1 minute)", State="ENABLED")

    # WHEN the scheduled targets are read, THEN the harness refuses it as PutRule would have
    with pytest.raises(InvalidRuleError, match="65 characters"):
        scheduled_targets(events)


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(3 days)", 259200)],
)
def test_rate_expressions_are_converted_to_seconds(expression: str, seconds: float) -> None:
    # GIVEN a valid rate expression, WHEN it is parsed, THEN the interval is right
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize(
    "expression",
    ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(1 second)", "cron(0 * * * ? *)"],
)
def test_invalid_rate_expressions_are_refused(expression: str) -> None:
    # GIVEN an expression EventBridge refuses as a rate, WHEN it is parsed, THEN it is refused
    with pytest.raises(InvalidRuleError):
        rate_seconds(expression)


def test_lambda_permissions_lists_statements_and_is_empty_without_a_policy(cloud: LocalCloud) -> None:
    # GIVEN a function in moto, with no resource policy yet
    iam, lambda_client = cloud.client("iam"), cloud.client("lambda")
    role = iam.create_role(RoleName="handler-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.py", "def handler(event, context):\n    return None\n")
    lambda_client.create_function(
        FunctionName="project-version-handler",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    assert lambda_permissions(lambda_client, "project-version-handler") == []

    # WHEN crhelper-style polling adds a permission for its rule
    rule_arn = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/ModelVersionAB12CD34"
    lambda_client.add_permission(
        FunctionName="project-version-handler",
        StatementId="ModelVersionQW12ER34",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    statements = lambda_permissions(lambda_client, "project-version-handler")

    # THEN the statement is listed, and removing it empties the list again
    assert len(statements) == 1
    assert statements[0]["Sid"] == "ModelVersionQW12ER34"
    assert statements[0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert statements[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == rule_arn
    lambda_client.remove_permission(
        FunctionName="project-version-handler", StatementId="ModelVersionQW12ER34"
    )
    assert lambda_permissions(lambda_client, "project-version-handler") == []
