"""Dataset entries through boto3, as published Custom Labels client code uses them.

ListDatasetEntries (filters, paging), ListDatasetLabels, UpdateDatasetEntries (merged by source-ref) and
DistributeDatasetEntries (20% of the training images to an empty test dataset), with DescribeDataset's
DatasetStats kept consistent with what the entries say.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.samples.shapes import detection_dataset, shapes_dataset
from localcloud.testing.clients import error_code
from localcloud.testing.clouds import PROPORTIONAL, started_cloud

DURATIONS = PROPORTIONAL.durations

BUCKET = "entries-data"
OUTPUT = "entries-output"
LABELS = ("circle", "square", "triangle")


class Datasets:
    """The module's local cloud: one project per test, datasets made from manifests or JSON Lines."""

    def __init__(self, cloud: LocalCloud, clock: ManualClock) -> None:
        self.cloud, self.clock = cloud, clock
        self.rekognition = cloud.client("rekognition")
        self.s3 = cloud.client("s3")
        self.count = 0

    def lines(self, prefix: str, *, detection: bool = False) -> list[str]:
        """Uploads ten images per label under ``prefix``; all their JSON Lines, training and test."""
        make = detection_dataset if detection else shapes_dataset
        objects = make(bucket=BUCKET, prefix=prefix, images_per_label=10, labels=LABELS)
        for key, body in objects.items():
            self.s3.put_object(Bucket=BUCKET, Key=key, Body=body)
        manifests = (objects[f"{prefix}manifests/{n}.manifest"] for n in ("train", "test"))
        return [line for body in manifests for line in body.decode().splitlines()]

    def project(self) -> str:
        self.count += 1
        arn: str = self.rekognition.create_project(ProjectName=f"entries-{self.count}")["ProjectArn"]
        return arn

    def dataset(self, project: str, lines: list[str] | None, dataset_type: str = "TRAIN") -> str:
        """A dataset from a manifest of ``lines`` (None: an empty dataset), complete."""
        arguments: dict[str, Any] = {"ProjectArn": project, "DatasetType": dataset_type}
        if lines is not None:
            key = f"manifests/{project.split('/')[-2]}-{dataset_type}.manifest"
            self.s3.put_object(Bucket=BUCKET, Key=key, Body=("\n".join(lines) + "\n").encode())
            arguments["DatasetSource"] = {
                "GroundTruthManifest": {"S3Object": {"Bucket": BUCKET, "Name": key}}
            }
        arn: str = self.rekognition.create_dataset(**arguments)["DatasetArn"]
        self.clock.advance(DURATIONS.dataset)
        assert self.describe(arn)["Status"] == "CREATE_COMPLETE"
        return arn

    def describe(self, arn: str) -> dict[str, Any]:
        return dict(self.rekognition.describe_dataset(DatasetArn=arn)["DatasetDescription"])

    def entries(self, arn: str, **filters: Any) -> list[dict[str, Any]]:
        pages = self.rekognition.get_paginator("list_dataset_entries").paginate(DatasetArn=arn, **filters)
        return [json.loads(line) for page in pages for line in page["DatasetEntries"]]

    def labels(self, arn: str) -> dict[str, tuple[int, int]]:
        pages = self.rekognition.get_paginator("list_dataset_labels").paginate(DatasetArn=arn)
        return {
            d["LabelName"]: (d["LabelStats"]["EntryCount"], d["LabelStats"]["BoundingBoxCount"])
            for page in pages
            for d in page["DatasetLabelDescriptions"]
        }

    def update(self, arn: str, lines: list[str]) -> None:
        changes = {"GroundTruth": ("\n".join(lines) + "\n").encode()}
        self.rekognition.update_dataset_entries(DatasetArn=arn, Changes=changes)

    def refused(self, call: Any, **arguments: Any) -> str:
        with pytest.raises(ClientError) as caught:
            call(**arguments)
        return error_code(caught)


@pytest.fixture(scope="module")
def world() -> Iterator[Datasets]:
    clock = ManualClock()
    with started_cloud(PROPORTIONAL, clock=clock) as cloud:
        cloud.client("s3").create_bucket(Bucket=BUCKET)
        cloud.client("s3").create_bucket(Bucket=OUTPUT)
        yield Datasets(cloud, clock)


