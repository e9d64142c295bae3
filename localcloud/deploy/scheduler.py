"""EventBridge's schedules for rules that are not a custom resource's own polls.

While the engine deploys or destroys a stack, a provider may run schedules of its own (the training
watcher releases the stack's wait conditions from one). This fires every such rule whose target is a
Lambda function of the stack, once per interval on the local clock (the first time one interval after
the rule appeared, as EventBridge does), each invocation in its own thread; a rule whose previous
invocation is still running waits for it (a process start takes real time the scaled clock does not
have, and overlapping polls of one watcher would only repeat each other).
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from .scheduled_rules import scheduled_targets

Invoke = Callable[[str, dict[str, Any]], bool]  # (function ARN, event) -> whether it is ours to run


@contextlib.contextmanager
def firing_schedules(events_client: Any, invoke: Invoke, *, time_scale: float) -> Iterator[None]:
    """Fire the schedules while the block runs; wait for invocations in flight when it ends."""
    stop = threading.Event()
    running: list[threading.Thread] = []

    def loop() -> None:
        last: dict[str, float] = {}
        busy: dict[str, threading.Thread] = {}
        while not stop.wait(0.05):
            try:
                targets = [t for t in scheduled_targets(events_client) if "RequestId" not in t.input]
            except Exception:  # a rule being deleted while read: look again next time
                continue
            now = time.monotonic()
            for target in targets:
                due = last.setdefault(target.rule_name, now) + target.interval_seconds / time_scale
                previous = busy.get(target.rule_name)
                if now < due or (previous is not None and previous.is_alive()):
                    continue
                last[target.rule_name] = now
                thread = threading.Thread(
                    target=invoke, args=(target.target_arn, target.input), daemon=True, name=target.rule_name
                )
                thread.start()
                running.append(thread)
                busy[target.rule_name] = thread
            running[:] = [t for t in running if t.is_alive()]

    firing = threading.Thread(target=loop, daemon=True, name="eventbridge")
    firing.start()
    try:
        yield
    finally:
        stop.set()
        firing.join()
        for thread in running:
            thread.join()
