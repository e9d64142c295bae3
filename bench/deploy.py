"""How a local deployment of N model versions compares with what the account's training quota allows.

Each version trains for ``TRAINING_SECONDS`` (a 30-minute training, the shortest the service takes) on a
clock ``TIME_SCALE`` times faster than real time while the cloud waits (30 real seconds; a 1-minute poll
fires every local minute). The account trains at most 2 versions at once, so N versions need at least
ceil(N/2) training rounds plus one poll to notice the last one finished: the lower bound. The engine
creates independent resources concurrently, as CloudFormation does; versions without a slot wait, one
CreateProjectVersion per poll. The emulator enforces the 5-calls-per-second control-plane quota, scaled
with the clock.

Printed per N: deploy wall time, the lower bound, their ratio, Rekognition calls per handler invocation
(first invocation or poll), the peak control-plane request rate (in any one wall-clock second, and per
real second on the unscaled clock), and ThrottlingException answers.
"""

from __future__ import annotations

import contextlib
import io
import math
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3

from localcloud.clock import ScaledClock
from localcloud.deploy.assembly import read_assembly
from localcloud.deploy.custom_resources.response_url import ResponseServer, make_test_certificate
from localcloud.deploy.engine import Engine
from localcloud.deploy.stack_events import Printer
from localcloud.gateway.server import LocalCloud
from localcloud.rekognition.calls import peak_rate
from localcloud.rekognition.faults import CONTROL_PLANE
from localcloud.rekognition.service import Durations
from localcloud.samples.shapes import shapes_dataset
from rekognition_custom_labels import ProjectVersion, TestingData, TrainingData

TIME_SCALE = 60.0
TRAINING_SECONDS = 1800.0  # local seconds: a 30-minute training
POLL_SECONDS = 60.0
CONTROL_PLANE_TPS = 5
SIZES = (1, 4, 10, 50)
HANDLER_OPERATIONS = ("CreateProjectVersion", "DescribeProjectVersions", "ListTagsForResource", "TagResource")


def synth(outdir: Path, versions: int) -> Any:
    app = cdk.App(outdir=str(outdir))
    stack = cdk.Stack(app, "Bench")
    data = s3.Bucket.from_bucket_name(stack, "Data", "bench-dataset")
    output = s3.Bucket(stack, "Out", removal_policy=cdk.RemovalPolicy.DESTROY, auto_delete_objects=True)
    project = rekognition.CfnProject(stack, "Project", project_name="bench")
    for index in range(versions):
        ProjectVersion(
            stack,
            f"Model{index}",
            project=project,
            training_data=TrainingData.from_manifest(data, "manifests/train.manifest"),
            testing_data=TestingData.auto_create(),
            output_bucket=output,
        )
    app.synth()
    (artifact,) = read_assembly(outdir)
    return artifact


@contextlib.contextmanager
def local_engine(
    work: Path, name: str, durations: Durations, *, time_scale: float
) -> Iterator[tuple[LocalCloud, Engine]]:
    """A local cloud holding the bench dataset on a clock ``time_scale`` faster, and a quiet engine for it."""
    certificate = make_test_certificate(work / f"tls-{name}")
    clock = ScaledClock(time_scale)
    with LocalCloud(durations=durations, clock=clock) as cloud, ResponseServer(certificate) as responses:
        cloud.client("s3").create_bucket(Bucket="bench-dataset")
        for key, body in shapes_dataset(bucket="bench-dataset", images_per_label=4).items():
            cloud.client("s3").put_object(Bucket="bench-dataset", Key=key, Body=body)
        printer = Printer(io.StringIO())
        yield (
            cloud,
            Engine(
                cloud,
                responses,
                cert_file=certificate.cert_file,
                printer=printer,
                show_progress=False,
            ),
        )


def lower_bound(versions: int) -> float:
    return (math.ceil(versions / 2) * TRAINING_SECONDS + POLL_SECONDS) / TIME_SCALE


def measure(versions: int, work: Path) -> dict[str, float]:
    stack = synth(work / f"out{versions}", versions)
    durations = Durations(training=TRAINING_SECONDS, starting=60, stopping=60, deleting=60)
    with local_engine(work, str(versions), durations, time_scale=TIME_SCALE) as (cloud, engine):
        cloud.service.faults.limit_tps(int(CONTROL_PLANE_TPS * TIME_SCALE))  # the quota, on this clock
        cloud.service.calls.clear()
        started = time.monotonic()
        engine.deploy(stack)
        wall = time.monotonic() - started
        calls = cloud.service.calls.calls()
    control_plane = [c for c in calls if c.operation in CONTROL_PLANE]
    handler_calls = sum(1 for c in calls if c.operation in HANDLER_OPERATIONS)
    invocations = sum(engine.invocations.values())
    peak = peak_rate(control_plane)
    return {
        "versions": versions,
        "wall_s": wall,
        "bound_s": lower_bound(versions),
        "ratio": wall / lower_bound(versions),
        "calls_per_invocation": handler_calls / invocations if invocations else 0.0,
        "peak_per_s": peak,
        "peak_per_real_s": peak / TIME_SCALE,
        "throttled": sum(1 for c in calls if c.error == "ThrottlingException"),
    }


def main(sizes: tuple[int, ...] = SIZES) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for versions in sizes:
            rows.append(measure(versions, Path(folder)))
    print(
        f"Local deployment: a {TRAINING_SECONDS / 60:g}-minute training a version on a clock "
        f"{TIME_SCALE:g}x faster while the cloud waits (a poll every {POLL_SECONDS:g} local s), "
        "2 trainings at a time"
    )
    header = (
        "versions",
        "wall s",
        "bound s",
        "ratio",
        "calls/invoke",
        "peak/s",
        "peak/real s",
        "throttled",
    )
    print(" ".join(f"{name:>12}" for name in header))
    for row in rows:
        print(
            f"{row['versions']:>12.0f} {row['wall_s']:>12.1f} {row['bound_s']:>12.1f} {row['ratio']:>12.2f} "
            f"{row['calls_per_invocation']:>12.2f} {row['peak_per_s']:>12.0f} "
            f"{row['peak_per_real_s']:>12.2f} {row['throttled']:>12.0f}"
        )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
