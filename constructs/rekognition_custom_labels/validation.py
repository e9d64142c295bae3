"""Synth-time checks of literal values against the CreateProjectVersion / TagResource rules.

Each check returns a list of readable messages (empty when the value is fine) and skips values that
are still unresolved tokens: those are only known at deploy time, where the handler checks them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aws_cdk import Duration, Token

VERSION_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9_.\-]+$")
VERSION_NAME_MAX = 255
DESCRIPTION_PATTERN = re.compile(r"^[a-zA-Z0-9\-_. ()':,;?]+$")
DESCRIPTION_MAX = 255
PROJECT_ARN_PATTERN = re.compile(
    r"^arn:[a-z\d-]+:rekognition:[a-z\d-]+:\d{12}:project/[a-zA-Z0-9_.\-]{1,255}/[0-9]+$"
)
KMS_KEY_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9:_/+=,@.-]{0,2048}$")
OUTPUT_PREFIX_MAX = 1024
MANIFEST_KEY_MAX = 1024

# TagResource: up to 200 tags; the handler adds one ownership tag, so a user may declare 199.
TAGS_MAX = 200
RESERVED_TAGS = 1
TAG_KEY_MAX = 128
TAG_VALUE_MAX = 256
TAG_CHARS = re.compile(r"^[\w .:/=+\-@]*$")

SERVICE_TIMEOUT_MIN_SECONDS = 1
SERVICE_TIMEOUT_MAX_SECONDS = 3600
# The provider polls once a minute and gives up one poll and 5 minutes before the timeout.
SERVICE_TIMEOUT_USEFUL_SECONDS = 420


def _literal(value: object) -> bool:
    return not Token.is_unresolved(value)


def check_version_name(name: str) -> list[str]:
    """VersionName: 1-255 of ``[a-zA-Z0-9_.-]``."""
    if not _literal(name):
        return []
    if not 1 <= len(name) <= VERSION_NAME_MAX:
        return [f"project_version_name must be 1-{VERSION_NAME_MAX} characters long (got {len(name)})"]
    if not VERSION_NAME_PATTERN.fullmatch(name):
        return [
            f"project_version_name {name!r} may contain only letters, digits, '_', '.' and '-' "
            f"(pattern [a-zA-Z0-9_.\\-]+)"
        ]
    return []


def check_description(description: str) -> list[str]:
    """VersionDescription: 1-255 of the characters CreateProjectVersion allows."""
    if not _literal(description):
        return []
    if not 1 <= len(description) <= DESCRIPTION_MAX:
        return [f"version_description must be 1-{DESCRIPTION_MAX} characters long (got {len(description)})"]
    if not DESCRIPTION_PATTERN.fullmatch(description):
        return [
            f"version_description {description!r} may contain only letters, digits, spaces and "
            "-_.()':,;? (pattern [a-zA-Z0-9-_. ()':,;?]+)"
        ]
    return []


def check_project_arn(arn: str) -> list[str]:
    """A literal project ARN, in the pattern CreateProjectVersion validates."""
    if not _literal(arn):
        return []
    if not 20 <= len(arn) <= 2048 or not PROJECT_ARN_PATTERN.fullmatch(arn):
        return [
            f"project {arn!r} is not a Rekognition project ARN "
            "(arn:<partition>:rekognition:<region>:<account>:project/<name>/<timestamp>)"
        ]
    return []


def check_output_prefix(prefix: str) -> list[str]:
    """OutputConfig's S3KeyPrefix: at most 1024 characters."""
    if _literal(prefix) and len(prefix) > OUTPUT_PREFIX_MAX:
        return [f"output_prefix must be at most {OUTPUT_PREFIX_MAX} characters long (got {len(prefix)})"]
    return []


def check_manifest_key(prop: str, key: str) -> list[str]:
    """A manifest's object key: 1-1024 characters, as S3Object's Name."""
    if _literal(key) and not 1 <= len(key) <= MANIFEST_KEY_MAX:
        return [f"{prop} manifest key must be 1-{MANIFEST_KEY_MAX} characters long (got {len(key)})"]
    return []


def check_confidence_threshold(threshold: float) -> list[str]:
    """FeatureConfig's ConfidenceThreshold: 0 to 100."""
    if _literal(threshold) and not 0 <= threshold <= 100:
        return [
            "feature_config content_moderation_confidence_threshold must be between 0 and 100 "
            f"(got {threshold})"
        ]
    return []


def check_service_timeout(timeout: Duration) -> list[str]:
    """ServiceTimeout: 1 s to 1 hour, as CloudFormation accepts it."""
    seconds = timeout.to_seconds()
    if Token.is_unresolved(seconds):
        return []
    if not SERVICE_TIMEOUT_MIN_SECONDS <= seconds <= SERVICE_TIMEOUT_MAX_SECONDS:
        return [
            "service_timeout must be between 1 second and 1 hour, CloudFormation's limit for a "
            f"custom resource (got {seconds} seconds); training_timeout sets how long training may take"
        ]
    return []


