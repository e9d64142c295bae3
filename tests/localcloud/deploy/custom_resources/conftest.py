"""The custom-resource tests' ResponseURL: a local HTTPS server trusted through the test certificate."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer


@pytest.fixture
def server(certificate: CertificatePair) -> Iterator[ResponseServer]:
    with ResponseServer(certificate) as response_server:
        yield response_server
