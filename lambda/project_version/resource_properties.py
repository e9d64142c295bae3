"""ResourceProperties -> a checked CreateProjectVersion request.

CloudFormation sends every scalar as a string ("1", "0.85", "true"), so values are parsed here, and
every problem names the property and the rule, for a FAILED response a user can act on.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

PROJECT_ARN = re.compile(r"arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project/[a-zA-Z0-9_.\-]{1,255}/[0-9]+")
VERSION_NAME = re.compile(r"[a-zA-Z0-9_.\-]{1,255}")
BUCKET = re.compile(r"[0-9A-Za-z.\-_]{3,255}")
KMS_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2047}")
DESCRIPTION = re.compile(r"[a-zA-Z0-9\-_. ()':,;?]{1,255}")
TAG_TEXT = re.compile(r"[\w .:/=+\-@]*")
MAX_USER_TAGS = 199  # 200 per resource, one of them the ownership tag
OWNER_TAG = "cdk-rekognition-custom-labels:owner"
DEFAULT_SERVICE_TIMEOUT = 3600

# The members CreateProjectVersion fixes for the life of a model version.
REPLACING = (
    "ProjectArn",
    "OutputConfig",
    "TrainingData",
    "TestingData",
    "KmsKeyId",
    "VersionDescription",
    "FeatureConfig",
)
KNOWN = {*REPLACING, "VersionName", "Tags", "ServiceToken", "ServiceTimeout", "TrainingWait"}
# CloudFormation's longest resource signal timeout: one wait condition of a chain holds at most this.
MAX_WAIT_SECONDS = 43200


class PropertyError(ValueError):
    """A property CloudFormation sent cannot make a valid request."""


@dataclass(frozen=True)
class TrainingWait:
    """The stack's wait conditions that hold the deployment until training ends, in chain order."""

    wait_conditions: tuple[tuple[str, int], ...]  # (logical id, its timeout in seconds)

    @property
    def timeout_seconds(self) -> int:
        return sum(seconds for _, seconds in self.wait_conditions)


@dataclass(frozen=True)
class VersionSpec:
    project_arn: str
    version_name: str
    request: dict[str, Any]  # the CreateProjectVersion request without Tags
    tags: dict[str, str]
    service_timeout: int
    training_wait: TrainingWait | None = None

    @property
    def fingerprint(self) -> str:
        """Identifies what was trained: equal fingerprints mean the same model, whatever the tags."""
        replacing = {member: self.request.get(member) for member in REPLACING}
        return hashlib.sha256(json.dumps(replacing, sort_keys=True).encode()).hexdigest()

    def changed_members(self, other: VersionSpec) -> list[str]:
        return [m for m in REPLACING if self.request.get(m) != other.request.get(m)]


def manifest_objects(data: Any) -> list[dict[str, Any]]:
    """The manifests' S3Objects of data shaped as TrainingData is (``{"Assets": [{"GroundTruthManifest":
    {"S3Object": ...}}]}``): a request's, or a training result's Input and Validation. None for
    AutoCreate, datasets, or no data."""
    if not isinstance(data, Mapping):
        return []
    return [
        asset["GroundTruthManifest"]["S3Object"]
        for asset in data.get("Assets", [])
        if isinstance(asset, Mapping) and "GroundTruthManifest" in asset
    ]


def s3_uri(obj: Mapping[str, Any]) -> str:
    """``s3://bucket/key``, with the object version when one is pinned."""
    version = f" (version {obj['Version']})" if obj.get("Version") else ""
    return f"s3://{obj.get('Bucket', '')}/{obj.get('Name', '')}{version}"


