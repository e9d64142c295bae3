"""Provider of ``Custom::RekognitionProjectVersion``: one trained model version.

Create first checks what a training would fail on hours later (``preflight``: the manifests, the output
bucket, the KMS key), then trains the version (``version_training``). Update changes tags in place or
(checked the same way) trains a replacement; a rollback after a failed update keeps the current version
and deletes the one the failed update started. Delete stops and deletes the version
(``version_delete``). Its physical id is the version's ARN.
"""

from __future__ import annotations

from typing import Any

import aws_clients
import preflight
import version_delete
from botocore.exceptions import BotoCoreError, ClientError
from deadlines import out_of_time, start_clock
from poll_state import Phase, PollState
from resource_properties import OWNER_TAG, REPLACING, PropertyError, VersionSpec, parse
from resource_provider import Provider, Session
from version_lifecycle import (
    NotOurs,
    attributes,
    delete_step,
    find_version,
    is_transient,
    is_version_arn,
    same_owner,
    sync_tags,
    tags_of,
    version_name_of,
)
from version_training import (
    answer_when_started,
    begin_training,
    owner,
    parse_or_none,
    wait_for_slot,
    watch_training,
)

RESOURCE_TYPE = "Custom::RekognitionProjectVersion"


def create(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str:
    spec = parse(event["ResourceProperties"])
    start_clock(state, spec.service_timeout)
    preflight.check(spec, s3=aws_clients.s3(), kms=aws_clients.kms())
    finished = begin_training(event, spec, state)
    session.finish_now = answer_when_started(event, spec, state, context, session, finished) is not None
    return state.arn or ""


def poll_create(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str | None:
    if state.waiting_for_slot:
        return wait_for_slot(event, state, context, session, replacing=False)
    return watch_training(event, state, replacing=False)


# -- update -----------------------------------------------------------------------------------------


def update(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str:
    spec = parse(event["ResourceProperties"])
    start_clock(state, spec.service_timeout)
    current = str(event.get("PhysicalResourceId", ""))
    try:
        in_place = update_in_place(event, spec, current, state, session)
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
        state.phase = Phase.IN_PLACE_RETRY  # throttled or 5xx: the next poll tries again
        return current
    if in_place:
        return current
    preflight.check(spec, s3=aws_clients.s3(), kms=aws_clients.kms())
    state.phase = Phase.REPLACING
    finished = begin_training(event, spec, state)
    session.finish_now = answer_when_started(event, spec, state, context, session, finished) is not None
    return state.arn or ""


def model_changed(tags: dict[str, str], spec: VersionSpec, old: VersionSpec | None) -> bool:
    """Whether the existing version was trained from other data than ``spec`` asks for."""
    recorded = tags.get(OWNER_TAG)
    if recorded and "/" in recorded:
        return recorded.split("/", 1)[1] != spec.fingerprint[:32]
    return old is None or old.fingerprint != spec.fingerprint


def abandoned_version(event: dict[str, Any], spec: VersionSpec, current: str) -> str | None:
    """After a failed update, the version it started (named by the failed properties), if it is ours."""
    old = parse_or_none(event.get("OldResourceProperties"))
    if old is None or (old.project_arn, old.version_name) == (spec.project_arn, spec.version_name):
        return None
    client = aws_clients.rekognition()
    version = find_version(client, old.project_arn, old.version_name)
    if version is None or version["ProjectVersionArn"] == current:
        return None
    arn = str(version["ProjectVersionArn"])
    return arn if same_owner(tags_of(client, arn).get(OWNER_TAG), owner(event, spec)) else None


def update_in_place(
    event: dict[str, Any], spec: VersionSpec, current: str, state: PollState, session: Session
) -> bool:
    """Bring the current version's tags up to date when the update needs no new version; False when it
    does (or the current version is gone)."""
    client = aws_clients.rekognition()
    project_of_current = current.split("/version/")[0]
    in_project = is_version_arn(current) and project_of_current == spec.project_arn.rsplit("/", 1)[0]
    if not (in_project and version_name_of(current) == spec.version_name):
        return False
    version = find_version(client, spec.project_arn, spec.version_name)
    if version is None or version["ProjectVersionArn"] != current:
        return False
    tags = tags_of(client, current)
    old = parse_or_none(event.get("OldResourceProperties"))
    if not same_owner(tags.get(OWNER_TAG), owner(event, spec)) and OWNER_TAG in tags:
        if {key: value for key, value in tags.items() if key != OWNER_TAG} != spec.tags:
            raise NotOurs(
                f"Model version {current} no longer carries this resource's ownership tag ({OWNER_TAG}: "
                "someone changed it), so its tags are not changed; restore the tag to manage it again"
            )
    elif model_changed(tags, spec, old):
        changed = ", ".join(spec.changed_members(old)) if old else ", ".join(REPLACING)
        raise PropertyError(
            f"Changing {changed or 'the training data'} needs a new model version, but VersionName "
            f"{spec.version_name!r} is unchanged and names the existing one: give the new version another "
            "VersionName (or leave VersionName out and let the construct derive one)"
        )
    else:
        sync_tags(client, current, spec.tags)
    if state.phase is Phase.IN_PLACE_RETRY:
        state.phase = Phase.MAIN
    state.record(attributes(version))
    abandoned = abandoned_version(event, spec, current)
    if abandoned:
        state.clean_up(abandoned)
    else:
        session.finish_now = True
    return True


def poll_update(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str | None:
    if state.phase is Phase.IN_PLACE_RETRY:
        return retry_in_place(event, state, session)
    if state.phase is Phase.CLEANING_ABANDONED:
        return clean_up_abandoned(event, state, session)
    if state.waiting_for_slot:
        return wait_for_slot(event, state, context, session, replacing=True)
    return watch_training(event, state, replacing=True)


def retry_in_place(event: dict[str, Any], state: PollState, session: Session) -> str | None:
    """One more try at an in-place update that was throttled (or met a 5xx), until the deadline."""
    current = str(event["PhysicalResourceId"])
    try:
        in_place = update_in_place(event, parse(event["ResourceProperties"]), current, state, session)
    except (ClientError, BotoCoreError) as error:
        if is_transient(error) and not out_of_time(state):
            return None
        raise
    if not in_place:
        raise RuntimeError(f"Model version {current} disappeared during the update; deploy again to retrain")
    if state.phase is Phase.CLEANING_ABANDONED:
        return None  # the next polls delete the failed update's version
    return current


def clean_up_abandoned(event: dict[str, Any], state: PollState, session: Session) -> str | None:
    """A rollback keeps the current version; the failed update's version is deleted once it can be."""
    current = str(event["PhysicalResourceId"])
    old = parse(event["OldResourceProperties"])
    if out_of_time(state):  # the rollback itself must not fail: report the leftover and finish
        session.Reason = f"Model version {state.abandoned} could not be deleted in time; delete it by hand"
        return current
    try:
        progress = delete_step(aws_clients.rekognition(), old.project_arn, str(state.abandoned))
    except (ClientError, BotoCoreError) as error:
        if is_transient(error):
            return None
        raise
    return current if progress.gone else None


PROVIDER = Provider(
    resource_type=RESOURCE_TYPE,
    create=create,
    update=update,
    delete=version_delete.delete,
    poll_create=poll_create,
    poll_update=poll_update,
    poll_delete=version_delete.poll_delete,
)