def label_of(entry: dict[str, Any]) -> str | None:
    metadata = entry.get("shape-metadata")
    return str(metadata["class-name"]) if metadata else None


def stats_from(entries: list[dict[str, Any]]) -> dict[str, int]:
    """DatasetStats as the listed entries define them."""
    labelled = [e for e in entries if label_of(e) is not None]
    return {
        "LabeledEntries": len(labelled),
        "TotalEntries": len(entries),
        "TotalLabels": len({label_of(e) for e in labelled}),
        "ErrorEntries": sum("errors" in e for e in entries),
    }


@pytest.fixture(scope="module")
def mixed(world: Datasets) -> tuple[str, list[str]]:
    """A TRAIN dataset of 30 labeled images, one unlabeled image, one line whose image is missing, and two
    lines the dataset drops (not JSON; a source-ref seen before); and the 30 good lines."""
    good = world.lines("mixed/")
    unlabeled = json.dumps({"source-ref": f"s3://{BUCKET}/mixed/images/circle/circle_000.png#unlabeled"})
    missing = json.loads(good[0]) | {"source-ref": f"s3://{BUCKET}/mixed/images/none.png"}
    lines = [*good, unlabeled, json.dumps(missing), "{not json", good[1]]
    return world.dataset(world.project(), lines), good


def test_entries_are_the_datasets_json_lines_with_their_errors(
    world: Datasets, mixed: tuple[str, list[str]]
) -> None:
    arn, good = mixed
    # WHEN every entry is listed
    entries = world.entries(arn)
    # THEN they are the manifest's lines in order, less the two the dataset dropped
    assert [e["source-ref"] for e in entries[:30]] == [json.loads(line)["source-ref"] for line in good]
    assert entries[:30] == [json.loads(line) for line in good]
    assert len(entries) == 32
    # AND the line whose image is missing is kept, with the error on the image
    (broken,) = [e for e in entries if e["source-ref"].endswith("none.png")]
    assert [error["code"] for error in broken["errors"]] == ["ERROR_INVALID_IMAGE"]
    assert "none.png" in broken["errors"][0]["message"]
    # AND DescribeDataset counts exactly what the entries say
    assert (
        world.describe(arn)["DatasetStats"]
        == stats_from(entries)
        == {
            "LabeledEntries": 31,
            "TotalEntries": 32,
            "TotalLabels": 3,
            "ErrorEntries": 1,
        }
    )


def test_filters_select_entries_and_all_of_them_must_hold(
    world: Datasets, mixed: tuple[str, list[str]]
) -> None:
    arn, _ = mixed
    # THEN ContainsLabels matches any of its labels
    assert {label_of(e) for e in world.entries(arn, ContainsLabels=["circle", "square"])} == {
        "circle",
        "square",
    }
    assert len(world.entries(arn, ContainsLabels=["circle", "square"])) == 21  # the broken line is a circle
    # AND Labeled=False gives the unlabeled image only, True every labeled one
    assert [e["source-ref"][-10:] for e in world.entries(arn, Labeled=False)] == ["#unlabeled"]
    assert len(world.entries(arn, Labeled=True)) == 31
    # AND HasErrors=True the entry with errors; False filters nothing (AWS's sample always sends it)
    assert [e["source-ref"][-8:] for e in world.entries(arn, HasErrors=True)] == ["none.png"]
    assert world.entries(arn, HasErrors=False) == world.entries(arn)
    # AND SourceRefContains is a part of source-ref
    square = world.entries(arn, SourceRefContains="/images/square/")
    assert len(square) == 10 and all("/images/square/" in e["source-ref"] for e in square)
    # AND filters combine: circles with errors, labeled squares in a folder of circles
    assert [label_of(e) for e in world.entries(arn, ContainsLabels=["circle"], HasErrors=True)] == ["circle"]
    assert world.entries(arn, ContainsLabels=["square"], Labeled=True, SourceRefContains="/circle/") == []


