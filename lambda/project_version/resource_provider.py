"""The shape every resource type's provider has, and what its steps may use of crhelper's helper.

``index`` registers one create/update/delete/poll function each with crhelper and hands every request
to the ``Provider`` of its ``ResourceType``. A step gets the request's event, the Lambda context, the
request's ``PollState`` (read from ``helper.Data`` before the step, written back after it, even when it
raises: a failed Create's answer names the version recorded in it) and the ``Session``: the few parts of
the helper a step may touch, passed explicitly so that no resource module reaches for a global.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from poll_state import PollState


class Session(Protocol):
    """What a step may use of ``HardenedResource`` (the helper that answers CloudFormation)."""

    # True: answer now, without polling (the first step found nothing to wait for).
    finish_now: bool
    # The SUCCESS answer's Reason (a FAILED one's is the exception's message).
    Reason: str
    # The prefix of this function's EventBridge rules (polls and training watchers).
    rule_prefix: str
    # The Data of the earlier requests' polls this request stopped (see HardenedResource).
    superseded: list[dict[str, Any]]

    def polls_data(self) -> list[dict[str, Any]] | None:
        """The Data each running poll of this function carries; None when it cannot be read."""
        ...


# A first step answers the physical id; a poll answers it when done, None to poll again.
Begin = Callable[[dict[str, Any], Any, PollState, Session], str]
Poll = Callable[[dict[str, Any], Any, PollState, Session], str | None]


@dataclass(frozen=True)
class Provider:
    """One resource type's six steps, in crhelper's terms."""

    resource_type: str
    create: Begin
    update: Begin
    delete: Begin
    poll_create: Poll
    poll_update: Poll
    poll_delete: Poll
