"""The files a training writes and DescribeProjectVersions points at: TrainingDataResult and
TestingDataResult (Input, Output, Validation), the manifest summary, the validation manifests.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.samples.shapes import detection_dataset
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import DATA_BUCKET, OUTPUT_BUCKET, Uploaded, upload_shapes

DURATIONS = PROPORTIONAL.durations


class Trainer:
    def __init__(self, cloud: LocalCloud, clock: ManualClock, data: Uploaded) -> None:
        self.cloud, self.clock, self.data = cloud, clock, data
        self.rekognition, self.s3 = cloud.client("rekognition"), cloud.client("s3")
        self.count = 0

    def train(
        self, training: dict[str, Any] | None, testing: dict[str, Any] | None, **extra: Any
    ) -> dict[str, Any]:
        """A version of a new project (or of ``project``), trained to its end, as described."""
        project = extra.pop("project", None)
        if project is None:
            self.count += 1
            project = self.rekognition.create_project(ProjectName=f"files-{self.count}")["ProjectArn"]
        data = {"TrainingData": training, "TestingData": testing} if training is not None else {}
        self.rekognition.create_project_version(
            ProjectArn=project,
            VersionName="v1",
            OutputConfig={"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "out/"},
            **data,
            **extra,
        )
        self.clock.advance(DURATIONS.training)
        (version,) = self.rekognition.describe_project_versions(ProjectArn=project)[
            "ProjectVersionDescriptions"
        ]
        return dict(version)

    def read(self, s3_object: dict[str, str]) -> bytes:
        body: bytes = self.s3.get_object(Bucket=s3_object["Bucket"], Key=s3_object["Name"])["Body"].read()
        return body

    def lines(self, assets: dict[str, Any]) -> list[dict[str, Any]]:
        (asset,) = assets["Assets"]
        return [
            json.loads(line)
            for line in self.read(asset["GroundTruthManifest"]["S3Object"]).decode().splitlines()
        ]

    def put_lines(self, key: str, lines: list[dict[str, Any]]) -> dict[str, Any]:
        self.s3.put_object(
            Bucket=DATA_BUCKET, Key=key, Body="".join(json.dumps(x) + "\n" for x in lines).encode()
        )
        return self.data.asset(key)


@pytest.fixture(scope="module")
def trainer() -> Iterator[Trainer]:
    clock = ManualClock()
    with started_cloud(PROPORTIONAL, clock=clock) as cloud:
        yield Trainer(cloud, clock, upload_shapes(cloud.client("s3")))


def source_lines(trainer: Trainer, key: str) -> list[dict[str, Any]]:
    return [json.loads(x) for x in trainer.read({"Bucket": DATA_BUCKET, "Name": key}).decode().splitlines()]


def with_missing_images(
    trainer: Trainer, count: int, key: str
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The sample's training lines, and a manifest of them followed by ``count`` lines of missing images."""
    train_lines = source_lines(trainer, trainer.data.train_key)
    broken = [{**train_lines[0], "source-ref": f"s3://{DATA_BUCKET}/gone/{i}.png"} for i in range(count)]
    return train_lines, trainer.put_lines(key, train_lines + broken)


