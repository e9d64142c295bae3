"""The Docker-free bundler: exact pins only, the installed version must be the pinned one, and the
asset holds what Lambda imports and nothing more."""

from __future__ import annotations

import importlib.metadata
import tomllib
from pathlib import Path

import pytest

from rekognition_custom_labels.bundling import BundlingError, LocalPythonBundler, read_pins
from rekognition_custom_labels.provider import handler_dir
from tests.lambda_asset import files_in, imports_beside, lambda_runtime_libraries
from tests.repository import ROOT


def handler_source(tmp_path: Path, requirements: str) -> Path:
    source = tmp_path / "src"
    source.mkdir()
    (source / "index.py").write_text("def handler(event, context):\n    return None\n")
    (source / "__pycache__").mkdir()
    (source / "__pycache__" / "index.cpython-311.pyc").write_bytes(b"\0")
    (source / "tests").mkdir()
    (source / "tests" / "test_index.py").write_text("def test_nothing() -> None: ...\n")
    (source / "requirements.txt").write_text(requirements)
    return source


def test_the_real_handler_is_bundled_with_crhelper_and_nothing_more(tmp_path: Path) -> None:
    # GIVEN the provider's handler folder (the checkout's, for this editable install)
    out = tmp_path / "out"
    # WHEN bundled
    assert LocalPythonBundler(handler_dir()).try_bundle(str(out))
    # THEN the asset is the handler's modules, crhelper's import package, and crhelper's METADATA and
    # licence files: no requirements file, bytecode, type stubs or install records
    handler_modules = {p.name for p in handler_dir().glob("*.py")}
    crhelper = importlib.metadata.distribution("crhelper")
    crhelper_modules = {
        f.as_posix() for f in crhelper.files or [] if f.parts[0] == "crhelper" and f.suffix == ".py"
    }
    expected_metadata = {f"crhelper-2.0.12.dist-info/{n}" for n in ("METADATA", "LICENSE", "NOTICE")}
    assert files_in(out) == handler_modules | crhelper_modules | expected_metadata


def test_the_bundled_handler_imports_with_only_the_lambda_runtime_beside_it(tmp_path: Path) -> None:
    # GIVEN the bundled asset and a folder with only boto3 and its dependencies
    out = tmp_path / "out"
    LocalPythonBundler(handler_dir()).try_bundle(str(out))
    libraries = lambda_runtime_libraries(tmp_path)
    # WHEN Lambda's entry point is imported from the asset, with no site-packages
    result = imports_beside(out, libraries, "index")
    # THEN it imports (crhelper comes from the asset)
    assert result.returncode == 0, result.stderr
    # AND without the asset's crhelper it would not: the check above is not satisfied from elsewhere
    (out / "crhelper" / "__init__.py").unlink()
    broken = imports_beside(out, libraries, "index")
    assert broken.returncode != 0 and "crhelper" in broken.stderr


def test_bundles_only_sources_and_the_pinned_distribution(tmp_path: Path) -> None:
    source = handler_source(tmp_path, "crhelper==2.0.12  # the only dependency\n")
    out = tmp_path / "out"
    assert LocalPythonBundler(source).try_bundle(str(out))
    files = files_in(out)
    assert {"index.py", "crhelper/__init__.py", "crhelper/resource_helper.py"} <= files
    assert "crhelper-2.0.12.dist-info/METADATA" in files
    unwanted = [
        f for f in files if "__pycache__" in f or f.endswith((".pyi", "RECORD", "INSTALLER", "WHEEL", ".txt"))
    ]
    assert unwanted == [] and not [f for f in files if f.startswith("tests/")]


def test_a_distributions_tests_and_stubs_stay_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an installed distribution that ships tests, stubs and bytecode in its import packages
    site = tmp_path / "site"
    files = {
        "shipped/__init__.py": "VALUE = 1\n",
        "shipped/__init__.pyi": "VALUE: int\n",
        "shipped/py.typed": "",
        "shipped/__pycache__/__init__.cpython-311.pyc": "",
        "shipped/tests/test_value.py": "def test_value() -> None: ...\n",
        "tests/__init__.py": "",
        "shipped-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: shipped\nVersion: 1.0\n",
        "shipped-1.0.dist-info/licenses/LICENSE.txt": "licence text\n",
        "shipped-1.0.dist-info/INSTALLER": "pip\n",
        "shipped-1.0.dist-info/direct_url.json": "{}\n",
    }
    for name, text in files.items():
        (site / name).parent.mkdir(parents=True, exist_ok=True)
        (site / name).write_text(text)
    record = "".join(f"{name},,\n" for name in files) + "shipped-1.0.dist-info/RECORD,,\n"
    (site / "shipped-1.0.dist-info" / "RECORD").write_text(record)
    monkeypatch.syspath_prepend(str(site))
    source = handler_source(tmp_path, "shipped==1.0\n")
    # WHEN a handler pinning it is bundled
    out = tmp_path / "out"
    LocalPythonBundler(source).try_bundle(str(out))
    # THEN only its import files, METADATA and licence come along
    assert files_in(out) == {
        "index.py",
        "shipped/__init__.py",
        "shipped-1.0.dist-info/METADATA",
        "shipped-1.0.dist-info/licenses/LICENSE.txt",
    }


def test_the_handlers_pins_are_the_librarys_own_dependencies() -> None:
    # GIVEN what the handler pins and what installing the library brings
    pins = read_pins(handler_dir() / "requirements.txt")
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    # THEN every pin is a dependency of the library, at exactly that version (so pip installs it)
    assert {f"{name}=={version}" for name, version in pins.items()} <= set(declared)
    for name, version in pins.items():
        assert importlib.metadata.version(name) == version


@pytest.mark.parametrize("line", ["crhelper", "crhelper>=2", "crhelper==2.*; python_version>'3'", "-e ."])
def test_only_exact_pins_are_accepted(tmp_path: Path, line: str) -> None:
    source = handler_source(tmp_path, line + "\n")
    with pytest.raises(BundlingError, match="exact pin"):
        read_pins(source / "requirements.txt")


def test_a_pin_that_differs_from_the_installed_version_is_refused(tmp_path: Path) -> None:
    source = handler_source(tmp_path, "crhelper==1.0.0\n")
    with pytest.raises(BundlingError, match=r"pins crhelper==1\.0\.0 but 2\.0\.12 is installed"):
        LocalPythonBundler(source).try_bundle(str(tmp_path / "out"))


def test_a_pin_that_is_not_installed_is_refused(tmp_path: Path) -> None:
    source = handler_source(tmp_path, "no-such-distribution-here==1.0\n")
    with pytest.raises(BundlingError, match="not installed"):
        LocalPythonBundler(source).try_bundle(str(tmp_path / "out"))
