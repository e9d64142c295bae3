"""The F1 gate: a trained model must reach its minimum scores before it is started.

The overall F1 score comes from DescribeProjectVersions; the per-label scores from the evaluation
summary training wrote to S3 (``EvaluationSummary-<project>-<version>.json``). A model below the gate
gets a Reason that quotes the numbers and where the summary is, so a user can judge it without the
console.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from resource_properties import Gate

# How many of the lowest-scoring labels a Reason quotes.
WORST_LABELS = 3


class GateFailed(RuntimeError):
    """The model is below its gate (or cannot be judged); the message is the Reason."""


@dataclass(frozen=True)
class Evaluation:
    f1: float | None
    labels: dict[str, float]  # label -> F1 score, from the summary ({} when it could not be read)
    location: str  # s3://bucket/key of the summary, or "" when training reported none
    unreadable: str = ""  # why the summary could not be read


def label_scores(summary: Mapping[str, Any]) -> dict[str, float]:
    """Label -> F1 of an evaluation summary (scores directly under the entry or under ``Metrics``)."""
    scores: dict[str, float] = {}
    for entry in summary.get("LabelEvaluationResults") or []:
        metrics = entry.get("Metrics") or entry
        if "Label" in entry and metrics.get("F1Score") is not None:
            scores[str(entry["Label"])] = float(metrics["F1Score"])
    return scores


def evaluation_of(version: Mapping[str, Any], s3: Any) -> Evaluation:
    """The version's scores: its overall F1, and the per-label ones read from its summary."""
    result = version.get("EvaluationResult") or {}
    f1 = result.get("F1Score")
    where = (result.get("Summary") or {}).get("S3Object") or {}
    if not where.get("Bucket") or not where.get("Name"):
        return Evaluation(f1, {}, "", "training reported no evaluation summary")
    location = f"s3://{where['Bucket']}/{where['Name']}"
    request = {"Bucket": where["Bucket"], "Key": where["Name"]}
    if where.get("Version"):
        request["VersionId"] = where["Version"]
    try:
        body = s3.get_object(**request)["Body"].read()
        summary = json.loads(body)
    except (ClientError, BotoCoreError, ValueError) as error:
        return Evaluation(f1, {}, location, f"it could not be read ({_short(error)})")
    return Evaluation(None if f1 is None else float(f1), label_scores(summary), location)


def shortfalls(gate: Gate, evaluation: Evaluation) -> list[str]:
    """Each way the evaluation misses the gate, in words; [] when it passes."""
    misses: list[str] = []
    if gate.min_f1 is not None:
        if evaluation.f1 is None:
            misses.append("training reported no overall F1 score")
        elif evaluation.f1 < gate.min_f1:
            misses.append(f"F1 {evaluation.f1:g} < {gate.min_f1:g} overall")
    for label, minimum in sorted(gate.min_label_f1.items()):
        if evaluation.unreadable:
            why = evaluation.unreadable
            misses.append(f"label {label!r} cannot be checked: the evaluation summary {why}")
            break
        score = evaluation.labels.get(label)
        if score is None:
            known = ", ".join(sorted(evaluation.labels)) or "none"
            misses.append(f"label {label!r} is not in the evaluation summary (its labels: {known})")
        elif score < minimum:
            misses.append(f"label {label!r} F1 {score:g} < {minimum:g}")
    return misses


def check(gate: Gate, version: Mapping[str, Any], s3: Any) -> Evaluation:
    """Raise ``GateFailed`` with the numbers when the version misses its gate; else its evaluation."""
    evaluation = evaluation_of(version, s3)
    misses = shortfalls(gate, evaluation)
    if misses:
        raise GateFailed(reason(str(version["ProjectVersionArn"]), misses, evaluation))
    return evaluation


def reason(arn: str, misses: list[str], evaluation: Evaluation) -> str:
    worst = sorted(evaluation.labels.items(), key=lambda item: (item[1], item[0]))[:WORST_LABELS]
    text = f"Model version {arn} is below its F1 gate: {'; '.join(misses)}."
    if worst:
        text += " Worst labels: " + ", ".join(f"{label} {score:g}" for label, score in worst) + "."
    if evaluation.location:
        text += f" Evaluation summary: {evaluation.location}."
    elif evaluation.unreadable:
        text += f" The evaluation summary: {evaluation.unreadable}."
    return text + " The model was not started."


def _short(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "error"))
    return type(error).__name__
