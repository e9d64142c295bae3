"""Deleting a ``Custom::RekognitionProjectVersion``: stop the model, delete the version, poll until gone.

The version is the physical id, or, when CloudFormation deletes an id of its own making (the Create
never answered), the version that Create made: the cancelled poll's state knew it, else the one the
properties name if it carries this resource's ownership tag. A version whose ownership tag someone
changed to another owner is theirs: it is left alone. Rekognition cannot delete a version while it
trains, so such a delete waits, and fails with a Reason that says so at its deadline.
"""

from __future__ import annotations

import logging
from typing import Any

import aws_clients
import watching
from botocore.exceptions import BotoCoreError, ClientError
from deadlines import Unfinished, out_of_time, start_clock, waited
from poll_state import Phase, PollState
from resource_properties import OWNER_TAG, PropertyError
from resource_provider import Session
from version_lifecycle import (
    DeleteProgress,
    delete_step,
    error_code,
    find_version,
    is_transient,
    is_version_arn,
    owner_value,
    same_owner,
    tags_of,
)
from version_training import owner, parse_or_none

LOG = logging.getLogger(__name__)
# What a Delete waits for at most when its properties (and so its ServiceTimeout) cannot be read.
DEFAULT_SERVICE_TIMEOUT = 3600


def project_of(event: dict[str, Any]) -> str:
    project = event.get("ResourceProperties", {}).get("ProjectArn")
    if not isinstance(project, str) or not project:
        raise PropertyError("ProjectArn is required to find the model version to delete")
    return project


def delete(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str:
    physical = str(event["PhysicalResourceId"])
    timeout = parse_or_none(event.get("ResourceProperties"))
    start_clock(state, timeout.service_timeout if timeout else DEFAULT_SERVICE_TIMEOUT)
    try:
        target = physical if is_version_arn(physical) else unanswered_version(event, session)
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
        state.phase = Phase.LOOKING_UP  # throttled or 5xx: the next poll looks again
        return physical
    if target is None:  # nothing to delete
        session.finish_now = True
        return physical
    state.target = target
    watching.stop_watching(event, context, target, session.rule_prefix)
    client = aws_clients.rekognition()
    try:
        if handed_over(client, event, target) or delete_step(client, project_of(event), target).gone:
            session.finish_now = True
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
    return physical


def handed_over(client: Any, event: dict[str, Any], arn: str) -> bool:
    """Whether someone changed the version's ownership tag to another owner: it is theirs now, and
    left alone."""
    try:
        recorded = tags_of(client, arn).get(OWNER_TAG)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return False
        raise
    ours = owner_value(event["StackId"], event["LogicalResourceId"], "")
    if recorded is None or same_owner(recorded, ours):
        return False
    LOG.warning("Model version %s carries another owner's tag (%s=%s): left alone", arn, OWNER_TAG, recorded)
    return True


def unanswered_version(event: dict[str, Any], session: Session) -> str | None:
    """The version a Create made without CloudFormation hearing of it (it timed out, crashed, or was
    cancelled by a rollback or a stack delete): CloudFormation then deletes an id of its own making. The
    version is the one its properties name, if this resource's ownership tag is on it."""
    for data in session.superseded:  # the cancelled Create's poll knew it
        known = PollState.from_data(data).arn
        if known is not None and is_version_arn(known):
            return known
    spec = parse_or_none(event.get("ResourceProperties"))
    if spec is None:
        return None
    client = aws_clients.rekognition()
    version = find_version(client, spec.project_arn, spec.version_name)
    if version is None:
        return None
    arn = str(version["ProjectVersionArn"])
    return arn if same_owner(tags_of(client, arn).get(OWNER_TAG), owner(event, spec)) else None


def poll_delete(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str | None:
    physical = str(event["PhysicalResourceId"])
    try:
        if state.phase is Phase.LOOKING_UP:  # which version an unanswered Create made: not known yet
            found = unanswered_version(event, session)
            if found is None:
                return physical
            state.target = found
            state.phase = Phase.MAIN
        target = physical if state.target is None else state.target
        progress = delete_step(aws_clients.rekognition(), project_of(event), target)
    except (ClientError, BotoCoreError) as error:
        if is_transient(error) and not out_of_time(state):
            return None
        raise
    if progress.gone:
        return physical
    if out_of_time(state):
        raise Unfinished(undeletable_reason(target, progress, state))
    return None


def undeletable_reason(arn: str, progress: DeleteProgress, state: PollState) -> str:
    if progress.status == "TRAINING_IN_PROGRESS":
        return (
            f"Model version {arn} has been training since {progress.since or 'it was created'}, and "
            "Rekognition can neither stop nor delete a model version while it trains; CloudFormation "
            "stops waiting at ServiceTimeout. Retry the delete (cdk destroy) once training has ended: "
            "it then deletes the version."
        )
    return (
        f"Model version {arn} is still there after {waited(state)} because {progress.why}; "
        "CloudFormation stops waiting at ServiceTimeout. Retry the delete when it can finish."
    )
