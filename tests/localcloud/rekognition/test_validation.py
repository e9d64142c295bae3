"""The model-driven validator: requests are rejected where the service rejects them, responses are held
to the output shape, and Java patterns keep their Java meaning in Python."""

from __future__ import annotations

import base64
import copy
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import pytest

from localcloud.rekognition import validation as shapes

ACCOUNT = "123456789012"
PROJECT_ARN = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/my-project/1750000000000"
VERSION_ARN = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/my-project/version/v1/1750000000001"
STATUSES = (
    "TRAINING_IN_PROGRESS, TRAINING_COMPLETED, TRAINING_FAILED, STARTING, RUNNING, FAILED, STOPPING, "
    "STOPPED, DELETING, COPYING_IN_PROGRESS, COPYING_COMPLETED, COPYING_FAILED, DEPRECATED, EXPIRED"
)


def _pattern(shape_name: str) -> str:
    """The model's own pattern text, as the messages quote it."""
    pattern: str = shapes.service_model().shape_for(shape_name).metadata["pattern"]
    return pattern


def _s3_object(name: str) -> dict[str, Any]:
    return {"S3Object": {"Bucket": "my-bucket", "Name": name, "Version": "3"}}


def _changed(base: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A deep copy of base with one member set; "a.b.0.c" walks into lists by index."""
    result = copy.deepcopy(base)
    *parents, last = dotted.split(".")
    node: Any = result
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
    node[last] = value
    return result


def _without(base: dict[str, Any], member: str) -> dict[str, Any]:
    result = copy.deepcopy(base)
    del result[member]
    return result


CREATE = {
    "ProjectArn": PROJECT_ARN,
    "VersionName": "v1.0_rc-1",
    "OutputConfig": {"S3Bucket": "my-bucket", "S3KeyPrefix": "output/"},
    "TrainingData": {"Assets": [{"GroundTruthManifest": _s3_object("train.manifest")}]},
    "TestingData": {"AutoCreate": True},
    "Tags": {"team": "vision", "équipe": "données 2024"},
    "KmsKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    "VersionDescription": "First model (baseline): v1, tested; ok?",
    "FeatureConfig": {"ContentModeration": {"ConfidenceThreshold": 50.5}},
}
START = {"ProjectVersionArn": VERSION_ARN, "MinInferenceUnits": 1, "MaxInferenceUnits": 2}
DESCRIBE = {"ProjectArn": PROJECT_ARN, "VersionNames": ["v1"], "MaxResults": 100}
DETECT = {
    "ProjectVersionArn": VERSION_ARN,
    "Image": {"Bytes": base64.b64encode(b"\xff\xd8\xff\xe0 jpeg").decode()},
    "MaxResults": 10,
    "MinConfidence": 50,
}


# -- validate_input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "params"),
    [
        pytest.param("CreateProjectVersion", CREATE, id="create-full"),
        pytest.param(
            "CreateProjectVersion",
            {"ProjectArn": PROJECT_ARN, "VersionName": "v", "OutputConfig": {}},
            id="create-minimal",
        ),
        pytest.param("CreateProjectVersion", _changed(CREATE, "Tags", {}), id="no-tags"),
        pytest.param(
            "CreateProjectVersion",
            _changed(
                CREATE,
                "Tags",
                {"équipe": "x", "日本語 \u0661\u0662\u0663": "a\u00a0b Ⅻ ½", "k_.:/=+-@": "", "AWS:x": "v"},
            ),
            id="unicode-letters-spaces-numbers-in-tags",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "Tags", {f"k{i}": "v" for i in range(200)}),
            id="200-tags",
        ),
        pytest.param(
            "CreateProjectVersion", _changed(CREATE, "VersionName", "v" * 255), id="version-name-255"
        ),
        pytest.param(
            "CreateProjectVersion", _changed(CREATE, "Unknown", {"x": 1}), id="unknown-member-ignored"
        ),
        pytest.param(
            "CreateProjectVersion", _changed(CREATE, "KmsKeyId", None), id="null-optional-is-absent"
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "FeatureConfig.ContentModeration.ConfidenceThreshold", 100),
            id="threshold-at-maximum",
        ),
        pytest.param("StartProjectVersion", START, id="start"),
        pytest.param("DescribeProjectVersions", DESCRIBE, id="describe"),
        pytest.param(
            "DescribeProjectVersions", _changed(DESCRIBE, "VersionNames", ["v"] * 10), id="10-names"
        ),
        pytest.param("DetectCustomLabels", DETECT, id="detect-bytes"),
        pytest.param("DetectCustomLabels", _changed(DETECT, "MinConfidence", 0.0), id="min-confidence-float"),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "Image", _s3_object("images/cat.jpg")),
            id="detect-s3-object",
        ),
    ],
)
def test_valid_requests_pass(operation: str, params: dict[str, Any]) -> None:
    # GIVEN a request the service accepts
    # WHEN it is validated
    problems = shapes.validate_input(operation, params)
    # THEN nothing is reported
    assert problems == []


_BAD_ARN = f"arn:aws:rekognition:us-east-1:123:project/my-project/{'1' * 13}"


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "VersionName", "v" * 256),
            ["VersionName: length 256 is greater than the maximum 255"],
            id="version-name-256",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "VersionName", "v 1/2"),
            [f"VersionName: 'v 1/2' does not match the pattern {_pattern('VersionName')}"],
            id="version-name-bad-chars",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "VersionName", ""),
            [
                "VersionName: length 0 is less than the minimum 1",
                f"VersionName: '' does not match the pattern {_pattern('VersionName')}",
            ],
            id="version-name-empty",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "VersionDescription", "first model\n"),
            [
                "VersionDescription: 'first model\\n' does not match the pattern "
                f"{_pattern('VersionDescription')}"
            ],
            id="description-trailing-newline",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "Tags", {f"k{i}": "v" for i in range(201)}),
            ["Tags: 201 entries is more than the maximum 200"],
            id="tags-201",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "Tags", {"aws:x": "v"}),
            [f"Tags key 'aws:x': 'aws:x' does not match the pattern {_pattern('TagKey')}"],
            id="tag-key-aws-prefix",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "Tags", {"a!b": "v"}),
            [f"Tags key 'a!b': 'a!b' does not match the pattern {_pattern('TagKey')}"],
            id="tag-key-bad-char",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "Tags", {"": "v"}),
            ["Tags key '': length 0 is less than the minimum 1"],
            id="tag-key-empty",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "Tags", {"team": "v" * 257}),
            ["Tags['team']: length 257 is greater than the maximum 256"],
            id="tag-value-257",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "Tags", {"team": "a\tb"}),
            [f"Tags['team']: 'a\\tb' does not match the pattern {_pattern('TagValue')}"],
            id="tag-value-tab",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "ProjectArn", _BAD_ARN),
            [f"ProjectArn: {_BAD_ARN!r} does not match the pattern {_pattern('ProjectArn')}"],
            id="project-arn-short-account",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "ProjectArn", VERSION_ARN),
            [f"ProjectArn: {VERSION_ARN!r} does not match the pattern {_pattern('ProjectArn')}"],
            id="project-arn-is-a-version-arn",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "OutputConfig.S3KeyPrefix", "p" * 1025),
            ["OutputConfig.S3KeyPrefix: length 1025 is greater than the maximum 1024"],
            id="key-prefix-1025",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "FeatureConfig.ContentModeration.ConfidenceThreshold", 101),
            ["FeatureConfig.ContentModeration.ConfidenceThreshold: 101 is greater than the maximum 100"],
            id="threshold-101",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "FeatureConfig.ContentModeration.ConfidenceThreshold", -1),
            ["FeatureConfig.ContentModeration.ConfidenceThreshold: -1 is less than the minimum 0"],
            id="threshold-minus-1",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "TrainingData.Assets.0.GroundTruthManifest.S3Object.Name", ""),
            ["TrainingData.Assets[0].GroundTruthManifest.S3Object.Name: length 0 is less than the minimum 1"],
            id="nested-path",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(
                _changed(CREATE, "OutputConfig.S3Bucket", "ab"),
                "TrainingData.Assets.0.GroundTruthManifest.S3Object.Bucket",
                "b/c",
            ),
            [
                "OutputConfig.S3Bucket: length 2 is less than the minimum 3",
                "TrainingData.Assets[0].GroundTruthManifest.S3Object.Bucket: "
                f"'b/c' does not match the pattern {_pattern('S3Bucket')}",
            ],
            id="same-shape-checked-at-every-path",
        ),
        pytest.param(
            "CreateProjectVersion",
            _without(CREATE, "OutputConfig"),
            ["OutputConfig: required member is missing"],
            id="required-missing",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "OutputConfig", None),
            ["OutputConfig: required member is missing"],
            id="required-null",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "VersionName", 5),
            ["VersionName: expected a string, got number 5"],
            id="string-type",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "Tags", [["team", "vision"]]),
            ["Tags: expected an object, got array"],
            id="map-type",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "TrainingData.Assets", {"GroundTruthManifest": {}}),
            ["TrainingData.Assets: expected an array, got object"],
            id="list-type",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "TestingData.AutoCreate", "true"),
            ["TestingData.AutoCreate: expected a boolean, got string 'true'"],
            id="boolean-type",
        ),
        pytest.param(
            "CreateProjectVersion",
            _changed(CREATE, "OutputConfig", "s3://bucket/prefix"),
            ["OutputConfig: expected an object, got string 's3://bucket/prefix'"],
            id="structure-type",
        ),
        pytest.param(
            "StartProjectVersion",
            _changed(START, "MinInferenceUnits", 0),
            ["MinInferenceUnits: 0 is less than the minimum 1"],
            id="inference-units-0",
        ),
        pytest.param(
            "StartProjectVersion",
            _changed(START, "MinInferenceUnits", True),
            ["MinInferenceUnits: expected an integer, got boolean True"],
            id="inference-units-bool",
        ),
        pytest.param(
            "StartProjectVersion",
            _changed(START, "MinInferenceUnits", 1.0),
            ["MinInferenceUnits: expected an integer, got number 1.0"],
            id="inference-units-float",
        ),
        pytest.param(
            "StartProjectVersion",
            _changed(START, "MaxInferenceUnits", 2**31),
            ["MaxInferenceUnits: 2147483648 does not fit in a 32-bit integer"],
            id="inference-units-overflow",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE, "MaxResults", 0),
            ["MaxResults: 0 is less than the minimum 1"],
            id="max-results-0",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE, "MaxResults", 101),
            ["MaxResults: 101 is greater than the maximum 100"],
            id="max-results-101",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE, "VersionNames", [f"v{i}" for i in range(11)]),
            ["VersionNames: 11 items is more than the maximum 10"],
            id="version-names-11",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE, "VersionNames", []),
            ["VersionNames: 0 items is fewer than the minimum 1"],
            id="version-names-empty",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE, "VersionNames", ["v1", "bad name"]),
            [f"VersionNames[1]: 'bad name' does not match the pattern {_pattern('VersionName')}"],
            id="list-member-checked",
        ),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "Image.Bytes", "not base64!"),
            ["Image.Bytes: 'not base64!' is not valid base64"],
            id="bytes-not-base64",
        ),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "Image.Bytes", "abc"),
            ["Image.Bytes: 'abc' is not valid base64"],
            id="bytes-bad-padding",
        ),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "Image.Bytes", ""),
            ["Image.Bytes: 0 decoded bytes is fewer than the minimum 1"],
            id="bytes-empty",
        ),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "Image.Bytes", base64.b64encode(bytes(5 * 1024 * 1024 + 1)).decode()),
            ["Image.Bytes: 5242881 decoded bytes is more than the maximum 5242880"],
            id="bytes-too-large",
        ),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "Image.Bytes", 5),
            ["Image.Bytes: expected base64 text, got number 5"],
            id="bytes-type",
        ),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "MinConfidence", 100.5),
            ["MinConfidence: 100.5 is greater than the maximum 100"],
            id="min-confidence-100.5",
        ),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "MinConfidence", True),
            ["MinConfidence: expected a finite number, got boolean True"],
            id="min-confidence-bool",
        ),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "MinConfidence", float("nan")),
            ["MinConfidence: expected a finite number, got number nan"],
            id="min-confidence-nan",
        ),
        pytest.param(
            "DetectCustomLabels",
            _changed(DETECT, "MaxResults", -1),
            ["MaxResults: -1 is less than the minimum 0"],
            id="detect-max-results-negative",
        ),
    ],
)
def test_invalid_requests_name_path_rule_and_limit(
    operation: str, params: dict[str, Any], expected: list[str]
) -> None:
    # GIVEN a request that breaks one rule of the model
    # WHEN it is validated
    problems = shapes.validate_input(operation, params)
    # THEN exactly that rule is reported, with the member's path and the limit
    assert problems == expected


def test_every_problem_is_reported_not_only_the_first() -> None:
    # GIVEN a request with three independent problems
    params = _changed(_changed(CREATE, "VersionName", "v" * 256), "Tags", {"aws:x": "v" * 257})
    # WHEN it is validated
    problems = shapes.validate_input("CreateProjectVersion", params)
    # THEN each is reported, as the service lists all its validation errors
    assert [problem.split(":")[0] for problem in problems] == ["VersionName", "Tags key 'aws", "Tags['aws"]


def test_long_values_are_cut_in_messages() -> None:
    # GIVEN a 1000-character value that breaks the pattern
    params = _changed(CREATE, "VersionName", "é" * 1000)
    # WHEN it is validated
    problems = shapes.validate_input("CreateProjectVersion", params)
    # THEN the messages stay short and say how long the value was
    assert len(problems) == 2
    assert all(len(problem) < 250 for problem in problems)
    assert "(1000 characters)" in problems[1]


def test_depth_guard_stops_runaway_nesting(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a nesting limit smaller than the request's depth
    monkeypatch.setattr(shapes, "MAX_DEPTH", 3)
    # WHEN a request nesting deeper is validated
    problems = shapes.validate_input("CreateProjectVersion", CREATE)
    # THEN the walk stops at the limit and says so instead of recursing on
    assert problems == [
        "TrainingData.Assets[0].GroundTruthManifest: nested deeper than 3 levels; not checked further"
    ]


def test_request_body_must_be_an_object() -> None:
    # GIVEN a JSON array as the whole request body
    # WHEN it is validated
    problems = shapes.validate_input("StartProjectVersion", [START])  # type: ignore[arg-type]
    # THEN the body itself is named
    assert problems == ["(body): expected an object, got array"]


# -- validate_output ----------------------------------------------------------------------------------

_ASSETS = {"Assets": [{"GroundTruthManifest": _s3_object("train.manifest")}]}
DESCRIBE_BODY: dict[str, Any] = {
    "ProjectVersionDescriptions": [
        {
            "ProjectVersionArn": VERSION_ARN,
            "CreationTimestamp": 1750000000.123,
            "MinInferenceUnits": 1,
            "MaxInferenceUnits": 2,
            "Status": "TRAINING_COMPLETED",
            "StatusMessage": "The model is ready to run.",
            "BillableTrainingTimeInSeconds": 3600,
            "TrainingEndTimestamp": 1750003600,
            "OutputConfig": {"S3Bucket": "my-bucket", "S3KeyPrefix": "output/"},
            "TrainingDataResult": {"Input": _ASSETS, "Output": _ASSETS, "Validation": _ASSETS},
            "TestingDataResult": {"Input": {"AutoCreate": True}, "Output": {**_ASSETS, "AutoCreate": True}},
            "EvaluationResult": {"F1Score": 0.91, "Summary": _s3_object("output/summary.json")},
            "ManifestSummary": _s3_object("output/manifest_summary.json"),
            "KmsKeyId": "alias/my-key",
            "VersionDescription": "First model",
            "Feature": "CUSTOM_LABELS",
        }
    ],
    "NextToken": "opaque-token",
}
_FIRST = "ProjectVersionDescriptions.0"
_JOB = {
    "JobId": "job-1",
    "OperationsConfig": {},
    "Status": "SUCCEEDED",
    "CreationTimestamp": 1750000000,
    "Input": _s3_object("in.manifest"),
    "OutputConfig": {"S3Bucket": "my-bucket"},
}


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        pytest.param("DescribeProjectVersions", DESCRIBE_BODY, id="describe-full"),
        pytest.param("DescribeProjectVersions", {"ProjectVersionDescriptions": []}, id="describe-empty"),
        pytest.param("CreateProjectVersion", {"ProjectVersionArn": VERSION_ARN}, id="create"),
        pytest.param("StartProjectVersion", {"Status": "STARTING"}, id="start"),
        pytest.param(
            "DetectCustomLabels",
            {
                "CustomLabels": [
                    {
                        "Name": "cat",
                        "Confidence": 99,
                        "Geometry": {
                            "BoundingBox": {"Width": 0.5, "Height": 0.25, "Left": 0, "Top": 0.1},
                            "Polygon": [{"X": 0.1, "Y": 0.2}],
                        },
                    }
                ]
            },
            id="detect",
        ),
        pytest.param("ListMediaAnalysisJobs", {"MediaAnalysisJobs": [_JOB]}, id="required-members-present"),
    ],
)
def test_well_formed_responses_pass(operation: str, body: dict[str, Any]) -> None:
    # GIVEN a response body the service could send
    # WHEN it is checked against the output shape
    problems = shapes.validate_output(operation, body)
    # THEN nothing is reported
    assert problems == []


@pytest.mark.parametrize(
    ("operation", "body", "expected"),
    [
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE_BODY, "Extra", 1),
            ["Extra: unknown member"],
            id="unknown-top-level",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE_BODY, f"{_FIRST}.EvaluationResult.Summary.S3Object.Key", "k"),
            ["ProjectVersionDescriptions[0].EvaluationResult.Summary.S3Object.Key: unknown member"],
            id="unknown-nested",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE_BODY, f"{_FIRST}.Status", "BAD"),
            [f"ProjectVersionDescriptions[0].Status: 'BAD' is not one of {STATUSES}"],
            id="wrong-enum",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE_BODY, f"{_FIRST}.CreationTimestamp", "2025-06-15T12:00:00Z"),
            [
                "ProjectVersionDescriptions[0].CreationTimestamp: expected a timestamp in epoch seconds "
                "(a number), got string '2025-06-15T12:00:00Z'"
            ],
            id="string-timestamp",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE_BODY, f"{_FIRST}.TrainingEndTimestamp", True),
            [
                "ProjectVersionDescriptions[0].TrainingEndTimestamp: expected a timestamp in epoch seconds "
                "(a number), got boolean True"
            ],
            id="bool-timestamp",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE_BODY, f"{_FIRST}.StatusMessage", None),
            ["ProjectVersionDescriptions[0].StatusMessage: null is not a value; omit the member instead"],
            id="null-member",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE_BODY, f"{_FIRST}.BillableTrainingTimeInSeconds", -1),
            ["ProjectVersionDescriptions[0].BillableTrainingTimeInSeconds: -1 is less than the minimum 0"],
            id="long-minimum",
        ),
        pytest.param(
            "DescribeProjectVersions",
            _changed(DESCRIBE_BODY, f"{_FIRST}.ProjectVersionArn", PROJECT_ARN),
            [
                f"ProjectVersionDescriptions[0].ProjectVersionArn: {PROJECT_ARN!r} "
                f"does not match the pattern {_pattern('ProjectVersionArn')}"
            ],
            id="pattern",
        ),
        pytest.param(
            "CreateFaceLivenessSession",
            {},
            ["SessionId: required member is missing"],
            id="required-missing",
        ),
        pytest.param(
            "ListMediaAnalysisJobs",
            {"MediaAnalysisJobs": [_without(_JOB, "JobId")]},
            ["MediaAnalysisJobs[0].JobId: required member is missing"],
            id="required-missing-nested",
        ),
        pytest.param(
            "ListMediaAnalysisJobs",
            {"MediaAnalysisJobs": [_changed(_JOB, "JobId", None)]},
            ["MediaAnalysisJobs[0].JobId: null is not a value; omit the member instead"],
            id="required-null",
        ),
    ],
)
def test_malformed_responses_are_reported(operation: str, body: dict[str, Any], expected: list[str]) -> None:
    # GIVEN a response body that strays from the output shape
    # WHEN it is checked
    problems = shapes.validate_output(operation, body)
    # THEN the stray member is named with what is wrong
    assert problems == expected


def test_unknown_members_matter_only_in_responses() -> None:
    # GIVEN the same unknown member in a request and in a response
    # WHEN each is validated
    request_problems = shapes.validate_input("StartProjectVersion", {**START, "Extra": 1})
    response_problems = shapes.validate_output("StartProjectVersion", {"Status": "STARTING", "Extra": 1})
    # THEN the service ignores it in a request, while our responses must not invent it
    assert request_problems == []
    assert response_problems == ["Extra: unknown member"]


# -- the model ----------------------------------------------------------------------------------------


def test_modelled_errors_lists_the_operations_error_shapes() -> None:
    # GIVEN the DetectCustomLabels operation
    # WHEN its modelled errors are asked for
    errors = shapes.modelled_errors("DetectCustomLabels")
    # THEN they include the not-ready error and exclude errors only other operations have
    assert "ResourceNotReadyException" in errors
    assert "InvalidParameterException" in errors
    assert "ResourceInUseException" not in errors


def test_unknown_operation_is_a_key_error() -> None:
    # GIVEN an operation the service does not have
    # WHEN it is looked up
    # THEN a KeyError names it
    with pytest.raises(KeyError, match="DetectCustomLabel"):
        shapes.operation_model("DetectCustomLabel")


def test_service_model_is_loaded_once() -> None:
    # GIVEN two look-ups of the model
    # WHEN they are compared
    # THEN they are the same object, parsed once
    assert shapes.service_model() is shapes.service_model()
    assert shapes.service_model().api_version == "2016-06-27"


# -- Java patterns ------------------------------------------------------------------------------------


def _model_patterns() -> list[str]:
    model = shapes.service_model()
    found = {model.shape_for(name).metadata.get("pattern") for name in model.shape_names}
    return sorted(pattern for pattern in found if pattern is not None)


def test_every_pattern_in_the_model_compiles() -> None:
    # GIVEN every pattern in the model
    patterns = _model_patterns()
    assert len(patterns) >= 25
    # WHEN each is translated and compiled, with Python's warnings about ambiguous syntax made errors
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        compiled = [shapes.compile_pattern(pattern) for pattern in patterns]
    # THEN all compile, and compiling again reuses the cached pattern
    assert all(isinstance(pattern, re.Pattern) for pattern in compiled)
    assert shapes.compile_pattern(patterns[0]) is compiled[0]


@pytest.mark.parametrize(
    ("shape_name", "value", "matches"),
    [
        # \p{L} \p{Z} \p{N} are Unicode letters, separators and numbers; the lookahead forbids "aws:".
        ("TagKey", "équipe", True),
        ("TagKey", "日本語", True),
        ("TagKey", "a b\u00a0c", True),
        ("TagKey", "\u0661\u0662\u0663 Ⅻ ½", True),
        ("TagKey", "_.:/=+-@", True),
        ("TagKey", "AWS:x", True),
        ("TagKey", "aws:x", False),
        ("TagKey", "aws:", False),
        ("TagKey", "a!b", False),
        ("TagKey", "a\tb", False),
        ("TagKey", "x\n", False),
        ("TagKey", "\U0001f600", False),
        ("TagValue", "", True),
        ("TagValue", "a\u2028b", True),  # a line separator is \p{Z}
        # `0-9-_` is the range 0-9 then a literal "-" and "_" (Java and Python agree); "=" and "\" between
        # "9" and "_" are not allowed.
        ("VersionDescription", "-_", True),
        ("VersionDescription", "Hello, world (v2): 'ok'; ready?", True),
        ("VersionDescription", "=", False),
        ("VersionDescription", "\\", False),
        ("VersionDescription", "ok\n", False),
        # Here `'-_` IS a range (0x27-0x5F), so "=", "@" and "[" are allowed but "`" is not.
        ("GeneralLabelsFilterValue", "a=b@[c]", True),
        ("GeneralLabelsFilterValue", "àâèçñó", True),
        ("GeneralLabelsFilterValue", "`", False),
        ("GeneralLabelsFilterValue", "é", False),
        # Java's `.` stops at every line terminator; `$` allows none before the end under matches().
        ("DatasetLabel", "é", True),
        ("DatasetLabel", "a\rb", False),
        ("DatasetLabel", "a\u0085", False),
        ("DatasetLabel", "a\u2029", False),
        ("DatasetEntry", '{"source-ref": "s3://b/k"}', True),
        ("DatasetEntry", "{}\n", False),
        ("DatasetEntry", "{}\r\n", False),
        # Java's \s \d \w are ASCII: a no-break space is \S, Arabic-Indic digits are not \w.
        ("QueryString", "\u00a0", True),
        ("QueryString", " \t ", False),
        ("SNSTopicArn", f"arn:aws:sns:us-east-1:{ACCOUNT}:topic", True),
        (
            "SNSTopicArn",
            "arn:aws:sns:us-east-1:\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662:topic",
            False,
        ),
        ("KinesisVideoStreamFragmentNumber", "\u0661", False),
        # The whole value must match, even where the pattern has no anchors.
        ("HumanLoopName", "ab-c", True),
        ("HumanLoopName", "ab-", False),
        ("ProjectArn", PROJECT_ARN, True),
        ("ProjectArn", PROJECT_ARN + "\n", False),
        ("ProjectArn", "x" + PROJECT_ARN, False),
        ("ProjectPolicyDocument", '{\n\t"a": "ÿ"\r\n}', True),
        ("ProjectPolicyDocument", "\u0100", False),
    ],
)
def test_translated_patterns_keep_java_meaning(shape_name: str, value: str, matches: bool) -> None:
    # GIVEN a model pattern translated from Java
    compiled = shapes.compile_pattern(_pattern(shape_name))
    # WHEN a value is matched whole, as String.matches does
    # THEN it matches exactly when Java's would
    assert (compiled.fullmatch(value) is not None) is matches


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        (r"\P{L}+", "12 !", True),
        (r"\P{L}+", "1a", False),
        (r"[\P{N}]+", "ab", True),
        (r"[\P{N}]+", "a1", False),
        (r"\pL+", "ß", True),
        (r"[\p{IsLu}]+", "AÉ", True),
        (r"[\p{IsLu}]+", "a", False),
        (r"[^\p{Z}]+", "a\u3000", False),
        (r"[]a]+", "]a", True),
        (r"[^]a]+", "b", True),
        (r"[a~|]+", "~|", True),
        (r"a\z", "a", True),
        (r"a\Z\r\n", "a\r\n", True),
        (r"a$", "a\n", False),
        (r"a$\n", "a\n", True),
    ],
)
def test_translation_of_java_only_syntax(pattern: str, value: str, matches: bool) -> None:
    # GIVEN a pattern using Java syntax Python lacks or reads differently
    # WHEN it is translated, compiled and matched whole
    compiled = shapes.compile_pattern(pattern)
    # THEN it behaves as Java's Pattern does
    assert (compiled.fullmatch(value) is not None) is matches


@pytest.mark.parametrize(
    "pattern",
    [
        r"[a-z&&[^b]]",
        r"[a[b]]",
        r"\p{Alpha}",
        r"\p{InGreek}",
        r"\v",
        r"\bword",
        r"\x{41}",
        r"\0101",
        r"[abc",
        "abc\\",
    ],
)
def test_untranslated_java_syntax_is_refused(pattern: str) -> None:
    # GIVEN Java syntax the translation does not carry over
    # WHEN it is translated
    # THEN it fails loudly instead of silently changing meaning
    with pytest.raises(ValueError):
        shapes.translate_pattern(pattern)


_PROBE_JAVA = """
import java.nio.charset.StandardCharsets;
import java.nio.file.*;
import java.util.*;
import java.util.regex.Pattern;

public class Probe {
    public static void main(String[] args) throws Exception {
        Base64.Decoder b64 = Base64.getDecoder();
        List<String> values = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of(args[1]))) {
            values.add(new String(b64.decode(line), StandardCharsets.UTF_8));
        }
        StringBuilder out = new StringBuilder();
        for (String line : Files.readAllLines(Path.of(args[0]))) {
            Pattern pattern = Pattern.compile(new String(b64.decode(line), StandardCharsets.UTF_8));
            for (String value : values) out.append(pattern.matcher(value).matches() ? '1' : '0');
            out.append('\\n');
        }
        System.out.print(out);
    }
}
"""
_PROBE_VALUES = [
    "", "a", "Z", "0", "9", "-", "_", ".", " ", "=", "@", "[", "\\", "`", "~", "'", "(", ":", ";", "?", "/",
    "+", ",", "{}", '{"a": 1}', "aws:x", "AWS:x", "équipe", "日本語", "ß", "ǅ", "ʰ", "Ⅻ", "½", "àâ",
    "\u0661\u0662\u0663",
    "\u00a0", "\u2028", "\u3000", "\t", "\u00ff", "\u0100", "\U0001f600", "a b", "ab-c", "ab-", "1.2.3",
    "01.2.3", "deadbeef", "0123abcd-0123-4567-89ab-0123456789ab", "v1.0_rc-1", "my-bucket", "x" * 70,
    PROJECT_ARN, VERSION_ARN, f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/p/dataset/train/1",
    f"arn:aws:iam::{ACCOUNT}:role/service-role/r", f"arn:aws:sns:us-east-1:{ACCOUNT}:t",
    f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/s",
    f"arn:aws:rekognition:us-east-1:{ACCOUNT}:streamprocessor/s",
    "alias/my-key", "Hello, world (v2): 'ok'; ready?",
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("java") is None, reason="needs a JDK (11 or later) to run Java's own regex")
def test_translation_agrees_with_java(tmp_path: Path) -> None:
    # GIVEN every model pattern plus translator edge cases, and probe values with each line terminator after
    patterns = [*_model_patterns(), r"\P{L}+", r"[\P{N}x]+", r"a$", r".+\z", r"a\Z", r"[]a]+", r"[^]a]+"]
    values = [
        probe + ending for probe in _PROBE_VALUES for ending in ("", "\n", "\r\n", "\r", "\u0085", "\u2029")
    ]

    def encoded(texts: list[str]) -> str:
        return "".join(base64.b64encode(text.encode()).decode() + "\n" for text in texts)

    (tmp_path / "patterns.txt").write_text(encoded(patterns))
    (tmp_path / "values.txt").write_text(encoded(values))
    (tmp_path / "Probe.java").write_text(_PROBE_JAVA)
    # WHEN Java's Pattern.matches and the translated Python fullmatch judge every pair
    java = subprocess.run(
        ["java", "Probe.java", "patterns.txt", "values.txt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.splitlines()
    python = [
        "".join("1" if shapes.compile_pattern(pattern).fullmatch(value) else "0" for value in values)
        for pattern in patterns
    ]
    # THEN they agree everywhere
    disagreements = [
        (pattern, value, row_java[index])
        for pattern, row_java, row_python in zip(patterns, java, python, strict=True)
        for index, value in enumerate(values)
        if row_java[index] != row_python[index]
    ]
    assert disagreements == []
