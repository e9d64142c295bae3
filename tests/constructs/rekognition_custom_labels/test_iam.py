"""Least privilege for the provider: each grant names the resources of the versions in its stack only."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from aws_cdk import CfnParameter, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Match, Template

from rekognition_custom_labels import ProjectVersion, TestingData, TrainingData

from .helpers import (
    KEY_ARN,
    PROJECT_ARN,
    VERSION_TYPE,
    VERSIONS_OF_PROJECT_ARN,
    actions_on,
    as_list,
    cfn_project,
    dataset_bucket,
    get_att,
    join,
    logical_id_of,
    manifests,
    new_stack,
    partition_arn,
    provider_function,
    provider_function_name,
    provider_policy,
    provider_role_id,
    provider_statements,
    resources_for,
    s3_object_arn,
    synth,
    versions_of_cfn_project,
)

PROJECT_ACTIONS = {"rekognition:CreateProjectVersion", "rekognition:DescribeProjectVersions"}
VERSION_ACTIONS = {
    "rekognition:DescribeProjectVersions",
    "rekognition:StartProjectVersion",
    "rekognition:StopProjectVersion",
    "rekognition:DeleteProjectVersion",
    "rekognition:TagResource",
    "rekognition:UntagResource",
    "rekognition:ListTagsForResource",
}
MODEL_KEY_ACTIONS = {"kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt"}
READ_OBJECT = {"s3:GetObject", "s3:GetObjectVersion"}


def _statements_of_one_version(**props: Any) -> tuple[Stack, Template, list[dict[str, Any]]]:
    """A stack with one version ``V`` (project defaults to the literal ARN) and its provider statements."""
    stack = new_stack()
    ProjectVersion(stack, "V", **{"project": PROJECT_ARN, **props})
    template = synth(stack)
    return stack, template, provider_statements(template)


# --- rekognition -------------------------------------------------------------------------------------


def test_rekognition_actions_for_a_cfn_project() -> None:
    # GIVEN a version of a CfnProject
    stack = new_stack()
    ProjectVersion(stack, "V", project=cfn_project(stack))

    # WHEN synthesized
    statements = provider_statements(synth(stack))

    # THEN create/describe on the project, and the version lifecycle on the project's versions only
    assert actions_on(statements, get_att("Project")) == PROJECT_ACTIONS
    assert actions_on(statements, versions_of_cfn_project()) == VERSION_ACTIONS


def test_rekognition_actions_for_a_literal_project_arn() -> None:
    # GIVEN a version of a project given by ARN
    # WHEN synthesized
    _, _, statements = _statements_of_one_version()

    # THEN the same grants, on the literal project ARN and on its literal "/version/*" prefix
    assert actions_on(statements, PROJECT_ARN) == PROJECT_ACTIONS
    assert actions_on(statements, VERSIONS_OF_PROJECT_ARN) == VERSION_ACTIONS


def test_rekognition_actions_for_a_token_project_arn() -> None:
    # GIVEN a version of a project whose ARN is a parameter
    stack = new_stack()
    ProjectVersion(stack, "V", project=CfnParameter(stack, "ProjectArn").value_as_string)

    # WHEN synthesized
    statements = provider_statements(synth(stack))

    # THEN the project grant is on the parameter and the versions grant on its "<arn up to name>/version/*"
    parts = {"Fn::Split": ["/", {"Ref": "ProjectArn"}]}
    versions = {"Fn::Join": ["/", [{"Fn::Select": [0, parts]}, {"Fn::Select": [1, parts]}, "version/*"]]}
    assert actions_on(statements, {"Ref": "ProjectArn"}) == PROJECT_ACTIONS
    assert actions_on(statements, versions) == VERSION_ACTIONS


def test_rekognition_actions_are_granted_on_nothing_else() -> None:
    # GIVEN a version with datasets
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, **manifests(stack))

    # WHEN synthesized
    statements = provider_statements(synth(stack))

    # THEN every rekognition action is on the project or its versions
    for action in PROJECT_ACTIONS | VERSION_ACTIONS:
        assert all(r in (PROJECT_ARN, VERSIONS_OF_PROJECT_ARN) for r in resources_for(statements, action))
    rekognition_actions = {
        a for s in statements for a in as_list(s["Action"]) if a.startswith("rekognition:")
    }
    assert rekognition_actions == PROJECT_ACTIONS | VERSION_ACTIONS


# --- s3 -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix, rendered", [(None, "/V/*"), ("models/run-1/", "/models/run-1/*")])
def test_put_object_only_under_the_output_prefix(prefix: str | None, rendered: str) -> None:
    # GIVEN a version with the default output bucket, and the default or an explicit prefix
    # WHEN synthesized
    _, template, statements = _statements_of_one_version(output_prefix=prefix)

    # THEN PutObject is granted on "<output bucket ARN><prefix>*" and nowhere else
    bucket_id = logical_id_of(template, "AWS::S3::Bucket")
    assert resources_for(statements, "s3:PutObject") == [join(get_att(bucket_id), rendered)]


def test_put_object_on_a_given_output_bucket() -> None:
    # GIVEN an existing output bucket
    stack = new_stack()
    bucket = s3.Bucket.from_bucket_name(stack, "Out", "model-output")
    ProjectVersion(stack, "V", project=PROJECT_ARN, output_bucket=bucket, output_prefix="out/")

    # WHEN synthesized / THEN PutObject is on that bucket's prefix only
    statements = provider_statements(synth(stack))
    assert resources_for(statements, "s3:PutObject") == [s3_object_arn("model-output", "out/*")]


def test_manifests_and_images_are_readable_object_by_object() -> None:
    # GIVEN manifests whose images are in the manifest bucket
    # WHEN synthesized
    stack = new_stack()
    ProjectVersion(stack, "V", project=PROJECT_ARN, **manifests(stack))
    statements = provider_statements(synth(stack))

    # THEN the manifests and the bucket's objects are readable, and the dataset bucket is neither listed
    # nor touched at bucket level (only the output bucket is listed: HeadBucket before training)
    assert actions_on(statements, s3_object_arn("dataset", "manifests/train.manifest")) == READ_OBJECT
    assert actions_on(statements, s3_object_arn("dataset", "manifests/test.manifest")) == READ_OBJECT
    assert actions_on(statements, s3_object_arn("dataset", "*")) == READ_OBJECT
    s3_actions = {a for s in statements for a in as_list(s["Action"]) if a.startswith("s3:")}
    assert s3_actions == {"s3:PutObject", "s3:ListBucket"} | READ_OBJECT
    (listing,) = [s for s in statements if "s3:ListBucket" in as_list(s["Action"])]
    assert as_list(listing["Action"]) == ["s3:ListBucket"]
    assert "Output" in json.dumps(listing["Resource"]) and "dataset" not in json.dumps(listing["Resource"])


def test_images_bucket_other_than_the_manifest_bucket() -> None:
    # GIVEN manifests in one bucket listing images in another
    stack = new_stack()
    manifests_bucket = dataset_bucket(stack, "manifests")
    images = dataset_bucket(stack, "images")
    ProjectVersion(
        stack,
        "V",
        project=PROJECT_ARN,
        training_data=TrainingData.from_manifest(manifests_bucket, "train.manifest", images_bucket=images),
        testing_data=TestingData.auto_create(),
    )

    # WHEN synthesized
    statements = provider_statements(synth(stack))

    # THEN the manifest object and the images bucket's objects are readable; the rest of the manifest
    # bucket is not
    assert actions_on(statements, s3_object_arn("manifests", "train.manifest")) == READ_OBJECT
    assert actions_on(statements, s3_object_arn("images", "*")) == READ_OBJECT
    assert actions_on(statements, s3_object_arn("manifests", "*")) == set()


def test_testing_manifest_in_another_bucket() -> None:
    # GIVEN a testing manifest (and its images) in a bucket of its own
    stack = new_stack()
    ProjectVersion(
        stack,
        "V",
        project=PROJECT_ARN,
        training_data=TrainingData.from_manifest(dataset_bucket(stack, "train"), "m"),
        testing_data=TestingData.from_manifest(dataset_bucket(stack, "test"), "m"),
    )

    # WHEN synthesized
    statements = provider_statements(synth(stack))

    # THEN both buckets' manifest and objects are readable
    for bucket in ("train", "test"):
        assert actions_on(statements, s3_object_arn(bucket, "m")) == READ_OBJECT
        assert actions_on(statements, s3_object_arn(bucket, "*")) == READ_OBJECT


def test_no_dataset_read_without_datasets() -> None:
    # GIVEN a version trained from the project's datasets
    # WHEN synthesized
    _, _, statements = _statements_of_one_version()

    # THEN the provider may read no object
    assert resources_for(statements, "s3:GetObject") == []


# --- kms ----------------------------------------------------------------------------------------------


def test_model_key_actions_on_the_default_key() -> None:
    # GIVEN a version with the default key
    # WHEN synthesized
    _, template, statements = _statements_of_one_version()

    # THEN the four actions CreateProjectVersion documents are granted on that key
    assert actions_on(statements, get_att(logical_id_of(template, "AWS::KMS::Key"))) == MODEL_KEY_ACTIONS


def test_model_key_actions_on_a_given_key() -> None:
    # GIVEN an existing key
    stack = new_stack()
    key = kms.Key.from_key_arn(stack, "Key", KEY_ARN)
    bucket = s3.Bucket.from_bucket_name(stack, "Out", "model-output")
    ProjectVersion(stack, "V", project=PROJECT_ARN, kms_key=key, output_bucket=bucket)

    # WHEN synthesized / THEN the four actions are granted on its ARN, and no other KMS action exists
    statements = provider_statements(synth(stack))
    assert actions_on(statements, KEY_ARN) == MODEL_KEY_ACTIONS
    kms_resources = [r for a in MODEL_KEY_ACTIONS for r in resources_for(statements, a)]
    assert all(resource == KEY_ARN for resource in kms_resources)


def test_output_bucket_key_other_than_the_model_key() -> None:
    # GIVEN an output bucket encrypted with a key other than the model's
    stack = new_stack()
    bucket_key = kms.Key(stack, "BucketKey")
    bucket = s3.Bucket(stack, "Out", encryption_key=bucket_key)
    ProjectVersion(
        stack,
        "V",
        project=PROJECT_ARN,
        output_bucket=bucket,
        kms_key=kms.Key.from_key_arn(stack, "K", KEY_ARN),
    )

    # WHEN synthesized
    template = synth(stack)
    statements = provider_statements(template)

    # THEN the provider may write with the bucket's key, besides the model key grant
    bucket_key_id = stack.get_logical_id(bucket_key.node.default_child)  # type: ignore[arg-type]
    assert actions_on(statements, get_att(bucket_key_id)) == {"kms:GenerateDataKey", "kms:Decrypt"}
    assert actions_on(statements, KEY_ARN) == MODEL_KEY_ACTIONS


def test_manifest_bucket_key_allows_decrypt() -> None:
    # GIVEN manifests in a bucket encrypted with a customer key
    stack = new_stack()
    data_key = kms.Key(stack, "DataKey")
    data = s3.Bucket(stack, "Data", encryption_key=data_key)
    ProjectVersion(
        stack,
        "V",
        project=PROJECT_ARN,
        training_data=TrainingData.from_manifest(data, "train.manifest"),
        testing_data=TestingData.auto_create(),
    )

    # WHEN synthesized
    statements = provider_statements(synth(stack))

    # THEN the provider may decrypt with that key (and nothing more)
    data_key_id = stack.get_logical_id(data_key.node.default_child)  # type: ignore[arg-type]
    assert actions_on(statements, get_att(data_key_id)) == {"kms:Decrypt"}


# --- no wildcards -------------------------------------------------------------------------------------


def _rich_stack() -> Stack:
    """Two versions exercising every grant: CfnProject and ARN, datasets, images bucket, own keys."""
    stack = new_stack()
    ProjectVersion(stack, "A", project=cfn_project(stack), **manifests(stack))
    ProjectVersion(
        stack,
        "B",
        project=PROJECT_ARN,
        training_data=TrainingData.from_manifest(
            dataset_bucket(stack, "manifests"),
            "train",
            version="1",
            images_bucket=dataset_bucket(stack, "images"),
        ),
        testing_data=TestingData.auto_create(),
        kms_key=kms.Key.from_key_arn(stack, "Key", KEY_ARN),
    )
    return stack


def test_provider_policy_has_no_wildcard_action_or_resource() -> None:
    # GIVEN versions exercising every grant
    # WHEN synthesized
    template = synth(_rich_stack())
    statements = provider_statements(template)

    # THEN no action is a wildcard and no statement is on every resource
    actions = [action for s in statements for action in as_list(s["Action"])]
    assert [a for a in actions if "*" in a] == []
    assert not any(resource == "*" for s in statements for resource in as_list(s["Resource"]))
    assert all(s["Effect"] == "Allow" and "NotAction" not in s and "NotResource" not in s for s in statements)
    # and the model key actions are all there
    assert set(actions) >= MODEL_KEY_ACTIONS


def test_no_managed_policy_on_the_provider_role() -> None:
    # GIVEN versions / WHEN synthesized / THEN the provider role has only its inline default policy
    template = synth(_rich_stack())
    template.has_resource_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": Match.object_like(
                {"Statement": [Match.object_like({"Principal": {"Service": "lambda.amazonaws.com"}})]}
            ),
            "ManagedPolicyArns": Match.absent(),
            "Policies": Match.absent(),
        },
    )
    role = template.find_resources("AWS::IAM::Role")[provider_role_id(template)]
    assert "ManagedPolicyArns" not in role["Properties"]
    policy_id, _ = provider_policy(template)
    assert policy_id.startswith("RekognitionCustomLabelsProviderRoleDefaultPolicy")


# --- the provider's own resources ---------------------------------------------------------------------


def test_function_name_is_short_and_fixed_prefix() -> None:
    # GIVEN a version / WHEN synthesized
    _, template, _ = _statements_of_one_version()

    # THEN the provider's name is "RekCL-" and 16 hex digits, well under Lambda's 64 characters
    name = provider_function_name(template)
    assert re.fullmatch(r"RekCL-[0-9a-f]{16}", name), name
    assert len(name) <= 64


def test_poll_rules_scoped_to_the_function_name_prefix() -> None:
    # GIVEN a version / WHEN synthesized
    _, template, statements = _statements_of_one_version()
    name = provider_function_name(template)

    # THEN the EventBridge actions crhelper polls with are on "rule/<function name>-*" only
    rules = partition_arn("events", f"rule/{name}-*")
    polling = {"events:PutRule", "events:PutTargets", "events:ListTargetsByRule", "events:RemoveTargets"}
    assert polling | {"events:DeleteRule"} <= actions_on(statements, rules)
    events_resources = [
        resource
        for statement in statements
        if any(action.startswith("events:") for action in as_list(statement["Action"]))
        for resource in as_list(statement["Resource"])
    ]
    assert events_resources == [rules]


def test_poll_rule_prefix_environment_variable_is_the_function_name_and_dash() -> None:
    # GIVEN a version / WHEN synthesized
    _, template, _ = _statements_of_one_version()
    name = provider_function_name(template)

    # THEN the handler is told the same prefix the role is scoped to
    template.has_resource_properties(
        "AWS::Lambda::Function",
        {
            "FunctionName": name,
            "Environment": {"Variables": Match.object_like({"POLL_RULE_PREFIX": f"{name}-"})},
        },
    )


def test_add_and_remove_permission_only_on_the_provider_itself() -> None:
    # GIVEN a version / WHEN synthesized
    _, template, statements = _statements_of_one_version()
    name = provider_function_name(template)

    # THEN lambda permissions (and reading them, to count waiting polls) are on the function's own
    # (literal-name) ARN and nothing else
    own_arn = partition_arn("lambda", f"function:{name}")
    own = {"lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"}
    assert actions_on(statements, own_arn) == own
    for action in own:
        assert resources_for(statements, action) == [own_arn]


def test_logs_only_to_its_own_log_group() -> None:
    # GIVEN a version / WHEN synthesized
    _, template, statements = _statements_of_one_version()

    # THEN the provider writes only to the log group named after it
    name = provider_function_name(template)
    template.has_resource_properties("AWS::Logs::LogGroup", {"LogGroupName": f"/aws/lambda/{name}"})
    log_group_id = logical_id_of(template, "AWS::Logs::LogGroup")
    assert resources_for(statements, "logs:PutLogEvents") == [get_att(log_group_id)]
    assert resources_for(statements, "logs:CreateLogStream") == [get_att(log_group_id)]


def test_custom_resource_waits_for_the_provider_policy() -> None:
    # GIVEN a version / WHEN synthesized
    _, template, _ = _statements_of_one_version()

    # THEN the version is created only after the provider's grants are in place
    policy_id, _ = provider_policy(template)
    template.has_resource(VERSION_TYPE, {"DependsOn": Match.array_with([policy_id])})


def test_provider_runtime_and_handler() -> None:
    # GIVEN a version / WHEN synthesized
    _, template, _ = _statements_of_one_version()

    # THEN the provider is a Python 3.14 function with entry point index.handler, using the provider role
    function_id, function = provider_function(template)
    assert function["Properties"]["Runtime"] == "python3.14"
    assert function["Properties"]["Handler"] == "index.handler"
    assert function["Properties"]["Role"] == get_att(provider_role_id(template))
    template.has_resource_properties(VERSION_TYPE, {"ServiceToken": get_att(function_id)})


def test_its_named_log_group_goes_with_the_stack() -> None:
    # GIVEN a version / WHEN synthesized
    _, template, _ = _statements_of_one_version()
    # THEN the log group named after the function is deleted with the stack: a retained one would make
    # the next deploy of the same stack fail with "already exists"
    template.has_resource(
        "AWS::Logs::LogGroup", {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
    )
