"""The deploy engine on real synthesized stacks: one-minute polls on a clock that runs by itself."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.deploy.engine import Engine
from localcloud.deploy.stack_events import Printer
from localcloud.gateway.server import LocalCloud
from localcloud.samples.example_dataset import upload_example_dataset


@pytest.fixture
def local_cloud_preset() -> str:
    return "deploy"


@pytest.fixture
def engine(cloud: LocalCloud, certificate: CertificatePair, events: io.StringIO) -> Iterator[Engine]:
    """The deploy engine on the cloud, which holds the example app's dataset."""
    upload_example_dataset(cloud, images_per_label=4)
    with ResponseServer(certificate) as responses:
        yield Engine(cloud, responses, cert_file=certificate.cert_file, printer=Printer(events))
