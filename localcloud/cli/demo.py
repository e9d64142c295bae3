"""The README's main command: app.py through its whole life, in the embedded local cloud.

Runs the very commands a user types (``python -m localcloud ...``), each in its own process acting on
one saved local cloud: upload a generated dataset to local S3, deploy (the assembly ``make demo`` has
synthesized, or ``cdk synth`` with the pinned CLI first: train, gate, start), label a sample image through
the app's consumer Lambda, apply a tag-only update (in place), change the training data (a new model
version takes over while a probe keeps calling DetectCustomLabels on the ARN the stack outputs: none of its
calls may fail), destroy, and check that nothing is left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..deploy.cdk_cli import ROOT
from ..samples.example_dataset import EXAMPLE_BUCKET
from ..samples.rollover_probe import Probe
from ..samples.shapes import shapes_dataset
from ..state.inventory import inventory_lines, leftovers
from ..state.workspace import Workspace

STACK = "RekognitionCustomLabelsExample"

V2_DATA = [
    "-c",
    "training_manifest=v2/manifests/train.manifest",
    "-c",
    "testing_manifest=v2/manifests/test.manifest",
]


# The clock of every command: a half-hour training waits 0.6 s for time to pass (at the default 120x, 15 s)
# besides its polls. The clock runs at real time whenever the cloud works, so the scale changes only how
# long the demo takes, not what it does.
TIME_SCALE = "3000"


def run(state: Path, *arguments: str, quiet: bool = False) -> str:
    arguments = (*arguments, "--time-scale", TIME_SCALE)
    print(f"\n$ python -m localcloud {shlex.join(arguments)}", flush=True)
    command = [sys.executable, "-m", "localcloud", *arguments, "--state", str(state)]
    result = subprocess.run(
        command, cwd=ROOT, check=True, stdout=subprocess.PIPE if quiet else None, text=True
    )
    return result.stdout or ""


def output(state: Path, name: str) -> str:
    deployment = Workspace(state).load(STACK)
    assert deployment is not None, f"{STACK} is not deployed"
    return str(deployment.outputs[name])


def version_arn(state: Path) -> str:
    return output(state, "ProjectVersionArn")


def sample_image(label: str = "circle") -> tuple[str, bytes]:
    """One of the example dataset's images of ``label`` (the same bytes ``sample-data`` uploads)."""
    images = shapes_dataset(bucket=EXAMPLE_BUCKET)
    key = next(k for k in sorted(images) if k.startswith(f"images/{label}/"))
    return key, images[key]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m localcloud.cli.demo", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--assembly",
        type=Path,
        help="deploy first this cloud assembly of app.py, synthesized without context (make demo passes the "
        "cdk.out it has just synthesized and shown); by default the first deploy runs cdk synth itself",
    )
    assembly = parser.parse_args(argv).assembly
    # The commands run in the repository's folder (ROOT), where a user of the README types them.
    first_deploy = ["--assembly", os.path.relpath(assembly.resolve(), ROOT)] if assembly else []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="localcloud-demo-") as folder:
        state = Path(folder) / "state"
        print("== the example's dataset: generated PNG images and Ground Truth manifests ==")
        run(state, "sample-data")

        synth = "" if first_deploy else "cdk synth + "
        print(f"\n== {synth}deploy: train the model version, check its F1 gate, start it ==")
        run(state, "deploy", *first_deploy)
        first_arn = version_arn(state)
        run(state, "status")

        print("\n== the app's consumer Lambda labels a sample image with the served model ==")
        key, image = sample_image()
        payload = json.dumps({"bucket": EXAMPLE_BUCKET, "key": key})
        run(state, "invoke", output(state, "ConsumerFunctionName"), "--payload", payload)

        print("\n== re-deploy with a new tag value: updated in place, no retraining ==")
        run(state, "deploy", "-c", "team=research")
        assert version_arn(state) == first_arn, "a tag change must not replace the model version"
        print(f"Same model version: {first_arn}")

        print(
            "\n== re-deploy with new training data: a new model version takes over, the old one "
            "serving until the new one runs =="
        )
        probe = Probe(Workspace(state), STACK, "ProjectVersionArn", image).start()
        try:
            run(state, "deploy", "-c", "team=research", *V2_DATA)
        finally:
            report = probe.stop()
        assert version_arn(state) != first_arn, "new training data must train a new model version"
        print("\n".join(report.lines()))
        run(state, "invoke", output(state, "ConsumerFunctionName"), "--payload", payload)

        print("\n== cdk destroy ==")
        run(state, "destroy", "--force")
        found = leftovers(json.loads(run(state, "status", "--json", quiet=True))["cloud"])
    print("Left behind after destroy:")
    print("\n".join(inventory_lines(found)))
    elapsed = time.monotonic() - started
    clean = not any(found.values())
    print(f"\n{'Nothing left behind.' if clean else 'LEAK: see above.'} Demo took {elapsed:.0f} s.")
    served = not report.failures and report.calls > 0
    if not served:
        print(f"The model did not serve throughout the rollover: {len(report.failures)} calls failed.")
    return 0 if clean and served else 1


if __name__ == "__main__":
    sys.exit(main())