def test_aws_sample_loop_lists_every_entry(world: Datasets, mixed: tuple[str, list[str]]) -> None:
    # GIVEN the loop of the Developer Guide's sample: HasErrors always sent, an empty first NextToken
    arn, _ = mixed
    listed, token = [], ""
    while True:
        response = world.rekognition.list_dataset_entries(
            DatasetArn=arn, HasErrors=False, MaxResults=100, NextToken=token
        )
        listed += response["DatasetEntries"]
        if "NextToken" not in response:
            break
        token = response["NextToken"]
    # THEN it lists the whole dataset
    assert [json.loads(line) for line in listed] == world.entries(arn)


def test_entries_page_by_max_results_and_a_token_belongs_to_its_query(
    world: Datasets, mixed: tuple[str, list[str]]
) -> None:
    arn, _ = mixed
    rekognition = world.rekognition
    # WHEN the entries are read ten at a time
    pages, token = [], None
    while True:
        page = rekognition.list_dataset_entries(
            DatasetArn=arn, MaxResults=10, **({"NextToken": token} if token else {})
        )
        pages.append(page["DatasetEntries"])
        token = page.get("NextToken")
        if token is None:
            break
    # THEN the pages hold 10, 10, 10 and 2 entries, together the whole dataset; the last has no token
    assert [len(page) for page in pages] == [10, 10, 10, 2]
    assert [json.loads(line) for page in pages for line in page] == world.entries(arn)
    # AND a token used with other filters is refused
    first = rekognition.list_dataset_entries(DatasetArn=arn, MaxResults=10)
    code = world.refused(
        rekognition.list_dataset_entries, DatasetArn=arn, Labeled=True, NextToken=first["NextToken"]
    )
    assert code == "InvalidPaginationTokenException"


def test_labels_count_images_and_images_with_boxes(world: Datasets, mixed: tuple[str, list[str]]) -> None:
    # GIVEN the classification dataset, and a detection dataset of the same images
    arn, _ = mixed
    boxes = world.dataset(world.project(), world.lines("boxes/", detection=True))
    # THEN classification labels count their images (the broken line included) and no boxes
    assert world.labels(arn) == {"circle": (11, 0), "square": (10, 0), "triangle": (10, 0)}
    # AND detection labels are on boxes in every image that has them
    assert world.labels(boxes) == {"circle": (10, 10), "square": (10, 10), "triangle": (10, 10)}
    # AND labels page in name order
    first = world.rekognition.list_dataset_labels(DatasetArn=boxes, MaxResults=2)
    assert [d["LabelName"] for d in first["DatasetLabelDescriptions"]] == ["circle", "square"]
    rest = world.rekognition.list_dataset_labels(DatasetArn=boxes, NextToken=first["NextToken"])
    assert [d["LabelName"] for d in rest["DatasetLabelDescriptions"]] == ["triangle"]
    assert "NextToken" not in rest


def test_an_update_replaces_entries_by_source_ref_and_adds_the_others(world: Datasets) -> None:
    # GIVEN a dataset of 30 labeled images
    good = world.lines("update/")
    arn = world.dataset(world.project(), good)
    # WHEN a circle is relabeled as a square and a new, unlabeled image is added
    relabeled = json.loads(good[0])
    relabeled["shape-metadata"]["class-name"] = "square"
    added = json.dumps({"source-ref": f"s3://{BUCKET}/update/images/extra.png"})
    world.update(arn, [json.dumps(relabeled), added])
    # THEN the dataset is being updated: its entries cannot be read or changed meanwhile
    assert world.describe(arn)["Status"] == "UPDATE_IN_PROGRESS"
    assert world.refused(world.rekognition.list_dataset_entries, DatasetArn=arn) == "ResourceInUseException"
    assert world.refused(world.update, arn=arn, lines=[added]) == "ResourceInUseException"
    world.clock.advance(DURATIONS.dataset)
    # AND then the entry with that source-ref is replaced in place and the new one comes last
    described = world.describe(arn)
    assert (described["Status"], described["StatusMessageCode"]) == ("UPDATE_COMPLETE", "SUCCESS")
    entries = world.entries(arn)
    assert entries[0] == relabeled
    assert entries[-1] == json.loads(added)
    assert len(entries) == 31
    assert world.labels(arn) == {"circle": (9, 0), "square": (11, 0), "triangle": (10, 0)}
    assert described["DatasetStats"] == stats_from(entries)


