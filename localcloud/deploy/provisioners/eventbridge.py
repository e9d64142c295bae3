"""EventBridge rules and their targets: ``AWS::Events::Rule``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from .common import (
    Context,
    Provisioned,
    ProvisionError,
    _deleting,
    _document,
    _failing_as,
    _flag,
    _gone,
    _number,
    _quietly,
    _ResourceType,
    _retag,
    _tag_list,
    _tags,
    generated_name,
)

# CloudFormation's names for PutTargets members that differ from the API's by more than letter case.
_TARGET_RENAMES = {"PlacementStrategies": "PlacementStrategy", "TagList": "Tags"}


def _shaped(value: Any, shape: Any, where: str) -> Any:
    """A resolved template value in the shape of a botocore request member.

    CloudFormation's Target matches PutTargets' Target but for nested ECS settings, where it capitalises
    what the API spells camelCase (``AwsVpcConfiguration`` for ``awsvpcConfiguration``) and renames two
    lists; numbers and booleans may arrive as strings. Raises ValueError for what the API cannot take.
    """
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise ValueError(f"{where} must be an object")
        members = {str(name).lower(): str(name) for name in shape.members}
        made: dict[str, Any] = {}
        for key, item in value.items():
            name = members.get(_TARGET_RENAMES.get(str(key), str(key)).lower())
            if name is None:
                raise ValueError(f"{where}.{key} is not a property EventBridge knows")
            made[name] = _shaped(item, shape.members[name], f"{where}.{key}")
        return made
    if kind == "list":
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list")
        return [_shaped(item, shape.member, f"{where}[{index}]") for index, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, Mapping):
            raise ValueError(f"{where} must be an object")
        return {str(k): _shaped(v, shape.value, f"{where}.{k}") for k, v in value.items()}
    if kind in ("integer", "long"):
        try:
            return _number(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where} must be a whole number, not {value!r}") from None
    if kind == "boolean":
        return _flag(value)
    if isinstance(value, Mapping | list):
        raise ValueError(f"{where} must be a string")
    return str(value).lower() if isinstance(value, bool) else str(value)


def _event_bus(properties: Mapping[str, Any]) -> str | None:
    """The rule's ``EventBusName`` (a name or an ARN), or None for the default bus."""
    bus = str(properties.get("EventBusName") or "")
    return None if bus.rpartition("/")[2] in ("", "default") else bus


def _rule_id(physical_id: str) -> tuple[str | None, str]:
    """The event bus (None for the default one) and rule name a rule's Ref names."""
    bus, _, name = physical_id.rpartition("|")
    return bus or None, name


