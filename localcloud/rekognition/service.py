"""The Custom Labels control and data plane: operations, quotas and the documented state machine.

Transitions are evaluated lazily: each call first moves every record whose current phase has ended
(by the injected clock), in the order the phases ended. No thread runs in the background, so a test
with a ManualClock sees each state, and a server with the system clock behaves like the real service.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import manifests, training
from .backends import KeyStore, ObjectStore
from .calls import CallLog
from .clock import Clock, SystemClock
from .errors import ServiceError, in_use, invalid, limit_exceeded, not_found
from .faults import Faults
from .images import ImageError, image_features, inspect_image
from .shapes import validate_input
from .state import (
    CONTENT_MODERATION,
    CUSTOM_LABELS,
    DatasetRecord,
    ProjectRecord,
    VersionRecord,
    epoch_ms,
)

DEFAULT_ACCOUNT = "123456789012"
MAX_IMAGE_BYTES = 4 * 1024 * 1024  # DetectCustomLabels: raw bytes in the request
MAX_S3_IMAGE_BYTES = 15 * 1024 * 1024  # DetectCustomLabels: an image in S3
PAGE_SIZE = 100
BUSY_VERSION_STATES = frozenset({"TRAINING_IN_PROGRESS", "STARTING", "RUNNING", "STOPPING"})

Params = dict[str, Any]
Handler = Callable[[str, Params], dict[str, Any]]


def _creation_order(arn: str) -> int:
    """ARNs end in strictly increasing epoch milliseconds: sorting on them is sorting by creation."""
    return int(arn.rsplit("/", 1)[1])


@dataclass(frozen=True)
class Durations:
    """How long each asynchronous phase takes, in seconds."""

    training: float = 3.0
    starting: float = 2.0
    stopping: float = 1.0
    deleting: float = 1.0
    dataset: float = 1.0
    project_deleting: float = 1.0

    @staticmethod
    def uniform(seconds: float) -> Durations:
        return Durations(seconds, seconds, seconds, seconds, seconds, seconds)


@dataclass(frozen=True)
class Quotas:
    """The account's Custom Labels quotas (AWS General Reference defaults)."""

    concurrent_trainings: int = 2
    running_models: int = 2
    inference_units: int = 5
    projects: int = 100
    versions_per_project: int = 100
    tags: int = 200


@dataclass(frozen=True)
class Records:
    """The service's whole state: plain data, so it pickles (phases resume by the wall clock)."""

    projects: dict[str, ProjectRecord]
    versions: dict[str, VersionRecord]
    tags: dict[str, dict[str, str]]
    last_ms: int


