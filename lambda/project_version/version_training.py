"""Training a model version, step by step: a Create's version or an Update's replacement.

Both start (or adopt) the version, wait for a training slot when the account trains as many versions as
it may, then either hand the training over to the watcher (with ``TrainingWait``: the stack's wait
conditions hold it) or poll until it ends. Whether it is a replacement only changes what a failure
leaves behind (CloudFormation forgets a failed update's new version, so it is deleted here).
"""

from __future__ import annotations

import time
from typing import Any

import aws_clients
import watching
from botocore.exceptions import BotoCoreError, ClientError
from deadlines import Unfinished, out_of_time, waited
from poll_state import PollState
from resource_properties import PropertyError, VersionSpec, parse
from resource_provider import Session
from training_failure import failure_reason
from training_watch import FAILING_GIVE_UP_SECONDS
from version_lifecycle import (
    answered,
    attributes,
    find_version,
    is_transient,
    no_training_slot,
    owner_value,
    start_training,
    sync_tags,
)


def owner(event: dict[str, Any], spec: VersionSpec) -> str:
    return owner_value(event["StackId"], event["LogicalResourceId"], spec.fingerprint)


def parse_or_none(properties: dict[str, Any] | None) -> VersionSpec | None:
    try:
        return parse(properties or {})
    except PropertyError:
        return None


def begin_training(event: dict[str, Any], spec: VersionSpec, state: PollState) -> bool:
    """Start (or adopt) the version, recording its ARN in ``state``; True when an adopted one has
    already finished training (``state`` then holds its attributes).

    Without a training slot (the account trains as many versions as it may), or on a transient error,
    nothing is recorded but since when it waits: the next poll tries again.
    """
    client = aws_clients.rekognition()
    try:
        arn = start_training(client, spec, owner(event, spec), aws_clients.rekognition_once())
    except (ClientError, BotoCoreError) as error:
        if not (no_training_slot(error) or is_transient(error)):
            raise
        if state.waiting_since is None:
            state.waiting_since = time.time()
        state.waiting_for = answered(error)
        return False
    state.waiting_for = None
    state.arn = arn
    try:
        version = find_version(client, spec.project_arn, spec.version_name)
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
        return False  # the polls look at it
    if version is not None and version["Status"] not in ("TRAINING_IN_PROGRESS", "TRAINING_FAILED"):
        sync_tags(client, arn, spec.tags)  # adopted, already trained: bring its tags up to date, done
        state.record(attributes(version))
        return True
    return False


def wait_for_slot(
    event: dict[str, Any], state: PollState, context: Any, session: Session, *, replacing: bool
) -> str | None:
    """One poll of a version that has no training slot yet: one CreateProjectVersion, until its deadline."""
    spec = parse(event["ResourceProperties"])
    if out_of_time(state):
        raise Unfinished(no_slot_reason(spec, state, session, replacing=replacing))
    finished = begin_training(event, spec, state)
    return answer_when_started(event, spec, state, context, session, finished)


def no_slot_reason(spec: VersionSpec, state: PollState, session: Session, *, replacing: bool) -> str:
    """Why it gave up; a version that an unanswered Create made after all is named (and cleaned up)."""
    try:
        leftover = find_version(aws_clients.rekognition(), spec.project_arn, spec.version_name)
    except (ClientError, BotoCoreError):
        leftover = None  # the Reason still goes out; a retried Delete finds what is there
    if leftover is not None and not replacing:
        state.arn = str(leftover["ProjectVersionArn"])  # the FAILED answer's id: the rollback deletes it
    polls = session.polls_data()
    waiting = sum(1 for d in polls if PollState.from_data(d).waiting_for_slot) if polls is not None else 0
    plural = waiting != 1
    queue = f"; {waiting} model version{'s' * plural} of this stack {'were' if plural else 'was'} waiting"
    answer = "LimitExceededException" if state.waiting_for is None else state.waiting_for
    since = time.time() if state.waiting_since is None else state.waiting_since
    return (
        f"No training slot for model version {spec.version_name} after waiting "
        f"{int(time.time() - since)} s: Rekognition trains at most 2 model versions "
        "at once per account (1 in Asia Pacific (Sydney)), and CreateProjectVersion kept answering "
        f"{answer}{queue if waiting else ''}. "
        f"CloudFormation waits at most {spec.service_timeout} s (ServiceTimeout) for a custom resource; "
        "deploy again when trainings have finished, or raise the quota."
    )


def answer_when_started(
    event: dict[str, Any],
    spec: VersionSpec,
    state: PollState,
    context: Any,
    session: Session,
    finished: bool,
) -> str | None:
    """With a TrainingWait, answer as soon as training has started (the watcher takes over); without,
    only once it has finished. None: not yet."""
    if state.arn is not None and spec.training_wait is not None:
        watching.hand_over(event, spec, state, context, session.rule_prefix)
        return state.arn
    return state.arn if finished and state.arn is not None else None


def watch_training(event: dict[str, Any], state: PollState, *, replacing: bool) -> str | None:
    """One poll: the ARN when training completed, None to poll again, an error when it failed."""
    if state.arn is None:
        raise RuntimeError("No model version was recorded for this request's polls")
    arn = state.arn
    spec = parse(event["ResourceProperties"])
    if out_of_time(state):
        what = (
            "the replacement is abandoned and the rollback deletes it once training ends" if replacing else ""
        )
        raise Unfinished(
            f"Model version {arn} was still training after {waited(state)}; CloudFormation waits at most "
            f"{spec.service_timeout} s (ServiceTimeout) for a custom resource. {what}".strip()
        )
    client = aws_clients.rekognition()
    try:
        version = find_version(client, spec.project_arn, spec.version_name)
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
        state.failing_since = state.failing_since or time.time()
        failing = time.time() - state.failing_since
        if failing < FAILING_GIVE_UP_SECONDS:
            return None
        what = "the rollback deletes the replacement once training ends" if replacing else ""
        raise RuntimeError(
            f"Rekognition answered DescribeProjectVersions with {answered(error)} for {int(failing)} s "
            f"while model version {arn} trained: the Custom Labels guide reports service errors during "
            f"training this way. Deploy again later. {what}".strip()
        ) from error
    state.failing_since = None
    if version is None:
        raise RuntimeError(f"Model version {arn} disappeared while it was training")
    status = version["Status"]
    if status == "TRAINING_IN_PROGRESS":
        return None
    if status == "TRAINING_FAILED":
        if replacing:  # CloudFormation forgets a failed update's new resource: delete it ourselves
            client.delete_project_version(ProjectVersionArn=arn)
            raise RuntimeError(f"{failure_reason(version)} The failed version was deleted.")
        raise RuntimeError(failure_reason(version))
    state.record(attributes(version))
    return arn