def test_removing_the_last_annotations_of_a_label_removes_the_label(world: Datasets) -> None:
    # GIVEN a dataset with three labels
    good = world.lines("removal/")
    arn = world.dataset(world.project(), good)
    # WHEN every triangle line is sent back without its label attribute (the guide's way to delete a label)
    triangles = [json.loads(line) for line in good if "triangle" in line]
    world.update(arn, [json.dumps({"source-ref": t["source-ref"]}) for t in triangles])
    world.clock.advance(DURATIONS.dataset)
    # THEN the label is gone and those images are unlabeled
    assert set(world.labels(arn)) == {"circle", "square"}
    assert len(world.entries(arn, Labeled=False)) == 10
    assert world.describe(arn)["DatasetStats"]["TotalLabels"] == 2


def test_an_update_of_mostly_unusable_lines_fails_and_changes_nothing(world: Datasets) -> None:
    # GIVEN a dataset
    good = world.lines("failing/")
    arn = world.dataset(world.project(), good)
    before = world.entries(arn)
    # WHEN an update holds more than 20% lines the dataset cannot take (not JSON, no source-ref)
    world.update(arn, [good[0], "{oops", json.dumps({"label": 1})])
    world.clock.advance(DURATIONS.dataset)
    # THEN the update failed as a client error, and the entries are as they were
    described = world.describe(arn)
    assert (described["Status"], described["StatusMessageCode"]) == ("UPDATE_FAILED", "CLIENT_ERROR")
    assert described["StatusMessage"] == "The manifest file has too many terminal errors."
    assert world.entries(arn) == before


def test_an_update_must_be_json_lines_within_5_mb(world: Datasets) -> None:
    arn = world.dataset(world.project(), None)
    # WHEN the changes are over 5 MB THEN they are refused at once
    line = json.dumps({"source-ref": f"s3://{BUCKET}/{'x' * 1000}.png"})
    code = world.refused(world.update, arn=arn, lines=[line] * 5300)
    assert code == "InvalidParameterException"
    assert world.describe(arn)["Status"] == "CREATE_COMPLETE"


def test_distribute_moves_a_fifth_of_the_training_images_to_the_empty_test_dataset(world: Datasets) -> None:
    # GIVEN a project with a training dataset of 30 images and an empty test dataset
    project = world.project()
    good = world.lines("split/")
    train = world.dataset(project, good)
    test = world.dataset(project, None, "TEST")
    assert world.describe(test)["DatasetStats"]["TotalEntries"] == 0
    # WHEN the entries are distributed
    world.rekognition.distribute_dataset_entries(Datasets=[{"Arn": train}, {"Arn": test}])
    # THEN both datasets are being updated until the dataset duration has passed
    assert {world.describe(a)["Status"] for a in (train, test)} == {"UPDATE_IN_PROGRESS"}
    world.clock.advance(DURATIONS.dataset)
    assert {world.describe(a)["Status"] for a in (train, test)} == {"UPDATE_COMPLETE"}
    # AND 20% of the images moved: two of each label's ten, none lost, none in both
    trained, tested = world.entries(train), world.entries(test)
    assert len(tested) == 6 and len(trained) == 24
    assert sorted(map(json.dumps, trained + tested)) == sorted(json.dumps(json.loads(line)) for line in good)
    assert world.labels(test) == {label: (2, 0) for label in LABELS}
    assert world.describe(test)["DatasetStats"] == stats_from(tested)
    assert world.describe(train)["DatasetStats"] == stats_from(trained)
    # AND a model trains from the two datasets
    version = world.rekognition.create_project_version(
        ProjectArn=project, VersionName="v1", OutputConfig={"S3Bucket": OUTPUT}
    )["ProjectVersionArn"]
    world.clock.advance(DURATIONS.training)
    (described,) = world.rekognition.describe_project_versions(ProjectArn=project)[
        "ProjectVersionDescriptions"
    ]
    assert (described["ProjectVersionArn"], described["Status"]) == (version, "TRAINING_COMPLETED")


