"""The Reason of a failed training: the service's message, the data it was trained from, and where
Rekognition wrote its validation results.

DescribeProjectVersions gives a failed version's StatusMessage ("The manifest file extension or contents
are invalid.") and, once the data was read, ``ManifestSummary`` (the summary of what was wrong with it) and
each data kind's ``Validation`` manifests (every line with its errors). A user fixing the data needs those
locations, not only the message.
"""

from __future__ import annotations

from typing import Any

from resource_properties import manifest_objects, s3_uri

DATA_KINDS = (("training", "TrainingDataResult"), ("testing", "TestingDataResult"))


def failure_reason(version: dict[str, Any]) -> str:
    """``<message> (model version <arn> failed to train) Trained from ...; validation results: ...``"""
    message = str(version.get("StatusMessage") or "Training failed.")
    parts = [f"{message} (model version {version.get('ProjectVersionArn', '')} failed to train)"]
    inputs = [
        f"{s3_uri(obj)} ({kind})"
        for kind, member in DATA_KINDS
        for obj in manifest_objects(version.get(member, {}).get("Input"))
    ]
    if inputs:
        parts.append("Trained from " + ", ".join(inputs) + ".")
    results = [s3_uri(summary)] if (summary := version.get("ManifestSummary", {}).get("S3Object")) else []
    for _, member in DATA_KINDS:
        results += [s3_uri(obj) for obj in manifest_objects(version.get(member, {}).get("Validation"))]
    if results:
        parts.append("Rekognition's validation results: " + ", ".join(results) + ".")
    return " ".join(parts)
