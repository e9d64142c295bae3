"""``AWS::Events::Rule`` (``eventbridge.py``): rules on the default and on a custom bus, by name or
generated, with schedules or event patterns, their targets translated from CloudFormation's spelling to
the API's and synchronised on update, and inputs EventBridge would refuse reported before anything is
made."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localcloud.deploy.provisioners import Provisioned, ProvisionError, ignored_properties, provisioner_for

from .context import ACCOUNT, REGION, LocalContext, create


def targets_of(events: Any, rule: str, **bus: str) -> dict[str, dict[str, Any]]:
    return {t["Id"]: t for t in events.list_targets_by_rule(Rule=rule, **bus)["Targets"]}


def rule_tags(events: Any, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def test_event_rule_create_update_delete(ctx: LocalContext) -> None:
    events = ctx.client("events")
    rule = provisioner_for("AWS::Events::Rule")
    assert rule is not None
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ticker"
    old = {
        "Name": "every-five",
        "Description": "ticks",
        "ScheduleExpression": "rate(5 minutes)",
        "Targets": [
            {"Id": "Target0", "Arn": function_arn, "RetryPolicy": {"MaximumRetryAttempts": "2"}},
            {"Id": "Target1", "Arn": function_arn + "-2", "Input": '{"kind": "tick"}'},
        ],
        "Tags": [{"Key": "app", "Value": "demo"}, {"Key": "gone", "Value": "soon"}],
    }
    # WHEN a named rule on the default bus is created THEN Ref is its name, Arn and RuleName its own
    made = rule.create(ctx, "Every", old)
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/every-five"
    assert made == Provisioned("every-five", {"Arn": arn, "RuleName": "every-five"})
    # AND EventBridge holds its settings (enabled by default), its targets (numbers as numbers) and tags
    described = events.describe_rule(Name="every-five")
    assert (described["State"], described["ScheduleExpression"], described["Description"]) == (
        "ENABLED",
        "rate(5 minutes)",
        "ticks",
    )
    assert targets_of(events, "every-five") == {
        "Target0": {"Id": "Target0", "Arn": function_arn, "RetryPolicy": {"MaximumRetryAttempts": 2}},
        "Target1": {"Id": "Target1", "Arn": function_arn + "-2", "Input": '{"kind": "tick"}'},
    }
    assert rule_tags(events, arn) == {"app": "demo", "gone": "soon"}
    # AND another rule of that name fails (PutRule alone would have overwritten it)
    taken = r"^EventBridge rule every-five: AlreadyExists .*event bus default"
    with pytest.raises(ProvisionError, match=taken):
        rule.create(ctx, "Again", old)
    # WHEN the schedule, state and description change, a target goes, one changes, one comes, tags move
    new = {
        "Name": "every-five",
        "ScheduleExpression": "cron(0 12 * * ? *)",
        "State": "DISABLED",
        "Targets": [
            {"Id": "Target0", "Arn": function_arn, "Input": '{"kind": "noon"}'},
            {"Id": "Target2", "Arn": function_arn + "-3"},
        ],
        "Tags": [{"Key": "app", "Value": "v2"}],
    }
    assert not rule.needs_replacement(old, new)
    assert rule.update(ctx, "Every", "every-five", old, new) == made
    # THEN the same rule has exactly the new settings (PutRule keeps none of the old), targets and tags
    described = events.describe_rule(Name="every-five")
    assert (described["State"], described["ScheduleExpression"]) == ("DISABLED", "cron(0 12 * * ? *)")
    assert "Description" not in described
    assert targets_of(events, "every-five") == {
        "Target0": {"Id": "Target0", "Arn": function_arn, "Input": '{"kind": "noon"}'},
        "Target2": {"Id": "Target2", "Arn": function_arn + "-3"},
    }
    assert rule_tags(events, arn) == {"app": "v2"}
    # AND a new name, or a new event bus, would replace it
    assert rule.needs_replacement(old, {**new, "Name": "every-six"})
    assert rule.needs_replacement(old, {**new, "EventBusName": "custom"})
    # WHEN it is deleted, twice THEN its targets went first and it is gone
    rule.delete(ctx, "every-five", new)
    rule.delete(ctx, "every-five", new)
    assert events.list_rules()["Rules"] == []


def test_event_rule_on_a_custom_bus_with_a_generated_name(ctx: LocalContext) -> None:
    events = ctx.client("events")
    events.create_event_bus(Name="orders")
    ctx.stack_name = "A-Very-Long-Stack-Name-For-Testing-Generated-Rule-Names"
    rule = provisioner_for("AWS::Events::Rule")
    assert rule is not None
    pattern = {"source": ["shop.orders"], "detail-type": ["Order Placed"]}
    ecs_target = {
        "Id": "Task",
        "Arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/work",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events-run-task",
        "EcsParameters": {
            "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/work:1",
            "TaskCount": "2",
            "NetworkConfiguration": {"AwsVpcConfiguration": {"Subnets": ["subnet-1"]}},
            "PlacementStrategies": [{"Type": "random"}],
        },
    }
    properties = {"EventBusName": "orders", "EventPattern": pattern, "Targets": [ecs_target]}
    # WHEN an unnamed rule on a custom bus is created
    made = rule.create(ctx, "OrderPlacedRule", properties)
    # THEN its name is generated within EventBridge's 64 characters, and Ref is "<bus>|<name>"
    bus, _, name = made.physical_id.partition("|")
    assert bus == "orders" and len(name) == 64
    assert re.fullmatch(r"A-Very-Long-Stack-Name-For-Test[\w-]*-OrderPlacedRule-[A-Z0-9]{12}", name)
    assert made.attributes == {
        "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/{name}",
        "RuleName": name,
    }
    # AND the pattern (an object in the template) is stored as JSON, on that bus
    described = events.describe_rule(Name=name, EventBusName="orders")
    assert json.loads(described["EventPattern"]) == pattern
    # AND the target's ECS settings are in the API's spelling, not CloudFormation's
    (target,) = targets_of(events, name, EventBusName="orders").values()
    assert target["EcsParameters"] == {
        "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/work:1",
        "TaskCount": 2,
        "NetworkConfiguration": {"awsvpcConfiguration": {"Subnets": ["subnet-1"]}},
        "PlacementStrategy": [{"type": "random"}],
    }
    # WHEN it is deleted by its Ref alone, twice THEN the bus has no rules left
    rule.delete(ctx, made.physical_id, {})
    rule.delete(ctx, made.physical_id, {})
    assert events.list_rules(EventBusName="orders")["Rules"] == []


def test_event_rule_bad_inputs_fail_readably_and_leave_nothing(ctx: LocalContext) -> None:
    events = ctx.client("events")
    target = {"Id": "Target0", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"}
    # GIVEN a schedule EventBridge cannot parse WHEN created THEN it fails with EventBridge's words
    invalid = r"^EventBridge rule bad-schedule: ValidationException Parameter ScheduleExpression is not"
    unparsable = {"Name": "bad-schedule", "ScheduleExpression": "every 5 min"}
    with pytest.raises(ProvisionError, match=invalid):
        create(ctx, "AWS::Events::Rule", "Rule", unparsable)
    # GIVEN targets PutTargets could not take THEN they are refused before any rule is made
    for bad, message in [
        ({**target, "Colour": "red"}, r"Targets\[0\]\.Colour is not a property EventBridge knows"),
        (
            {**target, "RetryPolicy": {"MaximumRetryAttempts": "many"}},
            r"Targets\[0\]\.RetryPolicy\.MaximumRetryAttempts must be a whole number, not 'many'",
        ),
    ]:
        with pytest.raises(ProvisionError, match=rf"^EventBridge rule bad-target: {message}"):
            create(
                ctx,
                "AWS::Events::Rule",
                "Rule",
                {"Name": "bad-target", "ScheduleExpression": "rate(1 hour)", "Targets": [bad]},
            )
    # GIVEN a custom bus that does not exist THEN EventBridge's refusal is reported
    with pytest.raises(ProvisionError, match=r"^EventBridge rule on-nowhere: ResourceNotFoundException "):
        create(
            ctx,
            "AWS::Events::Rule",
            "Rule",
            {"Name": "on-nowhere", "EventBusName": "nowhere", "EventPattern": {"source": ["x"]}},
        )
    assert events.list_rules()["Rules"] == []
    # AND properties the local cloud does not know are reported, not silently dropped
    assert ignored_properties("AWS::Events::Rule", {"Name": "r", "Targets": [], "Unknown": 1}) == ["Unknown"]
