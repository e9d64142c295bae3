"""``Custom::RekognitionProjectVersionAttributes``: the trained version as the stack deploys it.

Created once the stack's training waits are over, it reads the version's attributes, holds it to its F1
gate, then starts it with its inference units and answers once it is RUNNING. Everything that uses the
model takes its ARN from here, so consumers move to a new version only once it serves. Its physical id
is the version's ARN: a new version is a replacement, and CloudFormation's cleanup Delete stops the old
model only after the new one serves (zero-downtime rollover). Each function is one step of a request;
what the next poll needs is kept in its ``PollState``. ``PROVIDER`` is what ``index`` dispatches to.
"""

from __future__ import annotations

import logging
from typing import Any

import aws_clients
import f1_gate
from botocore.exceptions import BotoCoreError, ClientError
from deadlines import Unfinished, out_of_time, start_clock, waited
from model_serving import SERVING, serve_step
from poll_state import PollState
from resource_properties import OWNER_TAG, ModelSpec, PropertyError, parse_model
from resource_provider import Provider, Session
from training_failure import failure_reason
from version_lifecycle import (
    NotOurs,
    answered,
    attributes,
    find_version,
    is_transient,
    is_version_arn,
    owner_value,
    same_owner,
    tags_of,
    version_name_of,
)

RESOURCE_TYPE = "Custom::RekognitionProjectVersionAttributes"
LOG = logging.getLogger(__name__)


# -- the provider's steps: transient errors wait for the next poll (until the deadline) ------------


