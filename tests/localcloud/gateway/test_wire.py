"""The endpoint on the wire (``localcloud.gateway.wsgi`` served by ``localcloud.gateway.server``):
awsJson1_1 requests and errors, SigV4 credential scopes choosing the region, routing to moto, calls nothing
implements, and the endpoint settings an unmodified script picks up."""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.gateway.wsgi import UNSUPPORTED
from localcloud.testing.clouds import PROPORTIONAL, started_cloud

DURATIONS = PROPORTIONAL.durations

ACCOUNT = "123456789012"
JSON_1_1 = "application/x-amz-json-1.1"


@pytest.fixture(scope="module")
def shared_cloud() -> Iterator[LocalCloud]:
    """One local cloud for this module's tests; each uses names of its own."""
    with started_cloud(PROPORTIONAL, clock=ManualClock()) as local_cloud:
        yield local_cloud


def authorization(region: str, service: str = "rekognition") -> str:
    """A SigV4-shaped Authorization header: the emulator reads the region from its credential scope."""
    return (
        f"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20250101/{region}/{service}/aws4_request, "
        f"SignedHeaders=content-type;host;x-amz-date;x-amz-target, Signature={'0' * 64}"
    )


def post(
    endpoint_url: str,
    target: str,
    body: bytes,
    *,
    region: str | None = "eu-west-1",
    service: str = "rekognition",
) -> tuple[int, dict[str, str], bytes]:
    """POST / with an X-Amz-Target, as an SDK would; (HTTP status, headers, body)."""
    headers = {"X-Amz-Target": target, "Content-Type": JSON_1_1, "X-Amz-Date": "20250101T000000Z"}
    if region is not None:
        headers["Authorization"] = authorization(region, service)
    request = urllib.request.Request(endpoint_url + "/", data=body, method="POST", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def rekognition_call(
    endpoint_url: str, operation: str, params: dict[str, Any], *, region: str | None = "eu-west-1"
) -> tuple[int, dict[str, str], Any]:
    status, headers, body = post(
        endpoint_url, f"RekognitionService.{operation}", json.dumps(params).encode(), region=region
    )
    return status, headers, json.loads(body)


def project_names(endpoint_url: str, region: str | None) -> list[str]:
    status, _, body = rekognition_call(endpoint_url, "DescribeProjects", {}, region=region)
    assert status == 200
    return [project["ProjectArn"].split("/")[1] for project in body["ProjectDescriptions"]]


# -- awsJson1_1 on the wire ---------------------------------------------------------------------------


def test_a_raw_json_call_is_answered_as_the_service_would(shared_cloud: LocalCloud) -> None:
    # GIVEN a hand-made awsJson1_1 request with a SigV4-looking Authorization header
    # WHEN it is posted to /
    status, headers, body = post(shared_cloud.endpoint_url, "RekognitionService.DescribeProjects", b"{}")
    # THEN it is answered 200 with a JSON body, the protocol's content type and a request id
    assert status == 200
    assert headers["Content-Type"] == JSON_1_1
    assert re.fullmatch(r"[0-9a-f-]{36}", headers["x-amzn-RequestId"])
    assert set(json.loads(body)) == {"ProjectDescriptions"}


@pytest.mark.parametrize("region", ["eu-west-1", "ap-southeast-2"])
def test_the_credential_scope_chooses_the_region(shared_cloud: LocalCloud, region: str) -> None:
    # GIVEN a project created with a credential scope in another region
    name = f"scoped-{region}"
    status, _, body = rekognition_call(
        shared_cloud.endpoint_url, "CreateProject", {"ProjectName": name}, region=region
    )
    # THEN its ARN names that region
    assert status == 200
    assert re.fullmatch(rf"arn:aws:rekognition:{region}:{ACCOUNT}:project/{name}/\d+", body["ProjectArn"])
    # AND it is listed in that region only: not in us-east-1, nor when no region is given (us-east-1)
    assert name in project_names(shared_cloud.endpoint_url, region)
    assert name not in project_names(shared_cloud.endpoint_url, "us-east-1")
    assert name not in project_names(shared_cloud.endpoint_url, None)
    listed = shared_cloud.client("rekognition", region).describe_projects()["ProjectDescriptions"]
    assert body["ProjectArn"] in [project["ProjectArn"] for project in listed]


def test_a_project_in_another_region_cannot_be_reached_by_arn(shared_cloud: LocalCloud) -> None:
    # GIVEN a project in eu-west-1
    project_arn = shared_cloud.client("rekognition", "eu-west-1").create_project(ProjectName="far-away")[
        "ProjectArn"
    ]
    # WHEN a us-east-1 client asks for its versions
    with pytest.raises(ClientError) as caught:
        shared_cloud.client("rekognition", "us-east-1").describe_project_versions(ProjectArn=project_arn)
    # THEN the project is not found there
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_error_is_400_with_the_protocols_body(shared_cloud: LocalCloud) -> None:
    # GIVEN a project ARN that does not exist
    arn = f"arn:aws:rekognition:eu-west-1:{ACCOUNT}:project/absent/1"
    # WHEN its versions are asked for, twice
    answers = [
        rekognition_call(shared_cloud.endpoint_url, "DescribeProjectVersions", {"ProjectArn": arn})
        for _ in range(2)
    ]
    # THEN each answer is HTTP 400 with exactly __type and Message, and its own request id
    for status, headers, body in answers:
        assert status == 400
        assert headers["Content-Type"] == JSON_1_1
        assert set(body) == {"__type", "Message"}
        assert body["__type"] == "ResourceNotFoundException"
        assert arn in body["Message"]
    assert answers[0][1]["x-amzn-RequestId"] != answers[1][1]["x-amzn-RequestId"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(b"{not json", id="malformed"),
        pytest.param(b'{"ProjectNames": ["a"]', id="truncated"),
        pytest.param(b"[]", id="array"),
        pytest.param(b"null", id="null"),
        pytest.param(b'"DescribeProjects"', id="string"),
        pytest.param(b"42", id="number"),
        pytest.param(
            b'{"ProjectNames": ["\xff"]}',
            id="not-utf8",
        ),
    ],
)
def test_a_body_that_is_not_a_json_object_is_refused(shared_cloud: LocalCloud, body: bytes) -> None:
    # GIVEN a Custom Labels request whose body is not a JSON object
    # WHEN it is posted
    status, _, answer = post(shared_cloud.endpoint_url, "RekognitionService.DescribeProjects", body)
    # THEN the service refuses it as a client error
    assert status == 400
    assert json.loads(answer)["__type"] == "InvalidParameterException"


