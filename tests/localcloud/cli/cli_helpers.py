"""Running ``python -m localcloud`` as a user does, and looking into the state it leaves."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from localcloud.cli.commands import Options, opened
from localcloud.deploy.deployment import Deployment
from localcloud.state.inventory import inventory, leftovers
from localcloud.state.workspace import Workspace
from tests.repository import ROOT

STACK = "RekognitionCustomLabelsExample"
V2_DATA = {
    "training_manifest": "v2/manifests/train.manifest",
    "testing_manifest": "v2/manifests/test.manifest",
}


def localcloud(
    state: Path, *args: str, cwd: Path = ROOT, answer: str | None = None
) -> subprocess.CompletedProcess[str]:
    """One command in its own process, as a user runs it (fast training and polls); ``answer`` is what
    is typed at a question (none: standard input is empty)."""
    command = [sys.executable, "-m", "localcloud", "--state", str(state), "--training-seconds", "1"]
    command += ["--time-scale", "240", *args]
    return subprocess.run(
        command,
        cwd=cwd,
        input=answer or "",
        capture_output=True,
        text=True,
        timeout=600,
    )


def deployed(state: Path) -> Deployment:
    """The one stack recorded in the state directory."""
    (name,) = Workspace(state).stack_names()
    deployment = Workspace(state).load(name)
    assert deployment is not None
    return deployment


def look(state: Path) -> dict[str, Any]:
    """What the saved local cloud holds, seen through a local cloud opened from it in this process:
    model version ARNs (not those being deleted) and their tags, bucket names, and what a destroyed
    stack must not leave."""
    with opened(Options(Workspace(state))) as cloud:
        found = inventory(cloud)
        rekognition = cloud.client("rekognition")
        arns = [v["arn"] for v in found["model_versions"] if v["status"] != "DELETING"]
        return {
            "model versions": arns,
            "tags": {arn: rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"] for arn in arns},
            "buckets": [b["name"] for b in found["s3_buckets"]],
            "leftovers": leftovers(found),
        }


def nothing_of_ours(found: dict[str, Any]) -> bool:
    return not any(found["leftovers"].values())
