"""Starting and stopping a trained model: one step per poll towards the units a resource asks for.

Rekognition cannot change the inference units of a running model: new units mean StopProjectVersion,
then StartProjectVersion once it is STOPPED (the model does not answer in between). A start that meets
the account's running-model quota fails at once: running models do not stop by themselves, so waiting
would only burn CloudFormation's deadline.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError
from resource_properties import MAX_INFERENCE_UNITS, Units
from version_lifecycle import QUOTA_ANSWERS, error_code

SERVING = frozenset({"STARTING", "RUNNING"})
STARTABLE = frozenset({"TRAINING_COMPLETED", "STOPPED", "FAILED"})
RUNNING_MODELS_QUOTA = 2
# Versions listed per page when naming the running ones in a quota Reason.
PAGE = 100


class StartFailed(RuntimeError):
    """The model cannot be started (or stopped) as asked; the message is the Reason."""


@dataclass(frozen=True)
class Step:
    done: bool
    status: str
    action: str = ""  # "start" or "stop" when this step asked for one


def serve_step(
    client: Any,
    starter: Any,
    project_arn: str,
    version: Mapping[str, Any],
    units: Units | None,
    *,
    started: bool,
    ours: bool,
) -> Step:
    """One step towards ``units`` (None: not serving) for a described ``version``.

    ``started``: this request has already asked for a start (a FAILED model then fails the request
    rather than being started again). ``ours``: the resource started the model before, so it may stop
    it when no units are asked for any more; a model someone else started is left alone.
    ``starter`` makes the StartProjectVersion call (one attempt: the quota answer is not retried).
    """
    arn, status = str(version["ProjectVersionArn"]), str(version["Status"])
    if units is None:
        if status == "RUNNING" and ours:  # a STARTING one is stopped once it runs (see delete_step)
            return _stop(client, arn, status)
        if status == "STARTING" and ours:
            return Step(done=False, status=status)
        return Step(done=status != "STOPPING" or not ours, status=status)
    if status == "RUNNING" and units.matches(version):
        return Step(done=True, status=status)
    if status == "RUNNING":  # other units: stop first, start again once STOPPED
        return _stop(client, arn, status)
    if status in ("STARTING", "STOPPING"):
        return Step(done=False, status=status)
    if status == "FAILED" and started:
        message = str(version.get("StatusMessage") or "the start failed")
        raise StartFailed(f"Model version {arn} failed to start: {message}")
    if status in STARTABLE:
        return _start(client, starter, project_arn, version, units)
    raise StartFailed(f"Model version {arn} cannot be started while its status is {status}")


def _stop(client: Any, arn: str, status: str) -> Step:
    try:
        client.stop_project_version(ProjectVersionArn=arn)
    except ClientError as error:
        if error_code(error) != "ResourceInUseException":  # its status moved on: look again next poll
            raise
    return Step(done=False, status=status, action="stop")


def _start(client: Any, starter: Any, project_arn: str, version: Mapping[str, Any], units: Units) -> Step:
    arn = str(version["ProjectVersionArn"])
    try:
        starter.start_project_version(ProjectVersionArn=arn, **units.request)
    except ClientError as error:
        if error_code(error) in QUOTA_ANSWERS:
            raise StartFailed(quota_reason(client, project_arn, version, units, error)) from error
        if error_code(error) != "ResourceInUseException":
            raise
    return Step(done=False, status=str(version["Status"]), action="start")


def quota_reason(
    client: Any, project_arn: str, version: Mapping[str, Any], units: Units, error: ClientError
) -> str:
    """Why the start failed, naming the running models of the version's project."""
    arn = str(version["ProjectVersionArn"])
    message = str(error.response.get("Error", {}).get("Message", ""))
    answer = f"{error_code(error)} ({message})" if message else error_code(error)
    running = _running_in_project(client, project_arn, arn)
    seen = (
        "; running in its project: " + ", ".join(f"{other} ({status})" for other, status in running)
        if running
        else "; none of them runs in its project (the others are in other projects)"
    )
    return (
        f"Model version {arn} could not be started with {units.describe()}: StartProjectVersion answered "
        f"{answer}. Rekognition runs at most {RUNNING_MODELS_QUOTA} models at once per account and at most "
        f"{MAX_INFERENCE_UNITS} inference units per model (service quotas){seen}. Stop a model or raise "
        "the quota, then deploy again."
    )


def _running_in_project(client: Any, project_arn: str, arn: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    request: dict[str, Any] = {"ProjectArn": project_arn, "MaxResults": PAGE}
    try:
        while True:
            page = client.describe_project_versions(**request)
            found += [
                (str(v["ProjectVersionArn"]), str(v["Status"]))
                for v in page.get("ProjectVersionDescriptions", [])
                if v["Status"] in SERVING and v["ProjectVersionArn"] != arn
            ]
            if not page.get("NextToken"):
                return found
            request["NextToken"] = page["NextToken"]
    except ClientError:
        return found  # the Reason still goes out, with what could be seen
