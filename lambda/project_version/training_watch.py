"""Holding CloudFormation until a training of many hours ends, without a waiting Lambda.

The model version's custom resource answers as soon as training has started; the stack then waits on a
chain of ``AWS::CloudFormation::WaitCondition`` resources (at most 12 hours each, with a CreationPolicy).
A schedule of this function's own (an EventBridge rule, one invocation a poll) watches the training,
one DescribeProjectVersions per poll, and signals the chain with ``cloudformation:SignalResource``:

- still training near the end of a wait: SUCCESS to it, so the next one takes over;
- training over, whatever its outcome (completed, failed, still going at the deadline kept by
  ``training_timeout``, or no longer readable): SUCCESS to every wait still open, in chain order (a wait
  accepts a signal only once CloudFormation has started it, so each is retried for a few seconds after
  the one before), with a UniqueId that says which (``training-completed``, ``training-failed``,
  ``training-timeout``, ``watch-failed``).

The waits only hold the stack while training runs; they do not judge it. SignalResource carries no
Reason (its UniqueId is an id of at most 64 characters), so the next resource,
``Custom::RekognitionProjectVersionAttributes``, reads the version and fails with a Reason that says what
happened: the service's message, the manifests, where the validation results are. The watcher logs the
training's status and time at a readable cadence (``progress_due``), not at every poll.

It removes its schedule and permission when it is done, when the version is gone (its resource was
deleted), or when the stack is gone or no longer waits.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from version_lifecycle import error_code, find_version, is_transient

WATCH_KEY = "RekognitionCustomLabelsTrainingWatch"
EVENTBRIDGE_NAME_MAX = 64
SIGNAL_RETRY_SECONDS = 30.0  # CloudFormation starts the next wait moments after the previous completes
# When the watcher logs progress (seconds of training): every 10 minutes for the first hour, then hourly.
FIRST_HOUR_STEP, LATER_STEP = 600, 3600
# The Custom Labels guide: service errors during training surface as InternalServerError from
# DescribeProjectVersions. A watch that keeps getting errors for this long gives up (releasing the stack's
# waits, so that the next resource fails with a Reason) instead of holding the stack to training_timeout.
FAILING_GIVE_UP_SECONDS = 30 * 60
LOG = logging.getLogger(__name__)


@dataclass
class Watch:
    """What the schedule carries from poll to poll (its Input; progress is written back)."""

    stack_id: str
    logical_id: str
    project_arn: str
    version_name: str
    version_arn: str
    waits: list[tuple[str, int]]  # (logical id, timeout seconds) in chain order
    started: float  # when the first wait began, about when the resource answered
    deadline: float  # when to give up: the chain's end less a margin
    signalled: int = 0  # waits already released
    current_since: float = 0.0  # when the open wait began
    failing_since: float | None = None  # when the polls began to meet errors, none since

    def as_input(self) -> str:
        return json.dumps({WATCH_KEY: asdict(self)})

    @staticmethod
    def from_event(event: dict[str, Any]) -> Watch:
        data = dict(event[WATCH_KEY])
        data["waits"] = [(str(name), int(seconds)) for name, seconds in data["waits"]]
        return Watch(**data)


def watch_name(rule_prefix: str, stack_id: str, logical_id: str, version_arn: str) -> str:
    """The schedule's rule and permission name: fixed for one version of one resource, <= 64 chars."""
    digest = hashlib.sha256(f"watch|{stack_id}|{logical_id}|{version_arn}".encode()).hexdigest()
    return (rule_prefix + "w" + digest)[:EVENTBRIDGE_NAME_MAX]


