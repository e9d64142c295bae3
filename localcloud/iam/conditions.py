"""A statement's Condition block, evaluated against a request's context keys as IAM does.

Semantics (AWS's "IAM JSON policy elements: Condition operators" and "Multivalued context keys"):

- every operator in the block must hold, and within an operator every key (AND); a key's policy values
  are alternatives (OR) for a positive operator, and all must miss for a negated one (StringNotEquals,
  StringNotLike, ArnNotEquals, ArnNotLike, NumericNotEquals, DateNotEquals, NotIpAddress);
- a key absent from the request makes a positive operator false and a negated one true; ``...IfExists``
  makes an absent key true; ``Null`` tests presence itself (``"true"``: the key must be absent);
- ``ForAnyValue:`` holds when at least one of the request's values matches (false when there are none),
  ``ForAllValues:`` when every one does (true when there are none); without a prefix a list-valued key
  holds for a positive operator when any of its values matches, for a negated one when none does;
- context key names are case-insensitive, values are compared as each operator says (``Bool`` and
  ``StringEqualsIgnoreCase`` ignore case, the others do not).

Operators: StringEquals, StringNotEquals, StringEqualsIgnoreCase, StringNotEqualsIgnoreCase, StringLike,
StringNotLike, ArnEquals, ArnLike, ArnNotEquals, ArnNotLike, Bool, Null, NumericEquals, NumericNotEquals,
NumericLessThan, NumericLessThanEquals, NumericGreaterThan, NumericGreaterThanEquals, DateEquals,
DateNotEquals, DateLessThan, DateLessThanEquals, DateGreaterThan, DateGreaterThanEquals, IpAddress,
NotIpAddress, BinaryEquals, each with ``IfExists`` (not ``Null``) and the two set prefixes.

An operator this module does not know (a typo, or one AWS adds later) never lets a statement apply as
if it held: it evaluates to UNKNOWN, and the evaluator then treats an Allow as not applying and a Deny as
applying (see ``truth``). Policy variables in values are not substituted (out of scope) and yield UNKNOWN
where they could decide the outcome.
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
import math
import operator
from collections.abc import Callable, Mapping, Sequence

from .truth import Truth, all_of, any_of
from .wildcards import arn_matches, matches

# What a request's context holds for one key: a single value or a multivalued key's values.
ContextValue = str | bool | int | float | Sequence[str]
Context = Mapping[str, ContextValue]

Comparison = Callable[[str, str], Truth]


class ConditionError(ValueError):
    """A Condition block that is not shaped as IAM requires (operator -> key -> value or values)."""


def _string_equals(value: str, policy: str) -> Truth:
    return matches(policy, value, glob=False)


def _string_equals_ignore_case(value: str, policy: str) -> Truth:
    return matches(policy, value, glob=False, ignore_case=True)


def _string_like(value: str, policy: str) -> Truth:
    return matches(policy, value)


def _bool(value: str, policy: str) -> Truth:
    return Truth.of(value.lower() == policy.lower())


def _binary(value: str, policy: str) -> Truth:
    return Truth.of(value == policy)


def _number(text: str) -> float | None:
    try:
        number = float(text)
    except ValueError:
        return None
    return None if math.isnan(number) else number


def _date(text: str) -> float | None:
    """Seconds since the epoch, from epoch seconds or an ISO 8601 date (naive means UTC)."""
    number = _number(text)
    if number is not None:
        return number
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _ordered(parse: Callable[[str], float | None], compare: Callable[[float, float], bool]) -> Comparison:
    def comparison(value: str, policy: str) -> Truth:
        left, right = parse(value), parse(policy)
        return Truth.of(left is not None and right is not None and compare(left, right))

    return comparison


def _ip_address(value: str, policy: str) -> Truth:
    try:
        return Truth.of(ipaddress.ip_address(value) in ipaddress.ip_network(policy, strict=False))
    except ValueError:
        return Truth.FALSE


def _arn(value: str, policy: str) -> Truth:
    return arn_matches(policy, value)


@dataclasses.dataclass(frozen=True)
class _Operator:
    compare: Comparison
    negated: bool = False


_COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "Equals": operator.eq,
    "LessThan": operator.lt,
    "LessThanEquals": operator.le,
    "GreaterThan": operator.gt,
    "GreaterThanEquals": operator.ge,
}

OPERATORS: dict[str, _Operator] = {
    "StringEquals": _Operator(_string_equals),
    "StringNotEquals": _Operator(_string_equals, negated=True),
    "StringEqualsIgnoreCase": _Operator(_string_equals_ignore_case),
    "StringNotEqualsIgnoreCase": _Operator(_string_equals_ignore_case, negated=True),
    "StringLike": _Operator(_string_like),
    "StringNotLike": _Operator(_string_like, negated=True),
    # ArnEquals and ArnLike are the same operator in IAM: both take wildcards per ARN component.
    "ArnEquals": _Operator(_arn),
    "ArnLike": _Operator(_arn),
    "ArnNotEquals": _Operator(_arn, negated=True),
    "ArnNotLike": _Operator(_arn, negated=True),
    "Bool": _Operator(_bool),
    "BinaryEquals": _Operator(_binary),
    "IpAddress": _Operator(_ip_address),
    "NotIpAddress": _Operator(_ip_address, negated=True),
    "NumericNotEquals": _Operator(_ordered(_number, operator.eq), negated=True),
    "DateNotEquals": _Operator(_ordered(_date, operator.eq), negated=True),
    **{f"Numeric{name}": _Operator(_ordered(_number, compare)) for name, compare in _COMPARISONS.items()},
    **{f"Date{name}": _Operator(_ordered(_date, compare)) for name, compare in _COMPARISONS.items()},
}

_SET_PREFIXES = ("ForAnyValue:", "ForAllValues:")
_IF_EXISTS = "IfExists"


def _as_text(value: object) -> str:
    """A policy or context value as IAM compares it: booleans as ``true``/``false``, numbers as written."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise ConditionError(f"condition values are strings, numbers or booleans, not {value!r}")


