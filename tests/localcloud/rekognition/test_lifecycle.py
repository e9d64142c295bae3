"""An unmodified boto3 script runs the whole Custom Labels lifecycle against the local endpoint."""

from __future__ import annotations

import json
from typing import Any

from localcloud.clock import ManualClock
from localcloud.testing.clouds import PROPORTIONAL
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded

DURATIONS = PROPORTIONAL.durations


def describe(rekognition: Any, project_arn: str, name: str) -> dict[str, Any]:
    versions = rekognition.describe_project_versions(ProjectArn=project_arn, VersionNames=[name])
    (version,) = versions["ProjectVersionDescriptions"]
    return dict(version)


def test_whole_lifecycle(
    rekognition: Any, s3: Any, dataset: Uploaded, project_arn: str, clock: ManualClock
) -> None:
    # GIVEN a project and manifests in local S3
    # WHEN a model version is created
    arn = rekognition.create_project_version(
        ProjectArn=project_arn,
        VersionName="v1",
        OutputConfig={"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "out/"},
        TrainingData=dataset.training,
        TestingData=dataset.testing,
        Tags={"team": "vision"},
    )["ProjectVersionArn"]
    # THEN its ARN is the service's, with an epoch-millisecond suffix, and it is training
    assert arn.startswith(f"{project_arn.rsplit('/', 1)[0]}/version/v1/")
    assert abs(int(arn.rsplit("/", 1)[1]) - clock.now() * 1000) < 1000
    assert describe(rekognition, project_arn, "v1")["Status"] == "TRAINING_IN_PROGRESS"

    # WHEN training time passes THEN training completed with an evaluation
    clock.advance(DURATIONS.training)
    version = describe(rekognition, project_arn, "v1")
    assert version["Status"] == "TRAINING_COMPLETED"
    assert version["BillableTrainingTimeInSeconds"] == DURATIONS.training
    assert version["TrainingEndTimestamp"].timestamp() == version["CreationTimestamp"].timestamp() + 600
    assert version["EvaluationResult"]["F1Score"] >= 0.9
    summary = version["EvaluationResult"]["Summary"]["S3Object"]
    assert summary["Bucket"] == OUTPUT_BUCKET and summary["Name"].startswith("out/")
    document = json.loads(s3.get_object(Bucket=summary["Bucket"], Key=summary["Name"])["Body"].read())
    assert document["EvaluationDetails"]["ProjectVersionArn"] == arn
    assert document["AggregatedEvaluationResults"]["F1Score"] == version["EvaluationResult"]["F1Score"]
    manifest_summary = version["ManifestSummary"]["S3Object"]
    s3.head_object(Bucket=manifest_summary["Bucket"], Key=manifest_summary["Name"])

    # WHEN it is started THEN it is starting, then running with its inference units
    assert (
        rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)["Status"] == "STARTING"
    )
    clock.advance(DURATIONS.starting)
    running = describe(rekognition, project_arn, "v1")
    assert running["Status"] == "RUNNING" and running["MinInferenceUnits"] == 1

    # WHEN an image is sent THEN the label it shows comes first
    square = next(key for key in dataset.keys if "square" in key and key.endswith(".png"))
    labels = rekognition.detect_custom_labels(
        ProjectVersionArn=arn, Image={"S3Object": {"Bucket": dataset.bucket, "Name": square}}
    )["CustomLabels"]
    assert labels and labels[0]["Name"] == "square"
    image = s3.get_object(Bucket=dataset.bucket, Key=square)["Body"].read()
    by_bytes = rekognition.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": image})["CustomLabels"]
    assert by_bytes == labels

    # WHEN it is stopped, then deleted THEN it goes through STOPPING/STOPPED and DELETING, then is gone
    assert rekognition.stop_project_version(ProjectVersionArn=arn)["Status"] == "STOPPING"
    clock.advance(DURATIONS.stopping)
    assert describe(rekognition, project_arn, "v1")["Status"] == "STOPPED"
    assert rekognition.delete_project_version(ProjectVersionArn=arn)["Status"] == "DELETING"
    assert describe(rekognition, project_arn, "v1")["Status"] == "DELETING"
    clock.advance(DURATIONS.deleting)
    listed = rekognition.describe_project_versions(ProjectArn=project_arn)["ProjectVersionDescriptions"]
    assert listed == []

    # AND the project can then be deleted too
    assert rekognition.delete_project(ProjectArn=project_arn)["Status"] == "DELETING"
    clock.advance(DURATIONS.project_deleting)
    assert rekognition.describe_projects(ProjectNames=["shapes"])["ProjectDescriptions"] == []
