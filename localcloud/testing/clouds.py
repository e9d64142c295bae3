"""Local clouds for tests: one factory, and the named presets of how long things take in them.

A preset is the phases' durations (local seconds) and the clock: a ``ManualClock`` the test moves by hand
(``scale=None``: nothing costs real time, every state can be looked at), or a ``ScaledClock`` that runs
on its own, ``scale`` times faster than real time while the cloud waits (for the deploy engine, whose
schedules and timeouts need time to pass by themselves). Outcomes never depend on the scale, only how
long a test takes (see ``localcloud.clock``).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass

from ..cli.commands import DEFAULT_TIME_SCALE, LOCAL_DURATIONS
from ..clock import Clock, ManualClock, ScaledClock
from ..gateway.server import LocalCloud
from ..rekognition.service import Durations, Quotas

HOUR = 3600.0


@dataclass(frozen=True)
class Preset:
    """How long a local cloud's phases take, and how its clock runs (None: by hand)."""

    durations: Durations
    scale: float | None = None

    def training_for(self, hours: float) -> Preset:
        """The same, with a training of ``hours``."""
        return dataclasses.replace(self, durations=dataclasses.replace(self.durations, training=hours * HOUR))

    def at(self, scale: float | None) -> Preset:
        """The same durations on a clock ``scale`` times faster (None: by hand)."""
        return dataclasses.replace(self, scale=scale)

    def clock(self, start: float | None = None) -> Clock:
        if self.scale is None:
            return ManualClock() if start is None else ManualClock(start)
        return ScaledClock(self.scale, origin_local=start)


# The emulator's own defaults (seconds), by hand: what the plugin's ``local_cloud`` has always had.
DEFAULT = Preset(Durations())
# Realistic proportions, instant: the test advances the clock.
PROPORTIONAL = Preset(
    Durations(training=600, starting=120, stopping=60, deleting=30, dataset=20, project_deleting=20)
)
# Each phase lasts one to three one-minute polls: a provider scenario needs few invocations.
POLLS = Preset(
    Durations(training=180, starting=60, stopping=60, deleting=60, dataset=20, project_deleting=20)
)
# Minutes-long phases, for scenarios polled every five minutes (a 15-minute training is three polls).
MINUTES = Preset(
    Durations(training=900, starting=180, stopping=120, deleting=60, dataset=20, project_deleting=20)
)
# The deploy engine's scenarios: one-minute polls on a clock that runs by itself.
DEPLOY = POLLS.at(600)
# Trainings of hours (``training_for``) with minutes-long transitions, on a fast scaled clock.
HOURS = Preset(
    Durations(training=3 * HOUR, starting=300, stopping=120, deleting=120, dataset=60, project_deleting=60),
    scale=3000,
)
# What ``python -m localcloud`` runs: a realistic half-hour training, 120 times faster.
REALISTIC = Preset(LOCAL_DURATIONS, scale=DEFAULT_TIME_SCALE)
PRESETS = {
    "default": DEFAULT,
    "proportional": PROPORTIONAL,
    "polls": POLLS,
    "minutes": MINUTES,
    "deploy": DEPLOY,
    "hours": HOURS,
    "realistic": REALISTIC,
}


def preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"no preset {name!r}: one of {', '.join(sorted(PRESETS))}") from None


@contextlib.contextmanager
def started_cloud(
    chosen: str | Preset = "default",
    *,
    clock: Clock | None = None,
    quotas: Quotas | None = None,
) -> Iterator[LocalCloud]:
    """A started local cloud on a free loopback port, as the preset (a name or a ``Preset``) says; a given
    ``clock`` replaces the preset's. moto's services are one set per process, emptied when a cloud starts:
    one cloud at a time."""
    chosen = preset(chosen) if isinstance(chosen, str) else chosen
    with LocalCloud(clock=clock or chosen.clock(), durations=chosen.durations, quotas=quotas) as cloud:
        yield cloud
