"""``AWS::CloudFormation::WaitCondition`` with a ``CreationPolicy``: held until its signals arrive.

A resource with ``CreationPolicy: {ResourceSignal: {Count, Timeout}}`` completes once ``Count`` SUCCESS
signals with distinct UniqueIds arrived, fails at the first FAILURE signal, and fails when ``Timeout``
passes first (on the local cloud's clock); the signals arrive through the local cloud's ``SignalResource``
(``gateway.signals``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..gateway.signals import SignalBoard, SignalError

_DURATION = re.compile(r"PT(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?")
MAX_TIMEOUT_SECONDS = 43200  # CloudFormation's limit for a resource signal timeout (12 hours)
DEFAULT_TIMEOUT_SECONDS = 300  # PT5M


def wait_condition(
    board: SignalBoard,
    stack_name: str,
    logical_id: str,
    properties: dict[str, Any],
    definition: dict[str, Any],
    *,
    on_signal: Callable[[str], None],
) -> dict[str, str]:
    """Hold an ``AWS::CloudFormation::WaitCondition`` until its ``CreationPolicy`` is met; its attributes.

    Raises SignalError with CloudFormation's reason on a FAILURE signal, a timeout (counted on the board's
    clock, the local cloud's) or a definition it cannot wait for.
    """
    if properties:
        raise SignalError(
            "a WaitCondition with a Handle is not supported locally: use a CreationPolicy with "
            "ResourceSignal and cloudformation:SignalResource"
        )
    policy = definition.get("CreationPolicy", {}).get("ResourceSignal")
    if not isinstance(policy, dict):
        raise SignalError("a WaitCondition needs a CreationPolicy with a ResourceSignal locally")
    try:
        count = int(policy.get("Count", 1))
        timeout = timeout_seconds(policy.get("Timeout"))
    except ValueError as error:
        raise SignalError(f"CreationPolicy: {error}") from error
    outcome = board.wait(
        stack_name,
        logical_id,
        count=count,
        timeout=timeout,
        on_success=lambda unique_id: on_signal(f"Received SUCCESS signal with UniqueId {unique_id}"),
    )
    settled = "CREATE_COMPLETE" if outcome.status == "SUCCESS" else "CREATE_FAILED"
    board.settle(stack_name, logical_id, settled)
    if outcome.status != "SUCCESS":
        raise SignalError(outcome.reason)
    return {"Data": "{}"}  # SignalResource carries no data


def timeout_seconds(value: object) -> int:
    """An ISO 8601 ``PT#H#M#S`` duration (CloudFormation's Timeout format), at most 12 hours."""
    match = _DURATION.fullmatch(str(value)) if value is not None else None
    if value is None:
        return DEFAULT_TIMEOUT_SECONDS
    if match is None or not any(match.groupdict().values()):
        raise ValueError(f"Timeout {value!r} is not an ISO 8601 duration such as PT12H or PT30M")
    seconds = int(match["h"] or 0) * 3600 + int(match["m"] or 0) * 60 + int(match["s"] or 0)
    if not 0 < seconds <= MAX_TIMEOUT_SECONDS:
        raise ValueError(f"Timeout {value!r} must be more than 0 and at most PT12H")
    return seconds
