"""A scheduled EventBridge rule invoking a Lambda function, deployed, updated and destroyed by the engine."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_events as eventbridge
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_lambda as lambda_

from localcloud.deploy.deployment import Deployment, Resource
from localcloud.deploy.engine import Engine
from localcloud.gateway.server import LocalCloud
from tests.localcloud.apps import Synth

pytestmark = pytest.mark.scenario

SOURCE = "def handler(event, context):\n    return event\n"


def scheduled(schedule: str) -> Callable[[cdk.App], None]:
    """A stack whose rule runs a function on ``schedule``: CDK adds the function's invoke permission."""

    def build(app: cdk.App) -> None:
        stack = cdk.Stack(app, "Scheduled")
        function = lambda_.Function(
            stack,
            "Tick",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_inline(SOURCE),
        )
        eventbridge.Rule(
            stack,
            "Every",
            schedule=eventbridge.Schedule.expression(schedule),
            targets=[targets.LambdaFunction(function)],
        )

    return build


def only(deployment: Deployment, resource_type: str) -> Resource:
    (resource,) = [r for r in deployment.resources.values() if r.type == resource_type]
    return resource


def statuses(printed: io.StringIO, logical_id: str) -> list[str]:
    """The event statuses the engine printed for one resource, in order."""
    fields = [[part.strip() for part in line.split("|")] for line in printed.getvalue().splitlines()]
    return [f[1] for f in fields if len(f) >= 4 and f[3].split(" ")[0] == logical_id]


def test_a_scheduled_function_is_deployed_updated_in_place_and_destroyed(
    engine: Engine, cloud: LocalCloud, synth: Synth, events: io.StringIO
) -> None:
    client, lam = cloud.client("events"), cloud.client("lambda")
    # GIVEN a stack with a rule every five minutes targeting an inline Python function WHEN deployed
    deployment = engine.deploy(synth(scheduled("rate(5 minutes)")))
    rule, function = only(deployment, "AWS::Events::Rule"), only(deployment, "AWS::Lambda::Function")
    permission = only(deployment, "AWS::Lambda::Permission")
    # THEN the rule exists on the default bus, enabled, on that schedule, with the function as its target
    described = client.describe_rule(Name=rule.physical_id)
    assert described["Arn"] == rule.attributes["Arn"]
    assert (described["State"], described["ScheduleExpression"]) == ("ENABLED", "rate(5 minutes)")
    (target,) = client.list_targets_by_rule(Rule=rule.physical_id)["Targets"]
    assert target["Arn"] == function.attributes["Arn"]
    # AND the function's policy lets EventBridge invoke it, from this rule only
    policy: dict[str, Any] = json.loads(lam.get_policy(FunctionName=function.physical_id)["Policy"])
    (statement,) = policy["Statement"]
    assert statement["Sid"] == permission.attributes["Id"]
    assert permission.physical_id == f"{function.attributes['Arn']}|{statement['Sid']}"
    assert (statement["Effect"], statement["Action"]) == ("Allow", "lambda:InvokeFunction")
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"AWS:SourceArn": rule.attributes["Arn"]}

    # WHEN the schedule changes and the stack is deployed again
    updated = engine.deploy(synth(scheduled("rate(1 hour)")), deployment)
    # THEN the same rule is updated in place, keeping its target; the permission is untouched
    assert only(updated, "AWS::Events::Rule").physical_id == rule.physical_id
    assert client.describe_rule(Name=rule.physical_id)["ScheduleExpression"] == "rate(1 hour)"
    assert [t["Arn"] for t in client.list_targets_by_rule(Rule=rule.physical_id)["Targets"]] == [
        function.attributes["Arn"]
    ]
    assert only(updated, "AWS::Lambda::Permission") is permission
    assert statuses(events, rule.logical_id)[-2:] == ["UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"]
    assert "DELETE_IN_PROGRESS" not in statuses(events, rule.logical_id)

    # WHEN destroyed THEN no rule and no function (so no permission) are left
    engine.destroy(updated)
    assert client.list_rules()["Rules"] == []
    assert lam.list_functions()["Functions"] == []
    assert statuses(events, permission.logical_id)[-1] == "DELETE_COMPLETE"
