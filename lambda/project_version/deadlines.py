"""When a request gives up: one poll interval and a margin before CloudFormation's ServiceTimeout.

A poll can be late (a cold start, a slow call), and our Reason must arrive before CloudFormation's own
timeout does, so every step of a request checks the deadline recorded in its Data.
"""

from __future__ import annotations

import os
import time
from typing import Any

POLL_INTERVAL_MINUTES = int(os.environ.get("POLL_INTERVAL_MINUTES", "1"))
DEADLINE_SLACK_SECONDS = 300


class Unfinished(RuntimeError):
    """The work cannot finish before CloudFormation stops waiting."""


def start_clock(data: dict[str, Any], service_timeout: int, now: float | None = None) -> None:
    """Remember when to give up: one poll interval (and a margin) before CloudFormation does."""
    now = time.time() if now is None else now
    margin = POLL_INTERVAL_MINUTES * 60 + DEADLINE_SLACK_SECONDS
    data["Started"] = str(now)
    data["Deadline"] = str(now + service_timeout - margin)


def out_of_time(data: dict[str, Any], now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return "Deadline" in data and now >= float(data["Deadline"])


def waited(data: dict[str, Any]) -> str:
    return f"{int(time.time() - float(data.get('Started', time.time())))} s"
