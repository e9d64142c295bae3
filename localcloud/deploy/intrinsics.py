"""CloudFormation template values, resolved the way CloudFormation would, without calling AWS.

The local deploy driver creates resources one at a time in `dependency_order`, and before each one resolves
its Properties with a `Resolver` that knows what the resources created so far returned (`Ref` values and
`Fn::GetAtt` attributes). Anything the local cloud cannot honestly answer raises `TemplateError`, naming the
construct, rather than deploying a value CloudFormation would never have produced.
"""

from __future__ import annotations

import base64
import re
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

__all__ = ["Pseudo", "Resolver", "TemplateError", "dependency_order", "references"]

# `${Name}`, `${Res.Attr}`, `${AWS::Region}`; `${!Literal}` is written out as `${Literal}`.
_SUB_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_SSM_PARAMETER = "AWS::SSM::Parameter::Value<"
_AZ_SUFFIXES = ("a", "b", "c")


class TemplateError(Exception):
    """A template value the local cloud cannot resolve; the message names the construct that failed."""


class _NoValue(Enum):
    """`AWS::NoValue`: a marker the enclosing map or list drops, so it never reaches a resource."""

    TOKEN = "AWS::NoValue"


_NO_VALUE = _NoValue.TOKEN


@dataclass(frozen=True)
class Pseudo:
    """The pseudo parameters: what `AWS::AccountId` and friends mean in the local cloud."""

    account: str = "123456789012"
    region: str = "us-east-1"
    partition: str = "aws"
    stack_name: str = "Stack"
    stack_id: str = ""
    url_suffix: str = "amazonaws.com"

    @property
    def stack_arn(self) -> str:
        """`stack_id`, or a stable stack ARN derived from the name: CloudFormation never returns ''."""
        if self.stack_id:
            return self.stack_id
        suffix = uuid.uuid5(uuid.NAMESPACE_URL, f"{self.account}/{self.region}/{self.stack_name}")
        stack = f"stack/{self.stack_name}/{suffix}"
        return f"arn:{self.partition}:cloudformation:{self.region}:{self.account}:{stack}"

    def value(self, name: str) -> Any:
        """The value of `AWS::<name>` (NoValue as the drop marker); unknown names are a template error."""
        values: dict[str, Any] = {
            "AWS::AccountId": self.account,
            "AWS::Region": self.region,
            "AWS::Partition": self.partition,
            "AWS::StackName": self.stack_name,
            "AWS::StackId": self.stack_arn,
            "AWS::URLSuffix": self.url_suffix,
            "AWS::NotificationARNs": [],
            "AWS::NoValue": _NO_VALUE,
        }
        if name not in values:
            raise TemplateError(f"Ref: unknown pseudo parameter {name}")
        return values[name]


def _intrinsic(value: Any) -> tuple[str, Any] | None:
    """`(function, argument)` when value is a one-key `Ref` / `Fn::*` map, else None (a plain map)."""
    if isinstance(value, Mapping) and len(value) == 1:
        ((key, argument),) = value.items()
        if key == "Ref" or (isinstance(key, str) and key.startswith("Fn::")):
            return key, argument
    return None


def _sub_names(text: str) -> Iterator[str]:
    """The variable names a `Fn::Sub` string substitutes (escaped `${!...}` left out)."""
    for match in _SUB_VARIABLE.finditer(text):
        if not match.group(1).startswith("!"):
            yield match.group(1).strip()


def _getatt_target(argument: Any) -> tuple[Any, Any]:
    """`(logical id, attribute)` from either `["Id", "Attr"]` or `"Id.Attr"` (the attribute may be dotted)."""
    if isinstance(argument, str):
        logical_id, dot, attribute = argument.partition(".")
        if dot and logical_id and attribute:
            return logical_id, attribute
    elif isinstance(argument, list) and len(argument) == 2 and isinstance(argument[0], str):
        return argument[0], argument[1]
    raise TemplateError(
        f'Fn::GetAtt: expected ["LogicalId", "Attribute"] or "LogicalId.Attribute", got {argument!r}'
    )


