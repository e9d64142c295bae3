"""The Docker-free bundler: exact pins only, the installed version must be the pinned one."""

from __future__ import annotations

from pathlib import Path

import pytest

from rekognition_custom_labels.bundling import BundlingError, LocalPythonBundler, read_pins


def handler_dir(tmp_path: Path, requirements: str) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    (source / "index.py").write_text("def handler(event, context):\n    return None\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "index.cpython-311.pyc").write_bytes(b"\0")
    (source / "requirements.txt").write_text(requirements)
    return source


def test_bundles_sources_and_the_pinned_distribution_without_bytecode(tmp_path: Path) -> None:
    source = handler_dir(tmp_path, "crhelper==2.0.12  # the only dependency\n")
    out = tmp_path / "out"
    assert LocalPythonBundler(source).try_bundle(str(out))
    files = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert {"index.py", "crhelper/__init__.py", "crhelper/resource_helper.py"} <= files
    assert "crhelper-2.0.12.dist-info/METADATA" in files
    assert not {f for f in files if "__pycache__" in f or f.endswith("RECORD") or f.endswith("INSTALLER")}


@pytest.mark.parametrize("line", ["crhelper", "crhelper>=2", "crhelper==2.*; python_version>'3'", "-e ."])
def test_only_exact_pins_are_accepted(tmp_path: Path, line: str) -> None:
    source = handler_dir(tmp_path, line + "\n")
    with pytest.raises(BundlingError, match="exact pin"):
        read_pins(source / "requirements.txt")


def test_a_pin_that_differs_from_the_installed_version_is_refused(tmp_path: Path) -> None:
    source = handler_dir(tmp_path, "crhelper==1.0.0\n")
    with pytest.raises(BundlingError, match=r"pins crhelper==1\.0\.0 but 2\.0\.12 is installed"):
        LocalPythonBundler(source).try_bundle(str(tmp_path / "out"))


def test_a_pin_that_is_not_installed_is_refused(tmp_path: Path) -> None:
    source = handler_dir(tmp_path, "no-such-distribution-here==1.0\n")
    with pytest.raises(BundlingError, match="not installed"):
        LocalPythonBundler(source).try_bundle(str(tmp_path / "out"))
