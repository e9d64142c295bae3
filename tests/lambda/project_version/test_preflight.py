"""Before CreateProjectVersion: what training would fail on hours later fails the request at once, naming
the object and the problem, and no training slot is taken."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded, manifest_asset
from tests.provider_function import versions

# Each test plays CloudFormation's requests through the provider function's processes.
pytestmark = pytest.mark.scenario

CREATE_VERSION = "RekognitionService.CreateProjectVersion"
Breaking = Callable[[LocalCloud, dict[str, Any], Uploaded], str]


def missing_key(cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded) -> str:
    properties["TrainingData"] = manifest_asset(dataset.bucket, "manifests/does-not-exist.manifest")
    return f"training manifest s3://{dataset.bucket}/manifests/does-not-exist.manifest: no such key"


def missing_bucket(cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded) -> str:
    properties["TestingData"] = manifest_asset("not-uploaded-yet", dataset.test_key)
    return f"testing manifest s3://not-uploaded-yet/{dataset.test_key}: no such bucket"


def empty_manifest(cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded) -> str:
    cloud.client("s3").put_object(Bucket=dataset.bucket, Key="manifests/empty.manifest", Body=b"")
    properties["TrainingData"] = manifest_asset(dataset.bucket, "manifests/empty.manifest")
    return f"training manifest s3://{dataset.bucket}/manifests/empty.manifest: the manifest is empty"


def missing_version(cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded) -> str:
    properties["TrainingData"] = manifest_asset(dataset.bucket, dataset.train_key, "no-such-version")
    return f"s3://{dataset.bucket}/{dataset.train_key} (version no-such-version): no such version"


def missing_output_bucket(cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded) -> str:
    properties["OutputConfig"] = {"S3Bucket": "no-such-output", "S3KeyPrefix": "Classifier/"}
    return "output bucket s3://no-such-output: no such bucket"


def output_in_another_region(cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded) -> str:
    cloud.client("s3").create_bucket(
        Bucket="output-in-ireland", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    properties["OutputConfig"] = {"S3Bucket": "output-in-ireland"}
    return "s3://output-in-ireland: in eu-west-1, while Rekognition trains this project in us-east-1"


def disabled_key(cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded) -> str:
    kms = cloud.client("kms")
    key_id = kms.create_key(Description="model key")["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    properties["KmsKeyId"] = key_id
    return f"KMS key {key_id}: the key is Disabled"


def unknown_alias(cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded) -> str:
    properties["KmsKeyId"] = "alias/no-such-key"
    return "KMS key alias/no-such-key: no such key or alias"


@pytest.mark.parametrize(
    "breaking",
    [
        missing_key,
        missing_bucket,
        empty_manifest,
        missing_version,
        missing_output_bucket,
        output_in_another_region,
        disabled_key,
        unknown_alias,
    ],
)
def test_a_request_that_would_fail_its_training_fails_at_once_naming_the_object(
    cfn: CloudFormation,
    cloud: LocalCloud,
    properties: dict[str, Any],
    dataset: Uploaded,
    breaking: Breaking,
) -> None:
    # GIVEN a Create whose data, output bucket or key training would fail on
    problem = breaking(cloud, properties, dataset)
    # WHEN CloudFormation sends it
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN it fails at once with a Reason naming the object and the problem, and nothing trained
    assert outcome.status == "FAILED"
    assert problem in outcome.reason
    assert outcome.reason.startswith(f"Model version {properties['VersionName']} was not created: ")
    assert outcome.polls == 0
    assert cloud.call_count(CREATE_VERSION) == 0
    # WHEN CloudFormation rolls back with a Delete of the id the FAILED answer gave
    rollback = cfn.send(cfn.event("Delete", "Classifier", properties, physical_id=outcome.physical_id))
    # THEN the rollback succeeds and nothing is left: no version, rule or permission
    assert rollback.status == "SUCCESS", rollback.reason
    assert versions(cloud, properties["ProjectArn"]) == []
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_every_problem_found_is_named_in_one_reason(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded
) -> None:
    # GIVEN a Create with a missing training manifest and a missing output bucket
    expected = [missing_key(cloud, properties, dataset), missing_output_bucket(cloud, properties, dataset)]
    # WHEN CloudFormation sends it
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN one FAILED answer names both
    assert outcome.status == "FAILED"
    assert all(problem in outcome.reason for problem in expected), outcome.reason
    assert cloud.call_count(CREATE_VERSION) == 0


def test_a_replacing_update_is_checked_too_and_keeps_the_current_version(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded
) -> None:
    # GIVEN a trained version
    created = cfn.send(cfn.event("Create", "Classifier", properties))
    assert created.status == "SUCCESS", created.reason
    # WHEN an update asks for a new version trained from a manifest that does not exist
    new = {**properties, "VersionName": "Classifier-fedcba987654"}
    problem = missing_key(cloud, new, dataset)
    update = cfn.send(
        cfn.event("Update", "Classifier", new, physical_id=created.physical_id, old_properties=properties)
    )
    # THEN it fails at once naming the key, without a second CreateProjectVersion
    assert update.status == "FAILED"
    assert problem in update.reason
    assert cloud.call_count(CREATE_VERSION) == 1
    # AND the current version is the only one, still trained
    assert [v["ProjectVersionArn"] for v in versions(cloud, properties["ProjectArn"])] == [
        created.physical_id
    ]


def test_a_valid_request_passes_the_checks_and_trains(
    cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded
) -> None:
    # GIVEN a valid Create with a pinned manifest version, an enabled key and the output bucket of us-east-1
    s3 = cloud.client("s3")
    s3.put_bucket_versioning(Bucket=dataset.bucket, VersioningConfiguration={"Status": "Enabled"})
    body = s3.get_object(Bucket=dataset.bucket, Key=dataset.train_key)["Body"].read()
    pinned = s3.put_object(Bucket=dataset.bucket, Key=dataset.train_key, Body=body)["VersionId"]
    key_id = cloud.client("kms").create_key()["KeyMetadata"]["KeyId"]
    properties.update(TrainingData=manifest_asset(dataset.bucket, dataset.train_key, pinned), KmsKeyId=key_id)
    assert properties["OutputConfig"]["S3Bucket"] == OUTPUT_BUCKET
    # WHEN CloudFormation sends it
    outcome = cfn.send(cfn.event("Create", "Classifier", properties))
    # THEN it trains as before: one CreateProjectVersion, SUCCESS once training completed
    assert outcome.status == "SUCCESS", outcome.reason
    assert cloud.call_count(CREATE_VERSION) == 1
