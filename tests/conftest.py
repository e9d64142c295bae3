"""Shared test set-up: jsii and the CDK CLI run on the virtual environment's Node (>= 22), and the short
names this project's tests give the ``localcloud`` plugin's fixtures (``localcloud.testing``), with the
shapes dataset and a project in the cloud. A folder's ``conftest.py`` picks its cloud's preset by
overriding ``local_cloud_preset``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from localcloud.clock import Clock
from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.gateway.server import LocalCloud
from localcloud.testing.data import Uploaded, upload_shapes
from tests.repository import ROOT

# Before aws_cdk is imported anywhere: jsii starts `node` from PATH, and the system one is end of life.
os.environ["PATH"] = os.pathsep.join(
    [str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin"), os.environ.get("PATH", "")]
)


LONGEST_FIRST = ("slow", "scenario")  # processes of the CLI, CDK and wheel; then played scenarios


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The long tests first (``slow``, then ``scenario``), each group in collection order. ``make test``
    hands the next tests to whichever xdist worker is free, so the longest start first; in collection
    order the wheel's test (two minutes) came last and the run ended on it and its kind."""

    def rank(item: pytest.Item) -> int:
        marked = [i for i, name in enumerate(LONGEST_FIRST) if item.get_closest_marker(name)]
        return min(marked, default=len(LONGEST_FIRST))

    items.sort(key=rank)


@pytest.fixture
def cloud(local_cloud: LocalCloud) -> LocalCloud:
    return local_cloud


@pytest.fixture
def clock(local_cloud_clock: Clock) -> Clock:
    return local_cloud_clock


@pytest.fixture(scope="session")
def certificate(local_cloud_certificate: CertificatePair) -> CertificatePair:
    return local_cloud_certificate


@pytest.fixture
def responses(local_cloud_responses: ResponseServer) -> ResponseServer:
    return local_cloud_responses


@pytest.fixture
def rekognition(cloud: LocalCloud) -> Any:
    return cloud.client("rekognition")


@pytest.fixture
def s3(cloud: LocalCloud) -> Any:
    return cloud.client("s3")


@pytest.fixture
def dataset(s3: Any) -> Uploaded:
    """The generated shapes dataset in the cloud's S3, and an empty output bucket."""
    return upload_shapes(s3)


@pytest.fixture
def project_arn(rekognition: Any) -> str:
    arn: str = rekognition.create_project(ProjectName="shapes")["ProjectArn"]
    return arn
