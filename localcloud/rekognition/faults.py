"""Fault injection: planned errors, the control-plane rate quota, forced training failures."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import ServiceError

# Operations that count against the Custom Labels control-plane quota (5 TPS per account by default).
CONTROL_PLANE = frozenset(
    {
        "CreateProject",
        "DescribeProjects",
        "DeleteProject",
        "CreateProjectVersion",
        "DescribeProjectVersions",
        "StartProjectVersion",
        "StopProjectVersion",
        "DeleteProjectVersion",
        "CreateDataset",
        "DescribeDataset",
        "DeleteDataset",
        "ListDatasetEntries",
        "UpdateDatasetEntries",
        "DistributeDatasetEntries",
        "ListDatasetLabels",
    }
)


@dataclass
class _Planned:
    code: str
    message: str
    remaining: int


@dataclass
class _Interruption:
    action: Callable[[], None]
    skip: int


@dataclass
class Faults:
    """What should go wrong next. Thread-safe; shared by every request of one emulator."""

    _planned: dict[str, deque[_Planned]] = field(default_factory=dict)
    _until: dict[str, tuple[str, float]] = field(default_factory=dict)
    _interruptions: dict[str, _Interruption] = field(default_factory=dict)
    _lost: dict[str, deque[_Planned]] = field(default_factory=dict)
    _training_failures: dict[str, str] = field(default_factory=dict)
    _start_failures: dict[str, str] = field(default_factory=dict)
    _tps_limit: int | None = None
    _calls: deque[float] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, operation: str, code: str, *, count: int = 1, message: str | None = None) -> None:
        """Make the next ``count`` calls of ``operation`` fail with the error ``code``."""
        if count < 1:
            raise ValueError("count must be at least 1")
        planned = _Planned(code, message or f"Injected {code} for {operation}", count)
        with self._lock:
            self._planned.setdefault(operation, deque()).append(planned)

    def fail_until(self, operation: str, code: str, until: float) -> None:
        """Make every call of ``operation`` fail with ``code`` until the local time ``until``."""
        with self._lock:
            self._until[operation] = (code, until)

    def interrupt_after(self, operation: str, action: Callable[[], None], *, skip: int = 0) -> None:
        """Run ``action`` once, after a call of ``operation`` took effect and before it is answered (say,
        to kill the caller), skipping the first ``skip`` such calls."""
        with self._lock:
            self._interruptions[operation] = _Interruption(action, skip)

    def lose_next_answers(self, operation: str, code: str = "InternalServerError", *, count: int = 1) -> None:
        """Carry out the next ``count`` calls of ``operation``, then answer the error ``code`` instead of
        their result: the caller cannot tell whether the call took effect."""
        if count < 1:
            raise ValueError("count must be at least 1")
        with self._lock:
            self._lost.setdefault(operation, deque()).append(_Planned(code, f"Injected {code}", count))

    def after_call(self, operation: str) -> None:
        """Run the interruption planned for this call, then raise the error planned to replace its
        answer, if any."""
        with self._lock:
            interruption = self._interruptions.get(operation)
            if interruption is not None:
                interruption.skip -= 1
                if interruption.skip < 0:
                    del self._interruptions[operation]
                else:
                    interruption = None
        if interruption is not None:
            interruption.action()  # outside the lock: it may take long (a caller timing out)
        with self._lock:
            self._take(self._lost, operation)

    @staticmethod
    def _take(plans: dict[str, deque[_Planned]], operation: str) -> None:
        queue = plans.get(operation)
        if queue:
            planned = queue[0]
            planned.remaining -= 1
            if planned.remaining == 0:
                queue.popleft()
            raise ServiceError(planned.code, planned.message)

    def fail_training(self, version_name: str, message: str) -> None:
        """The next training of a version with this name ends in TRAINING_FAILED with ``message``."""
        with self._lock:
            self._training_failures[version_name] = message

    def fail_start(self, version_name: str, message: str) -> None:
        """The next start of a version with this name ends in FAILED with ``message``."""
        with self._lock:
            self._start_failures[version_name] = message

    def limit_tps(self, limit: int | None) -> None:
        """Enforce ``limit`` control-plane calls per second (None: no limit, the default)."""
        with self._lock:
            self._tps_limit = limit
            self._calls.clear()

    def clear(self) -> None:
        with self._lock:
            self._planned.clear()
            self._until.clear()
            self._interruptions.clear()
            self._lost.clear()
            self._training_failures.clear()
            self._start_failures.clear()
            self._tps_limit = None
            self._calls.clear()

    def before_call(self, operation: str, now: float) -> None:
        """Raise the planned error or the quota error for this call, if any."""
        with self._lock:
            self._take(self._planned, operation)
            code, until = self._until.get(operation, ("", 0.0))
            if now < until:
                raise ServiceError(code, f"Injected {code} for {operation}")
            if self._tps_limit is not None and operation in CONTROL_PLANE:
                while self._calls and self._calls[0] <= now - 1.0:
                    self._calls.popleft()
                if len(self._calls) >= self._tps_limit:
                    raise ServiceError("ThrottlingException", "Rate exceeded")
                self._calls.append(now)

    def training_failure(self, version_name: str) -> str | None:
        with self._lock:
            return self._training_failures.pop(version_name, None)

    def start_failure(self, version_name: str) -> str | None:
        with self._lock:
            return self._start_failures.pop(version_name, None)
