"""Each resource type's provisioner against the local cloud, on a clock the test moves by hand, through
``ctx``: the engine's side of the provisioners' contract on that cloud."""

from __future__ import annotations

import pytest

from localcloud.gateway.server import LocalCloud

from .context import LocalContext


@pytest.fixture
def local_cloud_preset() -> str:
    return "proportional"


@pytest.fixture
def ctx(cloud: LocalCloud) -> LocalContext:
    return LocalContext(cloud)
