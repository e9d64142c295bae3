"""EventBridge's schedules for rules that are not a custom resource's own polls.

While the engine deploys or destroys a stack, a provider may run schedules of its own (the training
watcher releases the stack's wait conditions from one). This fires every such rule whose target is a
Lambda function of the stack once per interval on the local clock, the first time one interval after
the rule appeared, as EventBridge does. Each rule fires from a thread of its own, which sleeps on the
clock until the rule is due (so local time waits for it, however slow the machine) and runs the
invocation before it sleeps again: a rule whose invocation is still running fires again only once it
returned (overlapping polls of one watcher would only repeat each other). The target's Input is read
afresh at each firing: the watcher writes its progress into it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
import threading
from collections.abc import Callable, Iterator
from typing import Any

from ..clock import Clock
from .scheduled_rules import scheduled_targets, targets_of_rule

# The calls that make, change or remove a schedule: the rules are read again after any of them.
EVENTBRIDGE_WRITES = tuple(
    f"AWSEvents.{operation}"
    for operation in ("PutRule", "PutTargets", "DeleteRule", "RemoveTargets", "EnableRule", "DisableRule")
)
LOG = logging.getLogger(__name__)
Invoke = Callable[[str, dict[str, Any]], bool]  # (function ARN, event) -> whether it is ours to run


@contextlib.contextmanager
def firing_schedules(
    events_client: Any, invoke: Invoke, *, clock: Clock, changes: Callable[[], int]
) -> Iterator[None]:
    """Fire the schedules while the block runs; wait for invocations in flight when it ends.

    ``changes()`` counts the calls EventBridge has taken so far: the rules are read again when it moves,
    so a new rule is seen (and its first interval starts) when it is made.
    """
    stop = threading.Event()
    firing: dict[str, threading.Thread] = {}

    def fire(rule_name: str, first: float, interval: float) -> None:
        due = first + interval
        with clock.working():
            while clock.sleep_until(due, until=stop.is_set):
                due += interval
                try:
                    targets = [
                        t for t in targets_of_rule(events_client, rule_name) if "RequestId" not in t.input
                    ]
                except Exception:  # the rule changing while read: it fires again at its next interval
                    LOG.warning("could not read the targets of %s", rule_name, exc_info=True)
                    continue
                if not targets or not all([invoke(t.target_arn, t.input) for t in targets]):
                    return  # the rule is gone, or it is not this stack's to run

    def discover() -> None:
        seen = -1
        while not stop.is_set():
            now = changes()
            if now != seen:
                seen = now
                try:
                    targets = [t for t in scheduled_targets(events_client) if "RequestId" not in t.input]
                except Exception:  # a rule being deleted while read: look again
                    seen = -1
                    continue
                for target in targets:
                    if target.rule_name not in firing or not firing[target.rule_name].is_alive():
                        thread = threading.Thread(
                            target=fire,
                            args=(target.rule_name, clock.now(), target.interval_seconds),
                            daemon=True,
                            name=target.rule_name,
                        )
                        firing[target.rule_name] = thread
                        thread.start()
            clock.sleep_until(math.inf, until=functools.partial(_moved, stop, changes, seen))

    discovering = threading.Thread(target=discover, daemon=True, name="eventbridge")
    discovering.start()
    try:
        yield
    finally:
        stop.set()
        discovering.join()
        for thread in list(firing.values()):
            thread.join()


def _moved(stop: threading.Event, changes: Callable[[], int], seen: int) -> bool:
    return stop.is_set() or changes() != seen