def _values(value: object) -> tuple[str, ...]:
    if isinstance(value, list | tuple):
        return tuple(_as_text(item) for item in value)
    return (_as_text(value),)


@dataclasses.dataclass(frozen=True)
class Clause:
    """One ``operator: {key: values}`` entry, for one key: e.g. ``StringEquals kms:ViaService``."""

    operator: str
    key: str
    values: tuple[str, ...]

    def evaluate(self, context: Context) -> Truth:
        """Whether the clause holds for ``context``; UNKNOWN for an operator this module does not know."""
        name = self.operator
        set_prefix = next((p for p in _SET_PREFIXES if name.startswith(p)), None)
        if set_prefix:
            name = name.removeprefix(set_prefix)
        if_exists = name.endswith(_IF_EXISTS) and name != _IF_EXISTS
        if if_exists:
            name = name.removesuffix(_IF_EXISTS)
        present = _lookup(context, self.key)
        if name == "Null":
            if set_prefix or if_exists:
                return Truth.UNKNOWN
            return any_of(Truth.of((v.lower() == "true") == (present is None)) for v in self.values)
        known = OPERATORS.get(name)
        if known is None:
            return Truth.UNKNOWN
        if present is None:
            if if_exists or set_prefix == "ForAllValues:":
                return Truth.TRUE
            if set_prefix == "ForAnyValue:":
                return Truth.FALSE
            return Truth.of(known.negated)

        def one(value: str) -> Truth:
            hit = any_of(known.compare(value, policy) for policy in self.values)
            return hit.negate() if known.negated else hit

        if set_prefix == "ForAllValues:":
            return all_of(one(value) for value in present)
        if known.negated and set_prefix is None:
            return all_of(one(value) for value in present)
        return any_of(one(value) for value in present)


def _lookup(context: Context, key: str) -> tuple[str, ...] | None:
    """The request's values for ``key`` (names compared case-insensitively); None when absent or empty."""
    wanted = key.lower()
    for name, value in context.items():
        if name.lower() == wanted:
            values = _values(
                list(value) if isinstance(value, Sequence) and not isinstance(value, str) else value
            )
            return values or None
    return None


@dataclasses.dataclass(frozen=True)
class Condition:
    """A statement's whole Condition block: all of its clauses must hold."""

    clauses: tuple[Clause, ...] = ()

    @classmethod
    def parse(cls, block: object) -> Condition:
        if block is None:
            return cls()
        if not isinstance(block, Mapping):
            raise ConditionError(f"Condition must be an object, not {block!r}")
        clauses = []
        for operator_name, keys in block.items():
            if not isinstance(keys, Mapping) or not keys:
                raise ConditionError(f"Condition {operator_name!r} must map keys to values, not {keys!r}")
            for key, value in keys.items():
                clauses.append(Clause(str(operator_name), str(key), _values(value)))
        return cls(tuple(clauses))

    def evaluate(self, context: Context) -> Truth:
        return all_of(clause.evaluate(context) for clause in self.clauses)
