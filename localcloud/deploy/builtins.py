"""Stand-ins for CDK's own Node.js custom resources, whose handlers need the AWS SDK of the Node runtime.

Each does locally what the real handler does in AWS; the engine reports them as emulated.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def _empty_bucket(s3: Any, bucket: str) -> None:
    """What CDK's auto-delete handler does before the bucket is deleted: remove every object version."""
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=bucket)
        for page in pages:
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
            ]
            if doomed:
                s3.delete_objects(Bucket=bucket, Delete={"Objects": doomed})
    except s3.exceptions.NoSuchBucket:
        return


def auto_delete_objects(
    request_type: str, properties: Mapping[str, Any], client: Callable[[str], Any]
) -> None:
    if request_type == "Delete":
        _empty_bucket(client("s3"), str(properties["BucketName"]))


BUILTINS: dict[str, Callable[[str, Mapping[str, Any], Callable[[str], Any]], None]] = {
    "Custom::S3AutoDeleteObjects": auto_delete_objects,
}
