"""The generated sample datasets: deterministic bytes, valid images, manifests the loader accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.rekognition import manifests
from localcloud.rekognition.images import check_training_image, inspect_image
from localcloud.samples.shapes import detection_dataset, shapes_dataset


def loader(objects: dict[str, bytes], bucket: str) -> manifests.ObjectReader:
    def read(name: str, key: str, version: str | None) -> bytes:
        if name != bucket:
            raise KeyError(name)
        return objects[key]

    return read


def test_two_calls_give_byte_identical_objects() -> None:
    # GIVEN the same arguments twice WHEN generated THEN every key and every byte match
    assert shapes_dataset(bucket="b", seed=3) == shapes_dataset(bucket="b", seed=3)
    assert detection_dataset(bucket="b", seed=3) == detection_dataset(bucket="b", seed=3)


def test_a_different_seed_draws_different_images() -> None:
    # GIVEN two seeds WHEN generated THEN the image bytes differ (the keys do not)
    first, second = shapes_dataset(bucket="b", seed=0), shapes_dataset(bucket="b", seed=1)
    assert first.keys() == second.keys()
    assert first["images/circle/circle_000.png"] != second["images/circle/circle_000.png"]


def test_keys_and_images_follow_the_service_rules() -> None:
    # GIVEN a prefixed dataset of two labels, 5 images each, at 128 px
    objects = shapes_dataset(bucket="b", prefix="demo/", images_per_label=5, labels=("cat", "dog"), size=128)
    # WHEN its keys and images are examined
    images = {k: v for k, v in objects.items() if k.endswith(".png")}
    # THEN every key is under the prefix, there are 10 PNGs and 2 manifests, each image usable for training
    assert all(key.startswith("demo/") for key in objects)
    assert len(images) == 10
    assert set(objects) - set(images) == {"demo/manifests/train.manifest", "demo/manifests/test.manifest"}
    for data in images.values():
        info = inspect_image(data)
        assert (info.format, info.width, info.height) == ("PNG", 128, 128)
        assert check_training_image(info) is None


@pytest.mark.parametrize(
    ("images_per_label", "train_count", "test_count"), [(10, 8, 2), (5, 4, 1), (2, 1, 1)]
)
def test_manifests_load_cleanly_with_an_80_20_split(
    images_per_label: int, train_count: int, test_count: int
) -> None:
    # GIVEN a generated classification dataset
    objects = shapes_dataset(bucket="samples", images_per_label=images_per_label)
    read = loader(objects, "samples")
    # WHEN both manifests are loaded through the service's rules
    train = manifests.load_manifest(read, "samples", "manifests/train.manifest", None)
    test = manifests.load_manifest(read, "samples", "manifests/test.manifest", None)
    # THEN no line is in error, every label is in both, the split is about 80/20 per label, and they pair
    for dataset in (train, test):
        assert dataset.errors == () and dataset.ignored == ()
        assert dataset.labels == {"circle", "square", "triangle"}
        assert dataset.task == "classification"
    assert (len(train.entries), len(test.entries)) == (3 * train_count, 3 * test_count)
    assert not {e.key for e in train.entries} & {e.key for e in test.entries}
    manifests.check_pair(train, test)


def test_manifest_lines_are_ground_truth_classification_lines() -> None:
    # GIVEN a generated dataset WHEN its first training line is parsed
    objects = shapes_dataset(bucket="samples", prefix="p/")
    line: dict[str, Any] = json.loads(objects["p/manifests/train.manifest"].decode().splitlines()[0])
    # THEN it points at the image in the bucket and carries class-name and the classification type
    assert line["source-ref"] == "s3://samples/p/images/circle/circle_000.png"
    assert line["source-ref"].removeprefix("s3://samples/") in objects
    assert line["shape-metadata"]["class-name"] == "circle"
    assert line["shape-metadata"]["type"] == "groundtruth/image-classification"


def test_the_detection_dataset_loads_with_one_box_per_image_around_the_shape() -> None:
    # GIVEN a generated detection dataset
    objects = detection_dataset(bucket="samples", images_per_label=5)
    read = loader(objects, "samples")
    # WHEN loaded
    train = manifests.load_manifest(read, "samples", "manifests/train.manifest", None)
    test = manifests.load_manifest(read, "samples", "manifests/test.manifest", None)
    # THEN it is an object-location dataset, each image with one in-frame box of its label
    assert train.task == test.task == "detection"
    assert train.errors == () and len(train.entries) == 12 and len(test.entries) == 3
    for entry in train.entries + test.entries:
        (box,) = entry.boxes
        assert box.label == entry.labels[0] == entry.key.split("/")[1]
        assert box.left >= 0 and box.top >= 0 and box.left + box.width <= 96 and box.top + box.height <= 96
        assert box.width >= 96 * 0.4


@pytest.mark.parametrize(
    "arguments",
    [
        {"bucket": ""},
        {"bucket": "b", "images_per_label": 1},
        {"bucket": "b", "labels": ("a", "a")},
        {"bucket": "b", "labels": ("a", "")},
        {"bucket": "b", "labels": tuple(f"l{i}" for i in range(25))},
        {"bucket": "b", "size": 63},
    ],
)
def test_unusable_arguments_are_refused(arguments: dict[str, Any]) -> None:
    # GIVEN arguments that could not give a valid dataset WHEN generating THEN ValueError
    with pytest.raises(ValueError):
        shapes_dataset(**arguments)