def test_a_version_trained_from_manifests_reports_input_output_and_validation(trainer: Trainer) -> None:
    # GIVEN a training manifest with two lines the service cannot use (missing images), and a test manifest
    train_lines, training = with_missing_images(trainer, 2, "files/train.manifest")
    # WHEN a version trains from them
    version = trainer.train(training, trainer.data.testing)
    assert version["Status"] == "TRAINING_COMPLETED"
    # THEN both results carry the input as given, and the Output and Validation manifests training wrote
    for result, given in (("TrainingDataResult", training), ("TestingDataResult", trainer.data.testing)):
        assert set(version[result]) == {"Input", "Output", "Validation"}
        assert version[result]["Input"] == given
        for member in ("Output", "Validation"):
            (asset,) = version[result][member]["Assets"]
            assert asset["GroundTruthManifest"]["S3Object"]["Bucket"] == OUTPUT_BUCKET
    # AND the validation manifests have the documented names, and are the inputs with errors on bad lines
    validation = version["TrainingDataResult"]["Validation"]["Assets"][0]["GroundTruthManifest"]["S3Object"]
    assert validation["Name"].startswith("out/") and validation["Name"].endswith(
        "/training_manifest_with_validation.json"
    )
    testing = version["TestingDataResult"]["Validation"]["Assets"][0]["GroundTruthManifest"]["S3Object"]
    assert testing["Name"].endswith("/testing_manifest_with_validation.json")
    validated = trainer.lines(version["TrainingDataResult"]["Validation"])
    assert validated[: len(train_lines)] == train_lines
    assert [[e["code"] for e in line["errors"]] for line in validated[len(train_lines) :]] == [
        ["ERROR_INVALID_IMAGE"]
    ] * 2
    assert {k: v for k, v in validated[-1].items() if k != "errors"} == {
        **train_lines[0],
        "source-ref": f"s3://{DATA_BUCKET}/gone/1.png",
    }
    # AND the Output manifests are snapshots of what training used: the good lines only, their ground truth
    # under the snapshot's attribute names
    trained = trainer.lines(version["TrainingDataResult"]["Output"])
    assert [line["source-ref"] for line in trained] == [line["source-ref"] for line in train_lines]
    assert [line["rekognition-custom-labels-training-0-metadata"]["class-name"] for line in trained] == [
        line["shape-metadata"]["class-name"] for line in train_lines
    ]
    assert {line["rekognition-custom-labels-training-0-metadata"]["job-name"] for line in trained} == {
        "rekognition-custom-labels-training-job"
    }
    assert not any(key.startswith("rekognition-custom-labels-evaluation") for line in trained for key in line)
    # AND the manifest summary is manifest_summary.json, next to the validation manifests
    summary = version["ManifestSummary"]["S3Object"]
    assert summary["Name"] == validation["Name"].replace(
        "training_manifest_with_validation.json", "manifest_summary.json"
    )
    statistics = json.loads(trainer.read(summary))["statistics"]["training"]
    assert (statistics["invalid_json_lines"], statistics["error_json_line_indices"]) == (2, [25, 26])


def test_the_testing_output_is_the_evaluation_snapshot_of_the_models_predictions(trainer: Trainer) -> None:
    # GIVEN a version trained from the shapes sample, started so that it can be asked
    version = trainer.train(trainer.data.training, trainer.data.testing)
    arn = version["ProjectVersionArn"]
    trainer.rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)
    trainer.clock.advance(DURATIONS.starting)
    # WHEN the testing Output snapshot is read
    snapshot = trainer.lines(version["TestingDataResult"]["Output"])
    assert len(snapshot) == 6
    for line in snapshot:
        truth = line["rekognition-custom-labels-training-0-metadata"]["class-name"]
        evaluated = [
            value
            for key, value in line.items()
            if key.startswith("rekognition-custom-labels-evaluation-") and key.endswith("-metadata")
        ]
        # THEN each line holds the model's predictions above the threshold (and the ground truth), with the
        # confidence DetectCustomLabels gives for that image and the binary classification they make
        image = {"S3Object": {"Bucket": DATA_BUCKET, "Name": line["source-ref"].split("/", 3)[3]}}
        detected = trainer.rekognition.detect_custom_labels(
            ProjectVersionArn=arn, Image=image, MinConfidence=0
        )
        confidence = {label["Name"]: label["Confidence"] for label in detected["CustomLabels"]}
        for metadata in evaluated:
            details = metadata["rekognition-custom-labels-evaluation-details"]
            name = metadata["class-name"]
            assert metadata["confidence"] == pytest.approx(confidence[name] / 100, abs=1e-4)
            above = confidence[name] >= 50
            assert details["is-present-in-ground-truth"] is (name == truth)
            assert details["is-true-positive"] is (above and name == truth)
            assert details["is-false-positive"] is (above and name != truth)
            assert details["is-false-negative"] is (not above and name == truth)
        assert truth in {m["class-name"] for m in evaluated}
    trainer.rekognition.stop_project_version(ProjectVersionArn=arn)
    trainer.clock.advance(DURATIONS.stopping)


def test_autocreate_outputs_the_split_training_made(trainer: Trainer) -> None:
    # WHEN a version trains with AutoCreate
    version = trainer.train(trainer.data.training, {"AutoCreate": True})
    # THEN the testing input is AutoCreate, and its Output is the fifth of the images training held back
    assert version["TestingDataResult"]["Input"] == {"AutoCreate": True}
    assert version["TestingDataResult"]["Output"]["AutoCreate"] is True
    trained = [x["source-ref"] for x in trainer.lines(version["TrainingDataResult"]["Output"])]
    tested = [x["source-ref"] for x in trainer.lines(version["TestingDataResult"]["Output"])]
    given = [x["source-ref"] for x in source_lines(trainer, trainer.data.train_key)]
    assert len(tested) == 6 and len(trained) == 18
    assert sorted(trained + tested) == sorted(given)
    assert [x["source-ref"] for x in trainer.lines(version["TestingDataResult"]["Validation"])] == tested