class EventRule(_ResourceType):
    """An EventBridge rule and its targets (``AWS::Events::Rule``).

    Ref is the rule name, or ``<event bus>|<rule name>`` for a rule on a custom event bus (what
    CloudFormation returns, though its documentation only shows the default-bus form); Fn::GetAtt gives
    Arn and RuleName.
    """

    label = "EventBridge rule"
    supported = frozenset(
        {
            "Name",
            "Description",
            "EventBusName",
            "EventPattern",
            "RoleArn",
            "ScheduleExpression",
            "State",
            "Targets",
            "Tags",
        }
    )
    replaced_by = frozenset({"Name", "EventBusName"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        events = ctx.client("events")
        explicit = properties.get("Name")
        name = str(explicit) if explicit else generated_name(ctx.stack_name, logical_id, 64)
        bus = _event_bus(properties)
        targets = self._targets(events, name, properties)
        request = self._rule(name, bus, properties)
        if tags := _tags(properties):
            request["Tags"] = _tag_list(tags)
        with _failing_as(self.label, name):
            # PutRule overwrites a rule of the same name; CloudFormation's create fails instead.
            if explicit and _rule_exists(events, name, bus):
                where = bus or "default"
                raise ProvisionError(
                    f"{self.label} {name}: AlreadyExists a rule of that name is on event bus {where}"
                )
            arn = str(events.put_rule(**request)["RuleArn"])
        physical_id = f"{bus}|{name}" if bus else name
        try:
            self._put_targets(events, name, bus, targets)
        except ProvisionError:
            _quietly(lambda: self.delete(ctx, physical_id, properties))
            raise
        return Provisioned(physical_id, {"Arn": arn, "RuleName": name})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        """PutRule again with every setting (it keeps none of the old ones), then the targets and tags."""
        events = ctx.client("events")
        bus, name = _rule_id(physical_id)
        targets = self._targets(events, name, new)
        with _failing_as(self.label, name):
            arn = str(events.put_rule(**self._rule(name, bus, new))["RuleArn"])
            wanted = {str(target["Id"]) for target in targets}
            stale = [i for i in self._target_ids(events, name, bus) if i not in wanted]
            if stale:
                self._check(events.remove_targets(Rule=name, Ids=stale, **_on(bus)), name, "RemoveTargets")
            _retag(
                old,
                new,
                lambda tags: events.tag_resource(ResourceARN=arn, Tags=_tag_list(tags)),
                lambda keys: events.untag_resource(ResourceARN=arn, TagKeys=keys),
            )
        self._put_targets(events, name, bus, targets)
        return Provisioned(physical_id, {"Arn": arn, "RuleName": name})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """Remove the targets first (DeleteRule refuses a rule that has any), then the rule."""
        events = ctx.client("events")
        bus, name = _rule_id(physical_id)
        with _deleting(self.label, name, "ResourceNotFoundException"):
            ids = self._target_ids(events, name, bus)
            if ids:
                self._check(events.remove_targets(Rule=name, Ids=ids, **_on(bus)), name, "RemoveTargets")
            events.delete_rule(Name=name, **_on(bus))

    @staticmethod
    def _rule(name: str, bus: str | None, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The PutRule request: all settings, since PutRule resets those it is not given."""
        request: dict[str, Any] = {"Name": name, "State": str(properties.get("State") or "ENABLED")}
        if bus:
            request["EventBusName"] = bus
        for key in ("Description", "ScheduleExpression", "RoleArn"):
            if properties.get(key) is not None:
                request[key] = str(properties[key])
        if properties.get("EventPattern") is not None:
            request["EventPattern"] = _document(properties["EventPattern"])
        return request

    def _targets(self, events: Any, name: str, properties: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The template's Targets as PutTargets takes them, checked before anything is made."""
        shape = events.meta.service_model.operation_model("PutTargets").input_shape.members["Targets"]
        try:
            targets: list[dict[str, Any]] = _shaped(properties.get("Targets") or [], shape, "Targets")
        except ValueError as error:
            raise ProvisionError(f"{self.label} {name}: {error}") from None
        return targets

    def _put_targets(self, events: Any, name: str, bus: str | None, targets: list[dict[str, Any]]) -> None:
        if not targets:
            return
        with _failing_as(self.label, name):
            self._check(events.put_targets(Rule=name, Targets=targets, **_on(bus)), name, "PutTargets")

    @staticmethod
    def _target_ids(events: Any, name: str, bus: str | None) -> list[str]:
        return [
            str(target["Id"])
            for page in events.get_paginator("list_targets_by_rule").paginate(Rule=name, **_on(bus))
            for target in page["Targets"]
        ]

    def _check(self, answer: Mapping[str, Any], name: str, action: str) -> None:
        """PutTargets and RemoveTargets answer 200 with per-target failures; CloudFormation fails on any."""
        failed = answer.get("FailedEntries") or []
        if answer.get("FailedEntryCount") or failed:
            reasons = "; ".join(
                f"{entry.get('TargetId')}: {entry.get('ErrorCode')} {entry.get('ErrorMessage', '')}".strip()
                for entry in failed
            )
            raise ProvisionError(f"{self.label} {name}: {action} failed for {reasons or 'some targets'}")


def _on(bus: str | None) -> dict[str, str]:
    """The EventBusName argument for a rule on a custom bus; the default bus is the APIs' default."""
    return {"EventBusName": bus} if bus else {}


def _rule_exists(events: Any, name: str, bus: str | None) -> bool:
    try:
        events.describe_rule(Name=name, **_on(bus))
    except ClientError as error:
        if _gone(error, "ResourceNotFoundException"):
            return False
        raise
    return True
