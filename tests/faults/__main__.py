"""``python -m tests.faults`` (``make faults``): run every fault cell and print the matrix.

Three cells at a time, each in its own local cloud; one Markdown row per cell (group, fault, outcome,
what was left, problems). Exits 1 if any cell has a problem.
"""

from __future__ import annotations

import sys
import tempfile
import traceback
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from localcloud.deploy.custom_resources.response_url import CertificatePair, make_test_certificate

from .cells import CELLS
from .stack import world
from .verdict import Verdict

_certificate: CertificatePair | None = None


def _start() -> None:
    global _certificate
    _certificate = make_test_certificate(Path(tempfile.mkdtemp(prefix="fault-matrix-")))


def run(index: int) -> Verdict:
    cell = CELLS[index]
    assert _certificate is not None
    try:
        with world(_certificate, function_timeout=cell.function_timeout) as local:
            return cell.run(local)
    except Exception:  # a broken cell is a row too, not the end of the table
        return Verdict("the cell itself failed", "?", [traceback.format_exc(limit=3)])


def cell_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def main() -> int:
    with ProcessPoolExecutor(max_workers=3, initializer=_start) as pool:
        verdicts = list(pool.map(run, range(len(CELLS))))
    print("| Where | Fault | Outcome | Left (then after a retried destroy) | Problems |")
    print("|---|---|---|---|---|")
    for cell, verdict in zip(CELLS, verdicts, strict=True):
        problems = "; ".join(verdict.problems) or "none"
        row = [cell.group, cell.fault, verdict.outcome, verdict.left, problems]
        print("| " + " | ".join(cell_text(part) for part in row) + " |")
    failed = sum(1 for verdict in verdicts if verdict.problems)
    print(f"\n{len(CELLS)} cells, {failed} with problems", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
