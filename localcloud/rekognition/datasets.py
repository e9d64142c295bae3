"""Project datasets and their entries: CreateDataset ... DistributeDatasetEntries, ListDatasetLabels.

Creating, updating and distributing take ``Durations.dataset``: the dataset is ``*_IN_PROGRESS`` meanwhile
and the change lands when that time is up (``finish_dataset``), as DescribeDataset then reports.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from . import dataset_entries, manifests
from .core import Params, ServiceCore
from .errors import ServiceError, in_use, invalid
from .state import DatasetJob, DatasetRecord, ProjectRecord


class DatasetOperations(ServiceCore):
    """The dataset operations; CustomLabelsService adds the rest of the API."""

    def _create_dataset(self, region: str, params: Params) -> dict[str, Any]:
        project = self._project(params["ProjectArn"], region)
        dataset_type = params["DatasetType"]
        if dataset_type in project.datasets:
            raise ServiceError(
                "ResourceAlreadyExistsException", f"The project already has a {dataset_type} dataset."
            )
        source = dict(params.get("DatasetSource", {}))
        if "GroundTruthManifest" in source and "DatasetArn" in source:
            raise invalid("DatasetSource takes either GroundTruthManifest or DatasetArn, not both.")
        if "GroundTruthManifest" in source:
            s3 = source["GroundTruthManifest"].get("S3Object", {})
            try:
                self.objects.read(s3.get("Bucket", ""), s3.get("Name", ""), s3.get("Version"))
            except (KeyError, PermissionError) as error:
                raise ServiceError(
                    "InvalidS3ObjectException",
                    "Unable to get object metadata from S3. Check object key, region and/or access "
                    "permissions.",
                ) from error
        elif "DatasetArn" in source:
            origin = self._dataset_by_arn(source["DatasetArn"], region)
            if origin.busy or origin.entries is None:
                raise in_use(f"The dataset {origin.arn} is not ready to copy.")
        tags = dict(params.get("Tags", {}))
        now = self.clock.now()
        arn = f"{self._arn_prefix(region)}/{project.name}/dataset/{dataset_type.lower()}/{self._new_ms(now)}"
        project.datasets[dataset_type] = DatasetRecord(
            arn=arn,
            dataset_type=dataset_type,
            created=now,
            ready_at=now + self.durations.dataset,
            source=source,
        )
        self._tags[arn] = tags
        return {"DatasetArn": arn}

    def _describe_dataset(self, region: str, params: Params) -> dict[str, Any]:
        return {"DatasetDescription": self._dataset_by_arn(params["DatasetArn"], region).description()}

    def _delete_dataset(self, region: str, params: Params) -> dict[str, Any]:
        dataset = self._dataset_by_arn(params["DatasetArn"], region)
        if dataset.busy:
            raise in_use(f"The dataset cannot be deleted while its status is {dataset.status}.")
        for project in self._projects.values():
            if project.datasets.get(dataset.dataset_type) is dataset:
                del project.datasets[dataset.dataset_type]
        self._tags.pop(dataset.arn, None)
        return {}

    # -- entries ------------------------------------------------------------------------------------

    def _readable(self, arn: str, region: str) -> dict[str, dataset_entries.DatasetEntry]:
        """The entries of a dataset that can be read now: not while it is created or changed."""
        dataset = self._dataset_by_arn(arn, region)
        if dataset.status == "UPDATE_IN_PROGRESS":
            raise in_use("The dataset is being updated.")
        if dataset.entries is None:
            raise ServiceError(
                "ResourceNotReadyException", f"The dataset is not ready (status {dataset.status})."
            )
        return dataset.entries

    def _list_dataset_entries(self, region: str, params: Params) -> dict[str, Any]:
        entries = self._readable(params["DatasetArn"], region)
        lines = dataset_entries.matching(entries.values(), params)
        filters = {k: params.get(k) for k in ("ContainsLabels", "Labeled", "SourceRefContains", "HasErrors")}
        return self._page("DatasetEntries", lines, params, [params["DatasetArn"], filters])

    def _list_dataset_labels(self, region: str, params: Params) -> dict[str, Any]:
        entries = self._readable(params["DatasetArn"], region)
        labels = dataset_entries.label_descriptions(list(entries.values()))
        return self._page("DatasetLabelDescriptions", labels, params, [params["DatasetArn"], "labels"])

    def _update_dataset_entries(self, region: str, params: Params) -> dict[str, Any]:
        dataset = self._dataset_by_arn(params["DatasetArn"], region)
        if dataset.busy:
            raise in_use(f"The dataset cannot be updated while its status is {dataset.status}.")
        if dataset.entries is None:
            raise in_use(f"The dataset cannot be updated after {dataset.status}.")
        try:  # validate_input has checked the base64 and its 5 MB limit
            text = base64.b64decode(params["Changes"]["GroundTruth"]).decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise invalid("Changes.GroundTruth must be UTF-8 JSON Lines.") from error
        lines = tuple(line.rstrip("\r") for line in text.split("\n") if line.strip())
        if not lines:
            raise invalid("Changes.GroundTruth holds no JSON Lines.")
        self._begin(dataset, DatasetJob("update", lines=lines), "The dataset is being updated.")
        return {}

    def _distribute_dataset_entries(self, region: str, params: Params) -> dict[str, Any]:
        datasets = [self._dataset_by_arn(item["Arn"], region) for item in params["Datasets"]]  # two
        by_type = {dataset.dataset_type: dataset for dataset in datasets}
        owners = {self._owner(dataset).arn for dataset in datasets}
        if set(by_type) != {"TRAIN", "TEST"} or len(owners) != 1:
            raise invalid("Datasets takes the training and the test dataset of one project.")
        train, test = by_type["TRAIN"], by_type["TEST"]
        for dataset in (train, test):
            if dataset.busy or dataset.entries is None:
                raise ServiceError(
                    "ResourceNotReadyException", f"The dataset {dataset.arn} is not ready ({dataset.status})."
                )
        if test.entries:
            raise invalid("The test dataset must be empty.")
        message = "The dataset entries are being distributed."
        self._begin(train, DatasetJob("distribute"), message)
        self._begin(test, DatasetJob("wait"), message)
        return {}

    def _begin(self, dataset: DatasetRecord, job: DatasetJob, message: str) -> None:
        dataset.job, dataset.ready_at = job, self.clock.now() + self.durations.dataset
        dataset.status, dataset.status_message, dataset.status_code = "UPDATE_IN_PROGRESS", message, "SUCCESS"

    def _owner(self, dataset: DatasetRecord) -> ProjectRecord:
        return next(p for p in self._projects.values() if p.datasets.get(dataset.dataset_type) is dataset)

    # -- time ---------------------------------------------------------------------------------------

    def _dataset_finisher(self, project: ProjectRecord, dataset: DatasetRecord) -> Callable[[float], None]:
        def finish(ended: float) -> None:
            job, dataset.job = dataset.job, None
            if job is None or job.kind == "wait":  # a distribution's test dataset: finished by its partner
                return
            dataset.updated = ended
            try:
                if job.kind == "create":
                    dataset.entries = self._created_entries(project, dataset)
                    _settle(dataset, "CREATE_COMPLETE", "The dataset is created.")
                elif job.kind == "update":
                    dataset.entries = self._checked_entries(dataset.entries or {}, job.lines)
                    _settle(dataset, "UPDATE_COMPLETE", "The dataset is updated.")
                else:
                    self._distribute(project, dataset, ended)
            except manifests.ManifestError as error:
                failed = "CREATE_FAILED" if job.kind == "create" else "UPDATE_FAILED"
                _settle(dataset, failed, str(error), "CLIENT_ERROR")
                if job.kind == "distribute":
                    test = project.datasets["TEST"]
                    test.updated = ended
                    _settle(test, failed, str(error), "CLIENT_ERROR")

        return finish

    def _created_entries(
        self, project: ProjectRecord, dataset: DatasetRecord
    ) -> dict[str, dataset_entries.DatasetEntry]:
        source = dataset.source.get("GroundTruthManifest")
        if source is None and "DatasetArn" in dataset.source:
            return dict(self._dataset_by_arn(dataset.source["DatasetArn"], project.region).entries or {})
        if source is None:
            return {}  # no DatasetSource: an empty dataset
        s3 = source["S3Object"]
        lines = manifests.read_manifest(self.objects.read, s3["Bucket"], s3["Name"], s3.get("Version"))
        return self._checked_entries({}, tuple(lines))

    def _checked_entries(
        self, current: dict[str, dataset_entries.DatasetEntry], lines: tuple[str, ...]
    ) -> dict[str, dataset_entries.DatasetEntry]:
        """The dataset with the lines merged in; ManifestError when the dataset cannot take them."""
        batch = dataset_entries.read_batch(self.objects.read, lines)
        if batch.too_many_dropped:
            raise manifests.ManifestError(
                dataset_entries.TOO_MANY_TERMINAL, code="ERROR_TOO_MANY_RECORDS_IN_ERROR"
            )
        entries = dataset_entries.merged(current, batch.entries)
        if len(dataset_entries.labels_of(entries.values())) > manifests.MAX_LABELS:
            raise manifests.ManifestError(manifests.TOO_MANY_LABELS, code="ERROR_MANIFEST_TOO_MANY_LABELS")
        return entries

    def _distribute(self, project: ProjectRecord, train: DatasetRecord, ended: float) -> None:
        test = project.datasets["TEST"]
        train_entries, test_entries = dataset_entries.distribute(train.entries or {})
        train.entries, test.entries, test.updated = train_entries, test_entries, ended
        message = "The dataset entries are distributed."
        _settle(train, "UPDATE_COMPLETE", message)
        _settle(test, "UPDATE_COMPLETE", message)


def _settle(dataset: DatasetRecord, status: str, message: str, code: str = "SUCCESS") -> None:
    dataset.status, dataset.status_message, dataset.status_code = status, message, code
