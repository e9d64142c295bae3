"""The project-version handler: its modules one by one, and the whole of it through CloudFormation's
protocol, against the offline Rekognition emulator on a clock that moves one poll at a time.

``lambda`` is a Python keyword, so the handler's folder is not a package: its modules are imported by
their own names (``resource_properties``, ``version_lifecycle``, ``cfn_response_sender``), as Lambda
does, from the folder put first on ``sys.path`` here. ``index`` is left to the end-to-end tests: it
builds crhelper's module-level helper at import.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded
from rekognition_custom_labels.provider import handler_dir
from tests.provider_function import provider

HANDLER_DIR = str(handler_dir())
if HANDLER_DIR in sys.path:
    sys.path.remove(HANDLER_DIR)
sys.path.insert(0, HANDLER_DIR)


@pytest.fixture
def local_cloud_preset() -> str:
    return "polls"  # each phase one to three one-minute polls: a scenario needs few invocations


@pytest.fixture
def cfn(cloud: LocalCloud, responses: ResponseServer, certificate: CertificatePair) -> CloudFormation:
    return provider(cloud, responses, certificate.cert_file)


@pytest.fixture
def properties(project_arn: str, dataset: Uploaded) -> dict[str, Any]:
    """What the construct renders for one model version (before CloudFormation stringifies it)."""
    return {
        "ProjectArn": project_arn,
        "VersionName": "Classifier-0123456789ab",
        "OutputConfig": {"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "Classifier/"},
        "TrainingData": dataset.training,
        "TestingData": dataset.testing,
        "VersionDescription": "Shapes classifier",
        "Tags": {"team": "vision"},
        "ServiceTimeout": 3600,
    }