def progress_due(elapsed: float, interval: float) -> bool:
    """Whether a progress mark (10, 20, ... 60 minutes, then every hour) fell in the last ``interval``
    seconds of training: a line per mark, whatever the poll interval, and none at the other polls."""

    def marks(seconds: float) -> int:
        if seconds < 3600:
            return int(seconds // FIRST_HOUR_STEP)
        return 6 + int((seconds - 3600) // LATER_STEP)

    return elapsed > 0 and marks(elapsed) > marks(max(0.0, elapsed - interval))


def duration_text(seconds: float) -> str:
    """``1 h 20 min`` / ``20 min`` / ``45 s``: training time as a person reads it."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return f"{int(seconds)} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@dataclass(frozen=True)
class Signaller:
    """SignalResource on the watched stack; ``sleep`` and ``now`` are seams for tests."""

    cloudformation: Any
    stack_id: str
    sleep: Callable[[float], None] = time.sleep

    def signal(self, logical_id: str, status: str, unique: str, *, retry_seconds: float = 0.0) -> str:
        """``accepted``, ``done`` (the wait is already complete), ``gone`` (the stack or the wait is
        over: nobody waits any more) or ``not-started`` (still refused after ``retry_seconds``)."""
        waited = 0.0
        while True:
            try:
                self.cloudformation.signal_resource(
                    StackName=self.stack_id, LogicalResourceId=logical_id, UniqueId=unique, Status=status
                )
                return "accepted"
            except ClientError as error:
                message = str(error.response.get("Error", {}).get("Message", ""))
                if message.startswith("Stack") and "does not exist" in message:
                    return "gone"
                if "CREATE_COMPLETE state" in message:
                    return "done"
                if "state and cannot be signaled" in message:
                    return "gone"  # failed, rolling back or deleted: the stack no longer waits for it
                not_started = "cannot be signaled" in message or "does not exist" in message
                if not (not_started or is_transient(error)):
                    raise
            if waited >= retry_seconds:
                return "not-started"
            self.sleep(1.0)
            waited += 1.0


def watch_step(
    watch: Watch, rekognition: Any, signaller: Signaller, now: float, margin: float, interval: float = 60.0
) -> bool:
    """One poll: True when watching is over (the schedule is then removed). ``watch`` records progress.

    ``margin`` is how long before a wait's end it is renewed (a poll interval and some slack);
    ``interval`` is the time between polls, for the progress log's cadence.
    """
    try:
        version = find_version(rekognition, watch.project_arn, watch.version_name)
    except (ClientError, BotoCoreError) as error:
        if watch.failing_since is None:
            watch.failing_since = now
        failing = now - watch.failing_since
        if is_transient(error) and now < watch.deadline and failing < FAILING_GIVE_UP_SECONDS:
            return False  # not yet: the next poll looks again
        # the stack must not wait out its wait conditions for nothing: the next resource says why
        code = error_code(error) if isinstance(error, ClientError) else type(error).__name__
        LOG.warning(
            "Cannot watch the training of %s (%s, for %s): releasing the stack's waits",
            watch.version_arn,
            code,
            duration_text(failing),
        )
        return _release(watch, signaller, "watch-failed")
    watch.failing_since = None
    if (
        version is None
        or version["ProjectVersionArn"] != watch.version_arn
        or version["Status"] == "DELETING"
    ):
        return True  # the version (and so its resource) is gone: nothing to hold
    status = str(version["Status"])
    elapsed = now - _created(version, watch.started)
    if status == "TRAINING_IN_PROGRESS":
        if progress_due(elapsed, interval):
            LOG.info(
                "Model version %s is TRAINING_IN_PROGRESS, training for %s",
                watch.version_name,
                duration_text(elapsed),
            )
        return _still_training(watch, signaller, now, margin)
    LOG.info(
        "Model version %s is %s after %s of training", watch.version_name, status, duration_text(elapsed)
    )
    if status == "TRAINING_FAILED":
        return _release(watch, signaller, "training-failed")
    return _release(watch, signaller, "training-completed")


def _created(version: dict[str, Any], default: float) -> float:
    created = version.get("CreationTimestamp")
    if isinstance(created, datetime.datetime):
        return created.timestamp()
    return float(created) if isinstance(created, (int, float)) else default


def _still_training(watch: Watch, signaller: Signaller, now: float, margin: float) -> bool:
    if now >= watch.deadline:
        hours = sum(seconds for _, seconds in watch.waits) / 3600
        LOG.warning(
            "Model version %s is still training after %g h of waits (training_timeout): waits released",
            watch.version_name,
            hours,
        )
        return _release(watch, signaller, "training-timeout")
    name, seconds = watch.waits[watch.signalled]
    last = watch.signalled == len(watch.waits) - 1
    if last or now < watch.current_since + seconds - margin:
        return False
    outcome = signaller.signal(name, "SUCCESS", f"training-continues-{watch.signalled + 1}")
    if outcome == "gone":
        return True
    if outcome in ("accepted", "done"):
        watch.signalled += 1
        watch.current_since = now
    return False


def _release(watch: Watch, signaller: Signaller, unique: str) -> bool:
    """SUCCESS to the open wait and to every later one as it starts; True when all are done."""
    while watch.signalled < len(watch.waits):
        name, _ = watch.waits[watch.signalled]
        retry = SIGNAL_RETRY_SECONDS if watch.signalled > 0 else 0.0
        outcome = signaller.signal(name, "SUCCESS", unique, retry_seconds=retry)
        if outcome == "gone":
            return True
        if outcome == "not-started":
            return False  # the next poll signals it
        watch.signalled += 1
    return True


def start_schedule(
    events: Any, lambda_: Any, *, function_name: str, function_arn: str, name: str, watch: Watch, minutes: int
) -> None:
    """The watcher's rule (``rate(N minutes)``), its permission to invoke this function, and its target;
    every step replaces what a crashed earlier attempt left."""
    schedule = f"rate({minutes} minute{'s' if minutes != 1 else ''})"
    rule_arn = events.put_rule(Name=name, ScheduleExpression=schedule, State="ENABLED")["RuleArn"]
    _ignore_missing(lambda: lambda_.remove_permission(FunctionName=function_name, StatementId=name))
    lambda_.add_permission(
        FunctionName=function_name,
        StatementId=name,
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    keep_progress(events, name, function_arn, watch)


def keep_progress(events: Any, name: str, function_arn: str, watch: Watch) -> None:
    """Write the watch (with its progress) back as the rule's target Input, for the next poll."""
    events.put_targets(Rule=name, Targets=[{"Id": "1", "Arn": function_arn, "Input": watch.as_input()}])


def stop_schedule(events: Any, lambda_: Any, *, function_name: str, name: str) -> None:
    """Remove target, permission and rule; each step runs even if an earlier one found nothing."""
    _ignore_missing(lambda: events.remove_targets(Rule=name, Ids=["1"]))
    _ignore_missing(lambda: lambda_.remove_permission(FunctionName=function_name, StatementId=name))
    _ignore_missing(lambda: events.delete_rule(Name=name))


def _ignore_missing(call: Callable[[], Any]) -> None:
    try:
        call()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
