"""A client that keeps calling the served model while a deployment runs (shared by the serving tests)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from localcloud.gateway.server import LocalCloud
from localcloud.samples.example_dataset import EXAMPLE_BUCKET


def probe(cloud: LocalCloud, arn_now: Mapping[str, str], done: threading.Event) -> dict[str, Any]:
    """DetectCustomLabels on the ARN the stack outputs at each moment, until ``done``."""
    image = {"S3Object": {"Bucket": EXAMPLE_BUCKET, "Name": _an_image(cloud)}}
    client = cloud.client("rekognition")
    seen: dict[str, Any] = {"calls": 0, "failures": [], "arns": []}
    while not done.is_set():
        arn = arn_now["arn"]
        try:
            client.detect_custom_labels(ProjectVersionArn=arn, Image=image)
        except client.exceptions.ClientError as error:
            seen["failures"].append((arn, str(error)))
        seen["calls"] += 1
        if arn not in seen["arns"]:
            seen["arns"].append(arn)
        done.wait(0.02)
    return seen


def _an_image(cloud: LocalCloud) -> str:
    keys = cloud.client("s3").list_objects_v2(Bucket=EXAMPLE_BUCKET)["Contents"]
    return next(str(k["Key"]) for k in keys if k["Key"].endswith(".png") and not k["Key"].startswith("v2/"))
