"""The model's KMS key: the provider may use it for exactly the four operations the Custom Labels guide
documents (kms:CreateGrant and kms:DescribeKey so Rekognition can encrypt the model copy through a
grant, kms:GenerateDataKey and kms:Decrypt for the images and outputs); the key policy is CDK's default
(the account's root, so that IAM policies decide) with no other principal; the output bucket is
encrypted with it."""

from __future__ import annotations

import json
from typing import Any

import app as example

from .helpers import new_app

DOCUMENTED = {"kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"}


def example_resources() -> dict[str, Any]:
    app = new_app()
    example.ExampleStack(app, "Example")
    return dict(app.synth().get_stack_by_name("Example").template["Resources"])


def test_the_only_key_actions_anyone_is_granted_are_the_documented_four() -> None:
    # GIVEN the example's template
    resources = example_resources()
    (key_id,) = [name for name, r in resources.items() if r["Type"] == "AWS::KMS::Key"]
    key_arn = {"Fn::GetAtt": [key_id, "Arn"]}
    # WHEN every identity-policy statement on the key is collected
    granted = set()
    for resource in resources.values():
        if resource["Type"] != "AWS::IAM::Policy":
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            targets = (
                statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            )
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if key_arn in targets:
                assert statement["Effect"] == "Allow"
                assert all(a.startswith("kms:") for a in actions), statement
                granted.update(actions)
            assert not any(a.startswith("kms:") for a in actions) or key_arn in targets, statement
    # THEN exactly the documented four, and no KMS action on anything else
    assert granted == DOCUMENTED


def test_the_key_policy_is_the_cdk_default_with_no_other_principal() -> None:
    # GIVEN the example's key
    resources = example_resources()
    (key,) = [r for r in resources.values() if r["Type"] == "AWS::KMS::Key"]
    # THEN one statement: the account root (IAM policies decide), rotation on, nothing public
    (statement,) = key["Properties"]["KeyPolicy"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Action"] == "kms:*" and statement["Resource"] == "*"
    root = json.dumps(statement["Principal"]["AWS"])
    assert ":iam::" in root and ":root" in root and "AWS::AccountId" in root
    assert "Condition" not in statement
    assert key["Properties"]["EnableKeyRotation"] is True


def test_the_output_bucket_is_encrypted_with_the_model_key() -> None:
    resources = example_resources()
    (key_id,) = [name for name, r in resources.items() if r["Type"] == "AWS::KMS::Key"]
    buckets = [r for r in resources.values() if r["Type"] == "AWS::S3::Bucket"]
    encrypted_with_key = [
        b
        for b in buckets
        if b["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0][
            "ServerSideEncryptionByDefault"
        ]
        == {"KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]}, "SSEAlgorithm": "aws:kms"}
    ]
    assert encrypted_with_key, [b["Properties"].get("BucketEncryption") for b in buckets]
