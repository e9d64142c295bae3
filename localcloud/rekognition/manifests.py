"""Ground Truth manifests as Custom Labels reads them: per-line validation, the dataset rules, the summary.

Messages and error codes are the ones the Custom Labels Developer Guide documents ("Debugging a failed model
training"), so a failed training in the emulator reads like one in the service. A bad line is recorded and
left out (a non-terminal error); a rule about the whole manifest raises ``ManifestError`` (terminal).
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from .images import ImageError, check_training_image, image_features, inspect_image

ObjectReader = Callable[[str, str, str | None], bytes]
Task = Literal["classification", "detection"]

CLASSIFICATION_TYPE = "groundtruth/image-classification"
DETECTION_TYPE = "groundtruth/object-detection"
MAX_MANIFEST_BYTES = 1024**3
MAX_LINES = 250_000
MAX_LABELS = 250
MIN_LABELS: dict[Task, int] = {"classification": 2, "detection": 1}
MAX_BOXES = 50
MAX_INVALID_FRACTION = 0.2
MIN_LABEL_OVERLAP = 0.5
TEST_FRACTION = 0.2
TRAINING_RESIZE = 1280  # the service shrinks larger images to this side before checking box sizes
MAX_SUMMARY_LINES = 1000
_S3_URI = re.compile(r"^[sS]3://([^/]+)/(.+)$")

# Terminal messages, word for word from the Developer Guide.
INACCESSIBLE = "The manifest file extension or contents are invalid."
EMPTY = "The manifest file is empty."
TOO_LARGE = "The manifest file size exceeds the maximum supported size."
MANIFEST_PERMISSIONS = "The S3 bucket permissions are incorrect."
TOO_MANY_ROWS = "The manifest file has too many rows."
TOO_MANY_INVALID = "The manifest file contains too many invalid rows."
MULTIPLE_BUCKETS = "The manifest file contains images from multiple S3 buckets."
IMAGE_PERMISSIONS = "The permissions for the images S3 bucket are invalid."
AUTOSPLIT = "The manifest file contains insufficient labeled images per label to perform auto-split."
TOO_FEW_LABELS = "The manifest file has too few labels."
TOO_MANY_LABELS = "The manifest file has too many labels."
LABEL_OVERLAP = "Less than 50% label overlap between the training and testing manifest files."
USABLE_LABEL_OVERLAP = "Less than 50% usable label overlap between the training and testing manifest files."
# Not in the guide (it filters lines of the other kind instead); this emulator refuses a mixed manifest.
MIXED_TASKS = "The manifest file mixes image-level labels and object locations."


class ManifestError(Exception):
    """A terminal training failure; ``str(e)`` is the StatusMessage.

    ``code`` is the guide's error code for manifest *content* errors (None for file errors, which the service
    does not put in the manifest summary); ``dataset`` is what was read before the rule failed, if anything.
    """

    def __init__(self, message: str, *, code: str | None = None, dataset: Dataset | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.dataset = dataset


@dataclass(frozen=True)
class BoundingBox:
    label: str
    top: int
    left: int
    width: int
    height: int


@dataclass(frozen=True)
class Entry:
    source_ref: str
    bucket: str
    key: str
    labels: tuple[str, ...]
    boxes: tuple[BoundingBox, ...]
    features: tuple[float, ...]


@dataclass(frozen=True)
class LineError:
    line: int  # 1-based line number in the manifest
    reason: str
    code: str = ""


@dataclass(frozen=True)
class Dataset:
    task: Task
    entries: tuple[Entry, ...]
    errors: tuple[LineError, ...]
    # Lines with a valid schema but nothing to learn (no annotations): neither used nor counted as invalid.
    ignored: tuple[LineError, ...] = ()

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(label for entry in self.entries for label in entry.labels)

    @property
    def total_lines(self) -> int:
        return len(self.entries) + len(self.errors) + len(self.ignored)


class _LineProblem(Exception):
    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason


@dataclass
class _Parsed:
    source_ref: str
    bucket: str
    key: str
    task: Task
    labels: list[str]
    annotations: list[tuple[str, Any, Any]]  # (label, annotation, object) to check against the image


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _parse_line(text: str) -> _Parsed:
    """Check one JSON Line's schema (no S3 access yet)."""
    try:
        line = json.loads(text)
    except ValueError:
        line = None
    if not isinstance(line, dict):
        raise _LineProblem("ERROR_INVALID_JSON_LINE", "The JSON Line has an invalid format.")
    if "source-ref" not in line:
        raise _LineProblem("ERROR_MISSING_SOURCE_REF", "The source-ref key is missing.")
    match = _S3_URI.match(line["source-ref"]) if isinstance(line["source-ref"], str) else None
    if match is None:
        raise _LineProblem(
            "ERROR_INVALID_SOURCE_REF_FORMAT", "The format of the source-ref value is invalid."
        )
    attributes = sorted(k for k in line if k != "source-ref" and f"{k}-metadata" in line)
    if not attributes:
        raise _LineProblem("ERROR_NO_LABEL_ATTRIBUTES", "No label attributes found.")
    parsed = _Parsed(line["source-ref"], match.group(1), match.group(2), "classification", [], [])
    supported = False
    for attribute in attributes:
        value, metadata = line[attribute], line[f"{attribute}-metadata"]
        if not isinstance(metadata, dict) or not isinstance(metadata.get("type"), str):
            raise _LineProblem(
                "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT",
                "The format of the label attribute metadata is invalid.",
            )
        if metadata["type"] == CLASSIFICATION_TYPE:
            supported = True
            _parse_classification(attribute, value, metadata, parsed)
        elif metadata["type"] == DETECTION_TYPE:
            supported = True
            parsed.task = "detection"
            _parse_detection(attribute, value, metadata, parsed)
    if not supported:
        raise _LineProblem("ERROR_NO_VALID_LABEL_ATTRIBUTES", "No valid label attributes found.")
    return parsed


