"""The training watcher's glue: schedule it when training starts, run one of its polls, stop it.

``training_watch`` holds what a poll decides; this module gives it its clients, its clock and the
function's identity (the Lambda context), and keeps the schedule in step with it. Its events are no
CloudFormation requests (``index.handler`` routes those with ``WATCH_KEY`` to ``on_watch``); the model
version's steps call ``hand_over`` when training starts and ``stop_watching`` when the version goes.
"""

from __future__ import annotations

import time
from typing import Any

import aws_clients
from deadlines import POLL_INTERVAL_MINUTES
from poll_state import PollState
from resource_properties import VersionSpec
from training_watch import (
    Signaller,
    Watch,
    keep_progress,
    start_schedule,
    stop_schedule,
    watch_name,
    watch_step,
)

# A wait is renewed this long before CloudFormation's own end of it (renewing early costs nothing), and
# the deadline kept this long before the last wait ends, so that the waits end by our signal, with its
# reason, and not by a timeout.
RENEW_MARGIN_SECONDS = max(15 * 60, 3 * POLL_INTERVAL_MINUTES * 60)
DEADLINE_MARGIN_SECONDS = max(5 * 60, 2 * POLL_INTERVAL_MINUTES * 60 + 60)


def hand_over(
    event: dict[str, Any], spec: VersionSpec, state: PollState, context: Any, rule_prefix: str
) -> None:
    """Training has started: schedule the watcher that releases the stack's waits when it ends; the
    resource answers with the attributes known so far."""
    assert spec.training_wait is not None and state.arn is not None
    now = time.time()
    arn = state.arn
    watch = Watch(
        stack_id=event["StackId"],
        logical_id=event["LogicalResourceId"],
        project_arn=spec.project_arn,
        version_name=spec.version_name,
        version_arn=arn,
        waits=list(spec.training_wait.wait_conditions),
        started=now,
        deadline=now + spec.training_wait.timeout_seconds - DEADLINE_MARGIN_SECONDS,
        current_since=now,
    )
    start_schedule(
        aws_clients.events(),
        aws_clients.lambda_(),
        function_name=context.function_name,
        function_arn=context.invoked_function_arn,
        name=watch_name(rule_prefix, watch.stack_id, watch.logical_id, arn),
        watch=watch,
        minutes=POLL_INTERVAL_MINUTES,
    )
    if state.version_name is None:
        state.version_name = spec.version_name
    if state.status is None:
        state.status = "TRAINING_IN_PROGRESS"


def on_watch(event: dict[str, Any], context: Any, rule_prefix: str) -> None:
    """One poll of the watcher: one Rekognition call, a signal when due, its schedule gone when done."""
    watch = Watch.from_event(event)
    before = watch.as_input()
    name = watch_name(rule_prefix, watch.stack_id, watch.logical_id, watch.version_arn)
    signaller = Signaller(aws_clients.cloudformation(), watch.stack_id)
    done = watch_step(
        watch,
        aws_clients.rekognition(),
        signaller,
        time.time(),
        RENEW_MARGIN_SECONDS,
        interval=POLL_INTERVAL_MINUTES * 60,
    )
    if done:
        stop_schedule(
            aws_clients.events(), aws_clients.lambda_(), function_name=context.function_name, name=name
        )
    elif watch.as_input() != before:
        keep_progress(aws_clients.events(), name, context.invoked_function_arn, watch)


def stop_watching(event: dict[str, Any], context: Any, version_arn: str, rule_prefix: str) -> None:
    """A deleted version is not watched any more (its watcher would stop by itself at its next poll)."""
    name = watch_name(rule_prefix, event["StackId"], event["LogicalResourceId"], version_arn)
    stop_schedule(aws_clients.events(), aws_clients.lambda_(), function_name=context.function_name, name=name)