def _text(
    value: Any,
    name: str,
    pattern: re.Pattern[str] | None = None,
    *,
    max_length: int = 2048,
    min_length: int = 0,
) -> str:
    if value is None:
        raise PropertyError(f"{name} is required")
    if not isinstance(value, str):
        raise PropertyError(f"{name} must be a string (got {type(value).__name__})")
    if len(value) > max_length:
        raise PropertyError(f"{name} must be at most {max_length} characters long (got {len(value)})")
    if len(value) < min_length:
        raise PropertyError(f"{name} must be at least {min_length} characters long (got {len(value)})")
    if pattern is not None and not pattern.fullmatch(value):
        raise PropertyError(f"{name} {value!r} does not match the pattern {pattern.pattern}")
    return value


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise PropertyError(f"{name} must be an object (got {type(value).__name__})")
    return value


def _boolean(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise PropertyError(f"{name} must be true or false (got {value!r})")


def _number(value: Any, name: str, low: float, high: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise PropertyError(f"{name} must be a number (got {value!r})") from None
    if not low <= number <= high:
        raise PropertyError(f"{name} must be between {low:g} and {high:g} (got {value})")
    return number


def _assets(value: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) != 1:
        raise PropertyError(f"{name} must be a list of one Ground Truth manifest asset")
    manifest = _mapping(
        _mapping(value[0], f"{name}[0]").get("GroundTruthManifest"), f"{name}[0].GroundTruthManifest"
    )
    s3 = _mapping(manifest.get("S3Object"), f"{name}[0].GroundTruthManifest.S3Object")
    where = f"{name}[0].GroundTruthManifest.S3Object"
    s3_object = {
        "Bucket": _text(s3.get("Bucket"), f"{where}.Bucket", BUCKET),
        "Name": _text(s3.get("Name"), f"{where}.Name", max_length=1024, min_length=1),
    }
    if s3.get("Version") is not None:
        s3_object["Version"] = _text(s3["Version"], f"{where}.Version", max_length=1024)
    return [{"GroundTruthManifest": {"S3Object": s3_object}}]


def _testing(value: Any) -> dict[str, Any]:
    testing = _mapping(value, "TestingData")
    auto = _boolean(testing.get("AutoCreate", False), "TestingData.AutoCreate")
    if auto == ("Assets" in testing):
        raise PropertyError("TestingData takes either Assets or AutoCreate: true")
    return {"AutoCreate": True} if auto else {"Assets": _assets(testing["Assets"], "TestingData.Assets")}


def _tags(value: Any) -> dict[str, str]:
    tags = _mapping(value, "Tags")
    if len(tags) > MAX_USER_TAGS:
        raise PropertyError(f"Tags may hold at most {MAX_USER_TAGS} tags (got {len(tags)})")
    checked: dict[str, str] = {}
    for key, tag_value in tags.items():
        _text(key, f"Tags key {key!r}", TAG_TEXT, max_length=128)
        if not key or key.startswith("aws:") or key == OWNER_TAG:
            raise PropertyError(
                f"Tags key {key!r} must be 1-128 characters, may not start with 'aws:' "
                f"and may not be {OWNER_TAG}"
            )
        checked[key] = _text(tag_value, f"Tags[{key!r}]", TAG_TEXT, max_length=256)
    return checked


def parse(properties: Mapping[str, Any]) -> VersionSpec:
    unknown = sorted(set(properties) - KNOWN)
    if unknown:
        raise PropertyError(
            f"unknown properties {', '.join(unknown)} (expected CreateProjectVersion members)"
        )
    for required in ("ProjectArn", "VersionName", "OutputConfig"):
        if properties.get(required) in (None, ""):
            raise PropertyError(f"{required} is required")
    project_arn = _text(properties["ProjectArn"], "ProjectArn", PROJECT_ARN)
    name = _text(properties["VersionName"], "VersionName", VERSION_NAME)
    output = _mapping(properties["OutputConfig"], "OutputConfig")
    request: dict[str, Any] = {
        "OutputConfig": {"S3Bucket": _text(output.get("S3Bucket"), "OutputConfig.S3Bucket", BUCKET)}
    }
    if output.get("S3KeyPrefix") is not None:
        request["OutputConfig"]["S3KeyPrefix"] = _text(
            output["S3KeyPrefix"], "OutputConfig.S3KeyPrefix", max_length=1024
        )
    if ("TrainingData" in properties) != ("TestingData" in properties):
        raise PropertyError(
            "give TrainingData and TestingData together, or neither to train from the project's datasets"
        )
    if "TrainingData" in properties:
        training = _mapping(properties["TrainingData"], "TrainingData")
        request["TrainingData"] = {"Assets": _assets(training.get("Assets"), "TrainingData.Assets")}
        request["TestingData"] = _testing(properties["TestingData"])
    if properties.get("KmsKeyId") is not None:
        request["KmsKeyId"] = _text(properties["KmsKeyId"], "KmsKeyId", KMS_KEY_ID)
    if properties.get("VersionDescription") is not None:
        request["VersionDescription"] = _text(
            properties["VersionDescription"], "VersionDescription", DESCRIPTION
        )
    if properties.get("FeatureConfig") is not None:
        moderation = _mapping(
            _mapping(properties["FeatureConfig"], "FeatureConfig").get("ContentModeration"),
            "FeatureConfig.ContentModeration",
        )
        threshold = _number(
            moderation.get("ConfidenceThreshold"),
            "FeatureConfig.ContentModeration.ConfidenceThreshold",
            0,
            100,
        )
        request["FeatureConfig"] = {"ContentModeration": {"ConfidenceThreshold": threshold}}
    timeout = str(properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT))
    if not timeout.isdigit():
        raise PropertyError(f"ServiceTimeout must be a whole number of seconds (got {timeout!r})")
    return VersionSpec(
        project_arn=project_arn,
        version_name=name,
        request={"ProjectArn": project_arn, **request},
        tags=_tags(properties.get("Tags", {})),
        service_timeout=int(_number(timeout, "ServiceTimeout", 1, 3600)),
        training_wait=_training_wait(properties.get("TrainingWait")),
    )


def _training_wait(value: Any) -> TrainingWait | None:
    """``TrainingWait: {WaitConditions: [{LogicalId, TimeoutSeconds}, ...]}`` (the construct renders it)."""
    if value is None:
        return None
    waits = _mapping(value, "TrainingWait").get("WaitConditions")
    if not isinstance(waits, list) or not waits:
        raise PropertyError("TrainingWait.WaitConditions must be a non-empty list")
    chain = []
    for index, wait in enumerate(waits):
        name = f"TrainingWait.WaitConditions[{index}]"
        entry = _mapping(wait, name)
        logical_id = _text(entry.get("LogicalId"), f"{name}.LogicalId", max_length=255, min_length=1)
        seconds = int(_number(entry.get("TimeoutSeconds"), f"{name}.TimeoutSeconds", 1, MAX_WAIT_SECONDS))
        chain.append((logical_id, seconds))
    return TrainingWait(tuple(chain))


# -- the trained model as deployed (``Custom::RekognitionProjectVersionAttributes``) ----------------

MODEL_KNOWN = {
    "ProjectArn",
    "VersionArn",
    "VersionLogicalId",
    "MinInferenceUnits",
    "MaxInferenceUnits",
    "MinF1Score",
    "MinLabelF1Scores",
    "ServiceToken",
    "ServiceTimeout",
}
# Inference units a started model may use: the per-model quota.
MAX_INFERENCE_UNITS = 5
VERSION_ARN = re.compile(
    r"arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project/[a-zA-Z0-9_.\-]{1,255}/version/[a-zA-Z0-9_.\-]{1,255}/[0-9]+"
)


@dataclass(frozen=True)
class Units:
    """StartProjectVersion's inference units; without a maximum the service does not auto-scale."""

    minimum: int
    maximum: int | None = None

    @property
    def request(self) -> dict[str, int]:
        units = {"MinInferenceUnits": self.minimum}
        return units if self.maximum is None else {**units, "MaxInferenceUnits": self.maximum}

    def describe(self) -> str:
        if self.maximum is None or self.maximum == self.minimum:
            return f"{self.minimum} inference unit{'s' * (self.minimum != 1)}"
        return f"{self.minimum} to {self.maximum} inference units (auto scaling)"

    def matches(self, version: Mapping[str, Any]) -> bool:
        """Whether a running model uses these units (a missing maximum means "no auto scaling")."""
        low = version.get("MinInferenceUnits")
        high = version.get("MaxInferenceUnits") or low
        return low == self.minimum and high == (self.maximum or self.minimum)


@dataclass(frozen=True)
class Gate:
    """The evaluation a model must reach before it is started (F1 scores, 0..1, overall and per label)."""

    min_f1: float | None
    min_label_f1: dict[str, float]


@dataclass(frozen=True)
class ModelSpec:
    project_arn: str
    version_arn: str
    units: Units | None
    gate: Gate | None
    service_timeout: int
    version_logical_id: str = (
        ""  # the version's own resource: only a version it created is started or stopped
    )


def _units(value: Any, name: str) -> int:
    number = _number(value, name, 1, MAX_INFERENCE_UNITS)
    if number != int(number):
        raise PropertyError(f"{name} must be a whole number (got {value!r})")
    return int(number)


def parse_model(properties: Mapping[str, Any]) -> ModelSpec:
    unknown = sorted(set(properties) - MODEL_KNOWN)
    if unknown:
        raise PropertyError(f"unknown properties {', '.join(unknown)}")
    project_arn = _text(properties.get("ProjectArn"), "ProjectArn", PROJECT_ARN)
    version_arn = _text(properties.get("VersionArn"), "VersionArn", VERSION_ARN)
    if version_arn.split("/version/")[0] != project_arn.rsplit("/", 1)[0]:
        raise PropertyError(f"VersionArn {version_arn} is not a model version of project {project_arn}")
    units = None
    if properties.get("MinInferenceUnits") is not None:
        minimum = _units(properties["MinInferenceUnits"], "MinInferenceUnits")
        maximum = None
        if properties.get("MaxInferenceUnits") is not None:
            maximum = _units(properties["MaxInferenceUnits"], "MaxInferenceUnits")
            if maximum < minimum:
                raise PropertyError(
                    f"MaxInferenceUnits ({maximum}) must be at least MinInferenceUnits ({minimum})"
                )
        units = Units(minimum, maximum)
    elif properties.get("MaxInferenceUnits") is not None:
        raise PropertyError("MaxInferenceUnits needs MinInferenceUnits")
    gate = None
    if properties.get("MinF1Score") is not None or properties.get("MinLabelF1Scores") is not None:
        minimum_f1 = properties.get("MinF1Score")
        labels = _mapping(properties.get("MinLabelF1Scores") or {}, "MinLabelF1Scores")
        gate = Gate(
            min_f1=None if minimum_f1 is None else _number(minimum_f1, "MinF1Score", 0, 1),
            min_label_f1={
                _text(label, "MinLabelF1Scores key", min_length=1): _number(
                    score, f"MinLabelF1Scores[{label!r}]", 0, 1
                )
                for label, score in labels.items()
            },
        )
    timeout = str(properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT))
    if not timeout.isdigit():
        raise PropertyError(f"ServiceTimeout must be a whole number of seconds (got {timeout!r})")
    logical_id = properties.get("VersionLogicalId")
    if units is not None and not logical_id:
        raise PropertyError(
            "VersionLogicalId (the logical id of the version's resource) is required with units"
        )
    return ModelSpec(
        project_arn=project_arn,
        version_arn=version_arn,
        units=units,
        gate=gate,
        service_timeout=int(_number(timeout, "ServiceTimeout", 1, 3600)),
        version_logical_id=_text(logical_id, "VersionLogicalId", max_length=255) if logical_id else "",
    )
