"""How training ends, seen through boto3: the manifest rules, the output documents, and inference.

One local cloud serves this module (the datasets are uploaded once); each test works in its own project
and finishes every training it starts, so the tests do not depend on one another.
"""

from __future__ import annotations

import io
import itertools
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.exceptions import ClientError
from PIL import Image

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.rekognition import manifests
from localcloud.samples.shapes import shapes_dataset
from localcloud.testing.clients import error_code
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import DATA_BUCKET, OUTPUT_BUCKET, Uploaded, manifest_asset

DURATIONS = PROPORTIONAL.durations

OTHER_BUCKET = "custom-labels-other"
TRAIN_KEY = "manifests/train.manifest"
TEST_KEY = "manifests/test.manifest"
FIVE = ("circle", "square", "triangle", "diamond", "bar")
FIVE_PREFIX = "five/"
MAX_IMAGE_BYTES = 4 * 1024 * 1024

Objects = dict[str, bytes]


@dataclass
class World:
    cloud: LocalCloud
    clock: ManualClock
    rekognition: Any
    s3: Any
    clean: Objects  # the shapes dataset, as uploaded to DATA_BUCKET
    five: Objects  # a five-label shapes dataset under FIVE_PREFIX in DATA_BUCKET
    data: Uploaded  # where the shapes dataset's manifests are, as training assets
    _names: Iterator[int]

    def new_project(self) -> str:
        arn: str = self.rekognition.create_project(ProjectName=f"p{next(self._names)}")["ProjectArn"]
        return arn

    def put(self, key: str, body: bytes, bucket: str = DATA_BUCKET) -> None:
        self.s3.put_object(Bucket=bucket, Key=key, Body=body)

    def describe(self, project_arn: str, name: str) -> dict[str, Any]:
        described = self.rekognition.describe_project_versions(ProjectArn=project_arn, VersionNames=[name])
        (version,) = described["ProjectVersionDescriptions"]
        return dict(version)

    def train(
        self,
        project_arn: str,
        training: dict[str, Any],
        testing: dict[str, Any],
        *,
        name: str = "v1",
        prefix: str = "",
    ) -> dict[str, Any]:
        """Create a version, let training time pass, and describe the outcome."""
        self.rekognition.create_project_version(
            ProjectArn=project_arn,
            VersionName=name,
            OutputConfig={"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": prefix},
            TrainingData=training,
            TestingData=testing,
        )
        self.clock.advance(DURATIONS.training)
        return self.describe(project_arn, name)

    def read_json(self, s3_object: dict[str, str]) -> dict[str, Any]:
        body = self.s3.get_object(Bucket=s3_object["Bucket"], Key=s3_object["Name"])["Body"].read()
        document: dict[str, Any] = json.loads(body)
        return document


def lines_of(manifest: bytes) -> list[dict[str, Any]]:
    return [json.loads(text) for text in manifest.decode().splitlines()]


def manifest_of(lines: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(line) + "\n" for line in lines).encode()


def label_of(line: dict[str, Any]) -> str:
    name: str = line["shape-metadata"]["class-name"]
    return name


def pointing_at(line: dict[str, Any], uri: str) -> dict[str, Any]:
    """The same annotation for another image."""
    return {**line, "source-ref": uri}


def png(size: int, colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def gif(size: int = 96) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (30, 30, 200)).save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    clock = ManualClock()
    with started_cloud(PROPORTIONAL, clock=clock) as cloud:
        s3 = cloud.client("s3")
        for bucket in (DATA_BUCKET, OUTPUT_BUCKET, OTHER_BUCKET):
            s3.create_bucket(Bucket=bucket)
        clean = shapes_dataset(bucket=DATA_BUCKET, images_per_label=10)
        five = shapes_dataset(bucket=DATA_BUCKET, prefix=FIVE_PREFIX, labels=FIVE, images_per_label=3)
        for key, body in {**clean, **five}.items():
            s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
        data = Uploaded(DATA_BUCKET, TRAIN_KEY, TEST_KEY, sorted(clean))
        yield World(cloud, clock, cloud.client("rekognition"), s3, clean, five, data, itertools.count())


