"""The example app under the feature flags that cdk.json sets: the ones `cdk init` recommends."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

import app as example
from tests.repository import ROOT

CDK_CLI = ROOT / "node_modules" / ".bin" / "cdk"
FLAG_REPORT = "cdk:feature-flag-report"


def flags_context() -> dict[str, Any]:
    """The context of cdk.json, as the CLI hands it to app.py."""
    context: dict[str, Any] = json.loads((ROOT / "cdk.json").read_text())["context"]
    return context


def synth_flagged(outdir: Path, *, nag: bool = False) -> tuple[Template, dict[str, Any]]:
    """The example synthesized in-process with cdk.json's context: its template and its assembly manifest."""
    app = cdk.App(outdir=str(outdir), context=flags_context())
    stack = example.ExampleStack(app, "Example")
    if nag:
        cdk.Validations.of(app).add_plugins(AwsSolutionsChecks(app))
    assembly = app.synth()  # the built-in CloudFormation validation fails this on any finding
    template = assembly.get_stack_by_name(stack.stack_name).template
    manifest: dict[str, Any] = json.loads((outdir / "manifest.json").read_text())
    return Template.from_json(template), manifest


@pytest.fixture(scope="module")
def flagged(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Template, dict[str, Any]]:
    outdir = tmp_path_factory.mktemp("flagged.out")
    template, manifest = synth_flagged(outdir)
    return outdir, template, manifest


# The provider's function and log group (the example's consumer has its own).
PROVIDER_FUNCTION = {"Runtime": Match.string_like_regexp("^python"), "Handler": "index.handler"}
PROVIDER_LOG_GROUP = {"LogGroupName": Match.string_like_regexp(r"^/aws/lambda/RekCL-")}


def provider_role(template: Template) -> str:
    function_id = only_id(template, "AWS::Lambda::Function", PROVIDER_FUNCTION)
    role: str = template.find_resources("AWS::Lambda::Function")[function_id]["Properties"]["Role"][
        "Fn::GetAtt"
    ][0]
    return role


def only_id(template: Template, resource_type: str, props: dict[str, Any] | None = None) -> str:
    found = template.find_resources(resource_type, {"Properties": props} if props else None)
    assert len(found) == 1, (resource_type, list(found))
    (logical_id,) = found
    return logical_id


@pytest.mark.slow
@pytest.mark.parametrize("notices", [[], ["--no-notices"]], ids=["notices", "no-notices"])
def test_pinned_cli_synth_prints_nothing_about_feature_flags(tmp_path: Path, notices: list[str]) -> None:
    # GIVEN the pinned CLI in the repository, whose cdk.json configures the recommended flags
    env = {**os.environ, "CDK_DISABLE_CLI_TELEMETRY": "true", "NPM_CONFIG_USERCONFIG": str(ROOT / ".npmrc")}
    # WHEN it synthesizes the example quietly
    result = subprocess.run(
        [str(CDK_CLI), "synth", "--quiet", *notices, "--output", str(tmp_path / "cdk.out")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    # THEN it succeeds, and neither stdout nor stderr mentions an unconfigured (or any) feature flag
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "feature flags are not configured" not in output, output
    assert "feature flag" not in output.lower(), output


def test_every_flag_of_aws_cdk_lib_is_at_its_recommended_value(
    flagged: tuple[Path, Template, dict[str, Any]],
) -> None:
    # GIVEN the feature flag report that aws-cdk-lib writes into the assembly (the CLI's notice counts it)
    _, _, manifest = flagged
    (report,) = [a["properties"] for a in manifest["artifacts"].values() if a["type"] == FLAG_REPORT]
    flags: dict[str, dict[str, Any]] = report["flags"]
    # THEN every flag is set, or left unset where its default is the recommended value
    off = {
        name: flag
        for name, flag in flags.items()
        if flag.get("userValue", flag.get("unconfiguredBehavesLike", {}).get("v2", False))
        != flag["recommendedValue"]
    }
    assert off == {}, off
    # AND cdk.json holds no key that is no flag any more (as the removed lambda/iam keys were)
    stale = [key for key in flags_context() if key.startswith("@aws-cdk") and key not in flags]
    assert stale == [], stale


def test_provider_logs_to_its_own_log_group_and_cdk_adds_none(
    flagged: tuple[Path, Template, dict[str, Any]],
) -> None:
    # GIVEN the example under the flags, @aws-cdk/aws-lambda:useCdkManagedLogGroup among them
    _, template, _ = flagged
    # THEN the provider has one log group, named after its function and kept for a year
    log_group_id = only_id(template, "AWS::Logs::LogGroup", PROVIDER_LOG_GROUP)
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": Match.string_like_regexp(r"^/aws/lambda/RekCL-[0-9a-f]{16}$"),
                "RetentionInDays": 365,
            },
            "DeletionPolicy": "Delete",
        },
    )
    # AND the provider function's LoggingConfig points at it, so CDK does not make a second one
    function_id = only_id(template, "AWS::Lambda::Function", PROVIDER_FUNCTION)
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": Match.string_like_regexp(r"^RekCL-[0-9a-f]{16}$"),
            "LoggingConfig": {"LogGroup": {"Ref": log_group_id}},
        },
    )
    function = template.find_resources("AWS::Lambda::Function")[function_id]["Properties"]
    log_group = template.find_resources("AWS::Logs::LogGroup")[log_group_id]["Properties"]
    assert log_group["LogGroupName"] == f"/aws/lambda/{function['FunctionName']}"


