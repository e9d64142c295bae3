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
    # Where a validation manifest reports it: "" for the image, else the label attribute's metadata key.
    place: str = ""


@dataclass(frozen=True)
class BoxError:
    """A bounding box left out of training (the line survives): reported inside its annotation."""

    attribute: str
    index: int
    error: LineError


@dataclass(frozen=True)
class CheckedLine:
    """One manifest line and what validation made of it: an entry, an error, or ignored (no annotations)."""

    number: int
    text: str
    document: dict[str, Any] | None  # the JSON object, when the line is one
    task: Task | None = None
    entry: Entry | None = None
    error: LineError | None = None
    box_errors: tuple[BoxError, ...] = ()
    ignored: bool = False


@dataclass(frozen=True)
class Dataset:
    task: Task
    entries: tuple[Entry, ...]
    errors: tuple[LineError, ...]
    # Lines with a valid schema but nothing to learn (no annotations): neither used nor counted as invalid.
    ignored: tuple[LineError, ...] = ()
    checked: tuple[CheckedLine, ...] = ()  # every line in order, for the validation manifests

    @property
    def labels(self) -> frozenset[str]:
        return frozenset(label for entry in self.entries for label in entry.labels)

    @property
    def total_lines(self) -> int:
        return len(self.entries) + len(self.errors) + len(self.ignored)


class _LineProblem(Exception):
    def __init__(self, code: str, reason: str, place: str = "") -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason
        self.place = place


@dataclass
class _Parsed:
    source_ref: str
    bucket: str
    key: str
    task: Task
    labels: list[str]
    # (attribute, index, label, annotation, object) to check against the image
    annotations: list[tuple[str, int, str, Any, Any]]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def parse_document(text: str) -> dict[str, Any] | None:
    try:
        line = json.loads(text)
    except ValueError:
        return None
    return line if isinstance(line, dict) else None


def _parse_line(line: dict[str, Any] | None) -> _Parsed:
    """Check one JSON Line's schema (no S3 access yet)."""
    if line is None:
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
                f"{attribute}-metadata" if isinstance(metadata, dict) else "",
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
            f"{attribute}-metadata",
        )
    name = metadata.get("class-name")
    if not isinstance(name, str) or not name:
        raise _LineProblem(
            "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT",
            "The format of the label attribute metadata is invalid.",
            f"{attribute}-metadata",
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
            f"{attribute}-metadata",
        )
    class_map, objects = metadata.get("class-map"), metadata.get("objects")
    if not isinstance(class_map, dict) or not isinstance(objects, list):
        raise _LineProblem(
            "ERROR_INVALID_LABEL_ATTRIBUTE_METADATA_FORMAT",
            "The format of the label attribute metadata is invalid.",
            f"{attribute}-metadata",
        )
    if len(annotations) > MAX_BOXES:
        raise _LineProblem(
            "ERROR_TOO_MANY_BOUNDING_BOXES",
            "There are more bounding boxes than the allowed maximum.",
            f"{attribute}-metadata",
        )
    for index, annotation in enumerate(annotations):
        class_id = annotation.get("class_id") if isinstance(annotation, dict) else None
        label = class_map.get(str(class_id)) if _is_int(class_id) else None
        obj = objects[index] if index < len(objects) else None
        parsed.annotations.append(
            (attribute, index, label if isinstance(label, str) else "", annotation, obj)
        )


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


def _entry(read: ObjectReader, parsed: _Parsed, number: int) -> tuple[Entry | None, tuple[BoxError, ...]]:
    """The usable entry for a parsed line (None: nothing to learn, an ignored line), and boxes dropped."""
    width, height, features = _read_image(read, parsed)
    boxes: list[BoundingBox] = []
    dropped: list[BoxError] = []
    for attribute, index, label, annotation, obj in parsed.annotations:
        try:
            boxes.append(_check_box(label, annotation, obj, width, height))
        except _LineProblem as problem:
            dropped.append(BoxError(attribute, index, LineError(number, problem.reason, problem.code)))
    if parsed.annotations and not boxes:
        raise _LineProblem(
            "ERROR_NO_VALID_ANNOTATIONS", f"No valid annotations found. {dropped[0].error.reason}"
        )
    labels = list(parsed.labels)
    labels += [box.label for box in boxes if box.label not in labels]
    if not labels:
        return None, tuple(dropped)
    entry = Entry(parsed.source_ref, parsed.bucket, parsed.key, tuple(labels), tuple(boxes), features)
    return entry, tuple(dropped)


def read_manifest(read: ObjectReader, bucket: str, key: str, version: str | None) -> list[str]:
    """A manifest's lines; raise ManifestError for a file error (missing, unreadable, empty, too big)."""
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
    return check_manifest(read, read_manifest(read, bucket, key, version))


