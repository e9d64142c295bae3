"""The console entry points without the ``localcloud`` extra: one line naming it, no traceback.

The packaging test checks the same in a real venv without the extra; these run in-process by making
the interpreter report a module of the extra as not importable.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Any

import pytest

from localcloud.cli import entrypoints


@pytest.fixture
def without_pillow(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec

    def find_spec(name: str, *args: Any) -> Any:
        return None if name == "PIL" else real_find_spec(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


@pytest.mark.parametrize(
    ("entry", "command"),
    [
        (entrypoints.python_m_localcloud, "python -m localcloud"),
        (entrypoints.rekognition_local, "rekognition-local"),
    ],
)
def test_a_missing_extra_is_named_in_one_line(
    without_pillow: None, entry: Callable[[], Any], command: str
) -> None:
    # GIVEN Pillow (part of the extra) is not installed WHEN the command starts
    with pytest.raises(SystemExit) as exited:
        entry()
    # THEN it exits with status 1 and one line that names the command, the missing part and the extra
    message = str(exited.value.code)
    assert "\n" not in message
    assert message == (
        f"{command} needs the 'localcloud' extra (pillow not installed): "
        "pip install 'cdk-rekognition-custom-labels[localcloud]'"
    )


def test_with_the_extra_nothing_is_missing() -> None:
    # GIVEN this test environment (it installs the extra) THEN the check lets the commands run
    assert entrypoints.missing_requirements() == []
    assert entrypoints.missing_extra("python -m localcloud") is None


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