def test_an_unknown_operation_is_a_client_error(shared_cloud: LocalCloud) -> None:
    # GIVEN an operation the service does not have WHEN it is posted
    status, _, answer = post(shared_cloud.endpoint_url, "RekognitionService.DescribeEverything", b"{}")
    # THEN it is a JSON client error
    assert status == 400
    assert "UnknownOperation" in json.loads(answer)["__type"]


@pytest.mark.parametrize(
    ("target", "service", "member"),
    [
        ("TrentService.ListKeys", "kms", "Keys"),
        ("RekognitionService.DetectLabels", "rekognition", "Labels"),
    ],
    ids=["kms", "rekognition-detect-labels"],
)
def test_other_targets_reach_moto_on_the_same_endpoint(
    shared_cloud: LocalCloud, target: str, service: str, member: str
) -> None:
    # GIVEN a JSON target the Custom Labels emulator does not serve
    # WHEN it is posted to the same endpoint
    body = b'{"Image": {"Bytes": "iVBORw0KGgo="}}' if member == "Labels" else b"{}"
    status, _, answer = post(shared_cloud.endpoint_url, target, body, service=service)
    # THEN moto answers it
    assert status == 200
    assert member in json.loads(answer)


@pytest.mark.parametrize(
    ("service", "operation", "arguments"),
    [
        ("events", "list_endpoints", {}),  # json: moto's NotImplementedError
        ("lambda", "list_code_signing_configs", {}),  # rest-json: no moto route at all
        ("rekognition", "list_faces", {"CollectionId": "c"}),  # json: not Custom Labels
    ],
)
def test_a_call_the_local_cloud_lacks_is_a_clean_client_error_that_is_not_retried(
    shared_cloud: LocalCloud, service: str, operation: str, arguments: dict[str, Any]
) -> None:
    # GIVEN a client that retries server errors, as botocore's standard mode does
    client = boto3.client(
        service,
        region_name="us-east-1",
        endpoint_url=shared_cloud.endpoint_url,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"mode": "standard", "max_attempts": 3}),
    )
    # WHEN it makes a call nothing in the local cloud implements
    with pytest.raises(ClientError) as raised:
        getattr(client, operation)(**arguments)
    # THEN the answer is one 400 in the service's protocol, saying so, and botocore did not retry it
    response = raised.value.response
    assert response["Error"]["Code"] == UNSUPPORTED
    assert "does not implement" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RetryAttempts"] == 0


