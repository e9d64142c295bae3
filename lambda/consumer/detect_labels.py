"""The example app's consumer: labels an image with the model version its environment names.

The stack sets ``MODEL_VERSION_ARN`` to the version it serves, so a new version reaches this function in
the same deployment that starts it. The event carries the image as base64 (``image``) or as an S3
object (``bucket`` and ``key``).
"""

from __future__ import annotations

import base64
import functools
import os
from typing import Any

import boto3


@functools.cache
def rekognition() -> Any:
    return boto3.client("rekognition")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    arn = os.environ["MODEL_VERSION_ARN"]
    if "image" in event:
        image: dict[str, Any] = {"Bytes": base64.b64decode(event["image"])}
    else:
        image = {"S3Object": {"Bucket": event["bucket"], "Name": event["key"]}}
    answer = rekognition().detect_custom_labels(
        ProjectVersionArn=arn, Image=image, MinConfidence=float(event.get("min_confidence", 50))
    )
    labels = [{"name": label["Name"], "confidence": label["Confidence"]} for label in answer["CustomLabels"]]
    return {"model_version_arn": arn, "labels": labels}
