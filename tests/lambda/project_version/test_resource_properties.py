"""ResourceProperties as CloudFormation sends them (every scalar a string) -> a checked request.

Every refusal must name the property and the rule it breaks: the message becomes the FAILED Reason a
stack user reads.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import resource_properties
from resource_properties import OWNER_TAG, REPLACING, PropertyError, VersionSpec, parse

PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/shapes/1750000000000"
OTHER_PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/other/1750000000001"
SERVICE_TOKEN = "arn:aws:lambda:us-east-1:123456789012:function:rekognition-provider"

Properties = dict[str, Any]


def asset(bucket: str, name: str, version: str | None = None) -> dict[str, Any]:
    s3_object = {"Bucket": bucket, "Name": name} | ({"Version": version} if version else {})
    return {"Assets": [{"GroundTruthManifest": {"S3Object": s3_object}}]}


def full() -> Properties:
    """Every supported property, as CloudFormation delivers them: scalars as strings."""
    return {
        "ServiceToken": SERVICE_TOKEN,
        "ServiceTimeout": "600",
        "ProjectArn": PROJECT,
        "VersionName": "shapes-v1.0_a",
        "OutputConfig": {"S3Bucket": "model-output", "S3KeyPrefix": "models/shapes/"},
        "TrainingData": asset("training-data", "manifests/train.manifest", "3HL4kqtJlcpXroDTDmJ"),
        "TestingData": asset("training-data", "manifests/test.manifest"),
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:alias/models",
        "VersionDescription": "Shapes (v1): circles, squares; test?",
        "FeatureConfig": {"ContentModeration": {"ConfidenceThreshold": "80"}},
        "Tags": {"team": "vision", "cost-centre": "42", "note": "a b.c:d/e=f+g-h@i_j"},
    }


def minimal() -> Properties:
    return {"ProjectArn": PROJECT, "VersionName": "v1", "OutputConfig": {"S3Bucket": "model-output"}}


def test_full_properties_give_the_exact_request() -> None:
    # GIVEN every supported property, scalars as strings, plus CloudFormation's ServiceToken
    # WHEN they are parsed
    spec = parse(full())
    # THEN the request is exactly CreateProjectVersion's (numbers parsed; no ServiceToken/ServiceTimeout)
    assert spec.request == {
        "ProjectArn": PROJECT,
        "OutputConfig": {"S3Bucket": "model-output", "S3KeyPrefix": "models/shapes/"},
        "TrainingData": asset("training-data", "manifests/train.manifest", "3HL4kqtJlcpXroDTDmJ"),
        "TestingData": asset("training-data", "manifests/test.manifest"),
        "KmsKeyId": "arn:aws:kms:us-east-1:123456789012:alias/models",
        "VersionDescription": "Shapes (v1): circles, squares; test?",
        "FeatureConfig": {"ContentModeration": {"ConfidenceThreshold": 80.0}},
    }
    threshold = spec.request["FeatureConfig"]["ContentModeration"]["ConfidenceThreshold"]
    assert isinstance(threshold, float)
    # AND the name, tags and timeout are kept apart, the timeout as an int
    assert spec.project_arn == PROJECT
    assert spec.version_name == "shapes-v1.0_a"
    assert spec.tags == {"team": "vision", "cost-centre": "42", "note": "a b.c:d/e=f+g-h@i_j"}
    assert spec.service_timeout == 600 and isinstance(spec.service_timeout, int)


def test_minimal_properties_take_the_defaults() -> None:
    # GIVEN only the required properties WHEN they are parsed
    spec = parse(minimal())
    # THEN the request holds only those, no tags, and CloudFormation's default timeout of 3600 s
    assert spec.request == {"ProjectArn": PROJECT, "OutputConfig": {"S3Bucket": "model-output"}}
    assert spec.tags == {}
    assert spec.service_timeout == 3600


@pytest.mark.parametrize("auto_create", ["true", "True", "TRUE", True], ids=repr)
def test_testing_data_auto_create_accepts_cloudformation_booleans(auto_create: object) -> None:
    # GIVEN TestingData that asks for a split of the training data, as a string or a JSON boolean
    properties = full() | {"TestingData": {"AutoCreate": auto_create}}
    # WHEN parsed THEN the request carries a real boolean
    assert parse(properties).request["TestingData"] == {"AutoCreate": True}


@pytest.mark.parametrize("auto_create", ["false", "False", False], ids=repr)
def test_testing_data_auto_create_false_keeps_the_assets(auto_create: object) -> None:
    # GIVEN TestingData with its own manifest and AutoCreate false
    properties = full() | {"TestingData": {"AutoCreate": auto_create, **asset("b-1", "test.manifest")}}
    # WHEN parsed THEN the request uses the assets, without AutoCreate
    assert parse(properties).request["TestingData"] == asset("b-1", "test.manifest")


def with_(**changes: Any) -> Callable[[Properties], None]:
    def change(properties: Properties) -> None:
        properties.update(changes)

    return change


def without(name: str) -> Callable[[Properties], None]:
    def change(properties: Properties) -> None:
        del properties[name]

    return change


def nested(*path: str | int, value: Any) -> Callable[[Properties], None]:
    def change(properties: Properties) -> None:
        target: Any = properties
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value

    return change


def threshold(spec: VersionSpec) -> object:
    return spec.request["FeatureConfig"]["ContentModeration"]["ConfidenceThreshold"]


def only_tag_value_length(spec: VersionSpec) -> object:
    (value,) = spec.tags.values()
    return len(value)


def only_tag_key_length(spec: VersionSpec) -> object:
    (key,) = spec.tags
    return len(key)


THRESHOLD = ("FeatureConfig", "ContentModeration", "ConfidenceThreshold")


@pytest.mark.parametrize(
    ("change", "read", "expected"),
    [
        pytest.param(with_(VersionName="a" * 255), lambda s: s.version_name, "a" * 255, id="name 255"),
        pytest.param(
            nested("OutputConfig", "S3Bucket", value="abc"),
            lambda s: s.request["OutputConfig"]["S3Bucket"],
            "abc",
            id="bucket 3 chars",
        ),
        pytest.param(with_(ServiceTimeout="1"), lambda s: s.service_timeout, 1, id="timeout 1"),
        pytest.param(with_(ServiceTimeout="3600"), lambda s: s.service_timeout, 3600, id="timeout 3600"),
        pytest.param(nested(*THRESHOLD, value="0"), threshold, 0.0, id="threshold 0"),
        pytest.param(nested(*THRESHOLD, value="100"), threshold, 100.0, id="threshold 100"),
        pytest.param(nested(*THRESHOLD, value="62.5"), threshold, 62.5, id="threshold 62.5"),
        pytest.param(
            with_(Tags={f"k{i}": "v" for i in range(199)}), lambda s: len(s.tags), 199, id="199 tags"
        ),
        pytest.param(with_(Tags={"k": "v" * 256}), only_tag_value_length, 256, id="tag value 256 chars"),
        pytest.param(with_(Tags={"k" * 128: ""}), only_tag_key_length, 128, id="tag key 128, empty value"),
    ],
)
def test_boundary_values_are_accepted(
    change: Callable[[Properties], None], read: Callable[[VersionSpec], object], expected: object
) -> None:
    # GIVEN properties with one value at the edge of what the service accepts
    properties = copy.deepcopy(full())
    change(properties)
    # WHEN parsed THEN no PropertyError is raised and the value is kept, parsed to its type
    assert read(parse(properties)) == expected


BAD_ARN = "arn:aws:s3:::model-output"
VERSION_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/shapes/version/v1/1750000000000"
TWO_ASSETS = {"Assets": asset("b-1", "a.manifest")["Assets"] * 2}

INVALID: list[Any] = [
    # (how the full properties are spoilt, fragments the message must contain)
    pytest.param(without("ProjectArn"), ["ProjectArn", "required"], id="missing ProjectArn"),
    pytest.param(with_(ProjectArn=""), ["ProjectArn", "required"], id="empty ProjectArn"),
    pytest.param(without("VersionName"), ["VersionName", "required"], id="missing VersionName"),
    pytest.param(without("OutputConfig"), ["OutputConfig", "required"], id="missing OutputConfig"),
    pytest.param(with_(ProjectArn=BAD_ARN), ["ProjectArn", BAD_ARN, "pattern"], id="ARN of S3"),
    pytest.param(with_(ProjectArn=VERSION_ARN), ["ProjectArn", "pattern"], id="ARN of a version"),
    pytest.param(with_(VersionName="my model"), ["VersionName", "'my model'", "pattern"], id="space"),
    pytest.param(with_(VersionName="a" * 256), ["VersionName", "{1,255}"], id="VersionName 256 chars"),
    pytest.param(
        nested("OutputConfig", "S3Bucket", value="ab"), ["OutputConfig.S3Bucket", "{3,255}"], id="bucket ab"
    ),
    pytest.param(with_(OutputConfig="model-output"), ["OutputConfig", "object"], id="OutputConfig string"),
    pytest.param(
        with_(OutputConfig={"S3KeyPrefix": "p/"}), ["OutputConfig.S3Bucket", "required"], id="no S3Bucket"
    ),
    pytest.param(
        nested("OutputConfig", "S3KeyPrefix", value="p" * 1025),
        ["OutputConfig.S3KeyPrefix", "1024"],
        id="S3KeyPrefix 1025 chars",
    ),
    pytest.param(without("TestingData"), ["TrainingData", "TestingData", "together"], id="no TestingData"),
    pytest.param(without("TrainingData"), ["TrainingData", "TestingData", "together"], id="no TrainingData"),
    pytest.param(
        nested("TestingData", "AutoCreate", value="true"),
        ["TestingData", "either Assets or AutoCreate"],
        id="TestingData with AutoCreate and Assets",
    ),
    pytest.param(
        with_(TestingData={}), ["TestingData", "either Assets or AutoCreate"], id="TestingData empty"
    ),
    pytest.param(
        with_(TestingData={"AutoCreate": "yes"}),
        ["TestingData.AutoCreate", "true or false", "'yes'"],
        id="AutoCreate yes",
    ),
    pytest.param(
        with_(TrainingData=TWO_ASSETS), ["TrainingData.Assets", "list of one"], id="two training assets"
    ),
    pytest.param(
        nested("TrainingData", "Assets", 0, "GroundTruthManifest", "S3Object", "Name", value=""),
        ["TrainingData.Assets[0].GroundTruthManifest.S3Object.Name"],
        id="manifest Name empty",
    ),
    pytest.param(
        nested("FeatureConfig", "ContentModeration", "ConfidenceThreshold", value="abc"),
        ["FeatureConfig.ContentModeration.ConfidenceThreshold", "number", "'abc'"],
        id="threshold abc",
    ),
    pytest.param(
        nested("FeatureConfig", "ContentModeration", "ConfidenceThreshold", value="101"),
        ["FeatureConfig.ContentModeration.ConfidenceThreshold", "between 0 and 100"],
        id="threshold 101",
    ),
    pytest.param(with_(KmsKeyId="-key"), ["KmsKeyId", "pattern"], id="KmsKeyId pattern"),
    pytest.param(with_(VersionDescription="new!"), ["VersionDescription", "pattern"], id="description !"),
    pytest.param(with_(ServiceTimeout="0"), ["ServiceTimeout", "between 1 and 3600"], id="timeout 0"),
    pytest.param(with_(ServiceTimeout="3601"), ["ServiceTimeout", "between 1 and 3600"], id="timeout 3601"),
    pytest.param(with_(ServiceTimeout="x"), ["ServiceTimeout", "number", "'x'"], id="timeout x"),
    pytest.param(with_(Tags={"aws:k": "v"}), ["Tags", "'aws:k'", "may not start with 'aws:'"], id="aws:"),
    pytest.param(with_(Tags={OWNER_TAG: "me"}), ["Tags", f"may not be {OWNER_TAG}"], id="owner tag"),
    pytest.param(with_(Tags={"": "v"}), ["Tags", "1-128 characters"], id="empty tag key"),
    pytest.param(with_(Tags={"k" * 129: "v"}), ["Tags", "at most 128"], id="tag key 129 chars"),
    pytest.param(
        with_(Tags={f"k{i}": "v" for i in range(200)}), ["Tags", "at most 199", "200"], id="200 tags"
    ),
    pytest.param(with_(Tags={"k": "v" * 257}), ["Tags['k']", "at most 256 characters"], id="value 257"),
    pytest.param(with_(Tags={"k": "a<b"}), ["Tags['k']", "'a<b'", "pattern"], id="value with <"),
    pytest.param(with_(Tags=[{"Key": "k", "Value": "v"}]), ["Tags", "object"], id="Tags as a list"),
    pytest.param(with_(TrainingDatas=asset("b-1", "x")), ["TrainingDatas", "unknown"], id="TrainingDatas"),
]


@pytest.mark.parametrize(("spoil", "fragments"), INVALID)
def test_invalid_properties_name_the_property_and_the_rule(
    spoil: Callable[[Properties], None], fragments: list[str]
) -> None:
    # GIVEN the full valid properties with one problem
    properties = copy.deepcopy(full())
    spoil(properties)
    # WHEN parsed THEN a PropertyError names the property and the broken rule
    with pytest.raises(PropertyError) as caught:
        parse(properties)
    message = str(caught.value)
    missing = [fragment for fragment in fragments if fragment not in message]
    assert not missing, f"{missing} not in {message!r}"


def test_property_error_is_a_value_error() -> None:
    # GIVEN / WHEN / THEN the handler may catch refusals as ValueError (bad input, not a crash)
    assert issubclass(PropertyError, ValueError)


# -- what identifies a trained model ------------------------------------------------------------------


def spec(change: Callable[[Properties], None] | None = None) -> VersionSpec:
    properties = copy.deepcopy(full())
    if change is not None:
        change(properties)
    return parse(properties)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(with_(Tags={"team": "other"}), id="other Tags"),
        pytest.param(with_(Tags={}), id="no Tags"),
        pytest.param(with_(ServiceTimeout="60"), id="other ServiceTimeout"),
        pytest.param(without("ServiceTimeout"), id="no ServiceTimeout"),
        pytest.param(with_(ServiceToken="arn:aws:lambda:us-east-1:123456789012:function:x"), id="token"),
        pytest.param(
            nested("FeatureConfig", "ContentModeration", "ConfidenceThreshold", value="80.0"), id="80.0"
        ),
    ],
)
def test_fingerprint_ignores_what_does_not_change_the_model(change: Callable[[Properties], None]) -> None:
    # GIVEN two specs that differ only in tags, timeouts or the spelling of a number
    base, other = spec(), spec(change)
    # WHEN fingerprinted THEN the fingerprints are equal and no replacing member changed
    assert other.fingerprint == base.fingerprint
    assert base.changed_members(other) == []


def test_fingerprint_is_the_same_for_string_and_boolean_auto_create() -> None:
    # GIVEN the same AutoCreate split, once as CloudFormation's string and once as a boolean
    first = spec(with_(TestingData={"AutoCreate": "true"}))
    second = spec(with_(TestingData={"AutoCreate": True}))
    # WHEN fingerprinted THEN they are the same model
    assert first.fingerprint == second.fingerprint


REPLACING_CHANGES = [
    pytest.param("ProjectArn", with_(ProjectArn=OTHER_PROJECT), id="ProjectArn"),
    pytest.param("OutputConfig", nested("OutputConfig", "S3KeyPrefix", value="other/"), id="OutputConfig"),
    pytest.param(
        "TrainingData", with_(TrainingData=asset("training-data", "v2.manifest")), id="TrainingData"
    ),
    pytest.param("TestingData", with_(TestingData={"AutoCreate": "true"}), id="TestingData"),
    pytest.param("KmsKeyId", with_(KmsKeyId="alias/other"), id="KmsKeyId"),
    pytest.param("KmsKeyId", without("KmsKeyId"), id="KmsKeyId removed"),
    pytest.param("VersionDescription", with_(VersionDescription="Shapes v2"), id="VersionDescription"),
    pytest.param(
        "FeatureConfig",
        nested("FeatureConfig", "ContentModeration", "ConfidenceThreshold", value="81"),
        id="FeatureConfig",
    ),
]


@pytest.mark.parametrize(("member", "change"), REPLACING_CHANGES)
def test_fingerprint_changes_with_every_replacing_member(
    member: str, change: Callable[[Properties], None]
) -> None:
    # GIVEN a spec and one with a single replacing member changed
    base, other = spec(), spec(change)
    # WHEN compared THEN the fingerprints differ and exactly that member is named, both ways round
    assert other.fingerprint != base.fingerprint
    assert base.changed_members(other) == [member]
    assert other.changed_members(base) == [member]


def test_the_replacing_table_covers_every_replacing_member() -> None:
    # GIVEN the cases above WHEN their members are collected THEN each replacing member is tested
    assert {case.values[0] for case in REPLACING_CHANGES} == set(resource_properties.REPLACING)


def test_changed_members_names_several_changes_in_a_stable_order() -> None:
    # GIVEN a spec with its training data, description and tags changed
    base = spec()
    other = spec(
        with_(
            VersionDescription="Shapes v2",
            TrainingData=asset("training-data", "v2.manifest"),
            Tags={"team": "other"},
        )
    )
    # WHEN compared THEN exactly the two replacing members are named, in REPLACING's order
    assert base.changed_members(other) == [
        m for m in REPLACING if m in ("TrainingData", "VersionDescription")
    ]


def test_fingerprint_is_a_stable_hex_digest() -> None:
    # GIVEN the same properties parsed twice WHEN fingerprinted THEN the same 64-hex-digit digest results
    first, second = spec().fingerprint, spec().fingerprint
    assert first == second
    assert len(first) == 64 and int(first, 16) >= 0
