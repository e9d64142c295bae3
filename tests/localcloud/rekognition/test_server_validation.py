"""Server-side validation: the emulator rejects what the service model forbids, as the service does.

botocore checks only required members and minimums before sending, so these tests use a client with
``parameter_validation=False``: every request reaches the emulator over HTTP exactly as written, and the
answer must come from the server.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.testing.clients import error_code, unchecked_client
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded

DURATIONS = PROPORTIONAL.durations

ACCOUNT = "123456789012"
PROJECT_ARN = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/absent/1750000000000"
VERSION_ARN = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/absent/version/v1/1750000000000"
OUTPUT = {"S3Bucket": OUTPUT_BUCKET}
IMAGE = {"Bytes": b"\x89PNG\r\n\x1a\n"}
ONE_ATTEMPT = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def shared_cloud() -> Iterator[LocalCloud]:
    """One local cloud for the stateless checks below (nothing they send is ever stored)."""
    with started_cloud(PROPORTIONAL, clock=ManualClock()) as local_cloud:
        yield local_cloud


@pytest.fixture(scope="module")
def unchecked(shared_cloud: LocalCloud) -> Any:
    """A Rekognition client that sends whatever it is given: botocore's own checks are off."""
    return unchecked_client(shared_cloud, "rekognition", config=ONE_ATTEMPT)


def version_request(**changes: Any) -> dict[str, Any]:
    """A well-formed CreateProjectVersion request (for a project that does not exist), with changes."""
    return {"ProjectArn": PROJECT_ARN, "VersionName": "v1", "OutputConfig": OUTPUT, **changes}


