"""The model version's phases as plain functions over a Rekognition client: train, watch, tag, delete.

Each function makes few calls (a poll makes one Describe, plus at most one action), so a stack of many
versions stays inside Custom Labels' 5-calls-per-second control-plane quota.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from resource_properties import OWNER_TAG, VERSION_ARN, VersionSpec

TRANSIENT = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "InternalServerError",
        "ServiceUnavailable",
        "ServiceUnavailableException",
        "RequestTimeout",
        "RequestTimeoutException",
    }
)
# StartProjectVersion's answers when the account runs as many models as it may: both fail a start at once.
QUOTA_ANSWERS = frozenset({"LimitExceededException", "ServiceQuotaExceededException"})
# CreateProjectVersion's answer when the account trains as many versions as it may (2; 1 in Sydney): a
# slot frees when a training ends, so it is waited for. Its ServiceQuotaExceededException (such as the
# versions a project may hold) never frees by itself: it fails at once (QuotaExceeded).
NO_SLOT = frozenset({"LimitExceededException"})
# Tries of one CreateProjectVersion call against throttling and 5xx (never against NO_SLOT).
CREATE_ATTEMPTS = 3
# What a delete has to wait for, and why, in words for a FAILED Reason.
WAIT_REASONS = {
    "TRAINING_IN_PROGRESS": "it is still training, and Rekognition cannot delete a model while it trains",
    "STARTING": "it is starting, and Rekognition documents stopping a running model only; it is stopped "
    "once RUNNING",
    "RUNNING": "it is running; it is stopped first",
    "STOPPING": "it is stopping",
    "DELETING": "Rekognition is deleting it",
    "COPYING_IN_PROGRESS": "it is being copied",
}


class NotOurs(RuntimeError):
    """A version with the requested name exists and this resource did not create it."""


class QuotaExceeded(RuntimeError):
    """CreateProjectVersion answered a quota that waiting does not free."""


def is_transient(error: Exception) -> bool:
    """Throttling, 5xx and connection trouble: try again at the next poll instead of failing."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code")) in TRANSIENT
    return isinstance(error, (BotocoreConnectionError, HTTPClientError))


def no_training_slot(error: Exception) -> bool:
    return isinstance(error, ClientError) and error_code(error) in NO_SLOT


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def answered(error: Exception) -> str:
    """The error in a few words for a Reason: its code and (the start of) its message."""
    if isinstance(error, ClientError):
        message = str(error.response.get("Error", {}).get("Message", ""))
        return f"{error_code(error)} ({message[:160]})" if message else error_code(error)
    return type(error).__name__


def is_version_arn(value: str) -> bool:
    return bool(VERSION_ARN.fullmatch(value))


def version_name_of(arn: str) -> str:
    return arn.split("/")[3]


def owner_value(stack_id: str, logical_id: str, fingerprint: str) -> str:
    """``<resource hash>/<model hash>``: who owns the version, and what it was trained from."""
    resource = hashlib.sha256(f"{stack_id}|{logical_id}".encode()).hexdigest()[:32]
    return f"{resource}/{fingerprint[:32]}"


def same_owner(tag_value: str | None, owner: str) -> bool:
    return tag_value is not None and tag_value.split("/")[0] == owner.split("/")[0]


def find_version(client: Any, project_arn: str, name: str) -> dict[str, Any] | None:
    """The version's description, or None when it (or its project) no longer exists."""
    try:
        described = client.describe_project_versions(ProjectArn=project_arn, VersionNames=[name])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
    versions: list[dict[str, Any]] = described.get("ProjectVersionDescriptions", [])
    return versions[0] if versions else None


def tags_of(client: Any, arn: str) -> dict[str, str]:
    tags: dict[str, str] = client.list_tags_for_resource(ResourceArn=arn).get("Tags", {})
    return tags


def create_version(trainer: Any, request: dict[str, Any], sleep: Any = time.sleep) -> str:
    """One CreateProjectVersion, retried a little against throttling and 5xx but never against the
    training quota (``trainer`` makes one attempt per call): a quota answer is raised at once."""
    attempt = 1
    while True:
        try:
            return str(trainer.create_project_version(**request)["ProjectVersionArn"])
        except (ClientError, BotoCoreError) as error:
            if not is_transient(error) or attempt >= CREATE_ATTEMPTS:
                raise
        sleep(random.uniform(0, 0.5 * 2**attempt))  # full jitter, as botocore's standard mode
        attempt += 1


