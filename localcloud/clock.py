"""The local cloud's one clock: every duration in the cloud is counted on it.

The emulator's phases (a training of hours), CloudFormation's timeouts (ServiceTimeout, a wait
condition's Timeout), EventBridge's schedules and a handler's ``time.time()`` (the Lambda runtime starts
it at the clock's time) all read the same clock, so they agree with each other whatever its speed.

``ScaledClock`` makes hours pass in seconds without letting the machine's speed decide what happens:

- while the whole cloud waits for time (no request answered, no Lambda invocation or engine step in
  flight), local time runs ``scale`` times faster than real time;
- while any such work is in flight (``working()``), it runs at real time: a slow process start costs a
  second of local time, never ten minutes;
- it never passes a moment somebody waits for (``sleep_until``: a schedule due, a timeout) before that
  waiter has woken up and taken its turn, so what is due at 10:00 happens at 10:00, before anything due
  later, however late the machine wakes the waiter.

A slower machine therefore takes longer to play a scenario, but plays the same one. ``ManualClock`` moves
only when a test says so, and inside ``stepping()`` also straight to the next moment waited for whenever
nothing works (a discrete-event simulation: a scenario of hours takes no real time); ``SystemClock`` is
the wall clock.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterator
from typing import Protocol

# How often a waiter looks at its ``until`` condition (real seconds): never for long blind to it.
WAKE_SLICE_SECONDS = 0.005


class Clock(Protocol):
    def now(self) -> float:
        """Local time: seconds since the epoch."""
        ...

    def working(self) -> contextlib.AbstractContextManager[None]:
        """Work in flight for the block (a request, an invocation, an engine step)."""
        ...

    def sleep_until(self, when: float, until: Callable[[], bool] | None = None) -> bool:
        """Wait until local time ``when`` (True) or until ``until()`` holds (False), whichever is first."""
        ...


class _Timeline:
    """Who waits for which moment and how much work is in flight; subclasses map real to local time.

    A thread that waits in ``sleep_until`` while inside ``working()`` is not working while it waits: its
    work resumes, atomically with its moment being released, when it wakes.
    """

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self._due: list[float] = []  # the moments waiters wait for
        self._working = 0  # blocks of work in flight, over all threads
        self._threads = threading.local()  # this thread's own depth of work

    def now(self) -> float:
        with self._lock:
            return self._local(time.monotonic())

    @contextlib.contextmanager
    def working(self) -> Iterator[None]:
        self._add_work(1)
        try:
            yield
        finally:
            self._add_work(-1)

    def sleep_until(self, when: float, until: Callable[[], bool] | None = None) -> bool:
        with self._lock:
            if self._local(time.monotonic()) >= when:
                return True
            mine = self._depth()
            self._rebase()
            self._working -= mine
            self._due.append(when)
            self._settle()
        try:
            while True:
                if until is not None and until():
                    return False
                with self._lock:
                    now = self._local(time.monotonic())
                    if now >= when:
                        return True
                    self._lock.wait(min(WAKE_SLICE_SECONDS, self._real_seconds(when - now)))
        finally:
            with self._lock:
                self._rebase()
                self._due.remove(when)
                self._working += mine
                self._lock.notify_all()

    # -- what subclasses define ------------------------------------------------------------------

    def _local(self, real: float) -> float:
        """Local time at monotonic time ``real`` (called under the lock)."""
        raise NotImplementedError

    def _rebase(self) -> None:
        """Called under the lock before the rate or the moments waited for change."""

    def _real_seconds(self, local_seconds: float) -> float:
        """About how long ``local_seconds`` take in real time now (a waiter's longest nap)."""
        return local_seconds

    def _settle(self) -> None:
        """Called under the lock when work ends or a waiter begins to wait."""

    # -- helpers -----------------------------------------------------------------------------------

    def _depth(self) -> int:
        depth: int = getattr(self._threads, "depth", 0)
        return depth

    def _add_work(self, delta: int) -> None:
        with self._lock:
            self._rebase()
            self._working += delta
            self._threads.depth = self._depth() + delta
            if delta < 0:
                self._settle()
            self._lock.notify_all()


class SystemClock(_Timeline):
    """The wall clock: nothing holds it, nothing speeds it up."""

    scale = 1.0

    def now(self) -> float:
        return time.time()

    def _local(self, real: float) -> float:
        return time.time()


class ManualClock(_Timeline):
    """Moves only when told to, so tests observe every state without sleeping."""

    scale = 1.0

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        super().__init__()
        self._now = start
        self._stepping = 0

    @contextlib.contextmanager
    def stepping(self) -> Iterator[None]:
        """While the block runs, whenever nothing works and somebody waits, the clock moves straight to
        the earliest moment waited for. The calling thread works throughout (but while it waits on the
        clock): the block drives the scenario, and time moves only when it waits."""
        with self._lock:
            self._stepping += 1
        try:
            with self.working():
                yield
        finally:
            with self._lock:
                self._stepping -= 1

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        with self._lock:
            self._now += seconds
            self._lock.notify_all()

    def _local(self, real: float) -> float:
        return self._now

    def _real_seconds(self, local_seconds: float) -> float:
        return WAKE_SLICE_SECONDS  # only advance() moves it: look again soon

    def _settle(self) -> None:
        moments = [moment for moment in self._due if math.isfinite(moment)]
        if self._stepping and self._working <= 0 and moments and min(moments) > self._now:
            self._now = min(moments)
            self._lock.notify_all()


class ScaledClock(_Timeline):
    """Local time ``scale`` times faster than real time while the cloud waits, real time while it works,
    never past a moment a waiter has not taken yet (see the module's docstring).

    With ``scale=600`` a three-hour training that nobody polls ends after 18 real seconds. ``anchor()``
    and ``continuing()`` carry local time from one command to the next (between commands nothing works,
    so it runs on at ``scale``, as the wall clock does).
    """

    def __init__(self, scale: float, origin_local: float | None = None) -> None:
        super().__init__()
        if not scale > 0 or not math.isfinite(scale):
            raise ValueError("the time scale must be a positive number")
        self.scale = float(scale)
        self._origin_real = time.monotonic()
        self._origin_local = time.time() if origin_local is None else origin_local

    def anchor(self) -> dict[str, float]:
        """Local and wall-clock time now, to continue from."""
        return {"local": self.now(), "real": time.time()}

    @classmethod
    def continuing(cls, scale: float, anchor: dict[str, float] | None) -> ScaledClock:
        """The clock of a later command: local time went on at ``scale`` since ``anchor`` (never back)."""
        if not anchor:
            return cls(scale)
        elapsed = max(0.0, time.time() - float(anchor["real"]))
        return cls(scale, origin_local=float(anchor["local"]) + elapsed * scale)

    def _rate(self) -> float:
        return 1.0 if self._working > 0 else self.scale

    def _local(self, real: float) -> float:
        free = self._origin_local + (real - self._origin_real) * self._rate()
        return min(free, min(self._due)) if self._due else free

    def _rebase(self) -> None:
        real = time.monotonic()
        self._origin_local, self._origin_real = self._local(real), real

    def _real_seconds(self, local_seconds: float) -> float:
        return local_seconds / self._rate()


def handler_time(clock: Clock) -> tuple[float, float] | None:
    """The Lambda runtime's ``clock`` for a handler of this cloud: (local time now, 1.0), since local time
    runs at real time while the handler works; None for the wall clock, which needs no setting."""
    return None if isinstance(clock, SystemClock) else (clock.now(), 1.0)
