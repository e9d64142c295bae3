"""How a trained model version is served: its inference units and the evaluation it must reach first."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class InferenceUnits:
    """The compute a started model uses (StartProjectVersion's MinInferenceUnits/MaxInferenceUnits).

    Make one with ``InferenceUnits.fixed(n)`` or ``InferenceUnits.auto_scaling(min_units=,
    max_units=)``. Rekognition cannot change the units of a running model: a change stops it and
    starts it again, and it answers no DetectCustomLabels calls in between (minutes). Billed per
    running hour and unit.
    """

    min_units: int = 1
    """Inference units the model always runs with (1 to 5)."""
    max_units: int | None = None
    """The most units Rekognition's auto scaling may use (``min_units`` to 5); None: no auto scaling."""

    @staticmethod
    def fixed(units: int) -> InferenceUnits:
        """Always ``units`` inference units (1 to 5), without auto scaling."""
        return InferenceUnits(min_units=units)

    @staticmethod
    def auto_scaling(*, min_units: int = 1, max_units: int) -> InferenceUnits:
        """From ``min_units`` (default 1) up to ``max_units`` (at most 5), as Rekognition scales them."""
        return InferenceUnits(min_units=min_units, max_units=max_units)

    def render(self) -> dict[str, Any]:
        """The StartProjectVersion members, as the deployed-model resource's properties."""
        units: dict[str, Any] = {"MinInferenceUnits": self.min_units}
        return units if self.max_units is None else {**units, "MaxInferenceUnits": self.max_units}


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
