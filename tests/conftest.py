"""Shared test set-up: jsii and the CDK CLI run on the virtual environment's Node (>= 22); one TLS pair."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from localcloud.deploy.cfn_response import CertificatePair, make_test_certificate

ROOT = Path(__file__).resolve().parents[1]
# Before aws_cdk is imported anywhere: jsii starts `node` from PATH, and the system one is end of life.
os.environ["PATH"] = os.pathsep.join(
    [str(Path(sys.executable).parent), str(ROOT / "node_modules" / ".bin"), os.environ.get("PATH", "")]
)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> CertificatePair:
    """The TLS pair of the local ResponseURL servers (a test-made CA; the handler trusts it by file)."""
    return make_test_certificate(tmp_path_factory.mktemp("tls"))