def references(value: Any, *, parameters: Collection[str] = ()) -> set[str]:
    """The logical ids `value` depends on, for the dependency graph: Ref / Fn::GetAtt / Fn::Sub targets.

    Pseudo parameters (`AWS::*`) are never included; template parameters are left out when named in
    `parameters` (this function does not see the template, so `dependency_order` passes them).
    """
    found: set[str] = set()

    def add(name: str) -> None:
        if name and not name.startswith("AWS::") and name not in parameters:
            found.add(name)

    def walk(node: Any) -> None:
        call = _intrinsic(node)
        if call is None:
            children = node.values() if isinstance(node, Mapping) else node if isinstance(node, list) else ()
            for child in children:
                walk(child)
            return
        function, argument = call
        if function == "Ref" and isinstance(argument, str):
            add(argument)
        elif function == "Fn::GetAtt":
            logical_id, attribute = _getatt_target(argument)
            add(logical_id)
            walk(attribute)
        elif function == "Fn::Sub":
            text, variables = (argument, {}) if isinstance(argument, str) else _sub_arguments(argument)
            for name in _sub_names(text):
                if name not in variables:
                    add(name.partition(".")[0])
            walk(variables)
        else:
            walk(argument)

    walk(value)
    return found


def _sub_arguments(argument: Any) -> tuple[str, Mapping[str, Any]]:
    if (
        isinstance(argument, list)
        and len(argument) == 2
        and isinstance(argument[0], str)
        and isinstance(argument[1], Mapping)
    ):
        return argument[0], argument[1]
    raise TemplateError(f'Fn::Sub: expected "string" or ["string", {{variables}}], got {argument!r}')


def _depends_on(logical_id: str, resource: Mapping[str, Any]) -> list[str]:
    depends_on = resource.get("DependsOn", [])
    names = [depends_on] if isinstance(depends_on, str) else depends_on
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise TemplateError(f"DependsOn: {logical_id} must name a resource or a list of resources")
    return names


def dependencies(template: Mapping[str, Any]) -> dict[str, set[str]]:
    """Each resource's logical id -> the resources it refers to or DependsOn (checked to exist)."""
    resources: Mapping[str, Any] = template.get("Resources", {})
    parameters = set(template.get("Parameters", {}))
    needs: dict[str, set[str]] = {}
    for logical_id, resource in resources.items():
        if not isinstance(resource, Mapping):
            raise TemplateError(f"Resources: {logical_id} must be a map")
        for name in _depends_on(logical_id, resource):
            if name not in resources:
                raise TemplateError(f"DependsOn: {logical_id} depends on {name}, which is not a resource")
        referenced = references(
            {key: part for key, part in resource.items() if key != "DependsOn"}, parameters=parameters
        )
        unknown = sorted(referenced - set(resources))
        if unknown:
            raise TemplateError(
                f"Resources: {logical_id} refers to {unknown[0]}, "
                "which is not a resource, parameter or pseudo parameter"
            )
        needs[logical_id] = referenced | set(_depends_on(logical_id, resource))
    return needs


def dependency_order(template: Mapping[str, Any]) -> list[str]:
    """Resource logical ids in an order that creates every resource after what it refers to or DependsOn.

    Ties keep template order, so the same template always deploys the same way.
    """
    needs = dependencies(template)
    order: list[str] = []
    placed: set[str] = set()
    pending = list(needs)
    while pending:
        ready = next((name for name in pending if needs[name] <= placed), None)
        if ready is None:
            raise TemplateError(f"DependsOn: circular dependency between resources {_cycle(pending, needs)}")
        order.append(ready)
        placed.add(ready)
        pending.remove(ready)
    return order


def _cycle(pending: list[str], needs: Mapping[str, set[str]]) -> str:
    """One cycle among the resources that cannot be placed, as `A -> B -> A`."""
    remaining = set(pending)
    path = [pending[0]]
    while True:
        following = next(name for name in pending if name in needs[path[-1]] & remaining)
        if following in path:
            loop = [*path[path.index(following) :], following]
            return " -> ".join(loop)
        path.append(following)


