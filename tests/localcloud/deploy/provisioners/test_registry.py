"""The mapping from resource type to provisioner (``registry.py``): which property changes mean
replacement for each supported type (a table that must name every type the registry holds, so a new
provisioner cannot go untested), and the stack's tags propagated to the resources that take tags."""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.deploy.provisioners import PROVISIONERS, provisioner_for, with_stack_tags

REPLACEMENTS = [
    # (type, old, new, replaced?)
    ("AWS::S3::Bucket", {"BucketName": "a"}, {"BucketName": "b"}, True),
    ("AWS::S3::Bucket", {}, {"BucketName": "b"}, True),
    (
        "AWS::S3::Bucket",
        {"BucketName": "a"},
        {"BucketName": "a", "Tags": [{"Key": "k", "Value": "v"}]},
        False,
    ),
    ("AWS::S3::Bucket", {}, {"VersioningConfiguration": {"Status": "Enabled"}}, False),
    ("AWS::S3::Bucket", {}, {"ObjectLockEnabled": True}, True),
    ("AWS::S3::Bucket", {}, {"LifecycleConfiguration": {"Rules": []}, "AccessControl": "Private"}, False),
    (
        "AWS::S3::BucketPolicy",
        {"Bucket": "a", "PolicyDocument": {}},
        {"Bucket": "a", "PolicyDocument": {"x": 1}},
        False,
    ),
    ("AWS::S3::BucketPolicy", {"Bucket": "a"}, {"Bucket": "b"}, True),
    ("AWS::KMS::Key", {"KeySpec": "SYMMETRIC_DEFAULT"}, {"KeySpec": "RSA_2048"}, True),
    ("AWS::KMS::Key", {"KeyUsage": "ENCRYPT_DECRYPT"}, {"KeyUsage": "SIGN_VERIFY"}, True),
    ("AWS::KMS::Key", {"KeyPolicy": {}}, {"KeyPolicy": {"x": 1}, "Description": "d"}, False),
    ("AWS::KMS::Alias", {"AliasName": "alias/a"}, {"AliasName": "alias/b"}, True),
    ("AWS::KMS::Alias", {"TargetKeyId": "k1"}, {"TargetKeyId": "k2"}, False),
    (
        "AWS::KMS::Key",
        {"EnableKeyRotation": False},
        {"EnableKeyRotation": True, "PendingWindowInDays": 7},
        False,
    ),
    ("AWS::IAM::Role", {"RoleName": "a"}, {"RoleName": "b"}, True),
    ("AWS::IAM::Role", {"Path": "/"}, {"Path": "/service/"}, True),
    ("AWS::IAM::Role", {"AssumeRolePolicyDocument": {}}, {"AssumeRolePolicyDocument": {"x": 1}}, False),
    ("AWS::IAM::Policy", {"PolicyName": "a", "Roles": ["r"]}, {"PolicyName": "b", "Roles": ["s"]}, False),
    ("AWS::IAM::ManagedPolicy", {"ManagedPolicyName": "a"}, {"ManagedPolicyName": "b"}, True),
    ("AWS::IAM::ManagedPolicy", {"PolicyDocument": {}}, {"PolicyDocument": {"x": 1}, "Roles": ["r"]}, False),
    ("AWS::Lambda::Function", {"FunctionName": "a"}, {"FunctionName": "b"}, True),
    ("AWS::Lambda::Function", {"Code": {"S3Key": "a"}}, {"Code": {"S3Key": "b"}, "Timeout": 9}, False),
    ("AWS::Logs::LogGroup", {"LogGroupName": "a"}, {"LogGroupName": "b"}, True),
    ("AWS::Logs::LogGroup", {"RetentionInDays": 1}, {"RetentionInDays": 7}, False),
    ("AWS::Rekognition::Project", {"ProjectName": "a"}, {"ProjectName": "b"}, True),
    ("AWS::Rekognition::Project", {"ProjectName": "a"}, {"ProjectName": "a", "Tags": []}, False),
    ("AWS::Lambda::Permission", {"FunctionName": "a"}, {"FunctionName": "b"}, True),
    ("AWS::Lambda::Permission", {"SourceArn": "a"}, {"SourceArn": "b"}, True),
    ("AWS::Lambda::Permission", {"Principal": "a"}, {"Principal": "b"}, True),
    ("AWS::Events::Rule", {"Name": "a"}, {"Name": "b"}, True),
    ("AWS::Events::Rule", {}, {"EventBusName": "custom"}, True),
    (
        "AWS::Events::Rule",
        {"ScheduleExpression": "rate(1 hour)"},
        {"ScheduleExpression": "rate(2 hours)", "State": "DISABLED", "Targets": [], "Tags": []},
        False,
    ),
    ("AWS::Events::Rule", {"EventPattern": {"source": ["a"]}}, {"EventPattern": {"source": ["b"]}}, False),
    ("AWS::ECR::Repository", {"RepositoryName": "a"}, {"RepositoryName": "b"}, True),
    ("AWS::ECR::Repository", {}, {"EncryptionConfiguration": {"EncryptionType": "KMS"}}, True),
    (
        "AWS::ECR::Repository",
        {"ImageTagMutability": "MUTABLE"},
        {"ImageTagMutability": "IMMUTABLE", "LifecyclePolicy": {}, "RepositoryPolicyText": {}, "Tags": []},
        False,
    ),
    ("AWS::SSM::Parameter", {"Name": "/a"}, {"Name": "/b"}, True),
    ("AWS::SSM::Parameter", {"Value": "1", "Type": "String"}, {"Value": "2", "Type": "StringList"}, False),
    ("AWS::CDK::Metadata", {"Analytics": "a"}, {"Analytics": "b"}, False),
]


@pytest.mark.parametrize(("resource_type", "old", "new", "replaced"), REPLACEMENTS)
def test_needs_replacement_follows_cloudformations_update_behaviours(
    resource_type: str, old: dict[str, Any], new: dict[str, Any], replaced: bool
) -> None:
    provisioner = provisioner_for(resource_type)
    assert provisioner is not None
    assert provisioner.needs_replacement(old, new) is replaced
    assert provisioner.needs_replacement(new, new) is False


def test_every_supported_type_is_in_the_replacement_table() -> None:
    assert {row[0] for row in REPLACEMENTS} == set(PROVISIONERS)
    assert provisioner_for("AWS::EC2::Instance") is None


def test_stack_tags_are_added_to_resources_that_take_tags_and_their_own_values_win() -> None:
    stack_tags = {"team": "vision", "app": "demo"}
    # GIVEN list-form, map-form and absent Tags THEN the stack's are added, a resource's own key kept
    as_list = with_stack_tags("AWS::S3::Bucket", {"Tags": [{"Key": "team", "Value": "own"}]}, stack_tags)
    assert as_list["Tags"] == [{"Key": "team", "Value": "own"}, {"Key": "app", "Value": "demo"}]
    as_map = with_stack_tags("AWS::SSM::Parameter", {"Tags": {"app": "own"}}, stack_tags)
    assert as_map["Tags"] == {"team": "vision", "app": "own"}
    absent = with_stack_tags("AWS::Logs::LogGroup", {}, stack_tags)
    assert absent["Tags"] == [{"Key": "team", "Value": "vision"}, {"Key": "app", "Value": "demo"}]
    # AND types that take no tags, and custom resources (CloudFormation cannot tag them), are left alone
    for resource_type in ("AWS::Lambda::Permission", "Custom::RekognitionProjectVersion"):
        assert with_stack_tags(resource_type, {"A": 1}, stack_tags) == {"A": 1}