# -- endpoint settings of an unmodified script --------------------------------------------------------


@pytest.fixture
def plain_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """No endpoint settings but the ones a test makes, and no shared config file in the way."""
    for name in list(os.environ):
        if name.startswith("AWS_ENDPOINT_URL") or name == "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS":
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    return monkeypatch


def plain_client(service: str) -> Any:
    """A client as an unmodified script makes it: no endpoint_url argument."""
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def test_aws_endpoint_url_alone_points_every_client_at_the_local_cloud(
    shared_cloud: LocalCloud, plain_environment: pytest.MonkeyPatch
) -> None:
    # GIVEN only AWS_ENDPOINT_URL set to the local cloud
    plain_environment.setenv("AWS_ENDPOINT_URL", shared_cloud.endpoint_url)
    # WHEN a script makes plain S3, KMS and Rekognition clients and uses them
    s3, kms, rekognition = (plain_client(name) for name in ("s3", "kms", "rekognition"))
    s3.create_bucket(Bucket="plain-script-bucket")
    s3.put_object(Bucket="plain-script-bucket", Key="hello.txt", Body=b"hello")
    key_id = kms.create_key(Description="plain script")["KeyMetadata"]["KeyId"]
    project_arn = rekognition.create_project(ProjectName="plain-script")["ProjectArn"]
    # THEN everything landed in the local cloud: moto has the bucket and key, the emulator the project
    local_s3 = shared_cloud.client("s3")
    assert local_s3.get_object(Bucket="plain-script-bucket", Key="hello.txt")["Body"].read() == b"hello"
    assert (
        shared_cloud.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "plain script"
    )
    assert project_arn.startswith(f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/plain-script/")
    listed = shared_cloud.client("rekognition").describe_projects(ProjectNames=["plain-script"])
    assert [project["ProjectArn"] for project in listed["ProjectDescriptions"]] == [project_arn]


def test_the_service_specific_endpoint_setting_wins(
    shared_cloud: LocalCloud, plain_environment: pytest.MonkeyPatch
) -> None:
    # GIVEN AWS_ENDPOINT_URL pointing nowhere, and AWS_ENDPOINT_URL_REKOGNITION at the local cloud
    nowhere = "http://127.0.0.1:9"
    plain_environment.setenv("AWS_ENDPOINT_URL", nowhere)
    plain_environment.setenv("AWS_ENDPOINT_URL_REKOGNITION", shared_cloud.endpoint_url)
    # WHEN a script makes plain clients
    rekognition, s3 = plain_client("rekognition"), plain_client("s3")
    # THEN Rekognition talks to the local cloud, and other services keep the general setting
    assert rekognition.meta.endpoint_url == shared_cloud.endpoint_url
    assert s3.meta.endpoint_url == nowhere
    project_arn = rekognition.create_project(ProjectName="specific-endpoint")["ProjectArn"]
    assert "specific-endpoint" in project_names(shared_cloud.endpoint_url, "us-east-1")
    assert ":us-east-1:" in project_arn
