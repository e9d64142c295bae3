"""The checks before training, on answers of S3 and KMS that moto does not give: a 403 for a missing key
or another account's bucket, a bucket in another Region not followed there, a throttled check."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import Stubber
from preflight import problems
from resource_properties import VersionSpec, parse

PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/shapes/1700000000000"
PROPERTIES = {
    "ProjectArn": PROJECT,
    "VersionName": "v1",
    "OutputConfig": {"S3Bucket": "output", "S3KeyPrefix": "v1/"},
    "TrainingData": {"Assets": [{"GroundTruthManifest": {"S3Object": {"Bucket": "data", "Name": "train"}}}]},
    "TestingData": {"AutoCreate": "true"},
    "KmsKeyId": "alias/model",
}


@pytest.fixture
def spec() -> VersionSpec:
    return parse(PROPERTIES)


@pytest.fixture
def clients() -> Iterator[tuple[Any, Stubber, Any, Stubber]]:
    session = boto3.Session(aws_access_key_id="x", aws_secret_access_key="y", region_name="us-east-1")
    s3, kms = session.client("s3"), session.client("kms")
    with Stubber(s3) as s3_stub, Stubber(kms) as kms_stub:
        yield s3, s3_stub, kms, kms_stub
        s3_stub.assert_no_pending_responses()
        kms_stub.assert_no_pending_responses()


def manifest_ok(stub: Stubber) -> None:
    first_byte = {"Body": StreamingBody(io.BytesIO(b"{"), 1), "ContentLength": 1}
    stub.add_response("get_object", first_byte, {"Bucket": "data", "Key": "train", "Range": "bytes=0-0"})


def bucket_ok(stub: Stubber, region: str = "us-east-1") -> None:
    stub.add_response(
        "head_bucket",
        {"BucketRegion": region},
        {"Bucket": "output", "ExpectedBucketOwner": "123456789012"},
    )


def key_ok(stub: Stubber) -> None:
    stub.add_response(
        "describe_key", {"KeyMetadata": {"KeyId": "k", "KeyState": "Enabled"}}, {"KeyId": "alias/model"}
    )


def test_a_403_on_the_manifest_says_it_may_be_missing_or_unreadable(
    spec: VersionSpec, clients: tuple[Any, Stubber, Any, Stubber]
) -> None:
    # GIVEN S3 answering 403 for the manifest (a missing key, to a caller that may not list the bucket)
    s3, s3_stub, kms, kms_stub = clients
    s3_stub.add_client_error("get_object", "AccessDenied", "Access Denied", 403)
    bucket_ok(s3_stub)
    key_ok(kms_stub)
    # WHEN checked THEN the one problem names the manifest and both readings of a 403
    (found,) = problems(spec, s3=s3, kms=kms)
    assert found.startswith("training manifest s3://data/train: access denied to the provider's role")
    assert "the key may not exist" in found


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        (
            {"service_error_code": "403", "http_status_code": 403},
            "output bucket s3://output: not this account's",
        ),
        (
            {
                "service_error_code": "301",
                "http_status_code": 301,
                "response_meta": {"HTTPHeaders": {"x-amz-bucket-region": "eu-west-1"}},
            },
            "output bucket s3://output: in eu-west-1, while Rekognition trains this project in us-east-1",
        ),
    ],
    ids=["another account", "another region, not followed"],
)
def test_the_output_bucket_answers_name_the_problem(
    spec: VersionSpec, clients: tuple[Any, Stubber, Any, Stubber], answer: dict[str, Any], expected: str
) -> None:
    # GIVEN a readable manifest, an enabled key and HeadBucket's answer
    s3, s3_stub, kms, kms_stub = clients
    manifest_ok(s3_stub)
    s3_stub.add_client_error("head_bucket", **answer)
    key_ok(kms_stub)
    # WHEN checked THEN the problem is the output bucket's
    (found,) = problems(spec, s3=s3, kms=kms)
    assert found.startswith(expected)


def test_a_key_the_role_may_not_describe_is_named(
    spec: VersionSpec, clients: tuple[Any, Stubber, Any, Stubber]
) -> None:
    # GIVEN KMS refusing DescribeKey
    s3, s3_stub, kms, kms_stub = clients
    manifest_ok(s3_stub)
    bucket_ok(s3_stub)
    kms_stub.add_client_error("describe_key", "AccessDeniedException", "no", 400)
    # WHEN checked THEN the key is named with the permission
    assert list(problems(spec, s3=s3, kms=kms)) == [
        "KMS key alias/model: the provider's role may not describe it (kms:DescribeKey), so training could "
        "not use it"
    ]


def test_checks_that_cannot_decide_let_the_training_go_ahead(
    spec: VersionSpec, clients: tuple[Any, Stubber, Any, Stubber]
) -> None:
    # GIVEN a throttled GetObject, a HeadBucket answering 500 and a KMS internal error
    s3, s3_stub, kms, kms_stub = clients
    s3_stub.add_client_error("get_object", "SlowDown", "Please reduce your request rate.", 503)
    s3_stub.add_client_error("head_bucket", "500", "Internal Error", 500)
    kms_stub.add_client_error("describe_key", "KMSInternalException", "oops", 500)
    # WHEN checked THEN nothing is a problem: the training reports anything real itself
    assert list(problems(spec, s3=s3, kms=kms)) == []
