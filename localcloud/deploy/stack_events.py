"""CloudFormation's event stream, as the local deploy engine prints it."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TextIO


@dataclass(frozen=True)
class StackEvent:
    """One event as DescribeStackEvents reports it (the stack's id is added by whoever keeps them)."""

    stack_name: str
    logical_id: str
    resource_type: str
    status: str
    reason: str = ""
    physical_id: str = ""
    timestamp: float = field(default_factory=time.time)


class Printer:
    """CloudFormation's event stream, one line per event, with a wall-clock timestamp.

    ``record`` also receives every event (the CloudFormation API keeps them for DescribeStackEvents).
    """

    def __init__(
        self, out: TextIO = sys.stdout, *, record: Callable[[StackEvent], None] | None = None
    ) -> None:
        self.out = out
        self.record = record
        self._lock = threading.Lock()  # concurrent operations: whole lines, in the order they happen

    def event(
        self,
        stack: str,
        logical_id: str,
        resource_type: str,
        status: str,
        reason: str = "",
        *,
        physical_id: str = "",
    ) -> None:
        if self.record is not None:
            self.record(StackEvent(stack, logical_id, resource_type, status, reason, physical_id))
        line = f"{status:<36} | {resource_type:<36} | {logical_id}"
        self._print(line + (f" {reason}" if reason else ""))

    def note(self, text: str) -> None:
        self._print(f"  {text}")

    def _print(self, text: str) -> None:
        with self._lock:
            self.out.write(f"{datetime.now().strftime('%H:%M:%S')} | {text}\n")
            self.out.flush()
