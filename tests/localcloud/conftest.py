"""A local cloud per test, on a clock that moves only when the test says so."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.rekognition.service import Durations
from localcloud.samples.shapes import shapes_dataset

# Realistic proportions, instant in tests: the clock is advanced by hand.
DURATIONS = Durations(training=600, starting=120, stopping=60, deleting=30, dataset=20, project_deleting=20)
DATA_BUCKET = "custom-labels-data"
OUTPUT_BUCKET = "custom-labels-output"


@dataclass
class Uploaded:
    bucket: str
    train_key: str
    test_key: str
    keys: list[str]

    def asset(self, key: str) -> dict[str, Any]:
        return {"Assets": [{"GroundTruthManifest": {"S3Object": {"Bucket": self.bucket, "Name": key}}}]}

    @property
    def training(self) -> dict[str, Any]:
        return self.asset(self.train_key)

    @property
    def testing(self) -> dict[str, Any]:
        return self.asset(self.test_key)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud(clock: ManualClock) -> Iterator[LocalCloud]:
    with LocalCloud(clock=clock, durations=DURATIONS) as local_cloud:
        yield local_cloud


@pytest.fixture
def rekognition(cloud: LocalCloud) -> Any:
    return cloud.client("rekognition")


@pytest.fixture
def s3(cloud: LocalCloud) -> Any:
    return cloud.client("s3")


def upload_shapes(s3: Any, images_per_label: int = 10) -> Uploaded:
    """The generated shapes dataset in local S3, and an empty output bucket."""
    s3.create_bucket(Bucket=DATA_BUCKET)
    s3.create_bucket(Bucket=OUTPUT_BUCKET)
    objects = shapes_dataset(bucket=DATA_BUCKET, images_per_label=images_per_label)
    for key, body in objects.items():
        s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
    return Uploaded(DATA_BUCKET, "manifests/train.manifest", "manifests/test.manifest", sorted(objects))


@pytest.fixture
def dataset(s3: Any) -> Uploaded:
    return upload_shapes(s3)


@pytest.fixture
def project_arn(rekognition: Any) -> str:
    arn: str = rekognition.create_project(ProjectName="shapes")["ProjectArn"]
    return arn