def _parse_classification(attribute: str, value: Any, metadata: dict[str, Any], parsed: _Parsed) -> None:
    if not _is_int(value):
        raise _LineProblem(
            "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT",
            f"The format of the label attribute {attribute} is invalid.",
        )
    name = metadata.get("class-name")
    if not isinstance(name, str) or not name:
        raise _LineProblem(
            "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT",
            "The format of the label attribute metadata is invalid.",
        )
    if name not in parsed.labels:
        parsed.labels.append(name)


def _parse_detection(attribute: str, value: Any, metadata: dict[str, Any], parsed: _Parsed) -> None:
    sizes = value.get("image_size") if isinstance(value, dict) else None
    annotations = value.get("annotations") if isinstance(value, dict) else None
    if not (
        isinstance(sizes, list) and sizes and isinstance(sizes[0], dict) and isinstance(annotations, list)
    ):
        raise _LineProblem(
            "ERROR_INVALID_LABEL_ATTRIBUTE_FORMAT",
            f"The format of the label attribute {attribute} is invalid.",
        )
    class_map, objects = metadata.get("class-map"), metadata.get("objects")
    if not isinstance(class_map, dict) or not isinstance(objects, list):
        raise _LineProblem(
            "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT",
            "The format of the label attribute metadata is invalid.",
        )
    if len(annotations) > MAX_BOXES:
        raise _LineProblem(
            "ERROR_TOO_MANY_BOUNDING_BOXES", "There are more bounding boxes than the allowed maximum."
        )
    for index, annotation in enumerate(annotations):
        class_id = annotation.get("class_id") if isinstance(annotation, dict) else None
        label = class_map.get(str(class_id)) if _is_int(class_id) else None
        obj = objects[index] if index < len(objects) else None
        parsed.annotations.append((label if isinstance(label, str) else "", annotation, obj))


def _check_box(label: str, annotation: Any, obj: Any, width: int, height: int) -> BoundingBox:
    """One annotation against the real image; a bad box is dropped, the line survives if another is good."""
    if not label:
        raise _LineProblem(
            "ERROR_MISSING_CLASS_MAP_ID", "One of more class ids is missing from the class map."
        )
    if not isinstance(obj, dict) or "confidence" not in obj:
        raise _LineProblem(
            "ERROR_MISSING_BOUNDING_BOX_CONFIDENCE",
            "One or more bounding boxes has a missing confidence value.",
        )
    values = [annotation.get(k) for k in ("top", "left", "width", "height")]
    if not all(_is_number(v) for v in values):
        raise _LineProblem("ERROR_INVALID_BOUNDING_BOX", "The bounding box has off frame values.")
    top, left, box_width, box_height = (round(v) for v in values)
    if top < 0 or left < 0 or top + box_height > height or left + box_width > width:
        raise _LineProblem("ERROR_INVALID_BOUNDING_BOX", "The bounding box has off frame values.")
    scale = min(1.0, TRAINING_RESIZE / max(width, height))
    if box_width * scale <= 1 or box_height * scale <= 1:
        raise _LineProblem(
            "ERROR_BOUNDING_BOX_TOO_SMALL", "The height and width of the bounding box is too small."
        )
    return BoundingBox(label=label, top=top, left=left, width=box_width, height=box_height)


