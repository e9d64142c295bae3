"""The pinned CDK CLI (``node_modules/.bin/cdk``), run the way a user runs it before ``cdk deploy``."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from pathlib import Path

from .assembly import StackArtifact, read_assembly

ROOT = Path(__file__).resolve().parents[1]


def synth(outdir: Path, context: Mapping[str, str], *, app_dir: Path = ROOT) -> list[StackArtifact]:
    """``cdk synth`` of the app in ``app_dir`` (its ``cdk.json``) into ``outdir``, with ``-c`` context."""
    arguments = [str(ROOT / "node_modules" / ".bin" / "cdk"), "synth", "--quiet", "--no-notices"]
    arguments += ["-o", str(outdir)]
    for key, value in context.items():
        arguments += ["-c", f"{key}={value}"]
    environment = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true"}
    subprocess.run(arguments, cwd=app_dir, env=environment, check=True, stdout=subprocess.DEVNULL)
    return read_assembly(outdir)