def test_provider_role_has_one_policy_writing_only_to_its_log_group(
    flagged: tuple[Path, Template, dict[str, Any]],
) -> None:
    # GIVEN the example under the flags (@aws-cdk/aws-lambda:createNewPoliciesWithAddToRolePolicy stays off)
    _, template, _ = flagged
    role_id = only_id(
        template,
        "AWS::IAM::Role",
        {"Description": Match.string_like_regexp("^Rekognition Custom Labels")},
    )
    log_group_id = only_id(template, "AWS::Logs::LogGroup", PROVIDER_LOG_GROUP)
    # THEN the provider's grants stay in the one default policy of its role, not in extra inline policies
    only_id(template, "AWS::IAM::Policy", {"Roles": [{"Ref": role_id}]})
    template.has_resource_properties(
        "AWS::IAM::Policy",
        {
            "Roles": [{"Ref": role_id}],
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        {
                            "Sid": "WriteOwnLogs",
                            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                            "Effect": "Allow",
                            "Resource": {"Fn::GetAtt": [log_group_id, "Arn"]},
                        }
                    ]
                ),
            },
        },
    )
    # AND nothing lets it create log groups of its own
    assert "logs:CreateLogGroup" not in json.dumps(template.to_json())


def test_output_bucket_is_private_encrypted_with_the_model_key_and_tls_only(
    flagged: tuple[Path, Template, dict[str, Any]],
) -> None:
    # GIVEN the example under the flags (@aws-cdk/aws-s3:publicAccessBlockedByDefault among them)
    _, template, _ = flagged
    key_id = only_id(template, "AWS::KMS::Key")
    bucket_id = only_id(template, "AWS::S3::Bucket")
    # THEN the key rotates, and the bucket blocks all public access and encrypts with that key
    template.has_resource_properties("AWS::KMS::Key", {"EnableKeyRotation": True})
    template.has_resource_properties(
        "AWS::S3::Bucket",
        {
            "PublicAccessBlockConfiguration": {
                "BlockPublicAcls": True,
                "BlockPublicPolicy": True,
                "IgnorePublicAcls": True,
                "RestrictPublicBuckets": True,
            },
            "BucketEncryption": {
                "ServerSideEncryptionConfiguration": [
                    {
                        "BucketKeyEnabled": True,
                        "ServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": {"Fn::GetAtt": [key_id, "Arn"]},
                        },
                    }
                ]
            },
        },
    )
    # AND its policy denies every request that does not use TLS
    template.has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "s3:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            },
        },
    )


def test_model_version_custom_resource_is_served_by_the_provider(
    flagged: tuple[Path, Template, dict[str, Any]],
) -> None:
    # GIVEN the example under the flags
    _, template, _ = flagged
    function_id = only_id(template, "AWS::Lambda::Function", PROVIDER_FUNCTION)
    policy_id = only_id(template, "AWS::IAM::Policy", {"Roles": [{"Ref": provider_role(template)}]})
    key_id = only_id(template, "AWS::KMS::Key")
    bucket_id = only_id(template, "AWS::S3::Bucket")
    # THEN the one model version is a Custom::RekognitionProjectVersion whose ServiceToken is the provider,
    # training into our bucket with our key, and created only once the provider's grants are in place
    template.resource_count_is("Custom::RekognitionProjectVersion", 1)
    template.has_resource(
        "Custom::RekognitionProjectVersion",
        {
            "Properties": Match.object_like(
                {
                    "ServiceToken": {"Fn::GetAtt": [function_id, "Arn"]},
                    "ServiceTimeout": "3600",
                    "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
                    "OutputConfig": {"S3Bucket": {"Ref": bucket_id}, "S3KeyPrefix": "Classifier/"},
                    "VersionName": Match.string_like_regexp(r"^Classifier-[0-9a-f]{12}$"),
                }
            ),
            "DependsOn": Match.array_with([policy_id]),
            "DeletionPolicy": "Delete",
        },
    )


def test_example_passes_cdk_nag_aws_solutions_under_the_flags(tmp_path: Path) -> None:
    # GIVEN the example under the flags with the AwsSolutions pack as a validation plugin
    synth_flagged(tmp_path, nag=True)  # raises on any unacknowledged error
    # THEN the pack concludes success, with no violation left
    report = json.loads((tmp_path / "validation-report.json").read_text())
    (nag,) = [r for r in report["pluginReports"] if r["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success"
    assert nag["violations"] == []
    # AND no other validation (CloudFormation Validate, construct annotations) reports anything
    others = [r for r in report["pluginReports"] if r["pluginName"] != "AwsSolutions"]
    assert all(r["conclusion"] == "success" and not r["violations"] for r in others), others


@pytest.mark.slow
def test_template_under_the_flags_passes_cfn_lint_with_no_errors(
    flagged: tuple[Path, Template, dict[str, Any]],
) -> None:
    # GIVEN the template synthesized under the flags
    outdir, _, _ = flagged
    # WHEN cfn-lint checks it
    result = subprocess.run(
        ["cfn-lint", "--format", "json", str(outdir / "Example.template.json")],
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it finds no errors (its exit code is a bit mask; 2 means errors)
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    errors = [f for f in findings if f["Level"] == "Error"]
    assert errors == [], errors
    assert result.returncode & 2 == 0, result.stderr
