"""Docker-free bundling of the handler asset.

The handler's only third-party dependency (crhelper) is pure Python, so instead of ``pip install`` in a
build image we copy the pinned, already-installed distribution next to the handler's modules. The asset
is what Lambda imports and nothing more: the handler's ``.py`` modules, crhelper's import package
without its type stubs, and a minimal ``dist-info`` (``METADATA``, so ``importlib.metadata`` still
knows crhelper's version, and its licence files, which Apache-2.0 asks to ship with it). No bytecode,
tests, requirement files or install records (``RECORD``, ``INSTALLER``, ...): those differ between
machines, installers and pip versions. Only file contents and relative paths go into the output, so the
asset hash, and therefore the template, is the same on every machine, for every way the library is
installed, and from one synth to the next.
"""

from __future__ import annotations

import importlib.metadata
import re
import shutil
from pathlib import Path, PurePosixPath
from typing import Any

import jsii
from aws_cdk import ILocalBundling

_PIN = re.compile(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([A-Za-z0-9_.\-+]+)\s*$")
_TEST_FOLDERS = frozenset({"tests", "test", "testing"})
# Bytecode (differs between interpreters) and type stubs (for type checkers, never imported).
_NOT_IMPORTED_SUFFIXES = frozenset({".pyc", ".pyo", ".pyi"})
_LICENCE_FILE = re.compile(r"^(LICEN[CS]E|NOTICE|COPYING|AUTHORS)([.-].*)?$", re.IGNORECASE)


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


def _is_shipped_module(relative: PurePosixPath) -> bool:
    """A ``.py`` file outside bytecode caches and test folders."""
    folders = set(relative.parts[:-1])
    return relative.suffix == ".py" and "__pycache__" not in folders and not folders & _TEST_FOLDERS


def _copy_handler_modules(source: Path, target: Path) -> None:
    for path in sorted(source.rglob("*.py")):
        relative = PurePosixPath(path.relative_to(source).as_posix())
        if path.is_file() and _is_shipped_module(relative):
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, destination)


def _is_import_file(relative: PurePosixPath) -> bool:
    """Part of the distribution's import packages: no bytecode, stubs or tests, nothing outside them."""
    top = relative.parts[0]
    if top == ".." or relative.is_absolute() or top.endswith((".dist-info", ".egg-info", ".data")):
        return False
    if (
        relative.suffix in _NOT_IMPORTED_SUFFIXES
        or relative.name == "py.typed"
        or "__pycache__" in relative.parts
    ):
        return False
    return not (set(relative.parts[:-1]) & _TEST_FOLDERS or top.removesuffix(".py") in _TEST_FOLDERS)


def _shipped_metadata(relative: PurePosixPath, dist_info: str) -> PurePosixPath | None:
    """Where a dist-info file goes in the asset (under its standard folder name): METADATA and licences."""
    if not relative.parts[0].endswith(".dist-info"):
        return None
    inside = PurePosixPath(*relative.parts[1:])
    if inside == PurePosixPath("METADATA") or _LICENCE_FILE.match(relative.name):
        return PurePosixPath(dist_info) / inside
    return None


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
    dist_info = f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}.dist-info"
    for file in distribution.files or []:
        relative = PurePosixPath(file.as_posix())
        shipped = relative if _is_import_file(relative) else _shipped_metadata(relative, dist_info)
        if shipped is None:
            continue
        destination = target / shipped
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(str(file.locate())), destination)


@jsii.implements(ILocalBundling)
class LocalPythonBundler:
    """Bundles a handler folder and the exact pins of its ``requirements.txt``, without Docker."""

    def __init__(self, source: Path) -> None:
        self._source = source

    def try_bundle(self, output_dir: str, *args: Any, **options: Any) -> bool:
        """Bundle on this machine (CDK calls it before trying Docker): True, as it always succeeds."""
        target = Path(output_dir)
        _copy_handler_modules(self._source, target)
        requirements = self._source / "requirements.txt"
        if requirements.exists():
            for name, version in sorted(read_pins(requirements).items()):
                _copy_distribution(name, version, target)
        return True
