"""Every fault cell ends as its row says, and leaves nothing behind (see verdict.py).

`make test` runs the cells marked smoke; `make faults` runs them all and prints the matrix.
"""

from __future__ import annotations

import os

import pytest

from localcloud.deploy.custom_resources.response_url import CertificatePair

from .cells import CELLS, Cell
from .stack import world

# Each test plays CloudFormation's requests through the provider function's processes.
pytestmark = pytest.mark.scenario

ALL = os.environ.get("FAULT_MATRIX") == "all"


@pytest.mark.parametrize(
    "cell",
    [pytest.param(cell, id=cell.id) for cell in CELLS if ALL or cell.smoke],
)
def test_the_fault_ends_as_expected_and_leaves_nothing(cell: Cell, certificate: CertificatePair) -> None:
    # GIVEN a local cloud and a two-resource stack, WHEN the cell's fault strikes during its life
    with world(certificate, function_timeout=cell.function_timeout) as local:
        verdict = cell.run(local)
    # THEN every request got one answer in time (a readable Reason when FAILED), no credential leaked,
    # and nothing is left once the stack is destroyed
    assert verdict.problems == [], f"{verdict.outcome}\nleft: {verdict.left}"
