"""The files training writes about its data: the manifest summary and the validation manifests.

Both follow the Custom Labels Developer Guide ("Understanding the manifest summary", "Understanding
training and testing validation result manifests"): a validation manifest is the manifest itself, each
JSON Line carrying ``errors`` lists (``code``, ``message``) where the problems are: on the image, in a label
attribute's metadata, or in one bounding box's annotation. The same lines, with the same lists, are what
ListDatasetEntries returns for a dataset.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from typing import Any

from .manifests import CLASSIFICATION_TYPE, BoxError, CheckedLine, Dataset, Entry, LineError, ManifestError
from .training import Model

MAX_SUMMARY_LINES = 1000


def _problem(error: LineError) -> dict[str, str]:
    return {"code": error.code, "message": error.reason}


def without_errors(document: dict[str, Any]) -> dict[str, Any]:
    """A copy with every ``errors`` list an earlier validation added taken out (validation is repeatable)."""
    clean = copy.deepcopy(document)
    clean.pop("errors", None)
    for value in clean.values():
        if isinstance(value, dict):
            value.pop("errors", None)
            for annotation in value.get("annotations") or ():
                if isinstance(annotation, dict):
                    annotation.pop("errors", None)
    return clean


def annotated(
    document: dict[str, Any], error: LineError | None, box_errors: Sequence[BoxError] = ()
) -> dict[str, Any]:
    """The JSON Line with its problems where the guide puts them."""
    line = without_errors(document)
    if error is not None:
        holder = line.get(error.place) if error.place else None
        target = holder if isinstance(holder, dict) else line
        target.setdefault("errors", []).append(_problem(error))
    for box in box_errors:
        annotations = line.get(box.attribute, {}).get("annotations")
        if isinstance(annotations, list) and box.index < len(annotations):
            annotations[box.index].setdefault("errors", []).append(_problem(box.error))
    return line


def validation_line(line: CheckedLine) -> str:
    """A line of a ``*_manifest_with_validation.json`` file (a line that is not JSON is copied as it is)."""
    if line.document is None:
        return line.text
    return json.dumps(annotated(line.document, line.error, line.box_errors))


def validation_manifest(dataset: Dataset) -> bytes:
    return "".join(validation_line(line) + "\n" for line in dataset.checked).encode()


TRAINING_JOB = "rekognition-custom-labels-training-job"
EVALUATION_JOB = "rekognition-custom-labels-evaluation-job"


def _ground_truth(document: dict[str, Any]) -> dict[str, Any]:
    """The line's label attributes renamed as the snapshot names them, with the training job's name."""
    snapshot: dict[str, Any] = {"source-ref": document["source-ref"]}
    attributes = sorted(
        k for k in document if k != "source-ref" and isinstance(document.get(f"{k}-metadata"), dict)
    )
    for index, attribute in enumerate(attributes):
        name = f"rekognition-custom-labels-training-{index}"
        snapshot[name] = document[attribute]
        snapshot[f"{name}-metadata"] = {**document[f"{attribute}-metadata"], "job-name": TRAINING_JOB}
    return snapshot


def _evaluated(snapshot: dict[str, Any], entry: Entry, model: Model, threshold: float, created: str) -> None:
    """Each label the model gave above the threshold or the image has, with its binary classification."""
    truth = set(entry.labels)
    predictions = [(n, c) for n, c in model.predict(entry.features) if c >= threshold or n in truth]
    for index, (label, confidence) in enumerate(predictions):
        above, present = confidence >= threshold, label in truth
        name = f"rekognition-custom-labels-evaluation-{index}"
        snapshot[name] = model.labels.index(label)
        snapshot[f"{name}-metadata"] = {
            "confidence": round(confidence / 100, 5),
            "job-name": EVALUATION_JOB,
            "class-name": label,
            "human-annotated": "no",
            "creation-date": created,
            "type": CLASSIFICATION_TYPE,
            "rekognition-custom-labels-evaluation-details": {
                "version": 1,
                "ground-truth-labelling-jobs": [TRAINING_JOB],
                "is-true-positive": above and present,
                "is-true-negative": not above and not present,
                "is-false-positive": above and not present,
                "is-false-negative": not above and present,
                "is-present-in-ground-truth": present,
            },
        }


def snapshot_manifest(dataset: Dataset, *, evaluation: tuple[Model, float, str] | None = None) -> bytes:
    """The manifest snapshot of the images training used (the results' ``Output``).

    The guide's "evaluation manifest snapshot": ground truth as ``rekognition-custom-labels-training-N``
    and, for a classification test set (``evaluation`` = model, threshold 0..100, creation date), the
    model's predictions as ``rekognition-custom-labels-evaluation-N`` with their binary classification.
    """
    lines = []
    for line in dataset.checked:
        if line.entry is None or line.document is None:
            continue
        snapshot = _ground_truth(without_errors(line.document))
        if evaluation is not None and dataset.task == "classification":
            _evaluated(snapshot, line.entry, *evaluation)
        lines.append(json.dumps(snapshot))
    return "".join(line + "\n" for line in lines).encode()


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
