"""The client helpers the package ships for tests (``localcloud.testing.clients``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ParamValidationError

from localcloud.gateway.server import CREDENTIALS, LocalCloud
from localcloud.testing.clients import error_code, unchecked_client

UNKNOWN_PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/nowhere/1700000000000"


def test_error_code_is_the_code_of_a_real_emulator_error(rekognition: Any) -> None:
    # GIVEN a call the emulator refuses: a project that does not exist
    # WHEN it is made
    with pytest.raises(ClientError) as caught:
        rekognition.describe_project_versions(ProjectArn=UNKNOWN_PROJECT)
    # THEN the code is the service's, read from what pytest caught and from the exception alike
    assert error_code(caught) == "ResourceNotFoundException"
    assert error_code(caught.value) == "ResourceNotFoundException"
    assert error_code(caught) == caught.value.response["Error"]["Code"]


def test_a_request_botocore_would_refuse_reaches_the_emulator_and_is_refused_there(
    cloud: LocalCloud,
) -> None:
    # GIVEN a CreateProject request without its required ProjectName
    # WHEN a usual client sends it THEN botocore refuses it itself, and the emulator never sees it
    with pytest.raises(ParamValidationError):
        cloud.client("rekognition").create_project()
    assert cloud.service.calls.count("CreateProject") == 0
    # WHEN the unchecked client sends it
    with pytest.raises(ClientError) as caught:
        unchecked_client(cloud, "rekognition").create_project()
    # THEN it reached the emulator, which refused it as the service does, naming the member
    assert error_code(caught) == "InvalidParameterException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "ProjectName" in caught.value.response["Error"]["Message"]
    assert cloud.service.calls.count("CreateProject", "InvalidParameterException") == 1
    assert cloud.service.calls.count("CreateProject") == 1


def test_an_unchecked_client_reaches_any_endpoint_with_the_local_clouds_credentials(
    cloud: LocalCloud,
) -> None:
    # GIVEN any object with an endpoint_url (not a LocalCloud), and a region of choice
    served = SimpleNamespace(endpoint_url=cloud.endpoint_url)
    # WHEN an unchecked client of it creates a project
    client = unchecked_client(served, "rekognition", region="eu-west-1")
    arn = client.create_project(ProjectName="unchecked")["ProjectArn"]
    # THEN the client is of that endpoint and region, signed with the local cloud's credentials
    assert client.meta.endpoint_url == cloud.endpoint_url
    assert client.meta.region_name == "eu-west-1"
    assert arn.startswith("arn:aws:rekognition:eu-west-1:")
    credentials = client._request_signer._credentials
    assert (credentials.access_key, credentials.secret_key) == (
        CREDENTIALS["aws_access_key_id"],
        CREDENTIALS["aws_secret_access_key"],
    )


def test_a_config_adds_settings_but_validation_stays_off(cloud: LocalCloud) -> None:
    # GIVEN a config asking for one attempt per call, and (wrongly) for parameter validation
    config = Config(parameter_validation=True, retries={"mode": "standard", "total_max_attempts": 1})
    client = unchecked_client(cloud, "rekognition", config=config)
    # WHEN a call meets a throttle THEN it is not retried: the retries setting was kept
    cloud.service.faults.fail_next("DescribeProjects", "ThrottlingException")
    with pytest.raises(ClientError) as caught:
        client.describe_projects()
    assert error_code(caught) == "ThrottlingException"
    assert caught.value.response["ResponseMetadata"]["RetryAttempts"] == 0
    # AND a request botocore would refuse still reaches the emulator
    with pytest.raises(ClientError) as refused:
        client.create_project()
    assert error_code(refused) == "InvalidParameterException"