def _read_image(read: ObjectReader, parsed: _Parsed) -> tuple[int, int, tuple[float, ...]]:
    invalid = "The image is invalid. Check S3 path and/or image properties."
    try:
        data = read(parsed.bucket, parsed.key, None)
    except KeyError:
        raise _LineProblem("ERROR_INVALID_IMAGE", f"{invalid} {parsed.source_ref} was not found.") from None
    except PermissionError:
        raise ManifestError(IMAGE_PERMISSIONS, code="ERROR_INVALID_PERMISSIONS_IMAGES_S3_BUCKET") from None
    try:
        info = inspect_image(data)
        reason = check_training_image(info)
        if reason is not None:
            raise _LineProblem("ERROR_INVALID_IMAGE", f"{invalid} {reason}")
        return info.width, info.height, image_features(data)
    except ImageError as error:
        raise _LineProblem("ERROR_INVALID_IMAGE", f"{invalid} {error}") from None


def _entry(read: ObjectReader, parsed: _Parsed) -> Entry | None:
    """The usable entry for a parsed line, or None if it has nothing to train on (an ignored line)."""
    width, height, features = _read_image(read, parsed)
    boxes: list[BoundingBox] = []
    first_problem: _LineProblem | None = None
    for label, annotation, obj in parsed.annotations:
        try:
            boxes.append(_check_box(label, annotation, obj, width, height))
        except _LineProblem as problem:
            first_problem = first_problem or problem
    if parsed.annotations and not boxes and first_problem is not None:
        raise _LineProblem(
            "ERROR_NO_VALID_ANNOTATIONS", f"No valid annotations found. {first_problem.reason}"
        )
    labels = list(parsed.labels)
    labels += [box.label for box in boxes if box.label not in labels]
    if not labels:
        return None
    return Entry(parsed.source_ref, parsed.bucket, parsed.key, tuple(labels), tuple(boxes), features)


def _read_manifest(read: ObjectReader, bucket: str, key: str, version: str | None) -> list[str]:
    try:
        data = read(bucket, key, version)
    except KeyError:
        raise ManifestError(INACCESSIBLE) from None
    except PermissionError:
        raise ManifestError(MANIFEST_PERMISSIONS) from None
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(TOO_LARGE)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ManifestError(INACCESSIBLE) from None
    lines = [line.rstrip("\r") for line in text.split("\n")]
    while lines and not lines[-1].strip():
        lines.pop()  # a trailing newline is not a line; blank lines inside the file are (invalid) lines
    if not lines:
        raise ManifestError(EMPTY)
    if len(lines) > MAX_LINES:
        raise ManifestError(TOO_MANY_ROWS, code="ERROR_MANIFEST_ROWS_EXCEEDS_MAXIMUM")
    return lines


def load_manifest(read: ObjectReader, bucket: str, key: str, version: str | None) -> Dataset:
    """Read and validate a manifest the way training does; raise ManifestError for a terminal rule."""
    entries: list[Entry] = []
    tasks: set[Task] = set()
    ignored_tasks: set[Task] = set()
    errors: list[LineError] = []
    ignored: list[LineError] = []
    seen: set[str] = set()
    for number, text in enumerate(_read_manifest(read, bucket, key, version), start=1):
        try:
            parsed = _parse_line(text)
            if parsed.source_ref in seen:
                raise _LineProblem(
                    "ERROR_DUPLICATE_SOURCE_REF", "The source-ref value repeats an earlier JSON Line."
                )
            entry = _entry(read, parsed)
        except _LineProblem as problem:
            errors.append(LineError(number, problem.reason, problem.code))
            continue
        if entry is None:
            ignored.append(LineError(number, "No annotations were found.", "WARNING_NO_ANNOTATIONS"))
            ignored_tasks.add(parsed.task)
            continue
        seen.add(parsed.source_ref)
        entries.append(entry)
        tasks.add(parsed.task)
    task: Task = "detection" if (tasks or ignored_tasks) == {"detection"} else "classification"
    dataset = Dataset(task, tuple(entries), tuple(errors), tuple(ignored))
    _check_content(dataset, tasks)
    return dataset


def _check_content(dataset: Dataset, tasks: set[Task]) -> None:
    """The whole-manifest rules, in the order the emulator reports them (one error per failure)."""
    # Every line is in the denominator ("blank/invalid lines are also counted as dataset objects");
    # ignored lines are simply not errors.
    if len(dataset.errors) > MAX_INVALID_FRACTION * dataset.total_lines:
        raise ManifestError(TOO_MANY_INVALID, code="ERROR_TOO_MANY_INVALID_ROWS_IN_MANIFEST", dataset=dataset)
    if len({entry.bucket for entry in dataset.entries}) > 1:
        raise ManifestError(MULTIPLE_BUCKETS, code="ERROR_IMAGES_IN_MULTIPLE_S3_BUCKETS", dataset=dataset)
    if len(tasks) > 1:
        raise ManifestError(MIXED_TASKS, code="ERROR_MANIFEST_TOO_FEW_USABLE_LABELS", dataset=dataset)
    _check_label_count(dataset)


