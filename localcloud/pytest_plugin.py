"""pytest fixtures for anyone testing against the local cloud (registered as the ``localcloud`` plugin).

``local_cloud`` is a started LocalCloud on a free loopback port whose clock only moves when the test
calls ``local_cloud_clock.advance(seconds)``, so training, starting and stopping never cost real time.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .rekognition.clock import ManualClock
from .server import LocalCloud


@pytest.fixture
def local_cloud_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def local_cloud(local_cloud_clock: ManualClock) -> Iterator[LocalCloud]:
    with LocalCloud(clock=local_cloud_clock) as cloud:
        yield cloud
