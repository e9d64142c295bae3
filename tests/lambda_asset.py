"""Looking into a bundled Lambda asset: its files, and whether it imports with only the runtime's boto3."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import boto3

# What the Lambda Python runtime provides beside a function's code: boto3 and what it imports.
LAMBDA_RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")


def files_in(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def lambda_runtime_libraries(tmp_path: Path) -> Path:
    """A folder holding only what the Lambda runtime has besides the standard library."""
    site_packages = Path(boto3.__file__).resolve().parents[1]
    folder = tmp_path / "runtime"
    folder.mkdir()
    for name in LAMBDA_RUNTIME_PACKAGES:
        (folder / name).symlink_to(site_packages / name)
    return folder


def imports_beside(asset: Path, libraries: Path, module: str) -> subprocess.CompletedProcess[str]:
    """Import ``module`` from ``asset`` with no site-packages at all, only ``libraries`` beside it."""
    code = f"import sys; sys.path[:0] = [{str(asset)!r}, {str(libraries)!r}]; import {module}"
    return subprocess.run(
        [sys.executable, "-I", "-S", "-B", "-c", code],
        capture_output=True,
        text=True,
        env={"AWS_DEFAULT_REGION": "us-east-1", "PATH": "/usr/bin:/bin"},
        check=False,
    )
