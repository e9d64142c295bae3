"""Provider of ``Custom::RekognitionProjectVersion`` (entry point ``index.handler``).

Create first checks what a training would fail on hours later (``preflight``: the manifests, the output
bucket, the KMS key), then trains a model version: with ``TrainingWait`` (the construct renders it) it
answers once training has started and a schedule of its own (``watching``, deciding with
``training_watch``) releases the stack's wait conditions when training ends; without it, it polls until
training ends. Update changes tags in place or (checked the same way) trains a replacement; Delete stops
and deletes the version. ``Custom::RekognitionProjectVersionAttributes`` (``deployed_model``) reads a
trained version's attributes once the waits are over (failing with ``training_failure``'s Reason when the
training did not complete), holds it to its F1 gate and starts it with its inference units. The
decorated functions stay plain: each reads the event, calls the phase functions of ``version_lifecycle``
/ ``deployed_model`` and records what the next poll needs in ``helper.Data`` (carried into the polling
event).
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import aws_clients
import deployed_model
import preflight
import watching
from botocore.exceptions import BotoCoreError, ClientError
from deadlines import POLL_INTERVAL_MINUTES, Unfinished, out_of_time, start_clock, waited
from hardened_resource import HardenedResource
from resource_properties import OWNER_TAG, REPLACING, PropertyError, VersionSpec, parse
from training_failure import failure_reason
from training_watch import WATCH_KEY
from version_lifecycle import (
    DeleteProgress,
    NotOurs,
    attributes,
    delete_step,
    error_code,
    find_version,
    is_transient,
    is_version_arn,
    no_training_slot,
    owner_value,
    same_owner,
    start_training,
    sync_tags,
    tags_of,
    version_name_of,
)

LOG = logging.getLogger(__name__)
helper = HardenedResource(
    rule_prefix=os.environ.get("POLL_RULE_PREFIX", "RekCL-poll-"), polling_interval=POLL_INTERVAL_MINUTES
)


def handler(event: dict[str, Any], context: Any) -> None:
    if WATCH_KEY in event:  # the training watcher's schedule, not a CloudFormation request
        watching.on_watch(event, context, helper.rule_prefix)
        return
    helper(event, context)


# -- the trained model as deployed (attributes, gate, serving) -----------------------------------------


def deploy_model(event: dict[str, Any], poll: bool) -> str:
    """One step of ``Custom::RekognitionProjectVersionAttributes``: its ARN when done, "" to poll again."""
    data = helper.Data
    try:
        done = deployed_model.step(event, data) if poll else deployed_model.begin(event, data)
    except (ClientError, BotoCoreError) as error:
        if is_transient(error) and not out_of_time(data):
            return ""  # try again at the next poll
        stop_on_failure(event, data)
        raise
    except Exception:
        stop_on_failure(event, data)
        raise
    helper.finish_now = done is not None
    return done or ""


def stop_on_failure(event: dict[str, Any], data: dict[str, Any]) -> None:
    """A failed Update to another version stops the model it started (no Delete will come for it)."""
    if event["RequestType"] == "Update":
        try:
            deployed_model.stop_started(event, data)
        except (ClientError, BotoCoreError):
            LOG.warning("Could not stop the model this update started", exc_info=True)


# -- create and update ------------------------------------------------------------------------------


def owner(event: dict[str, Any], spec: VersionSpec) -> str:
    return owner_value(event["StackId"], event["LogicalResourceId"], spec.fingerprint)


def begin_training(event: dict[str, Any], spec: VersionSpec, data: dict[str, Any]) -> bool:
    """Start (or adopt) the version, recording its ARN in ``data``; True when an adopted one has
    already finished training (``data`` then holds its attributes).

    Without a training slot (the account trains as many versions as it may), or on a transient error,
    nothing is recorded but since when it waits: the next poll tries again.
    """
    client = aws_clients.rekognition()
    try:
        arn = start_training(client, spec, owner(event, spec), aws_clients.rekognition_once())
    except (ClientError, BotoCoreError) as error:
        if not (no_training_slot(error) or is_transient(error)):
            raise
        data.setdefault("WaitingSince", str(time.time()))
        data["WaitingFor"] = answered(error)
        return False
    data.pop("WaitingFor", None)
    data["Arn"] = arn
    try:
        version = find_version(client, spec.project_arn, spec.version_name)
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
        return False  # the polls look at it
    if version is not None and version["Status"] not in ("TRAINING_IN_PROGRESS", "TRAINING_FAILED"):
        sync_tags(client, arn, spec.tags)  # adopted, already trained: bring its tags up to date, done
        data.update(attributes(version))
        return True
    return False


def answered(error: Exception) -> str:
    """The error in a few words for a Reason: its code and (the start of) its message."""
    if isinstance(error, ClientError):
        message = str(error.response.get("Error", {}).get("Message", ""))
        return f"{error_code(error)} ({message[:160]})" if message else error_code(error)
    return type(error).__name__


def waiting_for_slot(data: dict[str, Any]) -> bool:
    return "Arn" not in data and "WaitingSince" in data


def wait_for_slot(
    event: dict[str, Any], data: dict[str, Any], context: Any, *, replacing: bool
) -> str | None:
    """One poll of a version that has no training slot yet: one CreateProjectVersion, until its deadline."""
    spec = parse(event["ResourceProperties"])
    if out_of_time(data):
        raise Unfinished(no_slot_reason(event, spec, data, replacing=replacing))
    finished = begin_training(event, spec, data)
    return answer_when_started(event, spec, data, context, finished)


def no_slot_reason(event: dict[str, Any], spec: VersionSpec, data: dict[str, Any], *, replacing: bool) -> str:
    """Why it gave up; a version that an unanswered Create made after all is named (and cleaned up)."""
    try:
        leftover = find_version(aws_clients.rekognition(), spec.project_arn, spec.version_name)
    except (ClientError, BotoCoreError):
        leftover = None  # the Reason still goes out; a retried Delete finds what is there
    if leftover is not None and not replacing:
        data["Arn"] = leftover["ProjectVersionArn"]  # the FAILED answer's id: the rollback deletes it
    polls = helper.polls_data()
    waiting = sum(1 for d in polls if waiting_for_slot(d)) if polls is not None else 0
    plural = waiting != 1
    queue = f"; {waiting} model version{'s' * plural} of this stack {'were' if plural else 'was'} waiting"
    answer = data.get("WaitingFor", "LimitExceededException")
    return (
        f"No training slot for model version {spec.version_name} after waiting "
        f"{int(time.time() - float(data['WaitingSince']))} s: Rekognition trains at most 2 model versions "
        "at once per account (1 in Asia Pacific (Sydney)), and CreateProjectVersion kept answering "
        f"{answer}{queue if waiting else ''}. "
        f"CloudFormation waits at most {spec.service_timeout} s (ServiceTimeout) for a custom resource; "
        "deploy again when trainings have finished, or raise the quota."
    )


def answer_when_started(
    event: dict[str, Any], spec: VersionSpec, data: dict[str, Any], context: Any, finished: bool
) -> str | None:
    """With a TrainingWait, answer as soon as training has started (the watcher takes over); without,
    only once it has finished. None: not yet."""
    if "Arn" in data and spec.training_wait is not None:
        watching.hand_over(event, spec, data, context, helper.rule_prefix)
        return str(data["Arn"])
    return str(data["Arn"]) if finished else None


@helper.create
def create(event: dict[str, Any], context: Any) -> str:
    if deployed_model.is_deployed_model(event):
        return deploy_model(event, poll=False) or str(helper.Data.get("Arn", ""))
    spec = parse(event["ResourceProperties"])
    start_clock(helper.Data, spec.service_timeout)
    preflight.check(spec, s3=aws_clients.s3(), kms=aws_clients.kms())
    finished = begin_training(event, spec, helper.Data)
    helper.finish_now = answer_when_started(event, spec, helper.Data, context, finished) is not None
    return str(helper.Data.get("Arn", ""))


def watch_training(event: dict[str, Any], data: dict[str, Any], *, replacing: bool) -> str | None:
    """One poll: the ARN when training completed, None to poll again, an error when it failed."""
    arn = str(data["Arn"])
    spec = parse(event["ResourceProperties"])
    if out_of_time(data):
        what = (
            "the replacement is abandoned and the rollback deletes it once training ends" if replacing else ""
        )
        raise Unfinished(
            f"Model version {arn} was still training after {waited(data)}; CloudFormation waits at most "
            f"{spec.service_timeout} s (ServiceTimeout) for a custom resource. {what}".strip()
        )
    client = aws_clients.rekognition()
    try:
        version = find_version(client, spec.project_arn, spec.version_name)
    except (ClientError, BotoCoreError) as error:
        if is_transient(error):
            return None
        raise
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
    data.update(attributes(version))
    return arn


@helper.poll_create
def poll_create(event: dict[str, Any], context: Any) -> str | None:
    if deployed_model.is_deployed_model(event):
        return deploy_model(event, poll=True) or None
    if waiting_for_slot(helper.Data):
        return wait_for_slot(event, helper.Data, context, replacing=False)
    return watch_training(event, helper.Data, replacing=False)


def _parse_or_none(properties: dict[str, Any] | None) -> VersionSpec | None:
    try:
        return parse(properties or {})
    except PropertyError:
        return None


def model_changed(tags: dict[str, str], spec: VersionSpec, old: VersionSpec | None) -> bool:
    """Whether the existing version was trained from other data than ``spec`` asks for."""
    recorded = tags.get(OWNER_TAG)
    if recorded and "/" in recorded:
        return recorded.split("/", 1)[1] != spec.fingerprint[:32]
    return old is None or old.fingerprint != spec.fingerprint


def abandoned_version(event: dict[str, Any], spec: VersionSpec, current: str) -> str | None:
    """After a failed update, the version it started (named by the failed properties), if it is ours."""
    old = _parse_or_none(event.get("OldResourceProperties"))
    if old is None or (old.project_arn, old.version_name) == (spec.project_arn, spec.version_name):
        return None
    client = aws_clients.rekognition()
    version = find_version(client, old.project_arn, old.version_name)
    if version is None or version["ProjectVersionArn"] == current:
        return None
    arn = str(version["ProjectVersionArn"])
    return arn if same_owner(tags_of(client, arn).get(OWNER_TAG), owner(event, spec)) else None


@helper.update
def update(event: dict[str, Any], context: Any) -> str:
    if deployed_model.is_deployed_model(event):
        return deploy_model(event, poll=False) or str(event["PhysicalResourceId"])
    spec = parse(event["ResourceProperties"])
    start_clock(helper.Data, spec.service_timeout)
    current = str(event.get("PhysicalResourceId", ""))
    try:
        in_place = update_in_place(event, spec, current)
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
        helper.Data["InPlace"] = "true"  # throttled or 5xx: the next poll tries again
        return current
    if in_place:
        return current
    preflight.check(spec, s3=aws_clients.s3(), kms=aws_clients.kms())
    helper.Data["Replacing"] = "true"
    finished = begin_training(event, spec, helper.Data)
    helper.finish_now = answer_when_started(event, spec, helper.Data, context, finished) is not None
    return str(helper.Data.get("Arn", ""))


def update_in_place(event: dict[str, Any], spec: VersionSpec, current: str) -> bool:
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
    if not same_owner(tags.get(OWNER_TAG), owner(event, spec)) and OWNER_TAG in tags:
        if {key: value for key, value in tags.items() if key != OWNER_TAG} != spec.tags:
            raise NotOurs(
                f"Model version {current} no longer carries this resource's ownership tag ({OWNER_TAG}: "
                "someone changed it), so its tags are not changed; restore the tag to manage it again"
            )
    elif model_changed(tags, spec, _parse_or_none(event.get("OldResourceProperties"))):
        old = _parse_or_none(event.get("OldResourceProperties"))
        changed = ", ".join(spec.changed_members(old)) if old else ", ".join(REPLACING)
        raise PropertyError(
            f"Changing {changed or 'the training data'} needs a new model version, but VersionName "
            f"{spec.version_name!r} is unchanged and names the existing one: give the new version another "
            "VersionName (or leave VersionName out and let the construct derive one)"
        )
    else:
        sync_tags(client, current, spec.tags)
    helper.Data.pop("InPlace", None)
    helper.Data.update(attributes(version))
    abandoned = abandoned_version(event, spec, current)
    if abandoned:
        helper.Data["Abandoned"] = abandoned
    else:
        helper.finish_now = True
    return True


@helper.poll_update
def poll_update(event: dict[str, Any], context: Any) -> str | None:
    if deployed_model.is_deployed_model(event):
        return deploy_model(event, poll=True) or None
    data = helper.Data
    if "InPlace" in data:
        return retry_in_place(event, data)
    if "Abandoned" in data:
        return clean_up_abandoned(event, data)
    if waiting_for_slot(data):
        return wait_for_slot(event, data, context, replacing=True)
    return watch_training(event, data, replacing=True)


def retry_in_place(event: dict[str, Any], data: dict[str, Any]) -> str | None:
    """One more try at an in-place update that was throttled (or met a 5xx), until the deadline."""
    current = str(event["PhysicalResourceId"])
    try:
        in_place = update_in_place(event, parse(event["ResourceProperties"]), current)
    except (ClientError, BotoCoreError) as error:
        if is_transient(error) and not out_of_time(data):
            return None
        raise
    if not in_place:
        raise RuntimeError(f"Model version {current} disappeared during the update; deploy again to retrain")
    if "Abandoned" in data:
        return None  # the next polls delete the failed update's version
    return current


def clean_up_abandoned(event: dict[str, Any], data: dict[str, Any]) -> str | None:
    """A rollback keeps the current version; the failed update's version is deleted once it can be."""
    current = str(event["PhysicalResourceId"])
    old = parse(event["OldResourceProperties"])
    if out_of_time(data):  # the rollback itself must not fail: report the leftover and finish
        helper.Reason = f"Model version {data['Abandoned']} could not be deleted in time; delete it by hand"
        return current
    try:
        progress = delete_step(aws_clients.rekognition(), old.project_arn, str(data["Abandoned"]))
    except (ClientError, BotoCoreError) as error:
        if is_transient(error):
            return None
        raise
    return current if progress.gone else None


