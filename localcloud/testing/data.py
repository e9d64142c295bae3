"""Training data in a local cloud, for tests: the generated shapes dataset and where it is.

``upload_shapes`` puts the dataset (PNG images and Ground Truth manifests) into one bucket and makes an
empty output bucket beside it; ``Uploaded`` says where each manifest is, in the request shapes
CreateProjectVersion takes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..samples.shapes import shapes_dataset

DATA_BUCKET = "custom-labels-data"
OUTPUT_BUCKET = "custom-labels-output"


def manifest_asset(bucket: str, key: str, version: str | None = None) -> dict[str, Any]:
    """A TrainingData/TestingData ``Assets`` entry for one Ground Truth manifest in S3."""
    s3_object = {"Bucket": bucket, "Name": key, **({"Version": version} if version else {})}
    return {"Assets": [{"GroundTruthManifest": {"S3Object": s3_object}}]}


@dataclass
class Uploaded:
    bucket: str
    train_key: str
    test_key: str
    keys: list[str]

    def asset(self, key: str) -> dict[str, Any]:
        return manifest_asset(self.bucket, key)

    @property
    def training(self) -> dict[str, Any]:
        return self.asset(self.train_key)

    @property
    def testing(self) -> dict[str, Any]:
        return self.asset(self.test_key)


def upload_shapes(s3: Any, images_per_label: int = 10) -> Uploaded:
    """The generated shapes dataset in local S3, and an empty output bucket."""
    s3.create_bucket(Bucket=DATA_BUCKET)
    s3.create_bucket(Bucket=OUTPUT_BUCKET)
    objects = shapes_dataset(bucket=DATA_BUCKET, images_per_label=images_per_label)
    for key, body in objects.items():
        s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
    return Uploaded(DATA_BUCKET, "manifests/train.manifest", "manifests/test.manifest", sorted(objects))
