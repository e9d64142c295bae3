"""The emulator's records of projects, datasets and model versions, and how each is described."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import dataset_entries
from .dataset_entries import DatasetEntry
from .training import Model

CUSTOM_LABELS = "CUSTOM_LABELS"
CONTENT_MODERATION = "CONTENT_MODERATION"
CONTENT_MODERATION_BASE_MODEL = "1.0"


def epoch_ms(seconds: float) -> int:
    return int(seconds * 1000)


@dataclass(frozen=True)
class DatasetJob:
    """What a dataset in progress does when its time is up: be created, take an update, or be split."""

    kind: str  # create | update | distribute (the training dataset) | wait (the test dataset meanwhile)
    lines: tuple[str, ...] = ()  # update: the JSON Lines of UpdateDatasetEntries


@dataclass
class DatasetRecord:
    arn: str
    dataset_type: str  # TRAIN | TEST
    created: float
    status: str = "CREATE_IN_PROGRESS"
    status_message: str = "The dataset is being created."
    status_code: str = "SUCCESS"
    ready_at: float = 0.0
    updated: float = 0.0
    source: dict[str, Any] = field(default_factory=dict)
    entries: dict[str, DatasetEntry] | None = None  # by source-ref, in the order they came
    job: DatasetJob | None = DatasetJob("create")

    @property
    def busy(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")

    def metadata(self) -> dict[str, Any]:
        return {
            "CreationTimestamp": self.created,
            "DatasetType": self.dataset_type,
            "DatasetArn": self.arn,
            "Status": self.status,
            "StatusMessage": self.status_message,
            "StatusMessageCode": self.status_code,
        }

    def description(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "CreationTimestamp": self.created,
            "LastUpdatedTimestamp": self.updated or self.created,
            "Status": self.status,
            "StatusMessage": self.status_message,
            "StatusMessageCode": self.status_code,
        }
        if self.entries is not None:
            described["DatasetStats"] = dataset_entries.statistics(list(self.entries.values()))
        return described


@dataclass
class ProjectRecord:
    arn: str
    name: str
    region: str
    created: float
    feature: str
    auto_update: str | None
    status: str = "CREATED"
    gone_at: float | None = None
    datasets: dict[str, DatasetRecord] = field(default_factory=dict)  # by DatasetType

    def description(self) -> dict[str, Any]:
        described: dict[str, Any] = {
            "ProjectArn": self.arn,
            "CreationTimestamp": self.created,
            "Status": self.status,
            "Datasets": [self.datasets[t].metadata() for t in sorted(self.datasets)],
            "Feature": self.feature,
        }
        if self.auto_update is not None:
            described["AutoUpdate"] = self.auto_update
        return described


@dataclass
class VersionRecord:
    """A model version. ``phase_ends`` is when the current transitional status ends on its own."""

    arn: str
    name: str
    project: ProjectRecord
    created: float
    request: dict[str, Any]
    status: str = "TRAINING_IN_PROGRESS"
    status_message: str = "The model is being trained."
    phase_ends: float | None = None
    training_end: float | None = None
    billable_seconds: int | None = None
    f1_score: float | None = None
    evaluation_key: str | None = None
    manifest_summary_key: str | None = None
    model: Model | None = None
    min_units: int | None = None
    max_units: int | None = None
    start_fails: str | None = None
    # Training from the project's datasets: their labeled entries when training began (TRAIN, TEST).
    dataset_lines: dict[str, tuple[str, ...]] | None = None
    # TrainingDataResult and TestingDataResult once training has written its data files.
    data_results: dict[str, dict[str, Any]] = field(default_factory=dict)

    def description(self) -> dict[str, Any]:
        request = self.request
        described: dict[str, Any] = {
            "ProjectVersionArn": self.arn,
            "CreationTimestamp": self.created,
            "Status": self.status,
            "StatusMessage": self.status_message,
            "OutputConfig": request["OutputConfig"],
            "Feature": self.project.feature,
        }
        if self.min_units is not None:
            described["MinInferenceUnits"] = self.min_units
        if self.max_units is not None:
            described["MaxInferenceUnits"] = self.max_units
        if self.billable_seconds is not None:
            described["BillableTrainingTimeInSeconds"] = self.billable_seconds
        if self.training_end is not None:
            described["TrainingEndTimestamp"] = self.training_end
        for member, result in (("TrainingData", "TrainingDataResult"), ("TestingData", "TestingDataResult")):
            if result in self.data_results:
                described[result] = self.data_results[result]
            elif member in request:
                described[result] = {"Input": request[member]}
        if self.f1_score is not None and self.evaluation_key is not None:
            described["EvaluationResult"] = {
                "F1Score": self.f1_score,
                "Summary": {"S3Object": self._output_object(self.evaluation_key)},
            }
        if self.manifest_summary_key is not None:
            described["ManifestSummary"] = {"S3Object": self._output_object(self.manifest_summary_key)}
        for member in ("KmsKeyId", "VersionDescription", "FeatureConfig"):
            if member in request:
                described[member] = request[member]
        if self.project.feature == CONTENT_MODERATION:
            described["BaseModelVersion"] = CONTENT_MODERATION_BASE_MODEL
        return described

    def _output_object(self, key: str) -> dict[str, str]:
        return {"Bucket": self.request["OutputConfig"]["S3Bucket"], "Name": key}
