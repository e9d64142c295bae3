"""pytest fixtures for anyone testing against the local cloud (registered as the ``localcloud`` plugin).

``local_cloud`` is a started LocalCloud on a free loopback port whose clock only moves when the test
calls ``local_cloud_clock.advance(seconds)``, so training, starting and stopping never cost real time.

pytest loads this plugin wherever the library is installed, also without the ``localcloud`` extra, so
it imports the local cloud only when a test asks for a fixture (which then fails, naming the extra).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

from ..cli.entrypoints import missing_extra

if TYPE_CHECKING:
    from ..clock import ManualClock
    from ..gateway.server import LocalCloud


def _require_extra() -> None:
    message = missing_extra("the local_cloud fixtures")
    if message:
        pytest.fail(message, pytrace=False)


@pytest.fixture
def local_cloud_clock() -> ManualClock:
    _require_extra()
    from ..clock import ManualClock

    return ManualClock()


@pytest.fixture
def local_cloud(local_cloud_clock: ManualClock) -> Iterator[LocalCloud]:
    from ..gateway.server import LocalCloud

    with LocalCloud(clock=local_cloud_clock) as cloud:
        yield cloud
