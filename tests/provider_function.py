"""This project's provider function (``lambda/project_version``, as the wheel ships it) under the test
CloudFormation driver: one name, one polling-rule prefix, its resource type."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from localcloud.deploy.custom_resources.response_url import ResponseServer
from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation
from rekognition_custom_labels.provider import handler_dir

FUNCTION_NAME = "RekCL-0123456789abcdef"
RULE_PREFIX = f"{FUNCTION_NAME}-"
RESOURCE_TYPE = "Custom::RekognitionProjectVersion"
ATTRIBUTES_TYPE = "Custom::RekognitionProjectVersionAttributes"


def provider(
    cloud: LocalCloud,
    responses: ResponseServer,
    cert_file: Path,
    *,
    environment: dict[str, str] | None = None,
    timeout_seconds: int = 120,
) -> CloudFormation:
    """CloudFormation around the handler, its schedules under ``RULE_PREFIX``, logging at INFO."""
    return CloudFormation(
        cloud,
        responses,
        cert_file=cert_file,
        code_dir=handler_dir(),
        function_name=FUNCTION_NAME,
        resource_type=RESOURCE_TYPE,
        environment={"POLL_RULE_PREFIX": RULE_PREFIX, "LOG_LEVEL": "INFO", **(environment or {})},
        timeout_seconds=timeout_seconds,
    )


def versions(cloud: LocalCloud, project_arn: str) -> list[dict[str, Any]]:
    """The project's model versions, as DescribeProjectVersions gives them (newest first)."""
    described = cloud.client("rekognition").describe_project_versions(ProjectArn=project_arn)
    found: list[dict[str, Any]] = described["ProjectVersionDescriptions"]
    return found
