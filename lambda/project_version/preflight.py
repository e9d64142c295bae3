"""What a training would fail on hours later, checked in seconds before CreateProjectVersion.

A typo in a manifest key, a dataset bucket not uploaded yet, an output bucket in another Region or a
disabled KMS key each let CreateProjectVersion succeed; the training then takes a slot of the account's
two, fails at its end with a message that names no object ("The manifest file extension or contents are
invalid."), and the rollback follows. These checks use only what the provider's role already may do for
the training itself (s3:GetObject on each manifest, kms:DescribeKey on the model's key), plus
s3:ListBucket on the output bucket, and each problem names the object and what is wrong with it, as
``s3://bucket/key: no such key``.

A check that cannot decide (throttled, a 5xx, an answer it does not know) lets the training go ahead:
only what would certainly fail the training stops it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from resource_properties import VersionSpec, manifest_objects, s3_uri
from version_lifecycle import error_code

LOG = logging.getLogger(__name__)

# S3 error code -> what it means for a manifest (GetObject of its first byte).
_MANIFEST_PROBLEMS = {
    "NoSuchKey": "no such key",
    "NoSuchBucket": "no such bucket",
    "NoSuchVersion": "no such version",
    "InvalidRange": "the manifest is empty",
    "AccessDenied": (
        "access denied to the provider's role (the key may not exist: S3 answers 403 for a missing key "
        "to a caller that may not list the bucket)"
    ),
}
_KEY_STATES_THAT_TRAIN = ("Enabled",)


class PreflightFailed(Exception):
    """The request would fail its training: the message names every problem found."""


def check(spec: VersionSpec, *, s3: Any, kms: Any) -> None:
    """Raise PreflightFailed naming every problem found; no AWS call of this check changes anything."""
    found = list(problems(spec, s3=s3, kms=kms))
    if found:
        raise PreflightFailed(
            f"Model version {spec.version_name} was not created: " + "; ".join(found) + ". Nothing was "
            "trained; fix the request and deploy again."
        )


def problems(spec: VersionSpec, *, s3: Any, kms: Any) -> Iterator[str]:
    for kind, member in (("training", "TrainingData"), ("testing", "TestingData")):
        for location in manifest_objects(spec.request.get(member)):
            problem = _manifest_problem(s3, location)
            if problem:
                yield f"{kind} manifest {s3_uri(location)}: {problem}"
    problem = _output_problem(s3, spec)
    if problem:
        yield problem
    key_id = spec.request.get("KmsKeyId")
    if key_id:
        problem = _key_problem(kms, str(key_id))
        if problem:
            yield f"KMS key {key_id}: {problem}"


def _manifest_problem(s3: Any, location: dict[str, Any]) -> str | None:
    request = {"Bucket": location["Bucket"], "Key": location["Name"], "Range": "bytes=0-0"}
    if location.get("Version"):
        request["VersionId"] = location["Version"]
    try:
        s3.get_object(**request)["Body"].close()
    except ClientError as error:
        code = error_code(error)
        if code == "InvalidArgument" and "VersionId" in request:
            return "no such version"
        if code in _MANIFEST_PROBLEMS:
            return _MANIFEST_PROBLEMS[code]
        return _undecided("GetObject", error)
    except BotoCoreError as error:
        return _undecided("GetObject", error)
    return None


def _output_problem(s3: Any, spec: VersionSpec) -> str | None:
    """The output bucket exists, belongs to the project's account and is in the project's Region."""
    bucket = str(spec.request["OutputConfig"]["S3Bucket"])
    _, _, _, region, account = spec.project_arn.split(":")[:5]
    try:
        answer = s3.head_bucket(Bucket=bucket, ExpectedBucketOwner=account)
    except ClientError as error:
        metadata = error.response.get("ResponseMetadata", {})
        status = metadata.get("HTTPStatusCode")
        elsewhere = metadata.get("HTTPHeaders", {}).get("x-amz-bucket-region")
        if status == 301 and elsewhere and elsewhere != region:  # not followed to the bucket's Region
            return _elsewhere(bucket, elsewhere, region)
        if status == 404 or error_code(error) in ("404", "NoSuchBucket"):
            return f"output bucket s3://{bucket}: no such bucket"
        if status == 403:
            return (
                f"output bucket s3://{bucket}: not this account's ({account}), or the provider's role may "
                "not list it (s3:ListBucket, which HeadBucket needs: 403)"
            )
        return _undecided("HeadBucket", error)
    except BotoCoreError as error:
        return _undecided("HeadBucket", error)
    headers = answer.get("ResponseMetadata", {}).get("HTTPHeaders", {})
    where = answer.get("BucketRegion") or headers.get("x-amz-bucket-region")
    if where and where != region:
        return _elsewhere(bucket, where, region)
    return None


def _elsewhere(bucket: str, where: str, region: str) -> str:
    return (
        f"output bucket s3://{bucket}: in {where}, while Rekognition trains this project in {region} "
        "and writes only to a bucket of that Region"
    )


def _key_problem(kms: Any, key_id: str) -> str | None:
    try:
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    except ClientError as error:
        code = error_code(error)
        if code == "NotFoundException":
            return "no such key or alias"
        if code == "AccessDeniedException":
            return "the provider's role may not describe it (kms:DescribeKey), so training could not use it"
        return _undecided("DescribeKey", error)
    except BotoCoreError as error:
        return _undecided("DescribeKey", error)
    state = str(metadata.get("KeyState", "Enabled"))
    if state not in _KEY_STATES_THAT_TRAIN:
        return f"the key is {state}; training encrypts with it, so it must be Enabled"
    return None


def _undecided(operation: str, error: Exception) -> str | None:
    """No verdict (None): the training goes ahead and reports anything real itself."""
    LOG.warning("Preflight %s could not decide (%s); the training goes ahead", operation, error)
    return None
