"""CloudFormation's resource signals: ``SignalResource`` and the ``CreationPolicy`` that waits for them.

A resource with ``CreationPolicy: {ResourceSignal: {Count, Timeout}}`` (here an
``AWS::CloudFormation::WaitCondition``) completes once ``Count`` SUCCESS signals with distinct UniqueIds
arrived, fails at the first FAILURE signal, and fails when ``Timeout`` passes first. Only a resource
that is in progress can be signalled; CloudFormation refuses the others, as it does an unknown stack.
The board is shared by the deploy engine (which waits) and the local cloud's endpoint (which receives
``SignalResource`` calls from the handler).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

_DURATION = re.compile(r"PT(?:(?P<h>\d+)H)?(?:(?P<m>\d+)M)?(?:(?P<s>\d+)S)?")
MAX_TIMEOUT_SECONDS = 43200  # CloudFormation's limit for a resource signal timeout (12 hours)
DEFAULT_TIMEOUT_SECONDS = 300  # PT5M


class SignalError(Exception):
    """CloudFormation's ValidationError for a signal it does not accept."""


def wait_condition(
    board: SignalBoard,
    stack_name: str,
    logical_id: str,
    properties: dict[str, Any],
    definition: dict[str, Any],
    *,
    scale: float,
    on_signal: Callable[[str], None],
) -> dict[str, str]:
    """Hold an ``AWS::CloudFormation::WaitCondition`` until its ``CreationPolicy`` is met; its attributes.

    Raises SignalError with CloudFormation's reason on a FAILURE signal, a timeout (counted on the local
    clock: ``scale`` times faster than real time) or a definition it cannot wait for.
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
        timeout=timeout / scale,
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


@dataclass(frozen=True)
class Outcome:
    """How a wait for signals ended: ``status`` SUCCESS, FAILURE or TIMEOUT."""

    status: str
    reason: str
    unique_ids: tuple[str, ...] = ()


@dataclass
class _Waiting:
    count: int
    successes: list[str] = field(default_factory=list)
    failure: str | None = None


class SignalBoard:
    """The stacks being deployed, and their resources that wait for signals."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._stacks: dict[str, str] = {}  # stack name and stack id -> stack name
        self._waiting: dict[tuple[str, str], _Waiting] = {}
        self._states: dict[tuple[str, str], str] = {}
        self._heard: list[tuple[str, str, str, str]] = []  # (stack, logical id, unique id, status)

    def open_stack(self, name: str, stack_id: str) -> None:
        with self._condition:
            self._stacks[name] = name
            self._stacks[stack_id] = name

    def close_stack(self, name: str) -> None:
        """The stack is gone: later signals to it are refused as to an unknown stack."""
        with self._condition:
            for alias in [k for k, v in self._stacks.items() if v == name]:
                del self._stacks[alias]
            for resource in [k for k in self._states if k[0] == name]:
                del self._states[resource]

    def signal(self, stack: str, logical_id: str, unique_id: str, status: str) -> None:
        """``SignalResource``: count the signal, or raise SignalError as CloudFormation refuses it."""
        if status not in ("SUCCESS", "FAILURE"):
            raise SignalError(
                f"1 validation error detected: Value '{status}' at 'status' failed to satisfy "
                "constraint: Member must satisfy enum value set: [SUCCESS, FAILURE]"
            )
        if not 1 <= len(unique_id) <= 64:
            raise SignalError("UniqueId must be 1 to 64 characters long")
        with self._condition:
            name = self._stacks.get(stack)
            if name is None:
                raise SignalError(f"Stack {stack} does not exist")
            waiting = self._waiting.get((name, logical_id))
            if waiting is None:
                state = self._states.get((name, logical_id))
                where = f"is in {state} state" if state else "is not waiting for signals"
                raise SignalError(f"Resource {logical_id} {where} and cannot be signaled")
            self._heard.append((name, logical_id, unique_id, status))
            if status == "FAILURE":
                waiting.failure = waiting.failure or unique_id
            elif unique_id not in waiting.successes:
                waiting.successes.append(unique_id)
            self._condition.notify_all()

    def wait(
        self,
        stack: str,
        logical_id: str,
        *,
        count: int,
        timeout: float,
        on_success: Callable[[str], None] | None = None,
    ) -> Outcome:
        """Accept signals for ``logical_id`` until ``count`` successes, a failure, or ``timeout`` real
        seconds; ``on_success(unique_id)`` is called for each success as it arrives."""
        key = (stack, logical_id)
        with self._condition:
            self._waiting[key] = waiting = _Waiting(count)
            self._states.pop(key, None)
        reported = 0
        deadline = threading.Event()

        def time_out() -> None:
            deadline.set()
            self._notify()

        timer = threading.Timer(timeout, time_out)
        timer.daemon = True
        timer.start()
        try:
            with self._condition:
                while True:
                    while reported < len(waiting.successes):
                        unique_id = waiting.successes[reported]
                        reported += 1
                        if on_success is not None:
                            self._condition.release()
                            try:
                                on_success(unique_id)
                            finally:
                                self._condition.acquire()
                    if waiting.failure is not None:
                        return Outcome("FAILURE", f"Received FAILURE signal with UniqueId {waiting.failure}")
                    if len(waiting.successes) >= count:
                        return Outcome("SUCCESS", "", tuple(waiting.successes))
                    if deadline.is_set():
                        return Outcome(
                            "TIMEOUT",
                            f"Failed to receive {count - len(waiting.successes)} resource signal(s) "
                            "within the specified duration",
                        )
                    self._condition.wait()
        finally:
            timer.cancel()
            with self._condition:
                del self._waiting[key]

    def settle(self, stack: str, logical_id: str, state: str) -> None:
        """Remember a resource's state, for the refusal of a late signal."""
        with self._condition:
            self._states[(stack, logical_id)] = state

    def heard(self) -> list[tuple[str, str, str, str]]:
        """Every signal accepted so far: (stack, logical id, unique id, status)."""
        with self._condition:
            return list(self._heard)

    def _notify(self) -> None:
        with self._condition:
            self._condition.notify_all()
