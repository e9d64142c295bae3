"""Shared test set-up: jsii and the CDK CLI must run on the virtual environment's Node (>= 22)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Before aws_cdk is imported anywhere: jsii starts `node` from PATH, and the system one is end of life.
os.environ["PATH"] = os.pathsep.join(
    [str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin"), os.environ.get("PATH", "")]
)
