"""EventBridge scheduled rules, read back from the local cloud so a driver can fire them itself.

moto stores rules, targets and Lambda permissions but never runs a schedule (and never runs Lambda code
without Docker). A local deploy driver reads the rules crhelper's polling created with
:func:`scheduled_targets` and invokes the target with :mod:`localcloud.deploy.lambda_runtime`, passing
``target.input`` as the event, as EventBridge would every ``interval_seconds``.

moto also accepts rules real EventBridge refuses (names over 64 characters, ``rate(1 minutes)``), so
reading them raises :class:`InvalidRuleError` for those: the same set-up would have failed in AWS.
"""

from __future__ import annotations

import datetime
import json
import re
import uuid
from dataclasses import dataclass
from typing import Any

RULE_NAME = re.compile(r"[.\-_A-Za-z0-9]{1,64}")
_RATE = re.compile(r"rate\((?P<value>[1-9][0-9]*) (?P<unit>minutes?|hours?|days?)\)")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_LAMBDA_ARN = re.compile(
    r"arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?"
)


class InvalidRuleError(ValueError):
    """A rule that EventBridge's PutRule would have rejected (moto stored it anyway)."""


@dataclass(frozen=True)
class ScheduledTarget:
    rule_name: str
    rule_arn: str
    schedule: str
    interval_seconds: float
    target_arn: str
    input: dict[str, Any]

    @property
    def function_name(self) -> str:
        """The Lambda function's name, from the target ARN (without a version or alias)."""
        return self.target_arn.split(":")[6]


def rate_seconds(expression: str) -> float:
    """Seconds between runs of ``rate(N unit)``; the unit is singular for 1 and plural otherwise."""
    match = _RATE.fullmatch(expression.strip())
    if match is None:
        raise InvalidRuleError(f"Parameter ScheduleExpression is not valid: {expression!r}")
    value, unit = int(match["value"]), match["unit"]
    if (value == 1) == unit.endswith("s"):
        raise InvalidRuleError(
            f"Parameter ScheduleExpression is not valid: {expression!r} "
            "(the unit must be singular for 1 and plural for more)"
        )
    return float(value * _UNIT_SECONDS[unit.rstrip("s")])


def scheduled_targets(events_client: Any, *, name_prefix: str = "") -> list[ScheduledTarget]:
    """Every Lambda target of an ENABLED ``rate(...)`` rule on the default bus, with its Input parsed.

    Rules without a schedule (event patterns) and ``cron(...)`` schedules are left out. A target without
    ``Input`` receives EventBridge's "Scheduled Event" object.
    """
    found: list[ScheduledTarget] = []
    for rule in _rules(events_client, name_prefix):
        found += _scheduled(events_client, rule)
    return found


def targets_of_rule(events_client: Any, rule_name: str) -> list[ScheduledTarget]:
    """``scheduled_targets`` of one rule, known by name; [] once it is gone."""
    try:
        rule = events_client.describe_rule(Name=rule_name)
    except events_client.exceptions.ResourceNotFoundException:
        return []
    return _scheduled(events_client, rule)


def _scheduled(events_client: Any, rule: dict[str, Any]) -> list[ScheduledTarget]:
    name: str = rule["Name"]
    if not RULE_NAME.fullmatch(name):
        raise InvalidRuleError(
            f"rule name {name!r} ({len(name)} characters) is not valid: EventBridge takes at most 64 "
            "characters from [.-_A-Za-z0-9]"
        )
    schedule = rule.get("ScheduleExpression")
    if not schedule or not schedule.startswith("rate("):
        return []
    interval = rate_seconds(schedule)  # validated even when disabled: PutRule would have refused it
    if rule.get("State") != "ENABLED":
        return []
    return [
        ScheduledTarget(
            rule_name=name,
            rule_arn=rule["Arn"],
            schedule=schedule,
            interval_seconds=interval,
            target_arn=target["Arn"],
            input=_input(target, rule["Arn"]),
        )
        for target in _targets(events_client, name)
        if _LAMBDA_ARN.fullmatch(target["Arn"])
    ]


def lambda_permissions(lambda_client: Any, function_name: str) -> list[dict[str, Any]]:
    """The statements of the function's resource policy; [] when it has none."""
    try:
        response = lambda_client.get_policy(FunctionName=function_name)
    except lambda_client.exceptions.ResourceNotFoundException:
        return []
    statements: list[dict[str, Any]] = json.loads(response["Policy"]).get("Statement", [])
    return statements


def _rules(events_client: Any, name_prefix: str) -> list[dict[str, Any]]:
    rules: list[dict[str, Any]] = []
    request: dict[str, Any] = {"NamePrefix": name_prefix} if name_prefix else {}
    while True:
        page = events_client.list_rules(**request)
        rules.extend(page.get("Rules", []))
        if not page.get("NextToken"):
            return rules
        request["NextToken"] = page["NextToken"]


def _targets(events_client: Any, rule_name: str) -> list[dict[str, Any]]:
    targets: list[dict[str, Any]] = []
    request: dict[str, Any] = {"Rule": rule_name}
    while True:
        try:
            page = events_client.list_targets_by_rule(**request)
        except events_client.exceptions.ResourceNotFoundException:
            return targets  # deleted since it was listed (its poll has just ended)
        targets.extend(page.get("Targets", []))
        if not page.get("NextToken"):
            return targets
        request["NextToken"] = page["NextToken"]


def _input(target: dict[str, Any], rule_arn: str) -> dict[str, Any]:
    if "InputPath" in target or "InputTransformer" in target:
        raise NotImplementedError(f"target {target['Id']}: only a constant Input is supported")
    if "Input" not in target:
        _, _, _, region, account, _ = rule_arn.split(":", 5)
        now = datetime.datetime.now(datetime.UTC)
        return {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": account,
            "time": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": region,
            "resources": [rule_arn],
            "detail": {},
        }
    parsed = json.loads(target["Input"])
    if not isinstance(parsed, dict):
        raise InvalidRuleError(f"target {target['Id']}: Input is not a JSON object")
    return parsed