# -- manifests that end in TRAINING_FAILED ----------------------------------------------------------------

# A case prepares its objects in S3 and returns (TrainingData, TestingData).
Prepare = Callable[[World, str], tuple[dict[str, Any], dict[str, Any]]]


def _with_train_manifest(body: Callable[[World], bytes]) -> Prepare:
    def prepare(world: World, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
        key = f"cases/{tag}/train.manifest"
        world.put(key, body(world))
        return world.data.asset(key), world.data.testing

    return prepare


def _invalid_rows(count: int, kind: str) -> Callable[[World], bytes]:
    """The clean training manifest plus ``count`` lines whose images the service cannot use."""

    def body(world: World) -> bytes:
        lines = lines_of(world.clean[TRAIN_KEY])
        template = lines[0]
        for index in range(count):
            key = f"bad/{kind}/{index}.png"
            if kind == "gif":
                world.put(key, gif())
            elif kind == "tiny-png":
                world.put(key, png(32))
            lines.append(pointing_at(template, f"s3://{DATA_BUCKET}/{key}"))  # "missing": never uploaded
        return manifest_of(lines)

    return body


def _one_label(world: World) -> bytes:
    return manifest_of([line for line in lines_of(world.clean[TRAIN_KEY]) if label_of(line) == "circle"])


def _two_buckets(world: World) -> bytes:
    lines = lines_of(world.clean[TRAIN_KEY])
    for line in lines[::3]:  # every third image is read from a copy in another bucket
        key = line["source-ref"].removeprefix(f"s3://{DATA_BUCKET}/")
        world.put(key, world.clean[key], bucket=OTHER_BUCKET)
        line["source-ref"] = f"s3://{OTHER_BUCKET}/{key}"
    return manifest_of(lines)


def _overlap(train_labels: tuple[str, ...], test_labels: tuple[str, ...]) -> Prepare:
    """Five-label images: a training manifest with ``train_labels`` and a testing one with ``test_labels``."""

    def prepare(world: World, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
        keys = {}
        for name, labels in ((TRAIN_KEY, train_labels), (TEST_KEY, test_labels)):
            lines = [line for line in lines_of(world.five[FIVE_PREFIX + name]) if label_of(line) in labels]
            keys[name] = f"cases/{tag}/{name.rsplit('/', 1)[1]}"
            world.put(keys[name], manifest_of(lines))
        return world.data.asset(keys[TRAIN_KEY]), world.data.asset(keys[TEST_KEY])

    return prepare


def _missing_manifest(world: World, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return world.data.asset(f"cases/{tag}/never-uploaded.manifest"), world.data.testing


def _missing_test_manifest(world: World, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return world.data.training, world.data.asset(f"cases/{tag}/never-uploaded.manifest")


def _missing_version(world: World, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
    return manifest_asset(
        DATA_BUCKET, TRAIN_KEY, version="3HL4kqtJlcpXroDTDmJ-rmSpXd3dIbrHY.MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo"
    ), world.data.testing


def _one_label_test(world: World, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
    key = f"cases/{tag}/test.manifest"
    world.put(
        key, manifest_of([line for line in lines_of(world.clean[TEST_KEY]) if label_of(line) == "square"])
    )
    return world.data.training, world.data.asset(key)


FAILURES: list[tuple[str, Prepare, str]] = [
    ("empty", _with_train_manifest(lambda world: b""), manifests.EMPTY),
    ("blank-lines-only", _with_train_manifest(lambda world: b"\n\n\r\n"), manifests.EMPTY),
    ("one-label", _with_train_manifest(_one_label), "The manifest file has too few labels."),
    ("test-one-label", _one_label_test, "The manifest file has too few labels."),
    ("missing-images", _with_train_manifest(_invalid_rows(7, "missing")), manifests.TOO_MANY_INVALID),
    ("gif-images", _with_train_manifest(_invalid_rows(7, "gif")), manifests.TOO_MANY_INVALID),
    ("32px-images", _with_train_manifest(_invalid_rows(7, "tiny-png")), manifests.TOO_MANY_INVALID),
    ("two-buckets", _with_train_manifest(_two_buckets), manifests.MULTIPLE_BUCKETS),
    ("overlap-40%", _overlap(FIVE, ("circle", "square")), manifests.LABEL_OVERLAP),
    ("manifest-missing", _missing_manifest, manifests.INACCESSIBLE),
    ("test-manifest-missing", _missing_test_manifest, manifests.INACCESSIBLE),
    ("manifest-version-missing", _missing_version, manifests.INACCESSIBLE),
    ("manifest-not-utf8", _with_train_manifest(lambda world: b"\xff\xfe\xfa{}\n"), manifests.INACCESSIBLE),
]


def test_the_documented_messages_are_the_guides() -> None:
    # GIVEN the terminal messages the tests below expect
    # THEN they are the Developer Guide's words (so the table does not just echo the emulator)
    assert manifests.EMPTY == "The manifest file is empty."
    assert manifests.TOO_MANY_INVALID == "The manifest file contains too many invalid rows."
    assert manifests.MULTIPLE_BUCKETS == "The manifest file contains images from multiple S3 buckets."
    assert manifests.LABEL_OVERLAP == (
        "Less than 50% label overlap between the training and testing manifest files."
    )
    assert manifests.INACCESSIBLE == "The manifest file extension or contents are invalid."


@pytest.mark.parametrize(("prepare", "message"), [c[1:] for c in FAILURES], ids=[c[0] for c in FAILURES])
def test_a_manifest_rule_ends_training_with_the_services_message(
    world: World, prepare: Prepare, message: str, request: pytest.FixtureRequest
) -> None:
    # GIVEN manifests in S3 that break one of the service's rules
    project_arn = world.new_project()
    training, testing = prepare(world, request.node.callspec.id)
    # WHEN a version is trained from them
    version = world.train(project_arn, training, testing)
    # THEN training fails with the service's status message, and nothing is billed or evaluated
    assert (version["Status"], version["StatusMessage"]) == ("TRAINING_FAILED", message)
    assert "BillableTrainingTimeInSeconds" not in version
    assert "EvaluationResult" not in version


PASSES: list[tuple[str, Prepare]] = [
    ("20%-missing-images", _with_train_manifest(_invalid_rows(6, "missing-boundary"))),
    ("20%-gif-images", _with_train_manifest(_invalid_rows(6, "gif"))),
    ("overlap-50%", _overlap(FIVE[:4], ("circle", "square"))),
]


@pytest.mark.parametrize("prepare", [c[1] for c in PASSES], ids=[c[0] for c in PASSES])
def test_a_manifest_at_the_limit_of_a_rule_still_trains(
    world: World, prepare: Prepare, request: pytest.FixtureRequest
) -> None:
    # GIVEN manifests exactly at a rule's limit (20% invalid lines; 50% label overlap)
    project_arn = world.new_project()
    training, testing = prepare(world, request.node.callspec.id)
    # WHEN a version is trained from them
    version = world.train(project_arn, training, testing)
    # THEN training completes
    assert version["Status"] == "TRAINING_COMPLETED", version["StatusMessage"]


def test_invalid_lines_are_counted_in_the_manifest_summary(world: World) -> None:
    # GIVEN a training manifest of 24 good lines and 6 (20%) pointing at missing images
    project_arn = world.new_project()
    world.put("cases/summary/train.manifest", _invalid_rows(6, "summary")(world))
    # WHEN a version is trained
    version = world.train(project_arn, world.data.asset("cases/summary/train.manifest"), world.data.testing)
    # THEN the manifest summary counts them and points at their line numbers
    statistics = world.read_json(version["ManifestSummary"]["S3Object"])["statistics"]
    training = statistics["training"]
    assert training["total_json_lines"] == 30
    assert (training["valid_json_lines"], training["invalid_json_lines"]) == (24, 6)
    assert training["error_json_line_indices"] == [25, 26, 27, 28, 29, 30]
    assert (statistics["testing"]["total_json_lines"], statistics["testing"]["invalid_json_lines"]) == (6, 0)


def test_a_content_error_is_reported_in_the_manifest_summary(world: World) -> None:
    # GIVEN a training manifest with more than 20% invalid lines
    project_arn = world.new_project()
    world.put("cases/content-error/train.manifest", _invalid_rows(7, "content-error")(world))
    # WHEN a version is trained
    version = world.train(
        project_arn, world.data.asset("cases/content-error/train.manifest"), world.data.testing
    )
    # THEN training fails, and the manifest summary it points at names the error code
    assert version["Status"] == "TRAINING_FAILED"
    summary = world.read_json(version["ManifestSummary"]["S3Object"])
    assert "ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST" in json.dumps(summary)


# -- a successful training ----------------------------------------------------------------------------


def test_a_successful_training_writes_the_documented_outputs(world: World) -> None:
    # GIVEN the clean shapes dataset (8 training and 2 testing images per label)
    project_arn = world.new_project()
    project_name = project_arn.split("/")[1]
    # WHEN a version is trained with an output prefix
    version = world.train(project_arn, world.data.training, world.data.testing, name="good", prefix="runs/7/")
    # THEN it completed, billed for exactly the training time, and ended that long after creation
    assert version["Status"] == "TRAINING_COMPLETED"
    assert version["BillableTrainingTimeInSeconds"] == DURATIONS.training
    created, ended = version["CreationTimestamp"], version["TrainingEndTimestamp"]
    assert ended.timestamp() == pytest.approx(created.timestamp() + DURATIONS.training, abs=1e-3)
    # AND the evaluation summary sits under OutputConfig with the documented name and keys
    summary_object = version["EvaluationResult"]["Summary"]["S3Object"]
    assert summary_object == {
        "Bucket": OUTPUT_BUCKET,
        "Name": f"runs/7/EvaluationSummary-{project_name}-good.json",
    }
    document = world.read_json(summary_object)
    assert document["Version"] == 1
    details = document["EvaluationDetails"]
    assert details["ProjectVersionArn"] == version["ProjectVersionArn"]
    evaluation_end = datetime.fromisoformat(details["EvaluationEndTimestamp"]).replace(tzinfo=UTC)
    assert evaluation_end.timestamp() == pytest.approx(ended.timestamp(), abs=1e-3)
    assert sorted(details["Labels"]) == ["circle", "square", "triangle"]
    assert (details["NumberOfTrainingImages"], details["NumberOfTestingImages"]) == (24, 6)
    aggregated = document["AggregatedEvaluationResults"]
    assert set(aggregated) >= {"F1Score", "Precision", "Recall"}
    assert all(0 <= aggregated[key] <= 1 for key in ("F1Score", "Precision", "Recall"))
    assert version["EvaluationResult"]["F1Score"] == aggregated["F1Score"] >= 0.9
    per_label = {result["Label"]: result for result in document["LabelEvaluationResults"]}
    assert sorted(per_label) == ["circle", "square", "triangle"]
    for result in per_label.values():
        assert result["NumberOfTestingImages"] == 2
        assert set(result["Metrics"]) == {"Threshold", "Precision", "Recall", "F1Score"}
    # AND the manifest summary beside it counts every line of both manifests
    manifest_object = version["ManifestSummary"]["S3Object"]
    assert manifest_object["Bucket"] == OUTPUT_BUCKET and manifest_object["Name"].startswith("runs/7/")
    statistics = world.read_json(manifest_object)["statistics"]
    assert statistics["training"]["valid_json_lines"] == 24
    assert statistics["testing"]["valid_json_lines"] == 6


def _scrambled(manifest: bytes, seed: int) -> bytes:
    """The same lines with their class names shuffled among them: labels unrelated to what is drawn."""
    lines = lines_of(manifest)
    names = [label_of(line) for line in lines]
    random.Random(seed).shuffle(names)
    for line, name in zip(lines, names, strict=True):
        line["shape-metadata"]["class-name"] = name
    return manifest_of(lines)


def test_scrambled_labels_train_to_a_clearly_lower_f1(world: World) -> None:
    # GIVEN the clean manifests, and copies whose class names are shuffled across the images
    project_arn = world.new_project()
    for key, seed in ((TRAIN_KEY, 1), (TEST_KEY, 2)):
        world.put(f"scrambled/{key}", _scrambled(world.clean[key], seed))
    # WHEN a version is trained from each
    world.rekognition.create_project_version(
        ProjectArn=project_arn,
        VersionName="clean",
        OutputConfig={"S3Bucket": OUTPUT_BUCKET},
        TrainingData=world.data.training,
        TestingData=world.data.testing,
    )
    noisy = world.train(
        project_arn, world.data.asset(f"scrambled/{TRAIN_KEY}"), world.data.asset(f"scrambled/{TEST_KEY}")
    )
    clean = world.describe(project_arn, "clean")
    # THEN both complete, and the scrambled one scores clearly lower
    assert clean["Status"] == noisy["Status"] == "TRAINING_COMPLETED"
    clean_f1, noisy_f1 = clean["EvaluationResult"]["F1Score"], noisy["EvaluationResult"]["F1Score"]
    assert clean_f1 >= 0.9
    assert noisy_f1 <= clean_f1 - 0.4


# -- DetectCustomLabels -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Model:
    arn: str
    square: bytes  # an image of a square the model never saw


@pytest.fixture(scope="module")
def model(world: World) -> Model:
    """A version trained on the clean dataset and running."""
    project_arn = world.new_project()
    version = world.train(project_arn, world.data.training, world.data.testing, name="running")
    arn: str = version["ProjectVersionArn"]
    world.rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)
    world.clock.advance(DURATIONS.starting)
    assert world.describe(project_arn, "running")["Status"] == "RUNNING"
    unseen = shapes_dataset(bucket=DATA_BUCKET, prefix="unseen/", images_per_label=2, seed=99)
    square = next(body for key, body in unseen.items() if "/square/" in key)
    world.put("unseen/square.png", square)
    return Model(arn, square)


def detect(world: World, model: Model, **options: Any) -> list[dict[str, Any]]:
    labels: list[dict[str, Any]] = world.rekognition.detect_custom_labels(
        ProjectVersionArn=model.arn, Image={"Bytes": model.square}, **options
    )["CustomLabels"]
    return labels


def test_the_running_model_recognises_an_unseen_image(world: World, model: Model) -> None:
    # GIVEN a running model and an image of a square it was not trained on
    # WHEN it is sent as bytes and as an S3 object, with the default MinConfidence
    by_bytes = detect(world, model)
    by_s3 = world.rekognition.detect_custom_labels(
        ProjectVersionArn=model.arn, Image={"S3Object": {"Bucket": DATA_BUCKET, "Name": "unseen/square.png"}}
    )["CustomLabels"]
    # THEN both answer the square alone (the others are below the default threshold)
    assert [label["Name"] for label in by_bytes] == ["square"]
    assert by_s3 == by_bytes


@pytest.mark.parametrize(
    ("options", "expected_count"),
    [
        ({"MinConfidence": 0}, 3),
        ({"MinConfidence": 0, "MaxResults": 2}, 2),
        ({"MinConfidence": 0, "MaxResults": 1}, 1),
        ({"MinConfidence": 0, "MaxResults": 5}, 3),
        ({"MinConfidence": 50}, 1),
        ({"MinConfidence": 100}, 0),
    ],
    ids=["all", "max-2", "max-1", "max-above-count", "min-50", "min-100"],
)
def test_min_confidence_filters_and_max_results_truncates(
    world: World, model: Model, options: dict[str, Any], expected_count: int
) -> None:
    # GIVEN every label the model gives the image, most confident first
    everything = detect(world, model, MinConfidence=0)
    confidences = [label["Confidence"] for label in everything]
    assert confidences == sorted(confidences, reverse=True)
    assert sum(confidences) == pytest.approx(100, abs=0.01)
    # WHEN the call sets MinConfidence and MaxResults
    labels = detect(world, model, **options)
    # THEN it answers the most confident labels at or above MinConfidence, at most MaxResults of them
    minimum, maximum = options["MinConfidence"], options.get("MaxResults", len(everything))
    assert labels == [label for label in everything if label["Confidence"] >= minimum][:maximum]
    assert len(labels) == expected_count


def _s3(bucket: str, key: str) -> Callable[[World, Model], dict[str, Any]]:
    return lambda world, model: {"S3Object": {"Bucket": bucket, "Name": key}}


def _bytes(data: bytes) -> Callable[[World, Model], dict[str, Any]]:
    return lambda world, model: {"Bytes": data}


def _not_an_image_in_s3(world: World, model: Model) -> dict[str, Any]:
    world.put("unseen/notes.png", b"these are notes, not pixels")
    return {"S3Object": {"Bucket": DATA_BUCKET, "Name": "unseen/notes.png"}}


DETECT_ERRORS: list[tuple[str, Callable[[World, Model], dict[str, Any]], str]] = [
    ("text-bytes", _bytes(b"this is not an image"), "InvalidImageFormatException"),
    ("gif-bytes", _bytes(gif()), "InvalidImageFormatException"),
    ("truncated-png", _bytes(png(96)[:40]), "InvalidImageFormatException"),
    ("4mb-exactly", _bytes(b"\0" * MAX_IMAGE_BYTES), "InvalidImageFormatException"),
    ("4mb-plus-one", _bytes(b"\0" * (MAX_IMAGE_BYTES + 1)), "ImageTooLargeException"),
    ("s3-missing-key", _s3(DATA_BUCKET, "unseen/absent.png"), "InvalidS3ObjectException"),
    ("s3-missing-bucket", _s3("no-such-bucket-here", "square.png"), "InvalidS3ObjectException"),
    ("s3-not-an-image", _not_an_image_in_s3, "InvalidImageFormatException"),
]


@pytest.mark.parametrize(("image", "code"), [c[1:] for c in DETECT_ERRORS], ids=[c[0] for c in DETECT_ERRORS])
def test_detect_custom_labels_refuses_images_it_cannot_use(
    world: World, model: Model, image: Callable[[World, Model], dict[str, Any]], code: str
) -> None:
    # GIVEN a running model and an image it cannot use
    # WHEN the image is sent
    with pytest.raises(ClientError) as caught:
        world.rekognition.detect_custom_labels(ProjectVersionArn=model.arn, Image=image(world, model))
    # THEN the service's error for that image comes back as a client error
    assert error_code(caught) == code
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_a_model_that_is_not_running_answers_resource_not_ready(world: World, model: Model) -> None:
    # GIVEN a version that trained but was never started
    project_arn = world.new_project()
    version = world.train(project_arn, world.data.training, world.data.testing)
    # WHEN an image is sent to it
    with pytest.raises(ClientError) as caught:
        world.rekognition.detect_custom_labels(
            ProjectVersionArn=version["ProjectVersionArn"], Image={"Bytes": model.square}
        )
    # THEN the service says the model is not ready
    assert error_code(caught) == "ResourceNotReadyException"
