"""Ground Truth manifests: line validation, whole-manifest rules, the AutoCreate split, the summary."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from PIL import Image

from localcloud.rekognition import manifests, reports
from localcloud.rekognition.manifests import BoundingBox, Dataset, Entry, LineError, ManifestError

BUCKET = "data"
MANIFEST = "train.manifest"
COLOURS = {"cat": (200, 40, 40), "dog": (40, 200, 40), "eel": (40, 40, 200)}


def png(width: int = 96, height: int = 96, colour: tuple[int, int, int] = (120, 120, 120)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, format="PNG")
    return buffer.getvalue()


class Store:
    """An in-memory S3 for the loader: a missing object raises KeyError, a denied bucket PermissionError."""

    def __init__(self) -> None:
        self.objects: dict[tuple[str, str], bytes] = {}
        self.denied: set[str] = set()

    def put(self, bucket: str, key: str, data: bytes) -> str:
        self.objects[(bucket, key)] = data
        return f"s3://{bucket}/{key}"

    def read(self, bucket: str, key: str, version: str | None) -> bytes:
        if bucket in self.denied:
            raise PermissionError(bucket)
        return self.objects[(bucket, key)]

    def manifest(self, lines: list[str], key: str = MANIFEST) -> None:
        self.put(BUCKET, key, ("\n".join(lines) + "\n").encode())

    def load(self, key: str = MANIFEST) -> Dataset:
        return manifests.load_manifest(self.read, BUCKET, key, None)


def classification(uri: str, *labels: str) -> str:
    line: dict[str, Any] = {"source-ref": uri}
    for i, label in enumerate(labels):
        line[f"job{i}"] = 1
        line[f"job{i}-metadata"] = {
            "confidence": 1,
            "class-name": label,
            "type": "groundtruth/image-classification",
            "human-annotated": "yes",
            "creation-date": "2024-01-01T00:00:00",
        }
    return json.dumps(line)


def detection(uri: str, boxes: list[tuple[int, int, int, int, int]], class_map: dict[str, str]) -> str:
    """boxes: (class_id, top, left, width, height)."""
    return json.dumps(
        {
            "source-ref": uri,
            "bounding-box": {
                "image_size": [{"width": 96, "height": 96, "depth": 3}],
                "annotations": [
                    {"class_id": c, "top": t, "left": lf, "width": w, "height": h} for c, t, lf, w, h in boxes
                ],
            },
            "bounding-box-metadata": {
                "objects": [{"confidence": 1} for _ in boxes],
                "class-map": class_map,
                "type": "groundtruth/object-detection",
                "human-annotated": "yes",
                "creation-date": "2024-01-01T00:00:00",
            },
        }
    )


def labelled_lines(store: Store, count: int, labels: tuple[str, ...] = ("cat", "dog")) -> list[str]:
    """``count`` valid classification lines cycling through ``labels``, each with its own image."""
    lines = []
    for i in range(count):
        label = labels[i % len(labels)]
        uri = store.put(BUCKET, f"img/{label}{i}.png", png(colour=COLOURS[label]))
        lines.append(classification(uri, label))
    return lines


# -- valid manifests ----------------------------------------------------------------------------------


def test_a_valid_classification_manifest_loads_with_its_labels() -> None:
    # GIVEN four labelled images and a manifest for them
    store = Store()
    store.manifest(labelled_lines(store, 4))
    # WHEN it is loaded
    dataset = store.load()
    # THEN every line is an entry with its label, image location and features, and nothing is in error
    assert dataset.task == "classification"
    assert dataset.labels == {"cat", "dog"}
    assert dataset.total_lines == 4 and dataset.errors == () and dataset.ignored == ()
    first = dataset.entries[0]
    assert (first.source_ref, first.bucket, first.key) == ("s3://data/img/cat0.png", BUCKET, "img/cat0.png")
    assert first.labels == ("cat",) and first.boxes == ()
    assert len(first.features) == 195


def test_several_label_attributes_give_an_image_several_labels() -> None:
    # GIVEN a line with two classification attribute pairs
    store = Store()
    uri = store.put(BUCKET, "both.png", png())
    store.manifest([classification(uri, "cat", "dog"), *labelled_lines(store, 2)])
    # WHEN loaded THEN the image carries both labels
    assert store.load().entries[0].labels == ("cat", "dog")


def test_the_manifest_version_is_passed_to_the_reader() -> None:
    # GIVEN a reader that records what it is asked for
    store = Store()
    store.manifest(labelled_lines(store, 2))
    asked: list[tuple[str, str, str | None]] = []

    def read(bucket: str, key: str, version: str | None) -> bytes:
        asked.append((bucket, key, version))
        return store.read(bucket, key, version)

    # WHEN a versioned manifest is loaded THEN the manifest is read at that version, images at the latest
    manifests.load_manifest(read, BUCKET, MANIFEST, "v7")
    assert asked[0] == (BUCKET, MANIFEST, "v7")
    assert all(version is None for _, _, version in asked[1:])


def test_a_detection_manifest_loads_its_boxes() -> None:
    # GIVEN object-location lines, one with two boxes of different labels
    store = Store()
    a = store.put(BUCKET, "a.png", png())
    b = store.put(BUCKET, "b.png", png())
    store.manifest(
        [
            detection(a, [(0, 10, 5, 30, 40), (1, 50, 50, 20, 20)], {"0": "cat", "1": "dog"}),
            detection(b, [(0, 0, 0, 96, 96)], {"0": "cat"}),
        ]
    )
    # WHEN loaded
    dataset = store.load()
    # THEN the task is detection and the boxes keep their labels and pixels
    assert dataset.task == "detection"
    assert dataset.entries[0].boxes == (
        BoundingBox("cat", top=10, left=5, width=30, height=40),
        BoundingBox("dog", top=50, left=50, width=20, height=20),
    )
    assert dataset.entries[0].labels == ("cat", "dog")
    assert dataset.labels == {"cat", "dog"}


def test_a_detection_manifest_needs_only_one_label() -> None:
    # GIVEN a detection manifest whose boxes all have the same label
    store = Store()
    uri = store.put(BUCKET, "a.png", png())
    store.manifest([detection(uri, [(0, 10, 10, 20, 20)], {"0": "cat"})])
    # WHEN loaded THEN it is accepted
    assert store.load().labels == {"cat"}


def test_bad_boxes_are_dropped_but_the_line_survives_on_its_good_box() -> None:
    # GIVEN a line with one off-frame box, one too-small box, one unmapped class id and one good box
    store = Store()
    uri = store.put(BUCKET, "a.png", png())
    boxes = [(0, 80, 80, 30, 30), (0, 5, 5, 1, 1), (7, 5, 5, 20, 20), (1, 5, 5, 20, 20)]
    store.manifest([detection(uri, boxes, {"0": "cat", "1": "dog"})])
    # WHEN loaded THEN only the good box remains, and the line counts as valid
    dataset = store.load()
    assert dataset.entries[0].boxes == (BoundingBox("dog", 5, 5, 20, 20),)
    assert dataset.errors == ()


def test_small_boxes_are_judged_after_the_service_shrinks_large_images() -> None:
    # GIVEN a 2560 px wide image (trained at 1280, half size) with 3 px and 2 px wide boxes, and a 96 px
    # image with a 1 px wide box
    store = Store()
    wide = store.put(BUCKET, "wide.png", png(2560, 200))
    small = store.put(BUCKET, "small.png", png())
    store.manifest(
        [
            detection(wide, [(0, 10, 10, 3, 50), (0, 10, 10, 2, 50)], {"0": "cat"}),
            detection(small, [(0, 10, 10, 1, 50), (0, 10, 10, 2, 50)], {"0": "cat"}),
        ]
    )
    # WHEN loaded THEN a box must stay wider than 1 px after the shrink
    wide_entry, small_entry = store.load().entries
    assert [box.width for box in wide_entry.boxes] == [3]
    assert [box.width for box in small_entry.boxes] == [2]


def test_a_detection_line_without_annotations_is_ignored_not_invalid() -> None:
    # GIVEN one annotated line and one with an empty annotations list
    store = Store()
    a, b = store.put(BUCKET, "a.png", png()), store.put(BUCKET, "b.png", png())
    store.manifest([detection(a, [(0, 1, 1, 20, 20)], {"0": "cat"}), detection(b, [], {})])
    # WHEN loaded THEN the empty one is ignored: not trained on, not an error
    dataset = store.load()
    assert len(dataset.entries) == 1 and dataset.errors == ()
    assert dataset.ignored == (LineError(2, "No annotations were found.", "WARNING_NO_ANNOTATIONS"),)
    assert dataset.total_lines == 2


# -- terminal file errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "denied", "message"),
    [
        (None, False, "The manifest file extension or contents are invalid."),
        (b"{}", True, "The S3 bucket permissions are incorrect."),
        (b"", False, "The manifest file is empty."),
        (b"\n  \n\r\n", False, "The manifest file is empty."),
        (b"\xff\xfe\x00 not utf-8", False, "The manifest file extension or contents are invalid."),
    ],
    ids=["missing", "denied", "empty", "blank-lines-only", "not-utf8"],
)
def test_an_unusable_manifest_file_is_a_terminal_error(
    content: bytes | None, denied: bool, message: str
) -> None:
    # GIVEN a manifest that is missing, unreadable, empty or not text
    store = Store()
    if content is not None:
        store.put(BUCKET, MANIFEST, content)
    if denied:
        store.denied.add(BUCKET)
    # WHEN loaded THEN training would fail with the service's words, and no content code (no summary)
    with pytest.raises(ManifestError) as caught:
        store.load()
    assert str(caught.value) == message
    assert caught.value.code is None


# -- non-terminal line errors ---------------------------------------------------------------------------


def bad_line(store: Store, case: str) -> str:
    good = store.put(BUCKET, "extra.png", png())
    metadata = {"class-name": "cat", "type": "groundtruth/image-classification"}
    lines = {
        "not-json": "{not json",
        "json-array": "[1, 2]",
        "missing-source-ref": json.dumps({"job": 1, "job-metadata": metadata}),
        "https-source-ref": classification("https://data.s3.amazonaws.com/extra.png", "cat"),
        "bucket-only-source-ref": classification("s3://data/", "cat"),
        "number-source-ref": json.dumps({"source-ref": 7, "job": 1, "job-metadata": metadata}),
        "no-label-attributes": json.dumps({"source-ref": good}),
        "metadata-not-object": json.dumps({"source-ref": good, "job": 1, "job-metadata": "cat"}),
        "label-not-int": json.dumps({"source-ref": good, "job": "1", "job-metadata": metadata}),
        "class-name-missing": json.dumps(
            {"source-ref": good, "job": 1, "job-metadata": {"type": "groundtruth/image-classification"}}
        ),
        "unsupported-type": json.dumps(
            {
                "source-ref": good,
                "job": 1,
                "job-metadata": {"class-name": "x", "type": "groundtruth/semantic"},
            }
        ),
        "missing-image": classification("s3://data/nowhere.png", "cat"),
        "gif-image": classification(store.put(BUCKET, "x.gif", gif()), "cat"),
        "image-too-small": classification(store.put(BUCKET, "small.png", png(63, 63)), "cat"),
        "duplicate-source-ref": classification("s3://data/img/cat0.png", "dog"),
        "blank-line": "   ",
        "all-boxes-bad": detection(good, [(0, 90, 90, 30, 30)], {"0": "cat"}),
        "nan-box": detection(good, [(0, 1, 1, 20, 20)], {"0": "cat"}).replace('"top": 1', '"top": NaN'),
    }
    return lines[case]


def gif() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (96, 96)).save(buffer, format="GIF")
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("not-json", "ERROR_INVALID_JSON_LINE"),
        ("json-array", "ERROR_INVALID_JSON_LINE"),
        ("blank-line", "ERROR_INVALID_JSON_LINE"),
        ("missing-source-ref", "ERROR_MISSING_SOURCE_REF"),
        ("https-source-ref", "ERROR_INVALID_SOURCE_REF_FORMAT"),
        ("bucket-only-source-ref", "ERROR_INVALID_SOURCE_REF_FORMAT"),
        ("number-source-ref", "ERROR_INVALID_SOURCE_REF_FORMAT"),
        ("no-label-attributes", "ERROR_NO_LABEL_ATTRIBUTES"),
        ("metadata-not-object", "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"),
        ("label-not-int", "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT"),
        ("class-name-missing", "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT"),
        ("unsupported-type", "ERROR_NO_VALID_LABEL_ATTRIBUTES"),
        ("missing-image", "ERROR_INVALID_IMAGE"),
        ("gif-image", "ERROR_INVALID_IMAGE"),
        ("image-too-small", "ERROR_INVALID_IMAGE"),
        ("duplicate-source-ref", "ERROR_DUPLICATE_SOURCE_REF"),
        ("nan-box", "ERROR_NO_VALID_ANNOTATIONS"),
    ],
)
def test_a_bad_line_is_recorded_and_left_out(case: str, code: str) -> None:
    # GIVEN five good lines with one bad line as line 3 (1 in 6: under the 20% limit)
    store = Store()
    lines = labelled_lines(store, 5)
    lines.insert(2, bad_line(store, case))
    store.manifest(lines)
    # WHEN loaded
    dataset = store.load()
    # THEN the bad line is an error at line 3 with the guide's code, and the five good lines are kept
    assert [(error.line, error.code) for error in dataset.errors] == [(3, code)]
    assert dataset.errors[0].reason
    assert len(dataset.entries) == 5 and dataset.total_lines == 6


def test_a_detection_line_whose_boxes_are_all_bad_is_invalid() -> None:
    # GIVEN five good detection lines and one whose only box is off the frame
    store = Store()
    lines = [
        detection(store.put(BUCKET, f"{i}.png", png()), [(0, 1, 1, 20, 20)], {"0": "cat"}) for i in range(5)
    ]
    lines.append(bad_line(store, "all-boxes-bad"))
    store.manifest(lines)
    # WHEN loaded THEN that line is invalid: no valid annotations, with the box's problem in the reason
    (error,) = store.load().errors
    assert (error.line, error.code) == (6, "ERROR_NO_VALID_ANNOTATIONS")
    assert "off frame" in error.reason


def test_the_first_of_duplicate_source_refs_is_kept() -> None:
    # GIVEN the same image listed as cat (line 1) and later as dog (line 5)
    store = Store()
    lines = labelled_lines(store, 4, ("cat", "dog"))
    lines.append(classification("s3://data/img/cat0.png", "dog"))
    store.manifest(lines)
    # WHEN loaded THEN the first labelling wins and the repeat is an invalid line
    dataset = store.load()
    assert [e.labels for e in dataset.entries if e.key == "img/cat0.png"] == [("cat",)]
    assert [error.line for error in dataset.errors] == [5]


@pytest.mark.parametrize(
    ("good", "bad", "fails"),
    [(4, 1, False), (7, 2, True), (8, 2, False), (1, 1, True)],
    ids=["1-of-5-passes", "2-of-9-fails", "2-of-10-passes", "1-of-2-fails"],
)
def test_more_than_20_percent_invalid_lines_fails_training(good: int, bad: int, fails: bool) -> None:
    # GIVEN a manifest with some invalid lines
    store = Store()
    lines = labelled_lines(store, good) + ["{broken"] * bad
    store.manifest(lines)
    # WHEN loaded THEN it fails exactly when the invalid share is above 20%
    if not fails:
        assert len(store.load().errors) == bad
        return
    with pytest.raises(ManifestError) as caught:
        store.load()
    assert str(caught.value) == "The manifest file contains too many invalid rows."
    assert caught.value.code == "ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST"
    # AND the partial dataset is there for the manifest summary
    assert caught.value.dataset is not None
    assert (len(caught.value.dataset.entries), len(caught.value.dataset.errors)) == (good, bad)


def test_ignored_lines_count_as_lines_but_not_as_errors_for_the_20_percent_rule() -> None:
    # GIVEN 3 annotated lines, 2 without annotations and 1 broken line: 1 error in 6 lines
    store = Store()
    lines = [
        detection(store.put(BUCKET, f"{i}.png", png()), [(0, 1, 1, 20, 20)], {"0": "cat"}) for i in range(3)
    ]
    lines += [detection(store.put(BUCKET, f"e{i}.png", png()), [], {}) for i in range(2)]
    store.manifest([*lines, "{broken"])
    # WHEN loaded THEN it passes (1/6 is under 20%) and the counts add up
    dataset = store.load()
    assert (len(dataset.entries), len(dataset.ignored), len(dataset.errors), dataset.total_lines) == (
        3,
        2,
        1,
        6,
    )


def test_a_detection_manifest_with_no_annotations_at_all_has_too_few_labels() -> None:
    # GIVEN detection lines that are all without annotations
    store = Store()
    store.manifest([detection(store.put(BUCKET, f"{i}.png", png()), [], {}) for i in range(3)])
    # WHEN loaded THEN no label is left to train on
    with pytest.raises(ManifestError, match=r"^The manifest file has too few labels\.$") as caught:
        store.load()
    assert caught.value.dataset is not None and caught.value.dataset.task == "detection"


def test_images_from_two_buckets_fail_training() -> None:
    # GIVEN valid lines whose images live in two buckets
    store = Store()
    other = store.put("elsewhere", "img.png", png(colour=COLOURS["dog"]))
    store.manifest([*labelled_lines(store, 3), classification(other, "dog")])
    # WHEN loaded THEN it is a terminal content error
    with pytest.raises(ManifestError) as caught:
        store.load()
    assert str(caught.value) == "The manifest file contains images from multiple S3 buckets."
    assert caught.value.code == "ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS"


def test_an_unreadable_image_bucket_fails_training() -> None:
    # GIVEN a line whose image is in a bucket the service may not read
    store = Store()
    store.denied.add("secret")
    store.manifest([*labelled_lines(store, 4), classification("s3://secret/a.png", "cat")])
    # WHEN loaded THEN the bucket permission error is terminal
    with pytest.raises(ManifestError, match=r"^The permissions for the images S3 bucket are invalid\.$"):
        store.load()


def test_a_classification_manifest_with_one_label_has_too_few_labels() -> None:
    # GIVEN a classification manifest where every image is a cat
    store = Store()
    store.manifest(labelled_lines(store, 3, ("cat",)))
    # WHEN loaded THEN training fails with the service's message
    with pytest.raises(ManifestError) as caught:
        store.load()
    assert str(caught.value) == "The manifest file has too few labels."
    assert caught.value.code == "ERROR_MANIFEST_TOO_FEW_LABELS"


def test_a_manifest_mixing_classification_and_detection_fails() -> None:
    # GIVEN classification lines and a detection line in one manifest
    store = Store()
    uri = store.put(BUCKET, "box.png", png())
    store.manifest([*labelled_lines(store, 4), detection(uri, [(0, 1, 1, 20, 20)], {"0": "cat"})])
    # WHEN loaded THEN it is refused
    with pytest.raises(ManifestError, match="mixes image-level labels and object locations"):
        store.load()


# -- AutoCreate split and train/test pairing ------------------------------------------------------------


def dataset_of(labels: list[str], task: manifests.Task = "classification") -> Dataset:
    entries = tuple(
        Entry(f"s3://data/{i}.png", BUCKET, f"{i}.png", (label,), (), (float(i),))
        for i, label in enumerate(labels)
    )
    return Dataset(task, entries, ())


def test_split_for_testing_is_deterministic_disjoint_and_keeps_every_label() -> None:
    # GIVEN 30 images over three labels, 10 each
    dataset = dataset_of(["cat", "dog", "eel"] * 10)
    # WHEN split twice
    train, test = manifests.split_for_testing(dataset)
    again = manifests.split_for_testing(dataset)
    # THEN the split is the same, the halves are disjoint and cover everything, 2 per label go to testing
    assert (train, test) == again
    train_refs = {e.source_ref for e in train.entries}
    test_refs = {e.source_ref for e in test.entries}
    assert not train_refs & test_refs and len(train_refs | test_refs) == 30
    assert len(test.entries) == 6
    assert train.labels == test.labels == {"cat", "dog", "eel"}
    assert train.task == test.task == "classification"


def test_split_for_testing_never_takes_a_labels_last_training_image() -> None:
    # GIVEN a label with a single image among plenty of others
    dataset = dataset_of(["cat"] * 10 + ["dog"] * 10 + ["eel"])
    # WHEN split THEN eel stays in training
    train, test = manifests.split_for_testing(dataset)
    assert "eel" in train.labels and "eel" not in test.labels


def test_split_for_testing_keeps_a_second_label_that_only_one_image_has() -> None:
    # GIVEN cat images that each also carry a label no other image has, and plenty of dogs and eels
    cats = tuple(
        Entry(f"s3://data/c{i}.png", BUCKET, f"c{i}.png", ("cat", f"x{i}"), (), (0.0,)) for i in range(10)
    )
    dataset = Dataset("classification", cats + dataset_of(["dog", "eel"] * 10).entries, ())
    # WHEN split
    train, test = manifests.split_for_testing(dataset)
    # THEN no cat image moves (each would take its x label out of training), but dogs and eels do
    assert train.labels == dataset.labels
    assert test.labels == {"dog", "eel"}


def test_split_for_testing_fails_when_too_few_images_per_label() -> None:
    # GIVEN one image per label: nothing can move to testing without leaving training
    dataset = dataset_of(["cat", "dog"])
    # WHEN split THEN the auto-split error is raised
    with pytest.raises(ManifestError) as caught:
        manifests.split_for_testing(dataset)
    assert caught.value.code == "ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_AUTOSPLIT"
    assert str(caught.value) == (
        "The manifest file contains insufficient labeled images per label to perform auto-split."
    )


@pytest.mark.parametrize(
    ("train_labels", "test_labels", "fails"),
    [
        (["a", "b", "c", "d"], ["a", "b"], False),  # 2 of 4 training labels tested: exactly 50%
        (["a", "b", "c", "d"], ["a", "x"], True),  # 1 of 4: 25%
        (["a", "b"], ["x", "y"], True),
        (["a", "b"], ["a", "b", "x"], False),  # extra test labels do not hurt
    ],
)
def test_check_pair_needs_half_the_training_labels_in_testing(
    train_labels: list[str], test_labels: list[str], fails: bool
) -> None:
    # GIVEN training and testing datasets
    train, test = dataset_of(train_labels), dataset_of(test_labels)
    # WHEN paired THEN under 50% overlap is refused with the guide's message
    if not fails:
        manifests.check_pair(train, test)
        return
    with pytest.raises(ManifestError) as caught:
        manifests.check_pair(train, test)
    assert str(caught.value) == "Less than 50% label overlap between the training and testing manifest files."
    assert caught.value.code == "ERROR_INSUFFICIENT_LABEL_OVERLAP"


def test_check_pair_refuses_a_detection_test_set_for_a_classification_training_set() -> None:
    # GIVEN the same labels but different tasks WHEN paired THEN no usable labels overlap
    with pytest.raises(ManifestError, match="usable label overlap"):
        manifests.check_pair(dataset_of(["a", "b"]), dataset_of(["a", "b"], "detection"))


# -- manifest summary -------------------------------------------------------------------------------------


def test_summary_document_reports_statistics_and_error_lines() -> None:
    # GIVEN a training manifest with one invalid line (line 2) and a clean testing manifest
    store = Store()
    lines = labelled_lines(store, 5)
    lines.insert(1, "{broken")
    store.manifest(lines)
    train = store.load()
    test = dataset_of(["cat", "dog"])
    overlap = ManifestError("overlap", code="ERROR_INSUFFICIENT_LABEL_OVERLAP")
    # WHEN the summary is built
    summary = reports.summary_document(train, test, errors=[overlap])
    # THEN it has the guide's shape and numbers
    assert summary == {
        "statistics": {
            "training": {
                "use_case": "IMAGE_LEVEL_LABELS",
                "total_json_lines": 6,
                "valid_json_lines": 5,
                "invalid_json_lines": 1,
                "ignored_json_lines": 0,
                "error_json_line_indices": [2],
                "errors": [],
            },
            "testing": {
                "use_case": "IMAGE_LEVEL_LABELS",
                "total_json_lines": 2,
                "valid_json_lines": 2,
                "invalid_json_lines": 0,
                "ignored_json_lines": 0,
                "error_json_line_indices": [],
                "errors": [],
            },
        },
        "errors": [{"code": "ERROR_INSUFFICIENT_LABEL_OVERLAP", "message": "overlap"}],
    }
    json.dumps(summary)  # and it is JSON


def test_summary_document_caps_the_error_line_list() -> None:
    # GIVEN a dataset with more invalid lines than the cap
    errors = tuple(LineError(n, "bad", "ERROR_INVALID_JSON_LINE") for n in range(1, 1502))
    big = Dataset("detection", dataset_of(["a"]).entries, errors)
    # WHEN summarised THEN counts are complete but the line list is capped, lowest lines first
    training = reports.summary_document(big, big)["statistics"]["training"]
    assert training["invalid_json_lines"] == 1501
    assert training["use_case"] == "OBJECT_LOCALIZATION"
    assert training["error_json_line_indices"] == list(range(1, reports.MAX_SUMMARY_LINES + 1))