def test_a_version_trained_from_datasets_reports_the_entries_it_was_given(trainer: Trainer) -> None:
    # GIVEN a project whose datasets were made from the manifests
    project = trainer.rekognition.create_project(ProjectName="files-datasets")["ProjectArn"]
    for dataset_type, key in (("TRAIN", trainer.data.train_key), ("TEST", trainer.data.test_key)):
        source = {"GroundTruthManifest": {"S3Object": {"Bucket": DATA_BUCKET, "Name": key}}}
        trainer.rekognition.create_dataset(ProjectArn=project, DatasetType=dataset_type, DatasetSource=source)
    trainer.clock.advance(DURATIONS.dataset)
    # WHEN a version trains from them
    version = trainer.train(None, None, project=project)
    # THEN it reports Input, Output and Validation for both, the inputs being the datasets' entries
    for result, key in (
        ("TrainingDataResult", trainer.data.train_key),
        ("TestingDataResult", trainer.data.test_key),
    ):
        assert set(version[result]) == {"Input", "Output", "Validation"}
        assert trainer.lines(version[result]["Input"]) == source_lines(trainer, key)
        refs = [line["source-ref"] for line in source_lines(trainer, key)]
        assert [line["source-ref"] for line in trainer.lines(version[result]["Output"])] == refs
    assert version["ManifestSummary"]["S3Object"]["Name"].endswith("/manifest_summary.json")


def test_a_failed_training_still_writes_its_validation_results(trainer: Trainer) -> None:
    # GIVEN a training manifest with more than 20% unusable lines
    _, training = with_missing_images(trainer, 8, "files/failing.manifest")
    # WHEN a version trains from it
    version = trainer.train(training, trainer.data.testing)
    # THEN it failed, with the validation results but no Output (nothing was trained)
    assert version["Status"] == "TRAINING_FAILED"
    assert set(version["TrainingDataResult"]) == {"Input", "Validation"}
    validated = trainer.lines(version["TrainingDataResult"]["Validation"])
    assert sum("errors" in line for line in validated) == 8
    summary = json.loads(trainer.read(version["ManifestSummary"]["S3Object"]))
    assert summary["statistics"]["training"]["errors"][0]["code"] == "ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST"


def test_a_bad_box_is_reported_in_its_annotation_and_validation_manifests_train_again(
    trainer: Trainer,
) -> None:
    # GIVEN object-location manifests where one image has a second box off the frame
    objects = detection_dataset(bucket=DATA_BUCKET, prefix="boxes/", images_per_label=10)
    for key, body in objects.items():
        trainer.s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
    lines = source_lines(trainer, "boxes/manifests/train.manifest")
    first = lines[0]
    box = dict(first["bounding-box"]["annotations"][0])
    first["bounding-box"]["annotations"].append({**box, "left": 5000})
    first["bounding-box-metadata"]["objects"].append({"confidence": 1})
    training = trainer.put_lines("boxes/with-bad-box.manifest", lines)
    # WHEN a version trains
    version = trainer.train(training, trainer.data.asset("boxes/manifests/test.manifest"))
    assert version["Status"] == "TRAINING_COMPLETED"
    # THEN the validation manifest puts the error in that annotation, and the line itself has none
    validated = trainer.lines(version["TrainingDataResult"]["Validation"])[0]
    annotations = validated["bounding-box"]["annotations"]
    assert "errors" not in annotations[0] and "errors" not in validated
    assert [e["code"] for e in annotations[1]["errors"]] == ["ERROR_INVALID_BOUNDING_BOX"]
    # AND, as the guide suggests, the validation manifests train again as they are
    again = trainer.train(
        version["TrainingDataResult"]["Validation"], version["TestingDataResult"]["Validation"]
    )
    assert again["Status"] == "TRAINING_COMPLETED"
    assert trainer.lines(again["TrainingDataResult"]["Validation"]) == trainer.lines(
        version["TrainingDataResult"]["Validation"]
    )
