"""The local deploy driver on real synthesized stacks, with short phases and fast polling."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

import app as example
from localcloud.deploy.assembly import StackArtifact, read_assembly
from localcloud.deploy.cfn_response import CertificatePair, ResponseServer
from localcloud.deploy.engine import Engine
from localcloud.deploy.stack_events import Printer
from localcloud.gateway.server import LocalCloud
from localcloud.samples.example_dataset import EXAMPLE_BUCKET, upload_example_dataset
from localcloud.testing.clouds import started_cloud

DATASET_BUCKET = EXAMPLE_BUCKET

Synth = Callable[..., StackArtifact]


@pytest.fixture
def cloud() -> Iterator[LocalCloud]:
    with started_cloud("deploy") as local_cloud:
        upload_example_dataset(local_cloud, images_per_label=4)
        yield local_cloud


@pytest.fixture
def events() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def engine(cloud: LocalCloud, certificate: CertificatePair, events: io.StringIO) -> Iterator[Engine]:
    with ResponseServer(certificate) as responses:
        yield Engine(cloud, responses, cert_file=certificate.cert_file, printer=Printer(events))


@pytest.fixture
def synth(tmp_path: Path) -> Synth:
    """Synthesize app.py's stack in-process (bundling included) with the given context."""
    counter = iter(range(1000))

    def run(stack_builder: Callable[[cdk.App], Any] | None = None, **context: str) -> StackArtifact:
        outdir = tmp_path / f"cdk.out.{next(counter)}"
        app = cdk.App(outdir=str(outdir), context=context)
        if stack_builder is None:
            example.ExampleStack(app, "Example")
        else:
            stack_builder(app)
        app.synth()
        (stack,) = read_assembly(outdir)
        return stack

    return run
