"""The example app's dataset in local S3: the bucket and manifests app.py's default context names."""

from __future__ import annotations

from typing import Any, Protocol

from .shapes import shapes_dataset


class Clients(Protocol):
    """A local cloud in this process (``LocalCloud``) or one ``serve`` runs (``ServedCloud``)."""

    def client(self, service_name: str) -> Any: ...


EXAMPLE_BUCKET = "rekcl-example-dataset"


def upload_example_dataset(
    cloud: Clients, bucket: str = EXAMPLE_BUCKET, *, images_per_label: int = 10
) -> int:
    """Two releases of a small shapes dataset: ``manifests/`` and a larger, redrawn ``v2/manifests/``.

    Returns how many objects (PNG images and Ground Truth manifests) were uploaded.
    """
    s3 = cloud.client("s3")
    existing = {b["Name"] for b in s3.list_buckets()["Buckets"]}
    if bucket not in existing:
        s3.create_bucket(Bucket=bucket)
    objects = {
        **shapes_dataset(bucket=bucket, images_per_label=images_per_label),
        **shapes_dataset(bucket=bucket, prefix="v2/", images_per_label=images_per_label + 2, seed=1),
    }
    for key, body in objects.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body)
    return len(objects)
