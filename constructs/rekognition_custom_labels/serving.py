"""How a trained model version is served: its inference units and the evaluation it must reach first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InferenceUnits:
    """The compute a started model uses (StartProjectVersion's MinInferenceUnits/MaxInferenceUnits).

    :param min: inference units the model always runs with (1 to 5). Default: 1.
    :param max: the most units Rekognition's auto scaling may use (``min`` to 5). Default: none, the
        model does not auto-scale.

    Rekognition cannot change the units of a running model: a change stops it and starts it again, and
    it answers no DetectCustomLabels calls in between (minutes). Billed per running hour and unit.
    """

    min: int = 1
    max: int | None = None

    def render(self) -> dict[str, Any]:
        units: dict[str, Any] = {"MinInferenceUnits": self.min}
        return units if self.max is None else {**units, "MaxInferenceUnits": self.max}


def render_gate(
    min_f1_score: float | None, min_label_f1_scores: Mapping[str, float] | None
) -> dict[str, Any]:
    """The F1 gate as the deployed-model resource's properties (empty when there is none)."""
    gate: dict[str, Any] = {}
    if min_f1_score is not None:
        gate["MinF1Score"] = min_f1_score
    if min_label_f1_scores:
        gate["MinLabelF1Scores"] = dict(min_label_f1_scores)
    return gate