def check_line(read: ObjectReader, number: int, text: str) -> CheckedLine:
    """One line's schema, image and boxes (duplicates across lines are the caller's to find)."""
    document = parse_document(text)
    try:
        parsed = _parse_line(document)
        entry, dropped = _entry(read, parsed, number)
    except _LineProblem as problem:
        return CheckedLine(
            number, text, document, error=LineError(number, problem.reason, problem.code, problem.place)
        )
    if entry is None:
        return CheckedLine(number, text, document, parsed.task, box_errors=dropped, ignored=True)
    return CheckedLine(number, text, document, parsed.task, entry, box_errors=dropped)


def examine_lines(read: ObjectReader, lines: Sequence[str]) -> Dataset:
    """Every line checked, a repeated source-ref refused; no rule about the whole manifest applied yet."""
    checked: list[CheckedLine] = []
    seen: set[str] = set()
    for number, text in enumerate(lines, start=1):
        line = check_line(read, number, text)
        if line.entry is not None and line.entry.source_ref in seen:
            reason = "The source-ref value repeats an earlier JSON Line."
            line = replace(line, entry=None, error=LineError(number, reason, "ERROR_DUPLICATE_SOURCE_REF"))
        elif line.entry is not None:
            seen.add(line.entry.source_ref)
        checked.append(line)
    tasks = {line.task for line in checked if line.task is not None and (line.entry or line.ignored)}
    task: Task = "detection" if tasks == {"detection"} else "classification"
    return Dataset(
        task,
        tuple(line.entry for line in checked if line.entry is not None),
        tuple(line.error for line in checked if line.error is not None),
        tuple(
            LineError(line.number, "No annotations were found.", "WARNING_NO_ANNOTATIONS")
            for line in checked
            if line.ignored
        ),
        tuple(checked),
    )


def check_manifest(read: ObjectReader, lines: Sequence[str]) -> Dataset:
    """A manifest's lines validated the way training does; raise ManifestError for a terminal rule."""
    dataset = examine_lines(read, lines)
    _check_content(dataset, {line.task for line in dataset.checked if line.entry is not None and line.task})
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


def _order(source_ref: str) -> str:
    return hashlib.sha256(source_ref.encode()).hexdigest()


def choose_for_testing(items: Sequence[tuple[str, tuple[str, ...]]]) -> set[str]:
    """About 20% of each label's images, by (source-ref, labels), chosen by a hash of source-ref.

    An image moves only if every one of its labels keeps at least one training image, so the choice is
    deterministic and training loses no label. AutoCreate and DistributeDatasetEntries both split this way.
    """
    remaining = Counter(label for _, labels in items for label in labels)
    groups: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for source_ref, labels in sorted(items, key=lambda item: _order(item[0])):
        groups.setdefault(min(labels), []).append((source_ref, labels))
    chosen: set[str] = set()
    for label in sorted(groups):
        group = groups[label]
        quota = max(1, round(len(group) * TEST_FRACTION)) if len(group) >= 2 else 0
        for source_ref, labels in group:
            if quota == 0:
                break
            if all(remaining[name] > 1 for name in labels):
                chosen.add(source_ref)
                remaining.subtract(labels)
                quota -= 1
    return chosen


def split_for_testing(dataset: Dataset) -> tuple[Dataset, Dataset]:
    """TestingData AutoCreate: the training manifest split in two disjoint halves (see choose_for_testing)."""
    chosen = choose_for_testing([(entry.source_ref, entry.labels) for entry in dataset.entries])

    def moved(line: CheckedLine) -> bool:
        return line.entry is not None and line.entry.source_ref in chosen

    test_lines = [line for line in dataset.checked if moved(line)]
    test = Dataset(
        dataset.task,
        tuple(e for e in dataset.entries if e.source_ref in chosen),
        (),
        checked=tuple(replace(line, number=number) for number, line in enumerate(test_lines, start=1)),
    )
    if len(test.labels) < MIN_LABELS[dataset.task]:
        raise ManifestError(
            AUTOSPLIT, code="ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_AUTOSPLIT", dataset=dataset
        )
    train = replace(
        dataset,
        entries=tuple(e for e in dataset.entries if e.source_ref not in chosen),
        checked=tuple(line for line in dataset.checked if not moved(line)),
    )
    return train, test


def check_pair(train: Dataset, test: Dataset) -> None:
    """Training and testing must be the same kind, and testing must cover at least half the training labels.

    The guide defines overlap as (labels in both) / (training labels).
    """
    if train.task != test.task:
        raise ManifestError(USABLE_LABEL_OVERLAP, code="ERROR_INSUFFICIENT_USABLE_LABEL_OVERLAP")
    if not train.labels or len(train.labels & test.labels) < MIN_LABEL_OVERLAP * len(train.labels):
        raise ManifestError(LABEL_OVERLAP, code="ERROR_INSUFFICIENT_LABEL_OVERLAP")
