"""Conformance: every emulator answer is one the service model allows.

A scenario drives every operation the emulator serves (successes and modelled failures) through boto3;
each call the service handled is recorded on the wire (the JSON body) and checked against botocore's
output shape for that operation, and each error against the errors the model lists for it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from moto.core.utils import camelcase_to_underscores
from moto.rekognition.responses import RekognitionResponse

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.gateway.wsgi import UNSUPPORTED
from localcloud.rekognition.errors import ServiceError
from localcloud.rekognition.validation import modelled_errors, service_model, validate_output
from localcloud.testing.clients import error_code, unchecked_client
from localcloud.testing.clouds import PROPORTIONAL
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded

DURATIONS = PROPORTIONAL.durations


@dataclass
class Call:
    operation: str
    body: dict[str, Any] | None
    error: str | None


@pytest.fixture
def recorded(cloud: LocalCloud) -> Iterator[list[Call]]:
    """Every call the emulator answers, as JSON on the wire."""
    calls: list[Call] = []
    handle: Callable[..., dict[str, Any]] = cloud.service.handle

    def recording(operation: str, params: dict[str, Any], *, region: str = "us-east-1") -> dict[str, Any]:
        try:
            result = handle(operation, params, region=region)
        except ServiceError as error:
            calls.append(Call(operation, None, error.code))
            raise
        calls.append(Call(operation, json.loads(json.dumps(result)), None))
        return result

    cloud.service.handle = recording  # type: ignore[method-assign]
    yield calls


def expect_error(code: str, call: Callable[[], Any]) -> None:
    with pytest.raises(ClientError) as raised:
        call()
    assert error_code(raised) == code


def run_scenario(rekognition: Any, dataset: Uploaded, clock: ManualClock) -> None:
    """Each operation at least once with success, and the common failures."""
    project = rekognition.create_project(ProjectName="conformance", Tags={"k": "v"})["ProjectArn"]
    moderation = rekognition.create_project(ProjectName="moderation", Feature="CONTENT_MODERATION")
    rekognition.describe_projects()
    rekognition.describe_projects(Features=["CONTENT_MODERATION"], MaxResults=1)
    output = {"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "conformance/"}
    arn = rekognition.create_project_version(
        ProjectArn=project,
        VersionName="v1",
        OutputConfig=output,
        TrainingData=dataset.training,
        TestingData={"AutoCreate": True},
        VersionDescription="conformance run",
        Tags={"team": "vision"},
    )["ProjectVersionArn"]
    rekognition.describe_project_versions(ProjectArn=project)  # while training
    expect_error("ResourceInUseException", lambda: rekognition.delete_project_version(ProjectVersionArn=arn))
    expect_error(
        "ResourceInUseException",
        lambda: rekognition.create_project_version(ProjectArn=project, VersionName="v1", OutputConfig=output),
    )
    clock.advance(DURATIONS.training)
    rekognition.describe_project_versions(ProjectArn=project, VersionNames=["v1"], MaxResults=1)
    expect_error(
        "ResourceNotReadyException",
        lambda: rekognition.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": b"x"}),
    )
    rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1, MaxInferenceUnits=2)
    rekognition.describe_project_versions(ProjectArn=project)  # starting
    clock.advance(DURATIONS.starting)
    image = next(k for k in dataset.keys if k.endswith(".png"))
    rekognition.detect_custom_labels(
        ProjectVersionArn=arn, Image={"S3Object": {"Bucket": dataset.bucket, "Name": image}}, MaxResults=2
    )
    rekognition.tag_resource(ResourceArn=arn, Tags={"stage": "test"})
    rekognition.list_tags_for_resource(ResourceArn=arn)
    rekognition.untag_resource(ResourceArn=arn, TagKeys=["stage"])
    rekognition.stop_project_version(ProjectVersionArn=arn)
    clock.advance(DURATIONS.stopping)
    rekognition.delete_project_version(ProjectVersionArn=arn)
    rekognition.describe_project_versions(ProjectArn=project)  # deleting
    expect_error(
        "InvalidS3ObjectException",
        lambda: rekognition.create_dataset(
            ProjectArn=moderation["ProjectArn"],
            DatasetType="TRAIN",
            DatasetSource={"GroundTruthManifest": {"S3Object": {"Bucket": dataset.bucket, "Name": "nope"}}},
        ),
    )
    train_dataset = rekognition.create_dataset(
        ProjectArn=moderation["ProjectArn"],
        DatasetType="TRAIN",
        DatasetSource={"GroundTruthManifest": dataset.training["Assets"][0]["GroundTruthManifest"]},
    )["DatasetArn"]
    rekognition.describe_dataset(DatasetArn=train_dataset)
    expect_error(
        "ResourceNotReadyException", lambda: rekognition.list_dataset_entries(DatasetArn=train_dataset)
    )
    clock.advance(DURATIONS.dataset)
    rekognition.describe_dataset(DatasetArn=train_dataset)
    rekognition.describe_projects(Features=["CONTENT_MODERATION"])
    first = rekognition.list_dataset_entries(DatasetArn=train_dataset, MaxResults=1)
    rekognition.list_dataset_entries(DatasetArn=train_dataset, NextToken=first["NextToken"])
    rekognition.list_dataset_entries(
        DatasetArn=train_dataset,
        ContainsLabels=["circle"],
        Labeled=True,
        HasErrors=False,
        SourceRefContains="/",
    )
    rekognition.list_dataset_labels(DatasetArn=train_dataset, MaxResults=1)
    unlabeled = json.dumps({"source-ref": f"s3://{dataset.bucket}/{image}"})
    rekognition.update_dataset_entries(DatasetArn=train_dataset, Changes={"GroundTruth": unlabeled.encode()})
    expect_error("ResourceInUseException", lambda: rekognition.list_dataset_labels(DatasetArn=train_dataset))
    clock.advance(DURATIONS.dataset)
    test_dataset = rekognition.create_dataset(ProjectArn=moderation["ProjectArn"], DatasetType="TEST")
    clock.advance(DURATIONS.dataset)
    both = [{"Arn": train_dataset}, {"Arn": test_dataset["DatasetArn"]}]
    rekognition.distribute_dataset_entries(Datasets=both)
    clock.advance(DURATIONS.dataset)
    rekognition.describe_dataset(DatasetArn=test_dataset["DatasetArn"])
    rekognition.delete_dataset(DatasetArn=test_dataset["DatasetArn"])
    rekognition.delete_dataset(DatasetArn=train_dataset)
    clock.advance(DURATIONS.deleting)
    rekognition.delete_project(ProjectArn=project)
    missing = project.replace("conformance", "missing")
    expect_error(
        "ResourceNotFoundException", lambda: rekognition.describe_project_versions(ProjectArn=missing)
    )
    expect_error("ResourceNotFoundException", lambda: rekognition.list_tags_for_resource(ResourceArn=arn))
    expect_error(
        "InvalidPaginationTokenException", lambda: rekognition.describe_projects(NextToken="not-a-token")
    )


def test_every_answer_conforms_to_the_service_model(
    cloud: LocalCloud, rekognition: Any, dataset: Uploaded, clock: ManualClock, recorded: list[Call]
) -> None:
    # GIVEN the scenario run through boto3 (which parsed every answer without complaint)
    run_scenario(rekognition, dataset, clock)
    # THEN every operation the emulator serves answered at least once with success
    served = {call.operation for call in recorded if call.error is None}
    assert served == cloud.service.operations, sorted(cloud.service.operations - served)
    # AND every success body validates against the operation's output shape
    problems = {
        f"{call.operation}: {problem}"
        for call in recorded
        if call.body is not None
        for problem in validate_output(call.operation, call.body)
    }
    assert problems == set()
    # AND every error is one the model lists for that operation
    unlisted = [
        (call.operation, call.error)
        for call in recorded
        if call.error is not None and call.error not in modelled_errors(call.operation)
    ]
    assert unlisted == []
    assert any(call.error for call in recorded)


def test_every_served_operation_exists_in_the_model(cloud: LocalCloud) -> None:
    # GIVEN the operations the emulator routes to itself
    served = cloud.service.operations
    # THEN each is a Rekognition operation with that exact name
    assert served <= set(service_model().operation_names)
    assert len(served) == 19


def moto_rekognition_operations() -> frozenset[str]:
    """The Rekognition operations moto implements itself (DetectLabels, CompareFaces ...)."""
    return frozenset(
        name
        for name in service_model().operation_names
        if hasattr(RekognitionResponse, camelcase_to_underscores(name))
    )


def test_every_other_operation_is_refused_with_a_clean_error_botocore_does_not_retry(
    cloud: LocalCloud,
) -> None:
    # GIVEN a client that retries as standard botocore does, without checking parameters itself
    client = unchecked_client(
        cloud, "rekognition", config=Config(retries={"mode": "standard", "max_attempts": 3})
    )
    # WHEN every operation in the service model that neither the emulator nor moto answers is called
    served = cloud.service.operations | moto_rekognition_operations()  # moto answers image analysis
    others = sorted(set(service_model().operation_names) - served)
    assert "ListFaces" in others and "CreateCollection" in others
    for operation in others:
        with pytest.raises(ClientError) as raised:
            getattr(client, xform_name(operation))()
        # THEN each is one 4xx JSON error, naming the operation, and botocore did not retry it
        response = raised.value.response
        assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, operation
        assert error_code(raised) == UNSUPPORTED, operation
        assert operation in response["Error"]["Message"]
        assert response["ResponseMetadata"]["RetryAttempts"] == 0, operation