def start_training(client: Any, spec: VersionSpec, owner: str, trainer: Any | None = None) -> str:
    """CreateProjectVersion, or adopt the version a previous attempt of this same request created.

    ``trainer`` makes the Create call (one attempt per call, see ``create_version``); lookups use
    ``client``. A quota answer (``NO_SLOT``) is raised for the caller to wait for a slot, unless the
    version is already there: a retried Create whose first answer was lost adopts its own version whatever
    the order in which the service checks the name and the quota (it is not documented).
    """
    request = {**spec.request, "VersionName": spec.version_name, "Tags": {**spec.tags, OWNER_TAG: owner}}
    try:
        return create_version(trainer or client, request)
    except ClientError as error:
        code = error_code(error)
        if code == "ServiceQuotaExceededException":
            message = str(error.response.get("Error", {}).get("Message", ""))
            raise QuotaExceeded(
                f"Model version {spec.version_name} was not created: CreateProjectVersion answered "
                f"ServiceQuotaExceededException ({message or 'no message'}), a quota that waiting does not "
                "free, such as the model versions a project may hold. Delete the versions the project no "
                "longer needs, or ask for a higher quota in Service Quotas (Amazon Rekognition)."
            ) from error
        if code != "ResourceInUseException" and code not in NO_SLOT:
            raise
        existing = find_version(client, spec.project_arn, spec.version_name)
        if existing is None:
            raise
        arn = str(existing["ProjectVersionArn"])
        recorded = tags_of(client, arn).get(OWNER_TAG)
        if not same_owner(recorded, owner):
            raise NotOurs(
                f"model version {spec.version_name} already exists in project {spec.project_arn} and was not "
                f"created by this resource ({arn}); it is left untouched: choose another VersionName"
            ) from error
        if recorded != owner or existing["Status"] == "DELETING":
            raise NotOurs(
                f"model version {spec.version_name} ({arn}) was created by this resource from other "
                f"properties, or is being deleted; it is left untouched: choose another VersionName"
            ) from error
        return arn


def sync_tags(client: Any, arn: str, desired: dict[str, str]) -> None:
    """Make the version's tags ``desired``, keeping the ownership tag; no call when nothing changed."""
    current = tags_of(client, arn)
    removed = [key for key in current if key not in desired and key != OWNER_TAG]
    changed = {key: value for key, value in desired.items() if current.get(key) != value}
    if removed:
        client.untag_resource(ResourceArn=arn, TagKeys=removed)
    if changed:
        client.tag_resource(ResourceArn=arn, Tags=changed)


def attributes(version: dict[str, Any]) -> dict[str, str]:
    """``Fn::GetAtt`` values of a trained version (strings, as CloudFormation stores them)."""
    summary = version.get("EvaluationResult", {}).get("Summary", {}).get("S3Object", {})
    values = {
        "Arn": version["ProjectVersionArn"],
        "VersionName": version_name_of(version["ProjectVersionArn"]),
        "Status": version["Status"],
        "F1Score": version.get("EvaluationResult", {}).get("F1Score"),
        "EvaluationSummaryBucket": summary.get("Bucket"),
        "EvaluationSummaryKey": summary.get("Name"),
        "BillableTrainingTimeInSeconds": version.get("BillableTrainingTimeInSeconds"),
    }
    return {key: str(value) for key, value in values.items() if value is not None}


@dataclass(frozen=True)
class DeleteProgress:
    gone: bool
    status: str = ""
    since: str = ""  # when the version was created (training began), for a Reason

    @property
    def why(self) -> str:
        return WAIT_REASONS.get(self.status, f"its status is {self.status}")


def delete_step(client: Any, project_arn: str, arn: str) -> DeleteProgress:
    """One step towards "gone": stop a running model, delete a stopped or trained one, else wait."""
    version = find_version(client, project_arn, version_name_of(arn))
    if version is None or version["ProjectVersionArn"] != arn:
        return DeleteProgress(gone=True)
    status = str(version["Status"])
    try:
        if status == "RUNNING":  # a STARTING one is waited for: stopping is documented for running models
            client.stop_project_version(ProjectVersionArn=arn)
        elif status not in WAIT_REASONS:
            client.delete_project_version(ProjectVersionArn=arn)
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return DeleteProgress(gone=True)
        if error_code(error) != "ResourceInUseException":  # in use: its status moved on; look again next poll
            raise
    created: Any = version.get("CreationTimestamp")
    since = created.isoformat() if hasattr(created, "isoformat") else str(created or "")
    return DeleteProgress(gone=False, status=status, since=since)
