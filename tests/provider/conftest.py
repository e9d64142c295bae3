"""The handler, end to end: a local cloud, a local HTTPS ResponseURL, and CloudFormation's protocol."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.clock import ManualClock
from localcloud.deploy.cfn_response import CertificatePair, ResponseServer
from localcloud.gateway.server import LocalCloud
from localcloud.rekognition.service import Durations
from tests.localcloud.conftest import DATA_BUCKET, OUTPUT_BUCKET, Uploaded, dataset, s3  # noqa: F401

from .driver import CloudFormation

# Each phase lasts one to three one-minute polls, so a scenario needs few handler invocations.
DURATIONS = Durations(training=180, starting=60, stopping=60, deleting=60, dataset=20, project_deleting=20)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def cloud(clock: ManualClock) -> Iterator[LocalCloud]:
    with LocalCloud(clock=clock, durations=DURATIONS) as local_cloud:
        yield local_cloud


@pytest.fixture
def responses(certificate: CertificatePair) -> Iterator[ResponseServer]:
    with ResponseServer(certificate) as server:
        yield server


@pytest.fixture
def cfn(
    cloud: LocalCloud, clock: ManualClock, responses: ResponseServer, certificate: CertificatePair
) -> CloudFormation:
    return CloudFormation(cloud=cloud, clock=clock, responses=responses, cert_file=certificate.cert_file)


@pytest.fixture
def rekognition(cloud: LocalCloud) -> Any:
    return cloud.client("rekognition")


@pytest.fixture
def project_arn(rekognition: Any) -> str:
    arn: str = rekognition.create_project(ProjectName="shapes")["ProjectArn"]
    return arn


@pytest.fixture
def properties(project_arn: str, dataset: Uploaded) -> dict[str, Any]:  # noqa: F811 (the fixture)
    """What the construct renders for one model version (before CloudFormation stringifies it)."""
    return {
        "ProjectArn": project_arn,
        "VersionName": "Classifier-0123456789ab",
        "OutputConfig": {"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "Classifier/"},
        "TrainingData": dataset.training,
        "TestingData": dataset.testing,
        "VersionDescription": "Shapes classifier",
        "Tags": {"team": "vision"},
        "ServiceTimeout": 3600,
    }


def handler_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "lambda" / "project_version"