def deploy(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str:
    """Create or Update: the ARN, answered at once when the model is already deployed as asked."""
    done = _deploy_step(event, state, session, poll=False)
    if done:
        return done
    if event["RequestType"] == "Create":
        return state.arn or ""
    return str(event["PhysicalResourceId"])


def poll_deploy(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str | None:
    return _deploy_step(event, state, session, poll=True) or None


def _deploy_step(event: dict[str, Any], state: PollState, session: Session, *, poll: bool) -> str:
    """One step: its ARN when done, "" to poll again."""
    try:
        done = step(event, state) if poll else begin(event, state)
    except (ClientError, BotoCoreError) as error:
        if is_transient(error) and not out_of_time(state):
            return ""  # try again at the next poll
        stop_on_failure(event, state)
        if is_transient(error):
            raise RuntimeError(
                f"Rekognition kept answering {answered(error)} until this step's deadline "
                f"(after {waited(state)}), reading model version {state.arn}; deploy again later"
            ) from error
        raise
    except Exception:
        stop_on_failure(event, state)
        raise
    session.finish_now = done is not None
    return done or ""


def stop_on_failure(event: dict[str, Any], state: PollState) -> None:
    """A failed Update to another version stops the model it started (no Delete will come for it)."""
    if event["RequestType"] == "Update":
        try:
            stop_started(event, state)
        except (ClientError, BotoCoreError):
            LOG.warning("Could not stop the model this update started", exc_info=True)


def delete(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str:
    physical = str(event["PhysicalResourceId"])
    try:
        session.finish_now = begin_delete(event, state)
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
    return physical


def poll_delete(event: dict[str, Any], context: Any, state: PollState, session: Session) -> str | None:
    try:
        return str(event["PhysicalResourceId"]) if delete_step(event, state) else None
    except (ClientError, BotoCoreError) as error:
        if is_transient(error) and not out_of_time(state):
            return None
        raise


# -- create and update ------------------------------------------------------------------------------


def _old_spec(event: dict[str, Any]) -> ModelSpec | None:
    try:
        return parse_model(event.get("OldResourceProperties") or {})
    except PropertyError:
        return None


def begin(event: dict[str, Any], state: PollState) -> str | None:
    """Create or Update: the version's ARN when it is deployed as asked, None to poll."""
    spec = parse_model(event.get("ResourceProperties", {}))
    start_clock(state, spec.service_timeout)
    old = _old_spec(event) if event["RequestType"] == "Update" else None
    if old is not None and old.units is not None and old.version_arn == spec.version_arn:
        state.serving = True  # this resource started the model: it may stop it
    state.arn = spec.version_arn
    return step(event, state)


def step(event: dict[str, Any], state: PollState) -> str | None:
    """One step: trained? gated? serving with the units asked for? The ARN once all hold."""
    spec = parse_model(event.get("ResourceProperties", {}))
    client = aws_clients.rekognition()
    version = trained_version(client, spec)
    state.record(attributes(version))
    if spec.gate is not None and not state.gated:
        f1_gate.check(spec.gate, version, aws_clients.s3())
        state.gated = True
    if (spec.units is not None or state.serving) and not owned(client, event, spec, state):
        creator = spec.version_logical_id or "a resource"
        raise NotOurs(
            f"Model version {spec.version_arn} was not created by {creator} of this stack; it is "
            "neither started nor stopped"
        )
    if out_of_time(state):
        raise Unfinished(
            f"Model version {spec.version_arn} was still {version['Status']} after {waited(state)}; "
            f"CloudFormation waits at most {spec.service_timeout} s (ServiceTimeout) for a custom resource"
        )
    progress = serve_step(
        client,
        aws_clients.rekognition_once(),
        spec.project_arn,
        version,
        spec.units,
        started=state.start_asked,
        ours=spec.units is not None or state.serving,
    )
    if progress.action == "start":
        state.start_asked = True
    return spec.version_arn if progress.done else None


def owned(client: Any, event: dict[str, Any], spec: ModelSpec, state: PollState) -> bool:
    """Whether the version carries the ownership tag of the stack's resource ``VersionLogicalId``
    (looked up once per request, then remembered in ``state``)."""
    if state.owned:
        return True
    if not spec.version_logical_id:
        return False
    expected = owner_value(str(event["StackId"]), spec.version_logical_id, "")
    if not same_owner(tags_of(client, spec.version_arn).get(OWNER_TAG), expected):
        return False
    state.owned = True
    return True


def trained_version(client: Any, spec: ModelSpec) -> dict[str, Any]:
    """The version's description; an error when it is missing or did not train."""
    version = find_version(client, spec.project_arn, version_name_of(spec.version_arn))
    if version is None or version["ProjectVersionArn"] != spec.version_arn:
        raise RuntimeError(f"Model version {spec.version_arn} does not exist")
    status = str(version["Status"])
    if status == "TRAINING_FAILED":
        raise RuntimeError(failure_reason(version))
    if status == "TRAINING_IN_PROGRESS":
        raise RuntimeError(
            f"Model version {spec.version_arn} was still training when the stack stopped waiting for it "
            "(the ProjectVersion's training_timeout, or its watcher gave up after Rekognition kept "
            "answering errors for 30 minutes); the rollback deletes it once its training has ended"
        )
    return version


def stop_started(event: dict[str, Any], state: PollState) -> None:
    """After a failed Update to another version: stop the model this request started (CloudFormation
    sends no Delete for a failed update's new physical id). A model still STARTING is left to the
    rollback's Delete of that new version, which waits for RUNNING and then stops it (stopping is
    documented for running models only)."""
    if not state.start_asked or state.arn == event.get("PhysicalResourceId"):
        return
    arn, project = str(state.arn), str(event["ResourceProperties"].get("ProjectArn", ""))
    client = aws_clients.rekognition()
    version = find_version(client, project, version_name_of(arn))
    if version is not None and version["Status"] == "RUNNING":
        client.stop_project_version(ProjectVersionArn=arn)


# -- delete -----------------------------------------------------------------------------------------


def begin_delete(event: dict[str, Any], state: PollState) -> bool:
    """Delete: stop the model if this resource started it; True when nothing is left to wait for."""
    spec = _spec_or_none(event)
    if spec is None or spec.units is None:
        return True  # never started by this resource: nothing of it to undo
    start_clock(state, spec.service_timeout)
    return delete_step(event, state)


def delete_step(event: dict[str, Any], state: PollState) -> bool:
    spec = _spec_or_none(event)
    if spec is None:
        return True
    arn = spec.version_arn
    client = aws_clients.rekognition()
    version = find_version(client, spec.project_arn, version_name_of(arn))
    if version is None or version["ProjectVersionArn"] != arn:
        return True
    if not owned(client, event, spec, state):
        return True  # not ours to stop, whatever the properties say
    if out_of_time(state) and version["Status"] in (*SERVING, "STOPPING"):
        raise Unfinished(
            f"Model version {arn} was still {version['Status']} after {waited(state)}; it is stopped "
            "before the resource goes. Retry the delete once it has stopped."
        )
    return serve_step(client, client, spec.project_arn, version, None, started=False, ours=True).done


def _spec_or_none(event: dict[str, Any]) -> ModelSpec | None:
    """The Delete's properties, for the physical id's version; None when they name no version of ours.

    A physical id that is no version ARN is one of CloudFormation's making: the Create never answered
    (cancelled by a rollback or a stack delete while it started the model), so the version is the one
    its properties name.
    """
    physical = str(event.get("PhysicalResourceId", ""))
    properties = dict(event.get("ResourceProperties", {}))
    if is_version_arn(physical):
        properties["VersionArn"] = physical
    try:
        spec = parse_model(properties)
    except PropertyError:
        return None
    return spec


PROVIDER = Provider(
    resource_type=RESOURCE_TYPE,
    create=deploy,
    update=deploy,
    delete=delete,
    poll_create=poll_deploy,
    poll_update=poll_deploy,
    poll_delete=poll_delete,
)