def _check_label_count(dataset: Dataset) -> None:
    if len(dataset.labels) < MIN_LABELS[dataset.task]:
        raise ManifestError(TOO_FEW_LABELS, code="ERROR_MANIFEST_TOO_FEW_LABELS", dataset=dataset)
    if len(dataset.labels) > MAX_LABELS:
        raise ManifestError(TOO_MANY_LABELS, code="ERROR_MANIFEST_TOO_MANY_LABELS", dataset=dataset)


def _order(entry: Entry) -> str:
    return hashlib.sha256(entry.source_ref.encode()).hexdigest()


def split_for_testing(dataset: Dataset) -> tuple[Dataset, Dataset]:
    """TestingData AutoCreate: about 20% of each label's images to testing, chosen by a hash of source-ref.

    An image moves only if every one of its labels keeps at least one training image, so the split is
    deterministic, the halves are disjoint, and training loses no label.
    """
    remaining = Counter(label for entry in dataset.entries for label in entry.labels)
    groups: dict[str, list[Entry]] = {}
    for entry in sorted(dataset.entries, key=_order):
        groups.setdefault(min(entry.labels), []).append(entry)
    chosen: set[str] = set()
    for label in sorted(groups):
        group = groups[label]
        quota = max(1, round(len(group) * TEST_FRACTION)) if len(group) >= 2 else 0
        for entry in group:
            if quota == 0:
                break
            if all(remaining[name] > 1 for name in entry.labels):
                chosen.add(entry.source_ref)
                remaining.subtract(entry.labels)
                quota -= 1
    test_entries = tuple(e for e in dataset.entries if e.source_ref in chosen)
    train_entries = tuple(e for e in dataset.entries if e.source_ref not in chosen)
    test = Dataset(dataset.task, test_entries, ())
    if len(test.labels) < MIN_LABELS[dataset.task]:
        raise ManifestError(
            AUTOSPLIT, code="ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_AUTOSPLIT", dataset=dataset
        )
    return replace(dataset, entries=train_entries), test


def check_pair(train: Dataset, test: Dataset) -> None:
    """Training and testing must be the same kind, and testing must cover at least half the training labels.

    The guide defines overlap as (labels in both) / (training labels).
    """
    if train.task != test.task:
        raise ManifestError(USABLE_LABEL_OVERLAP, code="ERROR_INSUFFICIENT_USABLE_LABEL_OVERLAP")
    if not train.labels or len(train.labels & test.labels) < MIN_LABEL_OVERLAP * len(train.labels):
        raise ManifestError(LABEL_OVERLAP, code="ERROR_INSUFFICIENT_LABEL_OVERLAP")


def _use_case(dataset: Dataset) -> str:
    if not dataset.entries:
        return "NOT_DETERMINED"
    return "IMAGE_LEVEL_LABELS" if dataset.task == "classification" else "OBJECT_LOCALIZATION"


def _errors(errors: Sequence[ManifestError]) -> list[dict[str, str]]:
    return [{"code": error.code or "", "message": error.message} for error in errors]


def _statistics(dataset: Dataset, errors: Sequence[ManifestError]) -> dict[str, Any]:
    return {
        "use_case": _use_case(dataset),
        "total_json_lines": dataset.total_lines,
        "valid_json_lines": len(dataset.entries),
        "invalid_json_lines": len(dataset.errors),
        "ignored_json_lines": len(dataset.ignored),
        "error_json_line_indices": sorted(error.line for error in dataset.errors)[:MAX_SUMMARY_LINES],
        "errors": _errors(errors),
    }


def summary_document(
    train: Dataset,
    test: Dataset,
    *,
    training_errors: Sequence[ManifestError] = (),
    testing_errors: Sequence[ManifestError] = (),
    errors: Sequence[ManifestError] = (),
) -> dict[str, Any]:
    """manifest_summary.json as the guide shows it; line indices are capped at MAX_SUMMARY_LINES each.

    Content errors (a ManifestError with a ``code``) go in the dataset they belong to, or in ``errors`` when
    they span both (label overlap).
    """
    return {
        "statistics": {
            "training": _statistics(train, training_errors),
            "testing": _statistics(test, testing_errors),
        },
        "errors": _errors(errors),
    }
