"""The files a training writes under its OutputConfig, and the results DescribeProjectVersions reports.

Names follow the Custom Labels Developer Guide: ``EvaluationSummary-<project>-<version>.json`` under the
prefix, and the validation results ``manifest_summary.json``, ``training_manifest_with_validation.json`` and
``testing_manifest_with_validation.json``. The guide does not say where under the prefix those go; since
their names are fixed, each version gets a folder of its own, ``<prefix><project>/<version>/``, with the
manifests it trained and tested on (``output/``, the results' ``Output``) and, for a version trained from
the project's datasets, the dataset entries it was given (``input/``, the results' ``Input``). The
``output/`` manifests are the guide's manifest snapshots: ground truth renamed to
``rekognition-custom-labels-training-N`` and, for testing, the model's predictions.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from . import reports, training
from .manifests import Dataset, ManifestError
from .state import VersionRecord
from .training import Model

Writer = Callable[[str, str, bytes], None]  # (bucket, key, body)
KINDS = (("training", "TrainingData", "TrainingDataResult"), ("testing", "TestingData", "TestingDataResult"))


def _asset(bucket: str, key: str) -> dict[str, Any]:
    return {"GroundTruthManifest": {"S3Object": {"Bucket": bucket, "Name": key}}}


def _prefix(version: VersionRecord) -> str:
    return str(version.request["OutputConfig"].get("S3KeyPrefix", ""))


def folder(version: VersionRecord) -> str:
    return f"{_prefix(version)}{version.project.name}/{version.name}/"


def evaluation_key(version: VersionRecord) -> str:
    return f"{_prefix(version)}EvaluationSummary-{version.project.name}-{version.name}.json"


class _Output:
    """Writes into the version's output bucket and remembers what it wrote."""

    def __init__(self, write: Writer, version: VersionRecord) -> None:
        self.write, self.version = write, version
        self.bucket = str(version.request["OutputConfig"]["S3Bucket"])

    def put(self, key: str, body: bytes) -> dict[str, Any]:
        self.write(self.bucket, key, body)
        return _asset(self.bucket, key)

    def results(
        self, datasets: dict[str, Dataset | None], *, evaluation: tuple[Model, float, str] | None
    ) -> dict[str, dict[str, Any]]:
        """Input, Validation and (given a successful training's ``evaluation``) Output of each data kind."""
        version, base = self.version, folder(self.version)
        results: dict[str, dict[str, Any]] = {}
        for kind, member, result in KINDS:
            dataset = datasets.get(kind)
            entry: dict[str, Any] = {}
            if member in version.request:
                entry["Input"] = version.request[member]
            elif version.dataset_lines is not None:
                lines = version.dataset_lines["TRAIN" if kind == "training" else "TEST"]
                body = "".join(line + "\n" for line in lines).encode()
                entry["Input"] = {"Assets": [self.put(f"{base}input/{kind}.manifest", body)]}
            if dataset is not None and dataset.checked:
                body = reports.validation_manifest(dataset)
                validation = self.put(f"{base}{kind}_manifest_with_validation.json", body)
                entry["Validation"] = {"Assets": [validation]}
                if evaluation is not None:
                    tested = evaluation if kind == "testing" else None
                    body = reports.snapshot_manifest(dataset, evaluation=tested)
                    output = self.put(f"{base}output/{kind}.manifest", body)
                    entry["Output"] = {"Assets": [output]}
                    if entry.get("Input", {}).get("AutoCreate"):
                        entry["Output"]["AutoCreate"] = True
            results[result] = entry
        return results


def write_success(
    write: Writer,
    version: VersionRecord,
    ended: float,
    train_set: Dataset,
    test_set: Dataset,
    model: Model,
    evaluation: training.Evaluation,
) -> None:
    """Every file of a successful training; any S3 refusal fails the training as the service reports it."""
    out = _Output(write, version)
    summary_key, evaluation_file = f"{folder(version)}manifest_summary.json", evaluation_key(version)
    try:
        document = training.evaluation_summary(
            evaluation, project_version_arn=version.arn, end_timestamp=ended
        )
        out.put(evaluation_file, json.dumps(document, indent=2).encode())
        out.put(summary_key, json.dumps(reports.summary_document(train_set, test_set), indent=2).encode())
        tested = (model, evaluation.threshold, training.timestamp(ended))
        results = out.results({"training": train_set, "testing": test_set}, evaluation=tested)
    except Exception as error:
        raise ManifestError(
            f"Unable to write to the output location s3://{out.bucket}/{_prefix(version)}: {error}"
        ) from error
    version.evaluation_key, version.manifest_summary_key = evaluation_file, summary_key
    version.data_results = results


def write_failure(
    write: Writer,
    version: VersionRecord,
    stage: str,
    error: ManifestError,
    train_set: Dataset | None,
    test_set: Dataset | None,
) -> None:
    """A content error goes in the manifest summary, with the validation manifests of what was read.

    ``stage`` says where the error belongs: ``training``, ``testing`` or ``both`` (label overlap).
    """
    empty = Dataset(task="classification", entries=(), errors=())
    if stage == "training":
        train_set = error.dataset
    elif stage == "testing":
        test_set = error.dataset
    document = reports.summary_document(
        train_set or empty,
        test_set or empty,
        training_errors=[error] if stage == "training" else [],
        testing_errors=[error] if stage == "testing" else [],
        errors=[error] if stage == "both" else [],
    )
    out = _Output(write, version)
    key = f"{folder(version)}manifest_summary.json"
    try:
        out.put(key, json.dumps(document, indent=2).encode())
        results = out.results({"training": train_set, "testing": test_set}, evaluation=None)
    except Exception:  # the status already reports the failure; the files are extra detail
        return
    version.manifest_summary_key, version.data_results = key, results
