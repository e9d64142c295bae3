"""When a request gives up: one poll interval and a margin before CloudFormation's ServiceTimeout.

A poll can be late (a cold start, a slow call), and our Reason must arrive before CloudFormation's own
timeout does, so every step of a request checks the deadline recorded in its state (``PollState``'s
``started`` and ``deadline``, carried from poll to poll).
"""

from __future__ import annotations

import os
import time

from poll_state import PollState

POLL_INTERVAL_MINUTES = int(os.environ.get("POLL_INTERVAL_MINUTES", "1"))
DEADLINE_SLACK_SECONDS = 300


class Unfinished(RuntimeError):
    """The work cannot finish before CloudFormation stops waiting."""


def start_clock(state: PollState, service_timeout: int, now: float | None = None) -> None:
    """Remember when to give up: one poll interval (and a margin) before CloudFormation does."""
    now = time.time() if now is None else now
    margin = POLL_INTERVAL_MINUTES * 60 + DEADLINE_SLACK_SECONDS
    state.started = now
    state.deadline = now + service_timeout - margin


def out_of_time(state: PollState, now: float | None = None) -> bool:
    now = time.time() if now is None else now
    return state.deadline is not None and now >= state.deadline


def waited(state: PollState) -> str:
    now = time.time()
    return f"{int(now - (now if state.started is None else state.started))} s"