def _text(function: str, value: Any) -> str:
    """A scalar as CloudFormation writes it into a string (booleans lower case); anything else is an error."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    raise TemplateError(f"{function}: expected a string, got {type(value).__name__} {value!r}")


def _boolean(function: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TemplateError(f"{function}: expected a boolean, got {value!r}")


def _arguments(function: str, argument: Any, count: int, shape: str) -> list[Any]:
    if not isinstance(argument, list) or len(argument) != count:
        raise TemplateError(f"{function}: expected {shape}, got {argument!r}")
    return argument


class Resolver:
    """Resolves template values against parameters, pseudo parameters and the resources deployed so far."""

    def __init__(
        self,
        template: Mapping[str, Any],
        *,
        pseudo: Pseudo,
        parameters: Mapping[str, str] | None = None,
        physical_ids: Mapping[str, str] | None = None,
        attributes: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.template = template
        self.pseudo = pseudo
        self.parameters: Mapping[str, str] = parameters or {}
        self.physical_ids: Mapping[str, str] = physical_ids or {}
        self.attributes: Mapping[str, Mapping[str, Any]] = attributes or {}
        self._conditions: dict[str, bool] = {}
        self._evaluating: list[str] = []
        self._functions: dict[str, Callable[[Any], Any]] = {
            "Ref": self._ref,
            "Fn::GetAtt": self._getatt,
            "Fn::Join": self._join,
            "Fn::Sub": self._sub,
            "Fn::Select": self._select,
            "Fn::Split": self._split,
            "Fn::If": self._if,
            "Fn::Equals": self._equals,
            "Fn::Not": self._not,
            "Fn::And": lambda argument: all(self._each_condition("Fn::And", argument)),
            "Fn::Or": lambda argument: any(self._each_condition("Fn::Or", argument)),
            "Fn::Contains": self._contains,
            "Fn::Base64": lambda argument: base64.b64encode(
                self._string("Fn::Base64", argument).encode()
            ).decode(),
            "Fn::GetAZs": self._get_azs,
            "Fn::FindInMap": self._find_in_map,
            "Fn::ImportValue": self._import_value,
        }

    # -- public ------------------------------------------------------------------------------------------

    def resolve(self, value: Any) -> Any:
        """`value` with every intrinsic function replaced by its result; NoValue keys and items removed.

        A bare `{"Ref": "AWS::NoValue"}` (or an `Fn::If` choosing it) resolves to None.
        """
        resolved = self._resolve(value)
        return None if resolved is _NO_VALUE else resolved

    def condition(self, name: str) -> bool:
        """The template condition `name`, evaluated once: resources and `Fn::If` branches hang off it."""
        if name in self._conditions:
            return self._conditions[name]
        conditions: Mapping[str, Any] = self.template.get("Conditions", {})
        if name not in conditions:
            raise TemplateError(f"Condition: unknown condition {name}")
        if name in self._evaluating:
            raise TemplateError(f"Condition: {' -> '.join([*self._evaluating, name])} is circular")
        self._evaluating.append(name)
        try:
            result = self._as_condition(f"Condition {name}", conditions[name])
        finally:
            self._evaluating.pop()
        self._conditions[name] = result
        return result

    def check_rules(self) -> list[str]:
        """The AssertDescriptions of failed Rules: CloudFormation refuses to deploy when there are any."""
        failed: list[str] = []
        rules: Mapping[str, Any] = self.template.get("Rules", {})
        for rule_name, rule in rules.items():
            if "RuleCondition" in rule and not self._as_condition(f"Rule {rule_name}", rule["RuleCondition"]):
                continue
            for number, assertion in enumerate(rule.get("Assertions", []), start=1):
                if not self._as_condition(f"Rule {rule_name}", assertion.get("Assert")):
                    failed.append(
                        assertion.get("AssertDescription", f"Rule {rule_name}: assertion {number} failed")
                    )
        return failed

    # -- walking -----------------------------------------------------------------------------------------

    def _resolve(self, value: Any) -> Any:
        call = _intrinsic(value)
        if call is not None:
            function, argument = call
            if function not in self._functions:
                raise TemplateError(f"{function}: unknown or unsupported intrinsic function")
            return self._functions[function](argument)
        if isinstance(value, Mapping):
            return {
                key: item for key, part in value.items() if (item := self._resolve(part)) is not _NO_VALUE
            }
        if isinstance(value, list):
            return [item for part in value if (item := self._resolve(part)) is not _NO_VALUE]
        return value

    def _string(self, function: str, argument: Any) -> str:
        return _text(function, self._resolve(argument))

    def _list(self, function: str, argument: Any) -> list[Any]:
        resolved = self._resolve(argument)
        if not isinstance(resolved, list):
            raise TemplateError(f"{function}: expected a list, got {resolved!r}")
        return resolved

    def _as_condition(self, function: str, argument: Any) -> bool:
        """A condition operand: a `{"Condition": name}` reference, or anything that resolves to a boolean."""
        if isinstance(argument, Mapping) and len(argument) == 1 and "Condition" in argument:
            name = argument["Condition"]
            if not isinstance(name, str):
                raise TemplateError(f"{function}: Condition must name a condition, got {name!r}")
            return self.condition(name)
        return _boolean(function, self._resolve(argument))

    def _each_condition(self, function: str, argument: Any) -> Iterator[bool]:
        if not isinstance(argument, list) or not 2 <= len(argument) <= 10:
            raise TemplateError(f"{function}: expected a list of 2 to 10 conditions, got {argument!r}")
        # A list, not a generator: CloudFormation validates every operand, not just up to the first answer.
        return iter([self._as_condition(function, operand) for operand in argument])

    # -- functions ---------------------------------------------------------------------------------------

    def _ref(self, name: Any) -> Any:
        if not isinstance(name, str):
            raise TemplateError(f"Ref: expected a name, got {name!r}")
        if name.startswith("AWS::"):
            return self.pseudo.value(name)
        declared: Mapping[str, Any] = self.template.get("Parameters", {})
        if name in self.parameters or name in declared:
            return self._parameter(name, declared.get(name, {}))
        if name in self.physical_ids:
            return self.physical_ids[name]
        if name in self.template.get("Resources", {}):
            raise TemplateError(f"Ref: resource {name} is not deployed yet")
        raise TemplateError(f"Ref: {name} is not a parameter, resource or pseudo parameter")

    def _parameter(self, name: str, declaration: Mapping[str, Any]) -> Any:
        """A given value overrides the Default; an unresolved SSM parameter stays its parameter path."""
        kind = str(declaration.get("Type", "String"))
        if name in self.parameters:
            value = self.parameters[name]
        elif "Default" in declaration:
            value = _text(f"Ref: parameter {name} Default", declaration["Default"])
            if kind.startswith(_SSM_PARAMETER):
                return value
        else:
            raise TemplateError(f"Ref: parameter {name} has no value and no Default")
        if kind == "CommaDelimitedList" or "List<" in kind:
            return [item.strip() for item in value.split(",")]
        return value

    def _getatt(self, argument: Any) -> Any:
        logical_id, attribute = _getatt_target(argument)
        attribute = self._string("Fn::GetAtt", attribute)
        if logical_id not in self.attributes and logical_id not in self.physical_ids:
            if logical_id in self.template.get("Resources", {}):
                raise TemplateError(f"Fn::GetAtt: resource {logical_id} is not deployed yet")
            raise TemplateError(f"Fn::GetAtt: {logical_id} is not a resource in the template")
        attributes = self.attributes.get(logical_id, {})
        if attribute in attributes:
            return attributes[attribute]
        # "Endpoint.Address" may also be given as {"Endpoint": {"Address": ...}}.
        node: Any = attributes
        for part in attribute.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise TemplateError(f"Fn::GetAtt: resource {logical_id} has no attribute {attribute}")
            node = node[part]
        return node

    def _join(self, argument: Any) -> str:
        delimiter, values = _arguments("Fn::Join", argument, 2, '["delimiter", [values]]')
        items = self._list("Fn::Join", values)
        return self._string("Fn::Join", delimiter).join(_text("Fn::Join", item) for item in items)

    def _sub(self, argument: Any) -> str:
        text, given = (argument, {}) if isinstance(argument, str) else _sub_arguments(argument)
        variables = {name: self._resolve(value) for name, value in given.items()}

        def substitute(match: re.Match[str]) -> str:
            inside = match.group(1)
            if inside.startswith("!"):
                return "${" + inside[1:] + "}"
            name = inside.strip()
            if name in variables:
                value = variables[name]
            elif "." in name and not name.startswith("AWS::"):
                value = self._getatt(name)
            else:
                value = self._ref(name)
            if value is _NO_VALUE:
                raise TemplateError(f"Fn::Sub: ${{{name}}} has no value")
            return _text(f"Fn::Sub: ${{{name}}}", value)

        return _SUB_VARIABLE.sub(substitute, text)

    def _select(self, argument: Any) -> Any:
        index, values = _arguments("Fn::Select", argument, 2, "[index, [values]]")
        position = self._resolve(index)
        if isinstance(position, str) and position.isdigit():
            position = int(position)
        if isinstance(position, bool) or not isinstance(position, int):
            raise TemplateError(f"Fn::Select: index must be a number, got {position!r}")
        items = self._list("Fn::Select", values)
        if not 0 <= position < len(items):
            raise TemplateError(f"Fn::Select: index {position} is out of range for {len(items)} values")
        return items[position]

    def _split(self, argument: Any) -> list[str]:
        delimiter, source = _arguments("Fn::Split", argument, 2, '["delimiter", "string"]')
        separator = self._string("Fn::Split", delimiter)
        if not separator:
            raise TemplateError("Fn::Split: the delimiter must not be empty")
        return self._string("Fn::Split", source).split(separator)

    def _if(self, argument: Any) -> Any:
        name, when_true, when_false = _arguments(
            "Fn::If", argument, 3, '["Condition", value_if_true, value_if_false]'
        )
        if not isinstance(name, str):
            raise TemplateError(f"Fn::If: the first argument must name a condition, got {name!r}")
        # Only the chosen branch is resolved: the other may name resources the condition left out.
        return self._resolve(when_true if self.condition(name) else when_false)

    def _equals(self, argument: Any) -> bool:
        left, right = _arguments("Fn::Equals", argument, 2, "[value, value]")
        equal: bool = self._comparable(self._resolve(left)) == self._comparable(self._resolve(right))
        return equal

    @staticmethod
    def _comparable(value: Any) -> Any:
        """Scalars compare as the strings CloudFormation sees (6 equals "6"); lists and maps as they are."""
        return _text("Fn::Equals", value) if isinstance(value, str | int | float) else value

    def _not(self, argument: Any) -> bool:
        (operand,) = _arguments("Fn::Not", argument, 1, "[condition]")
        return not self._as_condition("Fn::Not", operand)

    def _contains(self, argument: Any) -> bool:
        values, wanted = _arguments("Fn::Contains", argument, 2, "[[values], value]")
        items = self._list("Fn::Contains", values)
        target = self._comparable(self._resolve(wanted))
        return any(self._comparable(item) == target for item in items)

    def _get_azs(self, argument: Any) -> list[str]:
        region = self._string("Fn::GetAZs", argument) or self.pseudo.region
        return [f"{region}{suffix}" for suffix in _AZ_SUFFIXES]

    def _find_in_map(self, argument: Any) -> Any:
        map_name, top, second = (
            self._string("Fn::FindInMap", part)
            for part in _arguments(
                "Fn::FindInMap", argument, 3, '["MapName", "TopLevelKey", "SecondLevelKey"]'
            )
        )
        mappings: Mapping[str, Any] = self.template.get("Mappings", {})
        try:
            return mappings[map_name][top][second]
        except (KeyError, TypeError):
            raise TemplateError(f"Fn::FindInMap: {map_name} has no entry {top}/{second}") from None

    def _import_value(self, argument: Any) -> Any:
        export = repr(argument) if isinstance(argument, str) else "a computed export name"
        raise TemplateError(
            f"Fn::ImportValue: cross-stack imports (of {export}) are not supported locally; "
            "deploy the stacks as one, or pass the value as a parameter"
        )