def test_distribute_takes_an_empty_test_dataset_of_the_same_project(world: Datasets) -> None:
    # GIVEN two projects, each with a training and a test dataset; the first's test dataset not empty
    lines = world.lines("refusals/")
    first, second = world.project(), world.project()
    train, test = world.dataset(first, lines[:20]), world.dataset(first, lines[20:], "TEST")
    other_train, other_test = world.dataset(second, lines[:20]), world.dataset(second, None, "TEST")
    distribute = world.rekognition.distribute_dataset_entries
    # THEN a test dataset with entries, datasets of two projects, or two of one type are refused
    assert world.refused(distribute, Datasets=[{"Arn": train}, {"Arn": test}]) == "InvalidParameterException"
    assert (
        world.refused(distribute, Datasets=[{"Arn": train}, {"Arn": other_test}])
        == "InvalidParameterException"
    )
    assert (
        world.refused(distribute, Datasets=[{"Arn": train}, {"Arn": other_train}])
        == "InvalidParameterException"
    )
    # AND a dataset being updated is not ready
    world.update(other_train, [lines[25]])
    code = world.refused(distribute, Datasets=[{"Arn": other_train}, {"Arn": other_test}])
    assert code == "ResourceNotReadyException"
    world.clock.advance(DURATIONS.dataset)


def test_distribute_without_enough_images_per_label_fails_both_datasets(world: Datasets) -> None:
    # GIVEN a training dataset with one image of each of two labels
    project = world.project()
    lines = world.lines("few/")
    train = world.dataset(project, [lines[0], lines[10]])
    test = world.dataset(project, None, "TEST")
    # WHEN distributed THEN both end UPDATE_FAILED with the guide's message, and nothing moved
    world.rekognition.distribute_dataset_entries(Datasets=[{"Arn": test}, {"Arn": train}])
    world.clock.advance(DURATIONS.dataset)
    for arn in (train, test):
        described = world.describe(arn)
        assert (described["Status"], described["StatusMessageCode"]) == ("UPDATE_FAILED", "CLIENT_ERROR")
        assert "doesn't have enough labeled images to distribute" in described["StatusMessage"]
    assert len(world.entries(train)) == 2 and world.entries(test) == []


def test_a_training_keeps_the_entries_it_began_with(world: Datasets) -> None:
    # GIVEN a project whose datasets hold 24 training and 6 test images, and a version training from them
    project = world.project()
    lines = world.lines("snapshot/")
    train, _ = world.dataset(project, lines[:24]), world.dataset(project, lines[24:], "TEST")
    world.rekognition.create_project_version(
        ProjectArn=project, VersionName="v1", OutputConfig={"S3Bucket": OUTPUT}
    )
    # WHEN the training dataset is updated while it trains
    world.update(train, [json.dumps({"source-ref": json.loads(line)["source-ref"]}) for line in lines[:12]])
    world.clock.advance(DURATIONS.training)
    # THEN the version trained on the 24 labeled images it began with
    (version,) = world.rekognition.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"]
    assert version["Status"] == "TRAINING_COMPLETED"
    (asset,) = version["TrainingDataResult"]["Input"]["Assets"]
    s3 = asset["GroundTruthManifest"]["S3Object"]
    given = world.s3.get_object(Bucket=s3["Bucket"], Key=s3["Name"])["Body"].read().decode().splitlines()
    assert [json.loads(line) for line in given] == [json.loads(line) for line in lines[:24]]


def test_entries_of_a_dataset_being_created_are_not_ready(world: Datasets) -> None:
    # GIVEN a dataset being created
    project = world.project()
    arn = world.rekognition.create_dataset(ProjectArn=project, DatasetType="TRAIN")["DatasetArn"]
    # THEN its entries and labels are not ready yet, and it cannot be updated
    for call in (world.rekognition.list_dataset_entries, world.rekognition.list_dataset_labels):
        assert world.refused(call, DatasetArn=arn) == "ResourceNotReadyException"
    assert world.refused(world.update, arn=arn, lines=["{}"]) == "ResourceInUseException"
    world.clock.advance(DURATIONS.dataset)
    assert world.entries(arn) == [] and world.labels(arn) == {}