# How long a deployment can wait for training: the service documents up to 24 hours; each wait
# condition of the chain holds at most 12 hours, and the chain is kept to six of them.
TRAINING_TIMEOUT_MIN_SECONDS = 60
TRAINING_TIMEOUT_MAX_SECONDS = 72 * 3600
WAIT_CONDITION_MAX_SECONDS = 12 * 3600


def check_training_timeout(timeout: Duration) -> list[str]:
    """training_timeout: 1 minute to 72 hours (chained 12-hour wait conditions)."""
    seconds = timeout.to_seconds()
    if Token.is_unresolved(seconds):
        return ["training_timeout must be a literal Duration (it decides how many wait conditions to chain)"]
    if not TRAINING_TIMEOUT_MIN_SECONDS <= seconds <= TRAINING_TIMEOUT_MAX_SECONDS:
        return [
            "training_timeout must be between 1 minute and 72 hours (six chained 12-hour wait "
            f"conditions; Rekognition documents trainings of up to 24 hours) (got {seconds} seconds)"
        ]
    return []


def short_timeout_warning(timeout: Duration | None) -> str | None:
    """A valid timeout that still leaves the provider no poll before it must give up."""
    if timeout is None or Token.is_unresolved(timeout.to_seconds()):
        return None
    seconds = timeout.to_seconds()
    if seconds >= SERVICE_TIMEOUT_USEFUL_SECONDS:
        return None
    return (
        f"service_timeout {seconds} s leaves no time to poll: the provider checks once a minute and stops "
        "waiting a poll and 5 minutes before the timeout, so any training start, stop or delete that has "
        "to wait will answer FAILED"
    )


def check_tags(tags: Mapping[str, str]) -> list[str]:
    """Tags as Rekognition's TagResource accepts them (count, key and value rules)."""
    errors: list[str] = []
    allowed = TAGS_MAX - RESERVED_TAGS
    if len(tags) > allowed:
        errors.append(
            f"a model version may carry at most {allowed} tags ({TAGS_MAX} minus the ownership tag "
            f"the custom resource adds); got {len(tags)}"
        )
    for key, value in tags.items():
        if _literal(key):
            if not 1 <= len(key) <= TAG_KEY_MAX:
                errors.append(f"tag key {key!r} must be 1-{TAG_KEY_MAX} characters long")
            if key.lower().startswith("aws:"):
                errors.append(f"tag key {key!r} uses the reserved prefix 'aws:'")
            if not TAG_CHARS.fullmatch(key):
                errors.append(f"tag key {key!r} may contain only letters, digits, spaces and _.:/=+-@")
        if _literal(value):
            if len(value) > TAG_VALUE_MAX:
                errors.append(f"tag value of {key!r} must be at most {TAG_VALUE_MAX} characters long")
            if not TAG_CHARS.fullmatch(value):
                errors.append(
                    f"tag value {value!r} of {key!r} may contain only letters, digits, spaces and _.:/=+-@"
                )
    return errors


# StartProjectVersion: at least one inference unit; at most 5 per model (the per-model quota).
INFERENCE_UNITS_MAX = 5


def check_inference_units(minimum: int, maximum: int | None) -> list[str]:
    """StartProjectVersion's units: 1 to 5, the maximum at least the minimum."""
    errors: list[str] = []
    if _literal(minimum) and not (isinstance(minimum, int) and 1 <= minimum <= INFERENCE_UNITS_MAX):
        errors.append(
            f"inference_units.min_units must be a whole number from 1 to {INFERENCE_UNITS_MAX} "
            f"(got {minimum!r})"
        )
    if maximum is not None and _literal(maximum):
        if not (isinstance(maximum, int) and 1 <= maximum <= INFERENCE_UNITS_MAX):
            errors.append(
                f"inference_units.max_units must be a whole number up to {INFERENCE_UNITS_MAX}, the "
                f"per-model quota (got {maximum!r})"
            )
        elif _literal(minimum) and isinstance(minimum, int) and maximum < minimum:
            errors.append(
                f"inference_units.max_units ({maximum}) must be at least inference_units.min_units "
                f"({minimum})"
            )
    return errors


def check_f1_scores(min_f1_score: float | None, min_label_f1_scores: Mapping[str, float] | None) -> list[str]:
    """The F1 gate: every score from 0 to 1, every label named."""
    errors: list[str] = []
    scores = {"min_f1_score": min_f1_score} if min_f1_score is not None else {}
    for label, score in (min_label_f1_scores or {}).items():
        if _literal(label) and (not isinstance(label, str) or not label):
            errors.append(f"min_label_f1_scores keys must be label names (got {label!r})")
        scores[f"min_label_f1_scores[{label!r}]"] = score
    for name, score in scores.items():
        if not _literal(score):
            continue
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            errors.append(f"{name} must be an F1 score from 0 to 1 (got {score!r})")
    return errors