class CustomLabelsService:
    """One account's Custom Labels, in every region. Thread-safe: one lock around all state."""

    def __init__(
        self,
        *,
        objects: ObjectStore,
        keys: KeyStore,
        clock: Clock | None = None,
        durations: Durations | None = None,
        quotas: Quotas | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> None:
        self.objects = objects
        self.keys = keys
        self.clock: Clock = clock or SystemClock()
        self.durations = durations or Durations()
        self.quotas = quotas or Quotas()
        self.account = account
        self.faults = Faults()
        self.calls = CallLog()
        self._lock = threading.RLock()
        self._projects: dict[str, ProjectRecord] = {}
        self._versions: dict[str, VersionRecord] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._last_ms = 0
        self._handlers: dict[str, Handler] = {
            "CreateProject": self._create_project,
            "DescribeProjects": self._describe_projects,
            "DeleteProject": self._delete_project,
            "CreateDataset": self._create_dataset,
            "DescribeDataset": self._describe_dataset,
            "DeleteDataset": self._delete_dataset,
            "CreateProjectVersion": self._create_project_version,
            "DescribeProjectVersions": self._describe_project_versions,
            "StartProjectVersion": self._start_project_version,
            "StopProjectVersion": self._stop_project_version,
            "DeleteProjectVersion": self._delete_project_version,
            "TagResource": self._tag_resource,
            "UntagResource": self._untag_resource,
            "ListTagsForResource": self._list_tags_for_resource,
            "DetectCustomLabels": self._detect_custom_labels,
        }

    @property
    def operations(self) -> frozenset[str]:
        return frozenset(self._handlers)

    def handle(self, operation: str, params: Params, *, region: str = "us-east-1") -> dict[str, Any]:
        """Run one API call; raises ServiceError exactly where the service would answer an error."""
        handler = self._handlers[operation]
        now = self.clock.now()
        try:
            self.faults.before_call(operation, now)
            problems = validate_input(operation, params)
            if problems:
                raise invalid("Request has invalid parameters: " + "; ".join(problems))
            with self._lock:
                self.advance(now)
                answer = handler(region, params)
            self.faults.after_call(operation)
        except ServiceError as error:
            self.calls.record(operation, error.code)
            raise
        self.calls.record(operation)
        return answer

    # -- state across processes ---------------------------------------------------------------------

    def records(self) -> Records:
        """Every project, dataset, version and tag, for a local cloud that outlives its process."""
        with self._lock:
            return Records(dict(self._projects), dict(self._versions), dict(self._tags), self._last_ms)

    def restore(self, records: Records) -> None:
        with self._lock:
            self._projects, self._versions = dict(records.projects), dict(records.versions)
            self._tags, self._last_ms = dict(records.tags), records.last_ms

    # -- time ---------------------------------------------------------------------------------------

    def advance(self, now: float | None = None) -> None:
        """Finish every phase that has ended by ``now``, earliest first."""
        now = self.clock.now() if now is None else now
        with self._lock:
            due: list[tuple[float, int, Callable[[float], None]]] = []
            for version in list(self._versions.values()):
                if version.phase_ends is not None and version.phase_ends <= now:
                    due.append((version.phase_ends, 1, self._finisher(version)))
            for project in list(self._projects.values()):
                for dataset in project.datasets.values():
                    if dataset.status == "CREATE_IN_PROGRESS" and dataset.ready_at <= now:
                        due.append((dataset.ready_at, 0, self._dataset_finisher(project, dataset)))
                if project.gone_at is not None and project.gone_at <= now:
                    due.append((project.gone_at, 2, self._project_remover(project)))
            for ended, _, finish in sorted(due, key=lambda item: (item[0], item[1])):
                finish(ended)

    def _finisher(self, version: VersionRecord) -> Callable[[float], None]:
        def finish(ended: float) -> None:
            version.phase_ends = None
            if version.status == "TRAINING_IN_PROGRESS":
                self._finish_training(version, ended)
            elif version.status == "STARTING":
                if version.start_fails is not None:
                    version.status, version.status_message = "FAILED", version.start_fails
                    version.start_fails = None
                else:
                    version.status, version.status_message = "RUNNING", "The model is running."
            elif version.status == "STOPPING":
                version.status, version.status_message = "STOPPED", "The model is stopped."
            elif version.status == "DELETING":
                del self._versions[version.arn]
                self._tags.pop(version.arn, None)

        return finish

    def _dataset_finisher(self, project: ProjectRecord, dataset: DatasetRecord) -> Callable[[float], None]:
        def finish(ended: float) -> None:
            dataset.updated = ended
            source = dataset.source.get("GroundTruthManifest")
            try:
                if source is not None:
                    s3 = source["S3Object"]
                    dataset.data = manifests.load_manifest(
                        self.objects.read, s3["Bucket"], s3["Name"], s3.get("Version")
                    )
                elif "DatasetArn" in dataset.source:
                    dataset.data = self._dataset_by_arn(dataset.source["DatasetArn"], project.region).data
            except manifests.ManifestError as error:
                dataset.status, dataset.status_message = "CREATE_FAILED", str(error)
                dataset.status_code = "CLIENT_ERROR"
                return
            dataset.status, dataset.status_message = "CREATE_COMPLETE", "The dataset is created."

        return finish

    def _project_remover(self, project: ProjectRecord) -> Callable[[float], None]:
        def remove(_: float) -> None:
            self._projects.pop(project.arn, None)
            self._tags.pop(project.arn, None)
            for dataset in project.datasets.values():
                self._tags.pop(dataset.arn, None)

        return remove

    def _finish_training(self, version: VersionRecord, ended: float) -> None:
        version.training_end = ended
        forced = self.faults.training_failure(version.name)
        stage = "training"
        train_set: manifests.Dataset | None = None
        test_set: manifests.Dataset | None = None
        try:
            if forced is not None:
                raise manifests.ManifestError(forced)
            if "TrainingData" not in version.request:
                train_set, test_set = self._project_datasets(version.project)
            else:
                train_set = self._load_assets(version.request["TrainingData"]["Assets"])
                stage = "testing"
                testing = version.request["TestingData"]
                if testing.get("AutoCreate"):
                    train_set, test_set = manifests.split_for_testing(train_set)
                else:
                    test_set = self._load_assets(testing["Assets"])
            stage = "both"
            manifests.check_pair(train_set, test_set)
            model = training.train(train_set)
            evaluation = training.evaluate(model, test_set)
            self._write_outputs(version, ended, train_set, test_set, evaluation)
        except manifests.ManifestError as error:
            version.status, version.status_message = "TRAINING_FAILED", str(error)
            if error.code is not None:
                self._write_failure_summary(version, stage, error, train_set, test_set)
            return
        version.model = model
        version.f1_score = evaluation.f1
        version.billable_seconds = math.ceil(ended - version.created)
        version.status, version.status_message = "TRAINING_COMPLETED", "The model is ready to run."

    @staticmethod
    def _project_datasets(project: ProjectRecord) -> tuple[manifests.Dataset, manifests.Dataset]:
        train_set, test_set = (project.datasets[t].data for t in ("TRAIN", "TEST"))
        if train_set is None or test_set is None:
            raise manifests.ManifestError("The project's datasets are not ready.")
        return train_set, test_set

    def _write_failure_summary(
        self,
        version: VersionRecord,
        stage: str,
        error: manifests.ManifestError,
        train_set: manifests.Dataset | None,
        test_set: manifests.Dataset | None,
    ) -> None:
        """A content error is reported in the manifest summary, as the service does after a failure."""
        empty = manifests.Dataset(task="classification", entries=(), errors=())
        if stage == "training":
            train_set = error.dataset
        elif stage == "testing":
            test_set = error.dataset
        document = manifests.summary_document(
            train_set or empty,
            test_set or empty,
            training_errors=[error] if stage == "training" else [],
            testing_errors=[error] if stage == "testing" else [],
            errors=[error] if stage == "both" else [],
        )
        key = self._output_key(version, "ManifestSummary")
        try:
            self.objects.write(
                version.request["OutputConfig"]["S3Bucket"], key, json.dumps(document).encode()
            )
        except Exception:  # the status already reports the failure; the summary is extra detail
            return
        version.manifest_summary_key = key

    def _output_key(self, version: VersionRecord, kind: str) -> str:
        prefix = version.request["OutputConfig"].get("S3KeyPrefix", "")
        return f"{prefix}{kind}-{version.project.name}-{version.name}.json"

    def _load_assets(self, assets: list[dict[str, Any]]) -> manifests.Dataset:
        s3 = assets[0]["GroundTruthManifest"]["S3Object"]
        return manifests.load_manifest(self.objects.read, s3["Bucket"], s3["Name"], s3.get("Version"))

    def _write_outputs(
        self,
        version: VersionRecord,
        ended: float,
        train_set: manifests.Dataset,
        test_set: manifests.Dataset,
        evaluation: training.Evaluation,
    ) -> None:
        output = version.request["OutputConfig"]
        prefix = output.get("S3KeyPrefix", "")
        evaluation_key = self._output_key(version, "EvaluationSummary")
        summary_key = self._output_key(version, "ManifestSummary")
        documents = {
            evaluation_key: training.evaluation_summary(
                evaluation, project_version_arn=version.arn, end_timestamp=ended
            ),
            summary_key: manifests.summary_document(train_set, test_set),
        }
        try:
            for key, document in documents.items():
                self.objects.write(output["S3Bucket"], key, json.dumps(document, indent=2).encode())
        except Exception as error:  # any S3 refusal ends training the way the service reports it
            raise manifests.ManifestError(
                f"Unable to write to the output location s3://{output['S3Bucket']}/{prefix}: {error}"
            ) from error
        version.evaluation_key, version.manifest_summary_key = evaluation_key, summary_key

    # -- helpers ------------------------------------------------------------------------------------

    def _new_ms(self, now: float) -> int:
        """Epoch milliseconds, strictly increasing so ARNs made in the same millisecond differ."""
        self._last_ms = max(epoch_ms(now), self._last_ms + 1)
        return self._last_ms

    def _arn_prefix(self, region: str) -> str:
        return f"arn:aws:rekognition:{region}:{self.account}:project"

    @staticmethod
    def _in_region(arn: str, region: str) -> bool:
        """A regional service: an ARN of another region names nothing here."""
        parts = arn.split(":")
        return len(parts) > 3 and parts[3] == region

    def _project(self, arn: str, region: str) -> ProjectRecord:
        project = self._projects.get(arn) if self._in_region(arn, region) else None
        if project is None or project.status == "DELETING":
            raise not_found(f"The project {arn} does not exist.")
        return project

    def _version(self, arn: str, region: str) -> VersionRecord:
        version = self._versions.get(arn) if self._in_region(arn, region) else None
        if version is None:
            raise not_found(f"The model version {arn} does not exist.")
        return version

    def _dataset_by_arn(self, arn: str, region: str) -> DatasetRecord:
        for project in self._projects.values() if self._in_region(arn, region) else ():
            for dataset in project.datasets.values():
                if dataset.arn == arn:
                    return dataset
        raise not_found(f"The dataset {arn} does not exist.")

    def _versions_of(self, project: ProjectRecord) -> list[VersionRecord]:
        return [v for v in self._versions.values() if v.project is project]

    @staticmethod
    def _page(items: list[dict[str, Any]], params: Params, scope: str) -> tuple[list[Any], str | None]:
        start = 0
        token = params.get("NextToken")
        if token:
            try:
                decoded = json.loads(base64.b64decode(token, validate=True))
                start = int(decoded["offset"])
                if decoded["scope"] != scope or start < 0:
                    raise ValueError(token)
            except (ValueError, KeyError, TypeError, binascii.Error) as error:
                raise ServiceError("InvalidPaginationTokenException", "Invalid pagination token.") from error
        size = int(params.get("MaxResults") or PAGE_SIZE)
        end = start + size
        next_token = None
        if end < len(items):
            next_token = base64.b64encode(json.dumps({"offset": end, "scope": scope}).encode()).decode()
        return items[start:end], next_token

    # -- projects and datasets ----------------------------------------------------------------------

    def _create_project(self, region: str, params: Params) -> dict[str, Any]:
        name = params["ProjectName"]
        feature = params.get("Feature", CUSTOM_LABELS)
        in_region = [p for p in self._projects.values() if p.region == region]
        if any(p.name == name for p in in_region):
            raise in_use(f"A project named {name} already exists.")
        if len(in_region) >= self.quotas.projects:
            raise limit_exceeded(f"The account already has {self.quotas.projects} projects.")
        if "AutoUpdate" in params and feature != CONTENT_MODERATION:
            raise invalid("AutoUpdate applies to CONTENT_MODERATION projects only.")
        tags = dict(params.get("Tags", {}))
        now = self.clock.now()
        arn = f"{self._arn_prefix(region)}/{name}/{self._new_ms(now)}"
        auto_update = params.get("AutoUpdate", "DISABLED" if feature == CONTENT_MODERATION else None)
        self._projects[arn] = ProjectRecord(arn, name, region, now, feature, auto_update)
        self._tags[arn] = tags
        return {"ProjectArn": arn}

    def _describe_projects(self, region: str, params: Params) -> dict[str, Any]:
        names = params.get("ProjectNames")
        features = params.get("Features", [CUSTOM_LABELS])
        matching = sorted(
            (
                p
                for p in self._projects.values()
                if p.region == region and p.feature in features and (names is None or p.name in names)
            ),
            key=lambda p: _creation_order(p.arn),
            reverse=True,
        )
        scope = json.dumps([region, names, features])
        page, token = self._page([p.description() for p in matching], params, scope)
        response: dict[str, Any] = {"ProjectDescriptions": page}
        if token:
            response["NextToken"] = token
        return response

    def _delete_project(self, region: str, params: Params) -> dict[str, Any]:
        arn = params["ProjectArn"]
        project = self._projects.get(arn) if self._in_region(arn, region) else None
        if project is None:
            raise not_found(f"The project {params['ProjectArn']} does not exist.")
        if project.status == "DELETING":
            return {"Status": "DELETING"}
        if self._versions_of(project):
            raise in_use("The project has model versions. Delete them before deleting the project.")
        project.status = "DELETING"
        project.gone_at = self.clock.now() + self.durations.project_deleting
        return {"Status": "DELETING"}

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
            if origin.status != "CREATE_COMPLETE":
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
        if dataset.status == "CREATE_IN_PROGRESS":
            raise in_use("The dataset is being created.")
        for project in self._projects.values():
            if project.datasets.get(dataset.dataset_type) is dataset:
                del project.datasets[dataset.dataset_type]
        self._tags.pop(dataset.arn, None)
        return {}

    # -- model versions -----------------------------------------------------------------------------

    def _create_project_version(self, region: str, params: Params) -> dict[str, Any]:
        project = self._project(params["ProjectArn"], region)
        name = params["VersionName"]
        versions = self._versions_of(project)
        if any(v.name == name for v in versions):
            raise in_use(f"The version name {name} already exists in the project.")
        self._check_training_request(project, params)
        output = params["OutputConfig"]
        if not output.get("S3Bucket"):
            raise invalid("OutputConfig.S3Bucket is required.")
        if not self.objects.bucket_exists(output["S3Bucket"]):
            raise ServiceError(
                "AccessDeniedException", f"Unable to access the output bucket {output['S3Bucket']}."
            )
        if "KmsKeyId" in params and not self.keys.key_exists(region, params["KmsKeyId"]):
            raise invalid(f"The KMS key {params['KmsKeyId']} does not exist or is not accessible.")
        tags = dict(params.get("Tags", {}))
        if len(versions) >= self.quotas.versions_per_project:
            raise ServiceError(
                "ServiceQuotaExceededException",
                f"The project already has {self.quotas.versions_per_project} model versions.",
            )
        training_now = [
            v
            for v in self._versions.values()
            if v.status == "TRAINING_IN_PROGRESS" and v.project.region == region
        ]
        if len(training_now) >= self.quotas.concurrent_trainings:
            raise limit_exceeded(
                f"{len(training_now)} models are already training; the account allows "
                f"{self.quotas.concurrent_trainings} concurrent trainings."
            )
        now = self.clock.now()
        arn = f"{self._arn_prefix(region)}/{project.name}/version/{name}/{self._new_ms(now)}"
        request = {k: v for k, v in params.items() if k not in ("Tags", "ProjectArn", "VersionName")}
        self._versions[arn] = VersionRecord(
            arn=arn,
            name=name,
            project=project,
            created=now,
            request=request,
            phase_ends=now + self.durations.training,
        )
        self._tags[arn] = tags
        return {"ProjectVersionArn": arn}

    def _check_training_request(self, project: ProjectRecord, params: Params) -> None:
        training_data, testing_data = params.get("TrainingData"), params.get("TestingData")
        if (training_data is None) != (testing_data is None):
            raise invalid("Specify both TrainingData and TestingData, or neither.")
        if training_data is not None and testing_data is not None:
            if not training_data.get("Assets"):
                raise invalid("TrainingData must contain one asset.")
            auto, assets = bool(testing_data.get("AutoCreate")), testing_data.get("Assets")
            if auto == bool(assets):
                raise invalid("TestingData takes either Assets or AutoCreate.")
            if project.datasets:
                raise invalid(
                    "The project has datasets; train it from those datasets without TrainingData "
                    "and TestingData."
                )
        else:
            for dataset_type in ("TRAIN", "TEST"):
                dataset = project.datasets.get(dataset_type)
                if dataset is None or dataset.status != "CREATE_COMPLETE":
                    raise invalid(f"The project has no {dataset_type} dataset ready for training.")
        if "FeatureConfig" in params and project.feature != CONTENT_MODERATION:
            raise invalid("FeatureConfig applies to CONTENT_MODERATION projects only.")

    def _describe_project_versions(self, region: str, params: Params) -> dict[str, Any]:
        project = self._project(params["ProjectArn"], region)
        names = params.get("VersionNames")
        matching = sorted(
            (v for v in self._versions_of(project) if names is None or v.name in names),
            key=lambda v: _creation_order(v.arn),
            reverse=True,
        )
        scope = json.dumps([project.arn, names])
        page, token = self._page([v.description() for v in matching], params, scope)
        response: dict[str, Any] = {"ProjectVersionDescriptions": page}
        if token:
            response["NextToken"] = token
        return response

    def _start_project_version(self, region: str, params: Params) -> dict[str, Any]:
        version = self._version(params["ProjectVersionArn"], region)
        if version.status not in ("TRAINING_COMPLETED", "STOPPED", "FAILED"):
            raise in_use(f"The model version cannot be started while its status is {version.status}.")
        minimum: int = params["MinInferenceUnits"]
        # Without a maximum the model does not auto-scale (documented); what DescribeProjectVersions then
        # reports as MaxInferenceUnits is not documented: the emulator reports the minimum.
        maximum: int = params.get("MaxInferenceUnits", minimum)
        if maximum < minimum:
            raise invalid("MaxInferenceUnits must be at least MinInferenceUnits.")
        if maximum > self.quotas.inference_units:
            raise limit_exceeded(f"A model may use at most {self.quotas.inference_units} inference units.")
        running = [
            v
            for v in self._versions.values()
            if v.status in ("STARTING", "RUNNING") and v.project.region == region
        ]
        if len(running) >= self.quotas.running_models:
            raise limit_exceeded(f"The account allows {self.quotas.running_models} running models.")
        version.min_units, version.max_units = minimum, maximum
        version.status, version.status_message = "STARTING", "The model is starting."
        version.start_fails = self.faults.start_failure(version.name)
        version.phase_ends = self.clock.now() + self.durations.starting
        return {"Status": "STARTING"}

    def _stop_project_version(self, region: str, params: Params) -> dict[str, Any]:
        version = self._version(params["ProjectVersionArn"], region)
        if version.status not in ("RUNNING", "STARTING"):
            raise in_use(f"The model version cannot be stopped while its status is {version.status}.")
        version.status, version.status_message = "STOPPING", "The model is stopping."
        version.start_fails = None
        version.phase_ends = self.clock.now() + self.durations.stopping
        return {"Status": "STOPPING"}

    def _delete_project_version(self, region: str, params: Params) -> dict[str, Any]:
        version = self._version(params["ProjectVersionArn"], region)
        if version.status == "DELETING":
            return {"Status": "DELETING"}
        if version.status in BUSY_VERSION_STATES:
            raise in_use(f"The model version cannot be deleted while its status is {version.status}.")
        version.status, version.status_message = "DELETING", "The model is being deleted."
        version.phase_ends = self.clock.now() + self.durations.deleting
        return {"Status": "DELETING"}

    # -- tags ---------------------------------------------------------------------------------------

    def _tagged(self, arn: str, region: str) -> dict[str, str]:
        if arn not in self._tags or not self._in_region(arn, region):
            raise not_found(f"The resource {arn} does not exist.")
        return self._tags[arn]

    def _tag_resource(self, region: str, params: Params) -> dict[str, Any]:
        tags = self._tagged(params["ResourceArn"], region)
        merged = {**tags, **params["Tags"]}
        if len(merged) > self.quotas.tags:
            raise ServiceError(
                "ServiceQuotaExceededException", f"A resource can have at most {self.quotas.tags} tags."
            )
        tags.update(params["Tags"])
        return {}

    def _untag_resource(self, region: str, params: Params) -> dict[str, Any]:
        tags = self._tagged(params["ResourceArn"], region)
        for key in params["TagKeys"]:
            tags.pop(key, None)
        return {}

    def _list_tags_for_resource(self, region: str, params: Params) -> dict[str, Any]:
        return {"Tags": dict(self._tagged(params["ResourceArn"], region))}

    # -- inference ----------------------------------------------------------------------------------

    def _detect_custom_labels(self, region: str, params: Params) -> dict[str, Any]:
        version = self._version(params["ProjectVersionArn"], region)
        if version.status != "RUNNING" or version.model is None:
            raise ServiceError(
                "ResourceNotReadyException", f"The model version is not running (status {version.status})."
            )
        data = self._image_bytes(params["Image"])
        try:
            inspect_image(data)
            features = image_features(data)
        except ImageError as error:
            raise ServiceError(
                "InvalidImageFormatException", "Request has unsupported image format."
            ) from error
        minimum = float(params.get("MinConfidence", training.THRESHOLD))
        labels = [
            {"Name": label, "Confidence": round(confidence, 3)}
            for label, confidence in version.model.predict(features)
            if confidence >= minimum
        ]
        if "MaxResults" in params:
            labels = labels[: params["MaxResults"]]
        return {"CustomLabels": labels}

    def _image_bytes(self, image: dict[str, Any]) -> bytes:
        if ("Bytes" in image) == ("S3Object" in image):
            raise invalid("Image takes either Bytes or S3Object.")
        if "Bytes" in image:
            data = base64.b64decode(image["Bytes"])
            if len(data) > MAX_IMAGE_BYTES:
                raise ServiceError("ImageTooLargeException", "Image size is too large.")
            return data
        s3 = image["S3Object"]
        try:
            data = self.objects.read(s3.get("Bucket", ""), s3.get("Name", ""), s3.get("Version"))
        except (KeyError, PermissionError) as error:
            raise ServiceError(
                "InvalidS3ObjectException",
                "Unable to get object metadata from S3. Check object key, region and/or access permissions.",
            ) from error
        if len(data) > MAX_S3_IMAGE_BYTES:
            raise ServiceError("ImageTooLargeException", "Image size is too large.")
        return data
