"""Local wall time of deploying one model version whose training takes hours (on a 600x clock).

A 3-hour training fits the first 12-hour wait condition; a 20-hour one needs the second (the watcher
renews the first). The lower bound is the training itself on the scaled clock.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from localcloud.rekognition.service import Durations

from .deploy import local_engine, synth

TIME_SCALE = 600.0
HOURS = (3.0, 20.0)


def measure(hours: float, work: Path) -> dict[str, float]:
    stack = synth(work / f"out{hours:g}", 1)
    durations = Durations(training=hours * 3600, starting=300, stopping=120, deleting=120)
    with local_engine(work, f"{hours:g}h", durations, time_scale=TIME_SCALE) as (_, engine):
        started = time.monotonic()
        engine.deploy(stack)
        wall = time.monotonic() - started
    bound = hours * 3600 / TIME_SCALE
    return {"hours": hours, "wall_s": wall, "bound_s": bound, "ratio": wall / bound}


def main(hours: tuple[float, ...] = HOURS) -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = [measure(h, Path(folder)) for h in hours]
    print(f"Long trainings: one model version, clock {TIME_SCALE:g}x faster than real time")
    print(" ".join(f"{name:>14}" for name in ("training h", "wall s", "training s", "ratio")))
    for row in rows:
        print(f"{row['hours']:>14g} {row['wall_s']:>14.1f} {row['bound_s']:>14.1f} {row['ratio']:>14.2f}")


if __name__ == "__main__":
    main(tuple(float(a) for a in sys.argv[1:]) or HOURS)
