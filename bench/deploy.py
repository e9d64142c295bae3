"""How a local deployment grows with the number of model versions in one stack.

For 1, 10 and 50 versions: deploy wall time minus the emulator's training time (the deployment's own
overhead, sequential as the driver creates resources one by one), Rekognition calls per poll (the
handler's; the Create invocation itself makes CreateProjectVersion plus one Describe), and provider
Lambda invocations per version.
"""

from __future__ import annotations

import io
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3

from localcloud.assembly import read_assembly
from localcloud.cfn_response import ResponseServer, make_test_certificate
from localcloud.deploy.engine import Engine, Printer
from localcloud.rekognition.service import Durations
from localcloud.sample_data import shapes_dataset
from localcloud.server import LocalCloud
from rekognition_custom_labels import ProjectVersion, TestingData, TrainingData

TRAINING_SECONDS = 2.0
SIZES = (1, 10, 50)


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
            testing_data=TestingData.AUTO_CREATE,
            output_bucket=output,
        )
    app.synth()
    (artifact,) = read_assembly(outdir)
    return artifact


def measure(versions: int, work: Path) -> dict[str, float]:
    stack = synth(work / f"out{versions}", versions)
    durations = Durations(training=TRAINING_SECONDS, starting=0.5, stopping=0.5, deleting=0.5)
    certificate = make_test_certificate(work / f"tls{versions}")
    calls: Counter[str] = Counter()
    with LocalCloud(durations=durations) as cloud, ResponseServer(certificate) as responses:
        cloud.client("s3").create_bucket(Bucket="bench-dataset")
        for key, body in shapes_dataset(bucket="bench-dataset", images_per_label=4).items():
            cloud.client("s3").put_object(Bucket="bench-dataset", Key=key, Body=body)
        handle = cloud.service.handle

        def counting_handle(operation: str, params: dict[str, Any], **kwargs: Any) -> Any:
            calls[operation] += 1
            return handle(operation, params, **kwargs)

        cloud.service.handle = counting_handle  # type: ignore[method-assign]
        engine = Engine(
            cloud,
            responses,
            cert_file=certificate.cert_file,
            printer=Printer(io.StringIO()),
            show_progress=False,
        )
        started = time.monotonic()
        engine.deploy(stack)
        wall = time.monotonic() - started
    invocations = engine.invocations
    polls = invocations["Poll"]
    describes = calls["DescribeProjectVersions"] - versions  # one per Create invocation, then one a poll
    return {
        "versions": versions,
        "wall_s": wall,
        "overhead_s": wall - versions * TRAINING_SECONDS,
        "overhead_per_version_s": (wall - versions * TRAINING_SECONDS) / versions,
        "rekognition_calls_per_poll": describes / polls if polls else 0.0,
        "invocations_per_version": sum(invocations.values()) / versions,
        "polls_per_version": polls / versions,
    }


def main(sizes: tuple[int, ...] = SIZES) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for versions in sizes:
            rows.append(measure(versions, Path(folder)))
    print(
        f"Local deployment (training {TRAINING_SECONDS:g} s a version, created one by one, polls 60x faster)"
    )
    header = ("versions", "wall s", "overhead s", "per version", "calls/poll", "invokes/ver", "polls/ver")
    print(" ".join(f"{name:>12}" for name in header))
    for row in rows:
        print(
            f"{row['versions']:>12.0f} {row['wall_s']:>12.1f} {row['overhead_s']:>12.1f} "
            f"{row['overhead_per_version_s']:>12.2f} {row['rekognition_calls_per_poll']:>12.2f} "
            f"{row['invocations_per_version']:>12.2f} {row['polls_per_version']:>12.2f}"
        )


if __name__ == "__main__":
    main(tuple(int(a) for a in sys.argv[1:]) or SIZES)
