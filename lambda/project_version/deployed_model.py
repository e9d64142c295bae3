"""``Custom::RekognitionProjectVersionAttributes``: the trained version as the stack deploys it.

Created once the stack's training waits are over, it reads the version's attributes, holds it to its F1
gate, then starts it with its inference units and answers once it is RUNNING. Everything that uses the
model takes its ARN from here, so consumers move to a new version only once it serves. Its physical id
is the version's ARN: a new version is a replacement, and CloudFormation's cleanup Delete stops the old
model only after the new one serves (zero-downtime rollover). Each function is one step of a request;
what the next poll needs is kept in ``data``.
"""

from __future__ import annotations

from typing import Any

import aws_clients
import f1_gate
from deadlines import Unfinished, out_of_time, start_clock, waited
from model_serving import SERVING, serve_step
from resource_properties import OWNER_TAG, ModelSpec, PropertyError, parse_model
from training_failure import failure_reason
from version_lifecycle import (
    NotOurs,
    attributes,
    find_version,
    is_version_arn,
    owner_value,
    same_owner,
    tags_of,
    version_name_of,
)

RESOURCE_TYPE = "Custom::RekognitionProjectVersionAttributes"


def is_deployed_model(event: dict[str, Any]) -> bool:
    return event.get("ResourceType") == RESOURCE_TYPE


def _old_spec(event: dict[str, Any]) -> ModelSpec | None:
    try:
        return parse_model(event.get("OldResourceProperties") or {})
    except PropertyError:
        return None


def begin(event: dict[str, Any], data: dict[str, Any]) -> str | None:
    """Create or Update: the version's ARN when it is deployed as asked, None to poll."""
    spec = parse_model(event.get("ResourceProperties", {}))
    start_clock(data, spec.service_timeout)
    old = _old_spec(event) if event["RequestType"] == "Update" else None
    if old is not None and old.units is not None and old.version_arn == spec.version_arn:
        data["Serving"] = "true"  # this resource started the model: it may stop it
    data["Arn"] = spec.version_arn
    return step(event, data)


def step(event: dict[str, Any], data: dict[str, Any]) -> str | None:
    """One step: trained? gated? serving with the units asked for? The ARN once all hold."""
    spec = parse_model(event.get("ResourceProperties", {}))
    client = aws_clients.rekognition()
    version = trained_version(client, spec)
    data.update(attributes(version))
    if spec.gate is not None and "Gated" not in data:
        f1_gate.check(spec.gate, version, aws_clients.s3())
        data["Gated"] = "true"
    if (spec.units is not None or "Serving" in data) and not owned(client, event, spec, data):
        creator = spec.version_logical_id or "a resource"
        raise NotOurs(
            f"Model version {spec.version_arn} was not created by {creator} of this stack; it is "
            "neither started nor stopped"
        )
    if out_of_time(data):
        raise Unfinished(
            f"Model version {spec.version_arn} was still {version['Status']} after {waited(data)}; "
            f"CloudFormation waits at most {spec.service_timeout} s (ServiceTimeout) for a custom resource"
        )
    progress = serve_step(
        client,
        aws_clients.rekognition_once(),
        spec.project_arn,
        version,
        spec.units,
        started="StartAsked" in data,
        ours=spec.units is not None or "Serving" in data,
    )
    if progress.action == "start":
        data["StartAsked"] = "true"
    return spec.version_arn if progress.done else None


def owned(client: Any, event: dict[str, Any], spec: ModelSpec, data: dict[str, Any]) -> bool:
    """Whether the version carries the ownership tag of the stack's resource ``VersionLogicalId``
    (looked up once per request, then remembered in ``data``)."""
    if "Owned" in data:
        return True
    if not spec.version_logical_id:
        return False
    expected = owner_value(str(event["StackId"]), spec.version_logical_id, "")
    if not same_owner(tags_of(client, spec.version_arn).get(OWNER_TAG), expected):
        return False
    data["Owned"] = "true"
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
            "(the ProjectVersion's training_timeout); the rollback deletes it once its training has ended"
        )
    return version


def stop_started(event: dict[str, Any], data: dict[str, Any]) -> None:
    """After a failed Update to another version: stop the model this request started (CloudFormation
    sends no Delete for a failed update's new physical id)."""
    if "StartAsked" not in data or data.get("Arn") == event.get("PhysicalResourceId"):
        return
    arn, project = str(data["Arn"]), str(event["ResourceProperties"].get("ProjectArn", ""))
    client = aws_clients.rekognition()
    version = find_version(client, project, version_name_of(arn))
    if version is not None and version["Status"] in SERVING:
        client.stop_project_version(ProjectVersionArn=arn)


# -- delete -----------------------------------------------------------------------------------------


def begin_delete(event: dict[str, Any], data: dict[str, Any]) -> bool:
    """Delete: stop the model if this resource started it; True when nothing is left to wait for."""
    spec = _spec_or_none(event)
    if spec is None or spec.units is None:
        return True  # never started by this resource: nothing of it to undo
    start_clock(data, spec.service_timeout)
    return delete_step(event, data)


def delete_step(event: dict[str, Any], data: dict[str, Any]) -> bool:
    spec = _spec_or_none(event)
    if spec is None:
        return True
    arn = spec.version_arn
    client = aws_clients.rekognition()
    version = find_version(client, spec.project_arn, version_name_of(arn))
    if version is None or version["ProjectVersionArn"] != arn:
        return True
    if not owned(client, event, spec, data):
        return True  # not ours to stop, whatever the properties say
    if out_of_time(data) and version["Status"] in (*SERVING, "STOPPING"):
        raise Unfinished(
            f"Model version {arn} was still {version['Status']} after {waited(data)}; it is stopped "
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
