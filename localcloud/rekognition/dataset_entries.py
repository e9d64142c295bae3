"""A project dataset's entries (one JSON Line per image), as the dataset-entry operations see them.

The Custom Labels API documents the rules kept here: an entry is keyed by its ``source-ref``; a line with
a *terminal* content error (not JSON, no or a malformed ``source-ref``, a repeated ``source-ref``, longer
than 100,000 characters) is left out of the dataset, and too many of them fail the create or update; a
line with a *non-terminal* error (a bad label attribute, an unreadable image, a bad box) stays, with
``errors`` lists where the problem is, and is what ``HasErrors`` finds. A line with nothing but its
``source-ref`` is an unlabeled image. Labels are those the entries use: removing a label's last
annotation removes the label.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from . import manifests, reports

MAX_LINE_CHARS = 100_000
TERMINAL_CODES = frozenset(
    {
        "ERROR_INVALID_JSON_LINE",
        "ERROR_MISSING_SOURCE_REF",
        "ERROR_INVALID_SOURCE_REF_FORMAT",
        "ERROR_DUPLICATE_SOURCE_REF",
    }
)
TOO_MANY_TERMINAL = "The manifest file has too many terminal errors."
TOO_FEW_TO_DISTRIBUTE = "The manifest file doesn't have enough labeled images to distribute the dataset."


@dataclass(frozen=True)
class DatasetEntry:
    source_ref: str
    line: str  # as ListDatasetEntries returns it: the JSON Line, with ``errors`` lists where problems are
    labels: tuple[str, ...]  # every label the line gives the image
    box_labels: tuple[str, ...]  # the labels it gives on a bounding box
    has_errors: bool


@dataclass(frozen=True)
class Batch:
    """The entries a manifest or an UpdateDatasetEntries call brings, and how many lines were dropped."""

    entries: tuple[DatasetEntry, ...]
    lines: int
    dropped: int

    @property
    def too_many_dropped(self) -> bool:
        return self.dropped > manifests.MAX_INVALID_FRACTION * self.lines


def _declared_labels(document: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """All labels a line gives its image, and those on boxes, read leniently (errors are checked apart)."""
    labels: list[str] = []
    boxes: list[str] = []
    for attribute, value in document.items():
        metadata = document.get(f"{attribute}-metadata")
        if not isinstance(metadata, dict):
            continue
        if metadata.get("type") == manifests.CLASSIFICATION_TYPE:
            name = metadata.get("class-name")
            if isinstance(name, str) and name and name not in labels:
                labels.append(name)
        elif metadata.get("type") == manifests.DETECTION_TYPE and isinstance(value, dict):
            class_map = metadata.get("class-map")
            for annotation in value.get("annotations") or ():
                class_id = annotation.get("class_id") if isinstance(annotation, dict) else None
                name = class_map.get(str(class_id)) if isinstance(class_map, dict) else None
                if isinstance(name, str) and name and name not in boxes:
                    boxes.append(name)
    return tuple(labels + [b for b in boxes if b not in labels]), tuple(boxes)


def _entry(line: manifests.CheckedLine) -> DatasetEntry | None:
    if line.document is None or len(line.text) > MAX_LINE_CHARS:
        return None
    if line.error is not None and line.error.code in TERMINAL_CODES:
        return None
    source_ref = line.document["source-ref"]
    clean = reports.without_errors(line.document)
    if line.error is not None and clean.keys() == {"source-ref"}:
        return DatasetEntry(source_ref, json.dumps(clean), (), (), False)  # an unlabeled image
    labels, boxes = _declared_labels(clean)
    listed = reports.annotated(clean, line.error, line.box_errors)
    has_errors = line.error is not None or bool(line.box_errors)
    return DatasetEntry(source_ref, json.dumps(listed), labels, boxes, has_errors)


def read_batch(read: manifests.ObjectReader, lines: Sequence[str]) -> Batch:
    """Check every line (reading its image) and keep the entries the dataset takes."""
    dataset = manifests.examine_lines(read, lines)
    entries: dict[str, DatasetEntry] = {}
    for line in dataset.checked:
        entry = _entry(line)
        if entry is not None and entry.source_ref not in entries:
            entries[entry.source_ref] = entry
    return Batch(tuple(entries.values()), len(lines), len(lines) - len(entries))


def merged(current: Mapping[str, DatasetEntry], batch: Iterable[DatasetEntry]) -> dict[str, DatasetEntry]:
    """UpdateDatasetEntries: a line replaces the entry with its source-ref, or is added after the others."""
    result = dict(current)
    for entry in batch:
        result[entry.source_ref] = entry
    return result


def labels_of(entries: Iterable[DatasetEntry]) -> list[str]:
    return sorted({label for entry in entries for label in entry.labels})


def label_descriptions(entries: Sequence[DatasetEntry]) -> list[dict[str, Any]]:
    """ListDatasetLabels: per label, the images using it and the images using it on a bounding box."""
    return [
        {
            "LabelName": label,
            "LabelStats": {
                "EntryCount": sum(label in entry.labels for entry in entries),
                "BoundingBoxCount": sum(label in entry.box_labels for entry in entries),
            },
        }
        for label in labels_of(entries)
    ]


def statistics(entries: Sequence[DatasetEntry]) -> dict[str, int]:
    return {
        "LabeledEntries": sum(bool(entry.labels) for entry in entries),
        "TotalEntries": len(entries),
        "TotalLabels": len(labels_of(entries)),
        "ErrorEntries": sum(entry.has_errors for entry in entries),
    }


def matching(entries: Iterable[DatasetEntry], params: Mapping[str, Any]) -> list[str]:
    """ListDatasetEntries' filters, all of which must hold; ContainsLabels matches any one of its labels.

    HasErrors=True keeps the entries with errors and False filters nothing, as documented ("Specify True to
    only include entries that have errors") and as AWS's sample relies on (it always sends HasErrors).
    Labeled is documented both ways: True only labeled images, False only unlabeled ones.
    """
    wanted = set(params.get("ContainsLabels") or ())
    labeled, has_errors, part = (
        params.get("Labeled"),
        params.get("HasErrors"),
        params.get("SourceRefContains"),
    )
    return [
        entry.line
        for entry in entries
        if (not wanted or wanted.intersection(entry.labels))
        and (labeled is None or bool(entry.labels) == labeled)
        and (not has_errors or entry.has_errors)
        and (part is None or part in entry.source_ref)
    ]


def training_lines(entries: Iterable[DatasetEntry]) -> tuple[str, ...]:
    """What a training takes from a dataset: its labeled images (unlabeled ones teach nothing)."""
    return tuple(entry.line for entry in entries if entry.labels)


def distribute(
    entries: Mapping[str, DatasetEntry],
) -> tuple[dict[str, DatasetEntry], dict[str, DatasetEntry]]:
    """DistributeDatasetEntries: 20% of the labeled training images move to the (empty) test dataset.

    Raises ManifestError when the move would leave testing with too few labels.
    """
    usable = [(e.source_ref, e.labels) for e in entries.values() if e.labels and not e.has_errors]
    chosen = manifests.choose_for_testing(usable)
    boxes_only = all(set(e.labels) <= set(e.box_labels) for e in entries.values() if e.labels)
    minimum = manifests.MIN_LABELS["detection" if boxes_only else "classification"]
    if len(labels_of(entries[ref] for ref in chosen)) < minimum:
        raise manifests.ManifestError(
            TOO_FEW_TO_DISTRIBUTE, code="ERROR_INSUFFICIENT_IMAGES_PER_LABEL_FOR_DISTRIBUTE"
        )
    train = {ref: entry for ref, entry in entries.items() if ref not in chosen}
    test = {ref: entry for ref, entry in entries.items() if ref in chosen}
    return train, test
