"""Time as the emulator sees it: the wall clock in a server, a hand-moved one in tests."""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch."""
        ...


class SystemClock:
    def now(self) -> float:
        return time.time()


class ManualClock:
    """Moves only when told to, so tests observe every state without sleeping."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._now += seconds


class ScaledClock:
    """The wall clock, ``scale`` times faster from ``origin_local`` on: the local cloud's one clock.

    With ``scale=600`` a three-hour training ends after 18 real seconds. ``anchor()`` and
    ``continuing()`` carry the local time from one command to the next (it keeps running, scaled,
    in between, as the wall clock does).
    """

    def __init__(self, scale: float, origin_local: float | None = None) -> None:
        if not scale > 0:
            raise ValueError("the time scale must be positive")
        self.scale = float(scale)
        self._origin_real = time.time()
        self._origin_local = self._origin_real if origin_local is None else origin_local

    def now(self) -> float:
        return self._origin_local + (time.time() - self._origin_real) * self.scale

    def anchor(self) -> dict[str, float]:
        """Local and real time now, to continue from."""
        return {"local": self.now(), "real": time.time()}

    @classmethod
    def continuing(cls, scale: float, anchor: dict[str, float] | None) -> ScaledClock:
        """The clock of a later command: local time went on at ``scale`` since ``anchor`` (never back)."""
        if not anchor:
            return cls(scale)
        elapsed = max(0.0, time.time() - float(anchor["real"]))
        return cls(scale, origin_local=float(anchor["local"]) + elapsed * scale)


def scale_of(clock: Clock) -> float:
    """How much faster than real time ``clock`` runs (1 for the wall clock and a hand-moved one)."""
    return clock.scale if isinstance(clock, ScaledClock) else 1.0
