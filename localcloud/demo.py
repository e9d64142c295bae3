"""The README's main command: app.py through its whole life, in the embedded local cloud.

Runs the very commands a user types (``python -m localcloud ...``), each in its own process acting on
one saved local cloud: upload a generated dataset to local S3, deploy (``cdk synth`` with the pinned CLI
first), apply a tag-only update (in place), change the training data (a new model version replaces the
old one), destroy, and check that nothing is left behind.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .cdk_cli import ROOT
from .inventory import inventory_lines, leftovers
from .workspace import Workspace

V2_DATA = [
    "-c",
    "training_manifest=v2/manifests/train.manifest",
    "-c",
    "testing_manifest=v2/manifests/test.manifest",
]


def run(state: Path, *arguments: str, quiet: bool = False) -> str:
    print(f"\n$ python -m localcloud {' '.join(arguments)}", flush=True)
    command = [sys.executable, "-m", "localcloud", *arguments, "--state", str(state)]
    result = subprocess.run(
        command, cwd=ROOT, check=True, stdout=subprocess.PIPE if quiet else None, text=True
    )
    return result.stdout or ""


def version_arn(state: Path) -> str:
    workspace = Workspace(state)
    (name,) = workspace.stack_names()
    deployment = workspace.load(name)
    assert deployment is not None
    return str(deployment.outputs["ProjectVersionArn"])


def main() -> int:
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="localcloud-demo-") as folder:
        state = Path(folder) / "state"
        print("== the example's dataset: generated PNG images and Ground Truth manifests ==")
        run(state, "sample-data")

        print("\n== cdk synth + deploy: train the model version ==")
        run(state, "deploy")
        first_arn = version_arn(state)
        run(state, "status")

        print("\n== re-deploy with a new tag value: updated in place, no retraining ==")
        run(state, "deploy", "-c", "team=research")
        assert version_arn(state) == first_arn, "a tag change must not replace the model version"
        print(f"Same model version: {first_arn}")

        print("\n== re-deploy with new training data: a new model version replaces the old one ==")
        run(state, "deploy", "-c", "team=research", *V2_DATA)
        assert version_arn(state) != first_arn, "new training data must train a new model version"

        print("\n== cdk destroy ==")
        run(state, "destroy", "--force")
        found = leftovers(json.loads(run(state, "status", "--json", quiet=True))["cloud"])
    print("Left behind after destroy:")
    print("\n".join(inventory_lines(found)))
    elapsed = time.monotonic() - started
    clean = not any(found.values())
    print(f"\n{'Nothing left behind.' if clean else 'LEAK: see above.'} Demo took {elapsed:.0f} s.")
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
