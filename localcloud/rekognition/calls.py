"""Every API call the emulator answered, for tests and benchmarks: how many, which, how fast.

Kept in memory only (a saved local cloud does not carry it); times are the wall clock's, whatever
clock the service's phases follow, so rates are real request rates.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Call:
    at: float  # time.monotonic() when it arrived
    operation: str
    error: str  # the error code answered, "" for a success


class CallLog:
    """Thread-safe record of calls, in arrival order."""

    def __init__(self) -> None:
        self._calls: list[Call] = []
        self._lock = threading.Lock()

    def record(self, operation: str, error: str = "", at: float | None = None) -> None:
        with self._lock:
            self._calls.append(Call(time.monotonic() if at is None else at, operation, error))

    def calls(self, operations: Iterable[str] | None = None) -> list[Call]:
        chosen = None if operations is None else frozenset(operations)
        with self._lock:
            return [c for c in self._calls if chosen is None or c.operation in chosen]

    def count(self, operation: str, error: str | None = None) -> int:
        """Calls of ``operation`` (only those answered with ``error`` when given; "" = successes)."""
        return sum(1 for c in self.calls([operation]) if error is None or c.error == error)

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()


def peak_rate(calls: list[Call], window: float = 1.0) -> int:
    """The most calls that arrived within any ``window`` seconds."""
    times = sorted(c.at for c in calls)
    peak, start = 0, 0
    for end, at in enumerate(times):
        while times[start] <= at - window:
            start += 1
        peak = max(peak, end - start + 1)
    return peak
