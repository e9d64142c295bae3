"""The local cloud's tests: realistic proportions on a clock that moves only when the test says so (a
folder may choose another preset), and the deploy engine's stacks synthesized from real CDK code."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from .apps import Synth, synthesizer


@pytest.fixture
def local_cloud_preset() -> str:
    return "proportional"


@pytest.fixture
def events() -> io.StringIO:
    """Where the deploy engine prints its CloudFormation-style events."""
    return io.StringIO()


@pytest.fixture
def synth(tmp_path: Path) -> Synth:
    """Synthesize app.py's stack in-process (bundling included) with the given context."""
    return synthesizer(tmp_path)
