"""The README's main command: app.py through its whole life, in the embedded local cloud.

Synthesizes app.py with the pinned CDK CLI, uploads a generated dataset to local S3, deploys, applies a
tag-only update (in place), changes the training data (a new model version replaces the old one),
destroys the stack, and checks that nothing is left behind.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .assembly import StackArtifact, read_assembly
from .cfn_response import ResponseServer, make_test_certificate
from .deploy.engine import Deployment, Engine, Printer
from .rekognition.service import Durations
from .sample_data import shapes_dataset
from .server import LocalCloud

ROOT = Path(__file__).resolve().parents[1]
DATASET_BUCKET = "rekcl-example-dataset"
DEMO_DURATIONS = Durations(training=8, starting=2, stopping=2, deleting=2, dataset=1, project_deleting=1)


def synth(outdir: Path, context: dict[str, str]) -> StackArtifact:
    """`cdk synth` of app.py with the pinned CLI (the same command a user runs before `cdk deploy`)."""
    arguments = [
        str(ROOT / "node_modules" / ".bin" / "cdk"),
        "synth",
        "--quiet",
        "--no-notices",
        "-o",
        str(outdir),
    ]
    for key, value in context.items():
        arguments += ["-c", f"{key}={value}"]
    environment = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}
    subprocess.run(arguments, cwd=ROOT, env=environment, check=True, stdout=subprocess.DEVNULL)
    (stack,) = read_assembly(outdir)
    return stack


def upload_dataset(cloud: LocalCloud) -> None:
    """Two versions of a small shapes dataset: the original and a re-labelled second release."""
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=DATASET_BUCKET)
    objects = {
        **shapes_dataset(bucket=DATASET_BUCKET, images_per_label=10),
        **shapes_dataset(bucket=DATASET_BUCKET, prefix="v2/", images_per_label=12, seed=1),
    }
    for key, body in objects.items():
        s3.put_object(Bucket=DATASET_BUCKET, Key=key, Body=body)
    print(f"Uploaded {len(objects)} objects (PNG images and Ground Truth manifests) to s3://{DATASET_BUCKET}")


def show_outputs(deployment: Deployment) -> None:
    print("Outputs:")
    for name, value in sorted(deployment.outputs.items()):
        print(f"  {name:<20} {value}")


def leftovers(cloud: LocalCloud) -> dict[str, list[Any]]:
    """Everything a destroyed stack of ours could leak, looked up in the local cloud."""
    rekognition = cloud.client("rekognition")
    projects = [
        p for p in rekognition.describe_projects()["ProjectDescriptions"] if p["Status"] != "DELETING"
    ]
    versions = [
        v
        for p in projects
        for v in rekognition.describe_project_versions(ProjectArn=p["ProjectArn"])[
            "ProjectVersionDescriptions"
        ]
    ]
    functions = cloud.client("lambda").list_functions()["Functions"]
    return {
        "projects": [p["ProjectArn"] for p in projects],
        "model versions": [v["ProjectVersionArn"] for v in versions],
        "running models": [
            v["ProjectVersionArn"] for v in versions if v["Status"] in ("RUNNING", "STARTING")
        ],
        "EventBridge rules": [r["Name"] for r in cloud.client("events").list_rules()["Rules"]],
        "Lambda functions and their permissions": [f["FunctionName"] for f in functions],
    }


def main() -> int:
    started = time.monotonic()
    printer = Printer()
    with tempfile.TemporaryDirectory(prefix="localcloud-demo-") as folder:
        work = Path(folder)
        certificate = make_test_certificate(work / "tls")
        with LocalCloud(durations=DEMO_DURATIONS) as cloud, ResponseServer(certificate) as responses:
            print(f"Local cloud (Rekognition Custom Labels emulator + moto) at {cloud.endpoint_url}")
            upload_dataset(cloud)
            engine = Engine(cloud, responses, cert_file=certificate.cert_file, printer=printer)

            print("\n== cdk synth + deploy: train the model version ==")
            stack = synth(work / "v1", {})
            deployment = engine.deploy(stack)
            show_outputs(deployment)
            first_arn = deployment.outputs["ProjectVersionArn"]

            print("\n== re-deploy with a new tag value: updated in place, no retraining ==")
            stack = synth(work / "v2", {"team": "research"})
            deployment = engine.deploy(stack, deployment)
            assert deployment.outputs["ProjectVersionArn"] == first_arn, "a tag change must not replace"
            print(f"Same model version: {first_arn}")

            print("\n== re-deploy with new training data: a new model version replaces the old one ==")
            stack = synth(
                work / "v3",
                {
                    "team": "research",
                    "training_manifest": "v2/manifests/train.manifest",
                    "testing_manifest": "v2/manifests/test.manifest",
                },
            )
            deployment = engine.deploy(stack, deployment)
            show_outputs(deployment)
            assert deployment.outputs["ProjectVersionArn"] != first_arn, "new data must train a new version"

            print("\n== cdk destroy ==")
            engine.destroy(deployment, stack)
            found = leftovers(cloud)
            print("\nLeft behind after destroy:")
            for what, items in found.items():
                print(f"  {what:<40} {len(items)}" + (f"  {items}" if items else ""))
    elapsed = time.monotonic() - started
    clean = not any(found.values())
    print(f"\n{'Nothing left behind.' if clean else 'LEAK: see above.'} Demo took {elapsed:.0f} s.")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
