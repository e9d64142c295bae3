"""Three-valued truth for the parts of a policy this evaluator cannot decide.

A condition operator it does not know, or a policy variable (``${aws:username}``) it does not
substitute, leaves a statement's applicability UNKNOWN rather than true or false. The evaluator then
fails closed: an UNKNOWN Allow grants nothing and an UNKNOWN Deny denies, so what cannot be evaluated
never allows a request that AWS might refuse. Combination follows Kleene's logic (FALSE dominates an
AND, TRUE dominates an OR).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Truth(enum.Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"

    @classmethod
    def of(cls, value: bool) -> Truth:
        return cls.TRUE if value else cls.FALSE

    def negate(self) -> Truth:
        if self is Truth.UNKNOWN:
            return self
        return Truth.FALSE if self is Truth.TRUE else Truth.TRUE


def all_of(values: Iterable[Truth]) -> Truth:
    """AND: FALSE if any is FALSE, else UNKNOWN if any is UNKNOWN, else TRUE (TRUE when empty)."""
    result = Truth.TRUE
    for value in values:
        if value is Truth.FALSE:
            return value
        if value is Truth.UNKNOWN:
            result = value
    return result


def any_of(values: Iterable[Truth]) -> Truth:
    """OR: TRUE if any is TRUE, else UNKNOWN if any is UNKNOWN, else FALSE (FALSE when empty)."""
    result = Truth.FALSE
    for value in values:
        if value is Truth.TRUE:
            return value
        if value is Truth.UNKNOWN:
            result = value
    return result