# -- delete -----------------------------------------------------------------------------------------


def project_of(event: dict[str, Any]) -> str:
    project = event.get("ResourceProperties", {}).get("ProjectArn")
    if not isinstance(project, str) or not project:
        raise PropertyError("ProjectArn is required to find the model version to delete")
    return project


@helper.delete
def delete(event: dict[str, Any], context: Any) -> str:
    physical = str(event["PhysicalResourceId"])
    if deployed_model.is_deployed_model(event):
        try:
            helper.finish_now = deployed_model.begin_delete(event, helper.Data)
        except (ClientError, BotoCoreError) as error:
            if not is_transient(error):
                raise
        return physical
    timeout = _parse_or_none(event.get("ResourceProperties"))
    start_clock(helper.Data, timeout.service_timeout if timeout else 3600)
    try:
        target = physical if is_version_arn(physical) else unanswered_version(event)
    except (ClientError, BotoCoreError) as error:
        if not is_transient(error):
            raise
        helper.Data["LookUp"] = "true"  # throttled or 5xx: the next poll looks again
        return physical
    if target is None:  # nothing to delete
        helper.finish_now = True
        return physical
    helper.Data["Target"] = target
    watching.stop_watching(event, context, target, helper.rule_prefix)
    client = aws_clients.rekognition()
    try:
        if handed_over(client, event, target) or delete_step(client, project_of(event), target).gone:
            helper.finish_now = True
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


