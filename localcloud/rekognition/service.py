"""The Custom Labels control and data plane: operations, quotas and the documented state machine.

Transitions are evaluated lazily: each call first moves every record whose current phase has ended
(by the injected clock), in the order the phases ended. No thread runs in the background, so a test
with a ManualClock sees each state, and a server with the system clock behaves like the real service.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Callable
from functools import cached_property
from typing import Any

from . import dataset_entries, manifests, training, training_outputs
from .core import (
    DEFAULT_ACCOUNT,
    Durations,
    Handler,
    Params,
    Quotas,
    Records,
    creation_order,
    trainings_allowed,
)
from .datasets import DatasetOperations
from .errors import ServiceError, in_use, invalid, limit_exceeded, not_found
from .images import ImageError, image_features, inspect_image
from .state import CONTENT_MODERATION, CUSTOM_LABELS, ProjectRecord, VersionRecord
from .validation import validate_input

__all__ = ["DEFAULT_ACCOUNT", "CustomLabelsService", "Durations", "Quotas", "Records"]

MAX_IMAGE_BYTES = 4 * 1024 * 1024  # DetectCustomLabels: raw bytes in the request
MAX_S3_IMAGE_BYTES = 15 * 1024 * 1024  # DetectCustomLabels: an image in S3
BUSY_VERSION_STATES = frozenset({"TRAINING_IN_PROGRESS", "STARTING", "RUNNING", "STOPPING"})


class CustomLabelsService(DatasetOperations):
    """The Custom Labels API: every operation the emulator answers, and time moving the records on."""

    @cached_property
    def _handlers(self) -> dict[str, Handler]:
        return {
            "CreateProject": self._create_project,
            "DescribeProjects": self._describe_projects,
            "DeleteProject": self._delete_project,
            "CreateDataset": self._create_dataset,
            "DescribeDataset": self._describe_dataset,
            "DeleteDataset": self._delete_dataset,
            "ListDatasetEntries": self._list_dataset_entries,
            "UpdateDatasetEntries": self._update_dataset_entries,
            "DistributeDatasetEntries": self._distribute_dataset_entries,
            "ListDatasetLabels": self._list_dataset_labels,
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
                    if dataset.job is not None and dataset.ready_at <= now:
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
            if version.dataset_lines is not None:
                train_set = self._check_lines(version.dataset_lines["TRAIN"])
                stage = "testing"
                test_set = self._check_lines(version.dataset_lines["TEST"])
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
            training_outputs.write_success(
                self.objects.write, version, ended, train_set, test_set, model, evaluation
            )
        except manifests.ManifestError as error:
            version.status, version.status_message = "TRAINING_FAILED", str(error)
            if error.code is not None:
                training_outputs.write_failure(self.objects.write, version, stage, error, train_set, test_set)
            return
        version.model = model
        version.f1_score = evaluation.f1
        version.billable_seconds = math.ceil(ended - version.created)
        version.status, version.status_message = "TRAINING_COMPLETED", "The model is ready to run."

    def _check_lines(self, lines: tuple[str, ...]) -> manifests.Dataset:
        """A dataset's entries, validated as training validates a manifest."""
        if not lines:
            raise manifests.ManifestError(manifests.EMPTY)
        return manifests.check_manifest(self.objects.read, lines)

    def _load_assets(self, assets: list[dict[str, Any]]) -> manifests.Dataset:
        s3 = assets[0]["GroundTruthManifest"]["S3Object"]
        return manifests.load_manifest(self.objects.read, s3["Bucket"], s3["Name"], s3.get("Version"))

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
            key=lambda p: creation_order(p.arn),
            reverse=True,
        )
        scope = [region, names, features]
        return self._page("ProjectDescriptions", [p.description() for p in matching], params, scope)

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
        allowed = trainings_allowed(self.quotas, region)
        if len(training_now) >= allowed:
            raise limit_exceeded(
                f"{len(training_now)} models are already training; the account allows "
                f"{allowed} concurrent trainings."
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
            dataset_lines=None if "TrainingData" in params else self._dataset_snapshot(project),
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
                if dataset is None or dataset.busy or dataset.entries is None:
                    raise invalid(f"The project has no {dataset_type} dataset ready for training.")
        if "FeatureConfig" in params and project.feature != CONTENT_MODERATION:
            raise invalid("FeatureConfig applies to CONTENT_MODERATION projects only.")

    @staticmethod
    def _dataset_snapshot(project: ProjectRecord) -> dict[str, tuple[str, ...]]:
        """Training reads the datasets as they are when it begins: a later update does not change it."""
        return {
            dataset_type: dataset_entries.training_lines(
                (project.datasets[dataset_type].entries or {}).values()
            )
            for dataset_type in ("TRAIN", "TEST")
        }

    def _describe_project_versions(self, region: str, params: Params) -> dict[str, Any]:
        project = self._project(params["ProjectArn"], region)
        names = params.get("VersionNames")
        matching = sorted(
            (v for v in self._versions_of(project) if names is None or v.name in names),
            key=lambda v: creation_order(v.arn),
            reverse=True,
        )
        return self._page(
            "ProjectVersionDescriptions", [v.description() for v in matching], params, [project.arn, names]
        )

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
        # The API reference documents stopping a running model only; a starting one is refused, so that
        # no caller relies on stopping a model before it runs.
        if version.status != "RUNNING":
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
