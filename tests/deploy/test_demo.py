"""The README's main command, as ``make demo`` runs it: the example's whole life, served throughout."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from localcloud.cdk_cli import ROOT


@pytest.mark.slow
def test_the_demo_serves_through_the_rollover_and_leaves_nothing() -> None:
    # GIVEN the demo (sample data, deploy, consumer call, tag update, rollover under a probe, destroy)
    # WHEN it runs as `make demo` runs it
    result = subprocess.run(
        [sys.executable, "-m", "localcloud.demo"], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    output = result.stdout + result.stderr
    # THEN it succeeds, and the consumer labelled the sample image before and after the rollover
    assert result.returncode == 0, output[-4000:]
    answers = re.findall(r'\{"model_version_arn": "([^"]+)", "labels": \[\{"name": "circle"', output)
    assert len(answers) == 2 and answers[0] != answers[1]
    # AND the probe called both versions during the rollover, and no call failed
    probe = re.search(r"DetectCustomLabels calls during the deploy: (\d+), failed: (\d+)", output)
    assert probe is not None and int(probe[1]) > 0 and probe[2] == "0"
    assert re.findall(r"^  on (\S+)$", output, re.MULTILINE) == answers
    assert "Nothing left behind." in output
