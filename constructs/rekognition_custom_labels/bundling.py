"""Docker-free bundling of the handler asset.

The handler's only third-party dependency (crhelper) is pure Python, so instead of ``pip install`` in a
build image we copy the pinned, already-installed distribution next to the handler's sources. Only file
contents and relative paths go into the output (no bytecode, no install records), so the asset hash and
therefore the template are identical from one synth to the next.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
from pathlib import Path
from typing import Any

import jsii
from aws_cdk import ILocalBundling

# Install records that differ between machines and pip versions, and compiled files.
_SKIPPED_SUFFIXES = (".pyc",)
_SKIPPED_NAMES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
_PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([A-Za-z0-9_.\-+]+)\s*$")


class BundlingError(RuntimeError):
    """The handler's pinned requirements cannot be bundled from this environment."""


def read_pins(requirements: Path) -> dict[str, str]:
    """``name==version`` lines of a requirements file; anything else is an error (we need exact pins)."""
    pins: dict[str, str] = {}
    for number, raw in enumerate(requirements.read_text().splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        match = _PIN.match(line)
        if match is None:
            raise BundlingError(
                f"{requirements}:{number}: expected an exact pin 'name==version', got {raw!r}"
            )
        pins[match.group(1)] = match.group(2)
    return pins


def _copy_tree(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*")):
        relative = path.relative_to(source)
        if "__pycache__" in relative.parts or path.suffix in _SKIPPED_SUFFIXES or path.is_dir():
            continue
        destination = target / relative
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, destination)


def _copy_distribution(name: str, version: str, target: Path) -> None:
    try:
        distribution = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError as error:
        raise BundlingError(
            f"the handler needs {name}=={version}, which is not installed here "
            f"(pip install '{name}=={version}')"
        ) from error
    if distribution.version != version:
        raise BundlingError(f"the handler pins {name}=={version} but {distribution.version} is installed")
    for file in distribution.files or []:
        if "__pycache__" in file.parts or file.suffix in _SKIPPED_SUFFIXES or file.name in _SKIPPED_NAMES:
            continue
        if file.parts[0] == ".." or Path(file).is_absolute():
            continue  # scripts installed outside site-packages are not part of the import tree
        destination = target / Path(*file.parts)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(str(file.locate())), destination)


@jsii.implements(ILocalBundling)
class LocalPythonBundler:
    """Bundles a handler folder and the exact pins of its ``requirements.txt``, without Docker."""

    def __init__(self, source: Path) -> None:
        self._source = source

    def try_bundle(self, output_dir: str, *args: Any, **options: Any) -> bool:
        target = Path(output_dir)
        _copy_tree(self._source, target)
        requirements = self._source / "requirements.txt"
        if requirements.exists():
            for name, version in sorted(read_pins(requirements).items()):
                _copy_distribution(name, version, target)
        return True
