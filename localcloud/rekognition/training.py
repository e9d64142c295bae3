"""A stand-in for Custom Labels training: nearest centroid over tiny image features, and its evaluation.

Not a real vision model; it only has to be deterministic, fast, and good on a learnable dataset (a clean
sample reaches F1 near 1) while visibly bad on noise, so the emulator's F1 scores mean something.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .manifests import Dataset

THRESHOLD = 50.0  # confidence (0..100) at which a label counts as detected; DetectCustomLabels' default
_VARIANCE_FLOOR = 1e-3  # about 8/255 in standard deviation: noise-free features do not dominate


@dataclass(frozen=True)
class LabelMetrics:
    label: str
    test_images: int
    precision: float
    recall: float
    f1: float
    threshold: float  # confidence 0..100 (the summary file writes it as 0..1)


@dataclass(frozen=True)
class Evaluation:
    f1: float
    precision: float
    recall: float
    labels: tuple[LabelMetrics, ...]
    training_images: int
    testing_images: int
    threshold: float  # confidence 0..100
    training_labels: tuple[str, ...] = ()
    # (ground truth, predicted, fraction of that ground truth's test images given the prediction)
    confusion: tuple[tuple[str, str, float], ...] = ()
    task: str = "classification"


@dataclass(frozen=True)
class Model:
    """One centroid per label, distances scaled per feature by the pooled within-label variance.

    The scaling (a diagonal Mahalanobis distance) lets the few features that separate labels, such as mean
    colour, outweigh the many that only vary (where a shape sits). Confidences are a softmax over the
    distances divided by the feature count, so a clear match scores around 90 and a toss-up splits evenly.
    """

    labels: tuple[str, ...]
    centroids: tuple[tuple[float, ...], ...]
    weights: tuple[float, ...]
    training_images: int = 0

    def predict(self, features: tuple[float, ...]) -> list[tuple[str, float]]:
        """(label, confidence 0..100), most confident first, ties by label."""
        if len(features) != len(self.weights):
            raise ValueError(f"expected {len(self.weights)} features, got {len(features)}")
        distances = [self._distance(features, centroid) for centroid in self.centroids]
        nearest = min(distances)
        scores = [math.exp(-(d - nearest) / (2 * len(self.weights))) for d in distances]
        total = sum(scores)
        scored = [
            (label, round(100 * score / total, 3)) for label, score in zip(self.labels, scores, strict=True)
        ]
        return sorted(scored, key=lambda pair: (-pair[1], pair[0]))

    def _distance(self, features: Sequence[float], centroid: Sequence[float]) -> float:
        return math.fsum(w * (x - c) ** 2 for w, x, c in zip(self.weights, features, centroid, strict=True))


def train(train: Dataset) -> Model:
    """Average the features of every image that carries a label (an image with two labels feeds both) and
    weigh each feature by the inverse of its variance around those averages."""
    pairs = [(label, entry.features) for entry in train.entries for label in entry.labels]
    if not pairs:
        raise ValueError("cannot train on a dataset without labelled images")
    size = len(pairs[0][1])
    if any(len(features) != size for _, features in pairs):
        raise ValueError("feature vectors differ in length")
    labels = tuple(sorted({label for label, _ in pairs}))
    members = {label: [f for name, f in pairs if name == label] for label in labels}
    centroids = {
        label: tuple(math.fsum(col) / len(rows) for col in zip(*rows, strict=True))
        for label, rows in members.items()
    }
    spread = [0.0] * size
    for label, features in pairs:
        for i, (x, c) in enumerate(zip(features, centroids[label], strict=True)):
            spread[i] += (x - c) ** 2
    degrees = max(1, len(pairs) - len(labels))
    weights = tuple(1 / (s / degrees + _VARIANCE_FLOOR) for s in spread)
    return Model(labels, tuple(centroids[label] for label in labels), weights, len(train.entries))


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _confusion(model: Model, test: Dataset, predicted: list[set[str]]) -> tuple[tuple[str, str, float], ...]:
    """For each ground-truth label, the share of its test images the model gave each label at the threshold.

    The guide's matrix: columns are ground truth, each cell the fraction of that label's images predicted
    as the row's label. Its diagonal is each label's recall; a column need not sum to 1 (an image can get
    no label above the threshold, or several).
    """
    cells: list[tuple[str, str, float]] = []
    for truth in sorted(test.labels):
        found = [p for entry, p in zip(test.entries, predicted, strict=True) if truth in entry.labels]
        for label in sorted(set(model.labels) | test.labels):
            cells.append((truth, label, round(sum(label in p for p in found) / len(found), 3)))
    return tuple(cells)


def evaluate(model: Model, test: Dataset, *, threshold: float = THRESHOLD) -> Evaluation:
    """Per test label: precision, recall and F1 of "label present" at ``threshold``; aggregates: macro means.

    Only labels in the test set are scored, as in the service's summary (NumberOfTestingImages per label).
    The confusion matrix comes from the same predictions, so its diagonal is each label's recall.
    """
    predicted = [
        {label for label, confidence in model.predict(entry.features) if confidence >= threshold}
        for entry in test.entries
    ]
    metrics: list[LabelMetrics] = []
    for label in sorted(test.labels):
        truth = [label in entry.labels for entry in test.entries]
        hits = [label in found for found in predicted]
        true_positives = sum(t and h for t, h in zip(truth, hits, strict=True))
        precision = true_positives / sum(hits) if any(hits) else 0.0
        recall = true_positives / sum(truth)
        metrics.append(
            LabelMetrics(
                label,
                sum(truth),
                round(precision, 3),
                round(recall, 3),
                round(_f1(precision, recall), 3),
                round(threshold, 3),
            )
        )
    count = len(metrics) or 1
    return Evaluation(
        f1=round(sum(m.f1 for m in metrics) / count, 3),
        precision=round(sum(m.precision for m in metrics) / count, 3),
        recall=round(sum(m.recall for m in metrics) / count, 3),
        labels=tuple(metrics),
        training_images=model.training_images,
        testing_images=len(test.entries),
        threshold=round(threshold, 3),
        training_labels=model.labels,
        confusion=_confusion(model, test, predicted),
        task=test.task,
    )


def timestamp(epoch_seconds: float) -> str:
    """The summary file's form, e.g. 2019-11-21T07:30:23.910943 (UTC, no zone suffix)."""
    return datetime.fromtimestamp(epoch_seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def evaluation_summary(
    evaluation: Evaluation, *, project_version_arn: str, end_timestamp: float
) -> dict[str, Any]:
    """EvaluationSummary-<project>-<version>.json as the guide documents it; labels sorted by F1, best first.

    Threshold is written 0..1, as in the guide's example file; the aggregated metrics sit directly under
    AggregatedEvaluationResults, as in that file and AWS's confusion-matrix sample (which reads them there).
    """
    ranked = sorted(evaluation.labels, key=lambda m: (-m.f1, m.label))
    aggregated: dict[str, Any] = {
        "F1Score": evaluation.f1,
        "Precision": evaluation.precision,
        "Recall": evaluation.recall,
    }
    if evaluation.task == "classification":  # the guide: a confusion matrix for classification only
        aggregated["ConfusionMatrix"] = [
            {"GroundTruthLabel": truth, "PredictedLabel": label, "Value": value}
            for truth, label, value in evaluation.confusion
        ]
    return {
        "Version": 1,
        "EvaluationDetails": {
            "ProjectVersionArn": project_version_arn,
            "EvaluationEndTimestamp": timestamp(end_timestamp),
            "Labels": list(evaluation.training_labels or sorted(m.label for m in evaluation.labels)),
            "NumberOfTrainingImages": evaluation.training_images,
            "NumberOfTestingImages": evaluation.testing_images,
        },
        "AggregatedEvaluationResults": aggregated,
        "LabelEvaluationResults": [
            {
                "Label": m.label,
                "NumberOfTestingImages": m.test_images,
                "Metrics": {
                    "Threshold": round(m.threshold / 100, 3),
                    "Precision": m.precision,
                    "Recall": m.recall,
                    "F1Score": m.f1,
                },
            }
            for m in ranked
        ],
    }