def call(client: Any, method: str, params: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = getattr(client, method)(**params)
    return result


# (case id, client method, request, member path the message must name)
INVALID: list[tuple[str, str, dict[str, Any], str]] = [
    ("version-name-256", "create_project_version", version_request(VersionName="v" * 256), "VersionName"),
    ("version-name-empty", "create_project_version", version_request(VersionName=""), "VersionName"),
    (
        "version-name-pattern",
        "create_project_version",
        version_request(VersionName="bad name!"),
        "VersionName",
    ),
    (
        "project-arn-malformed",
        "create_project_version",
        version_request(ProjectArn="arn:aws:rekognition:us-east-1:123:project/p"),
        "ProjectArn",
    ),
    (
        "description-newline",
        "create_project_version",
        version_request(VersionDescription="first line\nsecond line"),
        "VersionDescription",
    ),
    (
        "output-bucket-2",
        "create_project_version",
        version_request(OutputConfig={"S3Bucket": "ab"}),
        "OutputConfig.S3Bucket",
    ),
    (
        "output-prefix-1025",
        "create_project_version",
        version_request(OutputConfig={**OUTPUT, "S3KeyPrefix": "p" * 1025}),
        "OutputConfig.S3KeyPrefix",
    ),
    (
        "tags-201",
        "create_project_version",
        version_request(Tags={f"key{i}": "value" for i in range(201)}),
        "Tags",
    ),
    ("tag-key-aws-prefix", "create_project_version", version_request(Tags={"aws:k": "v"}), "Tags"),
    ("kms-key-pattern", "create_project_version", version_request(KmsKeyId="bad key!"), "KmsKeyId"),
    (
        "confidence-threshold-101",
        "create_project_version",
        version_request(FeatureConfig={"ContentModeration": {"ConfidenceThreshold": 101}}),
        "FeatureConfig.ContentModeration.ConfidenceThreshold",
    ),
    (
        "min-inference-units-0",
        "start_project_version",
        {"ProjectVersionArn": VERSION_ARN, "MinInferenceUnits": 0},
        "MinInferenceUnits",
    ),
    (
        "min-inference-units-string",
        "start_project_version",
        {"ProjectVersionArn": VERSION_ARN, "MinInferenceUnits": "1"},
        "MinInferenceUnits",
    ),
    (
        "max-results-101",
        "describe_project_versions",
        {"ProjectArn": PROJECT_ARN, "MaxResults": 101},
        "MaxResults",
    ),
    (
        "version-names-11",
        "describe_project_versions",
        {"ProjectArn": PROJECT_ARN, "VersionNames": [f"v{i}" for i in range(11)]},
        "VersionNames",
    ),
    (
        "min-confidence-101",
        "detect_custom_labels",
        {"ProjectVersionArn": VERSION_ARN, "Image": IMAGE, "MinConfidence": 101},
        "MinConfidence",
    ),
    ("project-name-256", "create_project", {"ProjectName": "p" * 256}, "ProjectName"),
    # Required members the request leaves out.
    (
        "missing-output-config",
        "create_project_version",
        {"ProjectArn": PROJECT_ARN, "VersionName": "v1"},
        "OutputConfig",
    ),
    ("missing-project-name", "create_project", {}, "ProjectName"),
    (
        "missing-min-inference-units",
        "start_project_version",
        {"ProjectVersionArn": VERSION_ARN},
        "MinInferenceUnits",
    ),
    ("missing-image", "detect_custom_labels", {"ProjectVersionArn": VERSION_ARN}, "Image"),
    ("missing-project-arn", "describe_project_versions", {}, "ProjectArn"),
]


@pytest.mark.parametrize(
    ("method", "params", "member"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_the_server_rejects_what_the_model_forbids(
    unchecked: Any, method: str, params: dict[str, Any], member: str
) -> None:
    # GIVEN a request that breaks one rule of the service model, sent without client-side checks
    # WHEN it reaches the emulator
    with pytest.raises(ClientError) as caught:
        call(unchecked, method, params)
    # THEN the service answers InvalidParameterException (HTTP 400), naming the member at fault
    error = caught.value.response
    assert error_code(caught) == "InvalidParameterException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert f"{member}:" in error["Error"]["Message"] or f"{member} key" in error["Error"]["Message"]


# (case id, client method, request): each at a limit, for a resource that does not exist, so a request
# that passes validation meets ResourceNotFoundException instead.
AT_THE_LIMIT: list[tuple[str, str, dict[str, Any]]] = [
    ("version-name-255", "create_project_version", version_request(VersionName="v" * 255)),
    ("version-name-1", "create_project_version", version_request(VersionName="v")),
    ("version-name-all-characters", "create_project_version", version_request(VersionName="a-Z_0.9")),
    (
        "description-all-characters",
        "create_project_version",
        version_request(VersionDescription="Model (v2): 'ok'; ready?"),
    ),
    ("output-bucket-3", "create_project_version", version_request(OutputConfig={"S3Bucket": "abc"})),
    (
        "output-prefix-1024",
        "create_project_version",
        version_request(OutputConfig={**OUTPUT, "S3KeyPrefix": "p" * 1024}),
    ),
    (
        "tags-200",
        "create_project_version",
        version_request(Tags={f"key{i}": "value" for i in range(200)}),
    ),
    ("tag-key-aws-not-prefix", "create_project_version", version_request(Tags={"k:aws:": ""})),
    ("kms-alias", "create_project_version", version_request(KmsKeyId="alias/my-key")),
    (
        "confidence-threshold-100",
        "create_project_version",
        version_request(FeatureConfig={"ContentModeration": {"ConfidenceThreshold": 100}}),
    ),
    (
        "min-inference-units-1",
        "start_project_version",
        {"ProjectVersionArn": VERSION_ARN, "MinInferenceUnits": 1},
    ),
    ("max-results-100", "describe_project_versions", {"ProjectArn": PROJECT_ARN, "MaxResults": 100}),
    (
        "version-names-10",
        "describe_project_versions",
        {"ProjectArn": PROJECT_ARN, "VersionNames": [f"v{i}" for i in range(10)]},
    ),
    (
        "min-confidence-100",
        "detect_custom_labels",
        {"ProjectVersionArn": VERSION_ARN, "Image": IMAGE, "MinConfidence": 100},
    ),
]


@pytest.mark.parametrize(
    ("method", "params"), [c[1:] for c in AT_THE_LIMIT], ids=[c[0] for c in AT_THE_LIMIT]
)
def test_a_request_at_the_limits_passes_validation(
    unchecked: Any, method: str, params: dict[str, Any]
) -> None:
    # GIVEN a well-formed request whose values sit exactly at the model's limits
    # WHEN it reaches the emulator
    with pytest.raises(ClientError) as caught:
        call(unchecked, method, params)
    # THEN validation lets it through and the operation itself answers: the resource does not exist
    assert error_code(caught) == "ResourceNotFoundException"


def test_every_problem_is_named_in_one_answer(unchecked: Any) -> None:
    # GIVEN a request with three faults in different members
    request = version_request(VersionName="", OutputConfig={"S3Bucket": "ab"}, Tags={"aws:x": "v"})
    # WHEN it is sent
    with pytest.raises(ClientError) as caught:
        unchecked.create_project_version(**request)
    # THEN one InvalidParameterException names all three
    message = caught.value.response["Error"]["Message"]
    assert error_code(caught) == "InvalidParameterException"
    assert "VersionName:" in message and "OutputConfig.S3Bucket:" in message and "Tags key" in message


def test_a_project_name_at_the_limit_is_created(unchecked: Any) -> None:
    # GIVEN a 255-character project name, the longest the model allows
    name = "p" * 255
    # WHEN the project is created without client-side checks
    arn = unchecked.create_project(ProjectName=name)["ProjectArn"]
    # THEN it exists under that name
    assert arn.startswith(f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/{name}/")
    described = unchecked.describe_projects(ProjectNames=[name])["ProjectDescriptions"]
    assert [project["ProjectArn"] for project in described] == [arn]


def test_a_valid_request_passes_through_unchanged(
    cloud: LocalCloud, dataset: Uploaded, project_arn: str, clock: ManualClock
) -> None:
    # GIVEN a KMS key and a complete, valid CreateProjectVersion request using every optional member
    key_id = cloud.client("kms").create_key()["KeyMetadata"]["KeyId"]
    unchecked = unchecked_client(cloud, "rekognition", config=ONE_ATTEMPT)
    request = {
        "ProjectArn": project_arn,
        "VersionName": "v1.0_rc-1",
        "OutputConfig": {"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "runs/1/"},
        "TrainingData": dataset.training,
        "TestingData": dataset.testing,
        "Tags": {"team": "vision", "cost-centre": "42"},
        "KmsKeyId": key_id,
        "VersionDescription": "Shapes (v1): first try; ok?",
    }
    # WHEN it is sent without client-side checks
    arn = unchecked.create_project_version(**request)["ProjectVersionArn"]
    # THEN the version records exactly what was sent
    (version,) = unchecked.describe_project_versions(ProjectArn=project_arn, VersionNames=["v1.0_rc-1"])[
        "ProjectVersionDescriptions"
    ]
    assert version["ProjectVersionArn"] == arn
    assert version["Status"] == "TRAINING_IN_PROGRESS"
    assert version["OutputConfig"] == request["OutputConfig"]
    assert version["KmsKeyId"] == key_id
    assert version["VersionDescription"] == request["VersionDescription"]
    assert version["TrainingDataResult"]["Input"] == dataset.training
    assert version["TestingDataResult"]["Input"] == dataset.testing
    assert unchecked.list_tags_for_resource(ResourceArn=arn)["Tags"] == request["Tags"]
    # AND it trains like any other version
    clock.advance(DURATIONS.training)
    (trained,) = unchecked.describe_project_versions(ProjectArn=project_arn)["ProjectVersionDescriptions"]
    assert trained["Status"] == "TRAINING_COMPLETED"
