"""How synthesis grows with the number of model versions in one stack.

Reports the median wall time of an in-process synth (bundling included), the template size, and the
provider's IAM policy size (IAM caps a role's inline policies at 10,240 characters; CDK moves overflow
into managed policies).
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3

from rekognition_custom_labels import ProjectVersion, TestingData, TrainingData

SIZES = (1, 10, 50)
REPEATS = 3


def build(outdir: Path, versions: int) -> Path:
    app = cdk.App(outdir=str(outdir), context={"@aws-cdk/aws-iam:minimizePolicies": True})
    stack = cdk.Stack(app, "Bench")
    data = s3.Bucket.from_bucket_name(stack, "Data", "bench-dataset")
    project = rekognition.CfnProject(stack, "Project", project_name="bench")
    for index in range(versions):
        ProjectVersion(
            stack,
            f"Model{index}",
            project=project,
            training_data=TrainingData.from_manifest(data, f"m{index}/train.manifest"),
            testing_data=TestingData.auto_create(),
        )
    app.synth()
    return outdir / "Bench.template.json"


def measure(versions: int) -> dict[str, float]:
    seconds = []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as folder:
            started = time.perf_counter()
            template_path = build(Path(folder), versions)
            seconds.append(time.perf_counter() - started)
            template = json.loads(template_path.read_text())
    policies = [
        r["Properties"]["PolicyDocument"]
        for r in template["Resources"].values()
        if r["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
    ]
    return {
        "versions": versions,
        "synth_s": statistics.median(seconds),
        "template_kb": len(json.dumps(template)) / 1024,
        "resources": len(template["Resources"]),
        "policy_docs": len(policies),
        "policy_chars": sum(len(json.dumps(p, separators=(",", ":"))) for p in policies),
    }


def main() -> None:
    rows = [measure(n) for n in SIZES]
    print(f"Synthesis (median of {REPEATS}, in-process, bundling included)")
    header = ("versions", "synth s", "template KB", "resources", "policies", "policy chars")
    print(" ".join(f"{name:>12}" for name in header))
    for row in rows:
        print(
            f"{row['versions']:>12} {row['synth_s']:>12.2f} {row['template_kb']:>12.1f} "
            f"{row['resources']:>12} {row['policy_docs']:>12} {row['policy_chars']:>12}"
        )
