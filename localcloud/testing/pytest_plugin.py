"""pytest fixtures for anyone testing against the local cloud (registered as the ``localcloud`` plugin).

``local_cloud`` is a started LocalCloud on a free loopback port. How long its phases take and how its
clock runs come from a named preset (``localcloud.testing.clouds``), by default ``"default"``: the
emulator's default durations on a clock that only moves when the test calls
``local_cloud_clock.advance(seconds)``, so training, starting and stopping never cost real time. A
``conftest.py`` overrides ``local_cloud_preset`` to choose another for the tests below it.
``local_cloud_factory`` starts more clouds, ``local_cloud_certificate`` and ``local_cloud_responses`` give
a local HTTPS ResponseURL server for CloudFormation's custom-resource protocol
(``localcloud.testing.cloudformation``).

pytest loads this plugin wherever the library is installed, also without the ``localcloud`` extra, so
it imports the local cloud only when a test asks for a fixture (which then fails, naming the extra).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ..cli.entrypoints import missing_extra

if TYPE_CHECKING:
    from ..clock import Clock
    from ..deploy.custom_resources.response_url import CertificatePair, ResponseServer
    from ..gateway.server import LocalCloud
    from .clouds import Preset


def _require_extra() -> None:
    message = missing_extra("the local_cloud fixtures")
    if message:
        pytest.fail(message, pytrace=False)


@pytest.fixture
def local_cloud_preset() -> str | Preset:
    """The preset the other fixtures follow (a name in ``PRESETS``, or a ``Preset``)."""
    return "default"


@pytest.fixture
def local_cloud_clock(local_cloud_preset: str | Preset) -> Clock:
    """The clock of ``local_cloud``: a ``ManualClock`` for presets moved by hand."""
    _require_extra()
    from .clouds import preset

    chosen = preset(local_cloud_preset) if isinstance(local_cloud_preset, str) else local_cloud_preset
    return chosen.clock()


@pytest.fixture
def local_cloud(local_cloud_clock: Clock, local_cloud_preset: str | Preset) -> Iterator[LocalCloud]:
    from .clouds import started_cloud

    with started_cloud(local_cloud_preset, clock=local_cloud_clock) as cloud:
        yield cloud


@pytest.fixture
def local_cloud_factory() -> Iterator[Callable[..., LocalCloud]]:
    """``factory(preset="default", *, clock=None, quotas=None)``: a started cloud, stopped after the test.

    For a cloud the fixtures do not make (another preset, quotas, a clock of the test's own). moto keeps
    one set of services per process and every cloud starts them empty, so use one cloud at a time.
    """
    _require_extra()
    from .clouds import started_cloud

    with contextlib.ExitStack() as clouds:

        def start(chosen: str | Preset = "default", **options: Any) -> LocalCloud:
            return clouds.enter_context(started_cloud(chosen, **options))

        yield start


@pytest.fixture(scope="session")
def local_cloud_certificate(tmp_path_factory: pytest.TempPathFactory) -> CertificatePair:
    """A throw-away TLS pair for the local ResponseURL servers (a handler trusts it by ``SSL_CERT_FILE``)."""
    _require_extra()
    from ..deploy.custom_resources.response_url import make_test_certificate

    return make_test_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def local_cloud_responses(local_cloud_certificate: CertificatePair) -> Iterator[ResponseServer]:
    """CloudFormation's ResponseURL: a local HTTPS server recording every answer."""
    from ..deploy.custom_resources.response_url import ResponseServer

    with ResponseServer(local_cloud_certificate) as server:
        yield server
