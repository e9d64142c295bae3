"""CloudFormation's ``SignalResource``: the board the endpoint delivers signals to, and waits on it.

A resource waiting for signals (in the deploy engine, an ``AWS::CloudFormation::WaitCondition`` with a
``CreationPolicy``) is put on its stack's board; each ``SignalResource`` call the endpoint takes is
checked and counted there, as CloudFormation checks it: only a resource that is in progress can be
signalled, an unknown stack or status is refused. Timeouts are counted on the local cloud's clock.
The board lives with the endpoint (every local cloud answers ``SignalResource``, with or without a
deploy engine); what a wait condition means is the deploy engine's (``deploy.wait_conditions``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ..clock import Clock


class SignalError(Exception):
    """CloudFormation's ValidationError for a signal it does not accept."""


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

    def news(self, reported: int) -> bool:
        """A failure, or successes beyond the ``reported`` ones."""
        return self.failure is not None or len(self.successes) > reported


class SignalBoard:
    """The stacks being deployed, and their resources that wait for signals."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock  # the local cloud's: timeouts are counted on it
        self._lock = threading.Lock()
        self._stacks: dict[str, str] = {}  # stack name and stack id -> stack name
        self._waiting: dict[tuple[str, str], _Waiting] = {}
        self._states: dict[tuple[str, str], str] = {}
        self._heard: list[tuple[str, str, str, str]] = []  # (stack, logical id, unique id, status)

    def open_stack(self, name: str, stack_id: str) -> None:
        with self._lock:
            self._stacks[name] = name
            self._stacks[stack_id] = name

    def close_stack(self, name: str) -> None:
        """The stack is gone: later signals to it are refused as to an unknown stack."""
        with self._lock:
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
        with self._lock:
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

    def wait(
        self,
        stack: str,
        logical_id: str,
        *,
        count: int,
        timeout: float,
        on_success: Callable[[str], None] | None = None,
    ) -> Outcome:
        """Accept signals for ``logical_id`` until ``count`` successes, a failure, or ``timeout`` local
        seconds; ``on_success(unique_id)`` is called for each success as it arrives."""
        key = (stack, logical_id)
        deadline = self.clock.now() + timeout
        with self._lock:
            self._waiting[key] = waiting = _Waiting(count)
            self._states.pop(key, None)
        reported = 0
        try:
            while True:
                with self._lock:
                    heard = waiting.successes[reported:]
                    failure = waiting.failure
                for unique_id in heard:
                    reported += 1
                    if on_success is not None:
                        on_success(unique_id)
                if failure is not None:
                    return Outcome("FAILURE", f"Received FAILURE signal with UniqueId {failure}")
                if reported >= count:
                    return Outcome("SUCCESS", "", tuple(waiting.successes[:reported]))
                if self.clock.sleep_until(deadline, until=functools.partial(waiting.news, reported)):
                    missing = count - reported
                    return Outcome(
                        "TIMEOUT",
                        f"Failed to receive {missing} resource signal(s) within the specified duration",
                    )
        finally:
            with self._lock:
                del self._waiting[key]

    def settle(self, stack: str, logical_id: str, state: str) -> None:
        """Remember a resource's state, for the refusal of a late signal."""
        with self._lock:
            self._states[(stack, logical_id)] = state

    def heard(self) -> list[tuple[str, str, str, str]]:
        """Every signal accepted so far: (stack, logical id, unique id, status)."""
        with self._lock:
            return list(self._heard)
