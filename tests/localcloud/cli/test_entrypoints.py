"""The console entry points without the ``localcloud`` extra: one line naming it (and how to install it,
from an index or from the wheel the library came from), no traceback; ``--help``, a wrong command line
and ``show`` answered all the same.

The packaging test checks the same in a real venv without the extra; these make the interpreter report
modules of the extra as not importable: in-process (``find_spec``), or in a short ``python -c`` whose
``sys.modules`` blocks them (any import of them would fail there).
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from localcloud.cli import commands, entrypoints, main
from localcloud.samples.example_dataset import EXAMPLE_BUCKET
from localcloud.state.workspace import DEFAULT_STATE_DIR
from tests.repository import ROOT

# Every third-party module the local cloud imports (and what they import), blocked in the processes below.
EXTRA_MODULES = ("boto3", "botocore", "cryptography", "flask", "moto", "PIL", "werkzeug", "yaml")
WHEEL = "/tmp/my wheels/cdk_rekognition_custom_labels-0.1.0-py3-none-any.whl"


@pytest.fixture
def without_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "PIL" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


def recorded_install(monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, Any] | None) -> None:
    """The library's distribution as pip recorded it: ``direct_url.json`` holding ``direct_url`` (PEP 610),
    or none."""

    class Recorded:
        def read_text(self, name: str) -> str | None:
            return json.dumps(direct_url) if name == "direct_url.json" and direct_url is not None else None

    def distribution(name: str) -> Recorded:
        assert name == "cdk-rekognition-custom-labels"
        return Recorded()

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)


def without_the_extra(entry: str, *argv: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """An entry point run in a fresh interpreter in which no module of the extra can be imported."""
    code = "\n".join(
        [
            "import sys",
            f"sys.modules.update(dict.fromkeys({EXTRA_MODULES!r}))",
            "from localcloud.cli import entrypoints",
            f"sys.exit(entrypoints.{entry}(sys.argv[1:]))",
        ]
    )
    return subprocess.run(
        [sys.executable, "-c", code, *argv], cwd=cwd, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize(
    ("entry", "argv", "command"),
    [
        (entrypoints.python_m_localcloud, ["status"], "python -m localcloud"),
        (entrypoints.rekognition_local, [], "rekognition-local"),
    ],
)
def test_a_missing_extra_is_named_in_one_line(
    without_pillow: None,
    monkeypatch: pytest.MonkeyPatch,
    entry: Callable[[list[str]], Any],
    argv: list[str],
    command: str,
) -> None:
    # GIVEN Pillow (part of the extra) is not installed, and the library did not come from a wheel file
    recorded_install(monkeypatch, None)
    # WHEN the command starts
    with pytest.raises(SystemExit) as exited:
        entry(argv)
    # THEN it exits with status 1 and one line that names the command, the missing part, the extra and
    # both ways to install it
    message = str(exited.value.code)
    assert "\n" not in message
    assert message == (
        f"{command} needs the 'localcloud' extra (pillow not installed): "
        "pip install 'cdk-rekognition-custom-labels[localcloud]' "
        "(from a wheel: pip install '<path to the .whl>[localcloud]')"
    )


def test_the_wheel_the_library_came_from_is_named(
    without_pillow: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the library installed from a wheel file, which pip recorded (its path in a file: URL)
    url = "file://" + WHEEL.replace(" ", "%20")
    recorded_install(monkeypatch, {"url": url, "archive_info": {"hash": "sha256=0"}})
    # WHEN the extra is missing
    message = entrypoints.missing_extra("python -m localcloud")
    # THEN the line names that very file in the wheel form, quoted for the shell
    assert message is not None and "\n" not in message
    assert message.endswith(f"(from a wheel: pip install '{WHEEL}[localcloud]')"), message


@pytest.mark.parametrize(
    "direct_url",
    [
        None,  # from a package index: pip records no direct URL
        {"url": "file:///work/app", "dir_info": {"editable": True}},  # pip install -e
        {"url": "file:///work/app", "dir_info": {}},  # pip install of a folder
        {"url": "https://example.com/cdk_rekognition_custom_labels-0.1.0-py3-none-any.whl"},
        {"no": "url"},
    ],
)
def test_without_a_local_wheel_the_wheel_form_has_a_placeholder(
    monkeypatch: pytest.MonkeyPatch, direct_url: dict[str, Any] | None
) -> None:
    # GIVEN the library installed otherwise than from a wheel file
    recorded_install(monkeypatch, direct_url)
    # THEN no wheel is named, and the wheel form says what to put there
    assert entrypoints.installed_wheel() is None
    assert entrypoints.install_command(entrypoints.installed_wheel()).endswith(
        "(from a wheel: pip install '<path to the .whl>[localcloud]')"
    )


def test_an_uninstalled_library_names_no_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN no distribution of the library (the sources on sys.path only)
    def distribution(name: str) -> Any:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", distribution)
    # THEN no wheel is named
    assert entrypoints.installed_wheel() is None


def test_with_the_extra_nothing_is_missing() -> None:
    # GIVEN this test environment (it installs the extra, and the library editable)
    # THEN the check lets the commands run, and names no wheel
    assert entrypoints.missing_requirements() == []
    assert entrypoints.missing_extra("python -m localcloud") is None
    assert entrypoints.installed_wheel() is None


def test_python_m_localcloud_runs_the_command_line_when_the_extra_is_there(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN the extra installed WHEN `python -m localcloud --help` runs through the entry point
    monkeypatch.setattr("sys.argv", ["python -m localcloud", "--help"])
    with pytest.raises(SystemExit) as exited:
        entrypoints.python_m_localcloud()
    # THEN the real command line answers
    assert exited.value.code == 0
    assert "deploy" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("entry", "argv", "usage"),
    [
        ("python_m_localcloud", ["--help"], "usage: python -m localcloud [-h]"),
        ("python_m_localcloud", ["deploy", "--help"], "usage: python -m localcloud deploy [-h]"),
        ("rekognition_local", ["--help"], "usage: rekognition-local [-h]"),
        ("rekognition_local", ["-h"], "usage: rekognition-local [-h]"),
    ],
)
def test_help_is_printed_without_the_extra(entry: str, argv: list[str], usage: str) -> None:
    # GIVEN no module of the extra importable WHEN help is asked
    result = without_the_extra(entry, *argv)
    # THEN it is printed (status 0), not the missing extra's line
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(usage) and result.stderr == ""


@pytest.mark.parametrize(
    ("entry", "argv", "line"),
    [
        (
            "python_m_localcloud",
            ["deploy", "-c", "team"],
            "python -m localcloud deploy: argument -c/--context",
        ),
        ("rekognition_local", ["--port", "x"], "rekognition-local: argument --port: invalid int value: 'x'"),
    ],
)
def test_a_wrong_command_line_is_answered_first_without_the_extra(
    entry: str, argv: list[str], line: str
) -> None:
    # GIVEN no module of the extra importable WHEN the command line is wrong
    result = without_the_extra(entry, *argv)
    # THEN that is what the one line says (status 2); the extra comes once the command line is right
    assert result.returncode == 2
    (error,) = result.stderr.splitlines()
    assert error.startswith(line) and "extra" not in error


def test_commands_need_the_extra_once_the_command_line_is_right() -> None:
    # GIVEN no module of the extra importable
    for entry, argv, command in (
        ("python_m_localcloud", ["status"], "python -m localcloud"),
        ("rekognition_local", ["--port", "0"], "rekognition-local"),
    ):
        # WHEN a right command line runs
        result = without_the_extra(entry, *argv)
        # THEN it exits with status 1 and the one line naming everything missing
        assert result.returncode == 1 and result.stdout == ""
        (line,) = result.stderr.splitlines()
        assert line.startswith(
            f"{command} needs the 'localcloud' extra "
            "(boto3, cryptography, moto[server], pillow, pyyaml, werkzeug not installed): "
        ), line


def test_show_reads_an_assembly_without_the_extra(tmp_path: Path) -> None:
    # GIVEN a cloud assembly of one stack holding a bucket
    template = {"Resources": {"Data": {"Type": "AWS::S3::Bucket"}}}
    (tmp_path / "cdk.out").mkdir()
    (tmp_path / "cdk.out" / "Data.template.json").write_text(json.dumps(template))
    artifact = {"type": "aws:cloudformation:stack", "properties": {"templateFile": "Data.template.json"}}
    manifest = {"version": "48.0.0", "artifacts": {"Data": artifact}}
    (tmp_path / "cdk.out" / "manifest.json").write_text(json.dumps(manifest))
    # WHEN show runs where no module of the extra is importable
    result = without_the_extra("python_m_localcloud", "show", cwd=tmp_path)
    # THEN it prints what the assembly declares
    assert result.returncode == 0, result.stderr
    assert result.stdout == "Stack Data\n    1 x AWS::S3::Bucket\n"


def test_the_command_lines_import_only_the_standard_library() -> None:
    # GIVEN a fresh interpreter WHEN it imports the entry points and both parsers
    code = (
        "import sys; before = set(sys.modules)\n"
        "from localcloud.cli import entrypoints, main, rekognition_local\n"
        "main.parser(); rekognition_local.parser()\n"
        "print(sorted({m.split('.')[0] for m in set(sys.modules) - before} - set(sys.stdlib_module_names)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # THEN nothing outside the standard library but the local cloud's own package was imported
    assert result.stdout.strip() == "['localcloud']"


def test_the_parsers_copies_of_the_defaults_are_the_commands_defaults() -> None:
    # GIVEN the defaults the parsers show (copied: they import only the standard library)
    # THEN they are those the commands use
    assert main.DEFAULT_STATE_DIR == DEFAULT_STATE_DIR
    assert commands.LOCAL_DURATIONS.training == main.DEFAULT_TRAINING_SECONDS
    assert main.DEFAULT_TIME_SCALE == commands.DEFAULT_TIME_SCALE
    assert main.EXAMPLE_BUCKET == EXAMPLE_BUCKET