def unanswered_version(event: dict[str, Any]) -> str | None:
    """The version a Create made without CloudFormation hearing of it (it timed out, crashed, or was
    cancelled by a rollback or a stack delete): CloudFormation then deletes an id of its own making. The
    version is the one its properties name, if this resource's ownership tag is on it."""
    for data in helper.superseded:  # the cancelled Create's poll knew it
        if is_version_arn(str(data.get("Arn", ""))):
            return str(data["Arn"])
    spec = _parse_or_none(event.get("ResourceProperties"))
    if spec is None:
        return None
    client = aws_clients.rekognition()
    version = find_version(client, spec.project_arn, spec.version_name)
    if version is None:
        return None
    arn = str(version["ProjectVersionArn"])
    return arn if same_owner(tags_of(client, arn).get(OWNER_TAG), owner(event, spec)) else None


@helper.poll_delete
def poll_delete(event: dict[str, Any], context: Any) -> str | None:
    physical = str(event["PhysicalResourceId"])
    if deployed_model.is_deployed_model(event):
        try:
            return physical if deployed_model.delete_step(event, helper.Data) else None
        except (ClientError, BotoCoreError) as error:
            if is_transient(error) and not out_of_time(helper.Data):
                return None
            raise
    try:
        if "LookUp" in helper.Data:  # which version an unanswered Create made: not known yet
            found = unanswered_version(event)
            if found is None:
                return physical
            helper.Data["Target"] = found
            helper.Data.pop("LookUp")
        target = str(helper.Data.get("Target", physical))
        progress = delete_step(aws_clients.rekognition(), project_of(event), target)
    except (ClientError, BotoCoreError) as error:
        if is_transient(error) and not out_of_time(helper.Data):
            return None
        raise
    if progress.gone:
        return physical
    if out_of_time(helper.Data):
        raise Unfinished(undeletable_reason(target, progress))
    return None


def undeletable_reason(arn: str, progress: DeleteProgress) -> str:
    if progress.status == "TRAINING_IN_PROGRESS":
        return (
            f"Model version {arn} has been training since {progress.since or 'it was created'}, and "
            "Rekognition can neither stop nor delete a model version while it trains; CloudFormation "
            "stops waiting at ServiceTimeout. Retry the delete (cdk destroy) once training has ended: "
            "it then deletes the version."
        )
    return (
        f"Model version {arn} is still there after {waited(helper.Data)} because {progress.why}; "
        "CloudFormation stops waiting at ServiceTimeout. Retry the delete when it can finish."
    )
