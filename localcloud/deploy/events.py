"""CloudFormation's event stream, as the local deploy engine prints it."""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from typing import TextIO


class Printer:
    """CloudFormation's event stream, one line per event, with a wall-clock timestamp."""

    def __init__(self, out: TextIO = sys.stdout) -> None:
        self.out = out
        self._lock = threading.Lock()  # concurrent operations: whole lines, in the order they happen

    def event(self, stack: str, logical_id: str, resource_type: str, status: str, reason: str = "") -> None:
        line = f"{status:<36} | {resource_type:<36} | {logical_id}"
        self._print(line + (f" {reason}" if reason else ""))

    def note(self, text: str) -> None:
        self._print(f"  {text}")

    def _print(self, text: str) -> None:
        with self._lock:
            self.out.write(f"{datetime.now().strftime('%H:%M:%S')} | {text}\n")
            self.out.flush()
