"""Every statement of the provider's role, classified: each action on the one scope its API allows.

No action is a wildcard and no resource is ``*`` (no API the provider calls lacks a resource scope, so the
README lists no exception); Rekognition on the managed projects and their versions, S3 on the manifest keys,
the images' buckets and the output prefix (and listing of the output bucket alone, for the check before
training that it exists), KMS on the model keys, EventBridge on the provider's rule
prefix, CloudFormation signalling on its own stack, Lambda permissions on itself, logs on its log group.
Checked for the example app and for a stack of several versions in several projects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3

import app as example
from rekognition_custom_labels import InferenceUnits, ProjectVersion, TestingData, TrainingData

from .helpers import new_app, provider_function_name, provider_policy


def example_template() -> dict[str, Any]:
    app = new_app()
    example.ExampleStack(app, "Example")
    return dict(app.synth().get_stack_by_name("Example").template)


def several_projects_template() -> dict[str, Any]:
    app = new_app()
    stack = cdk.Stack(app, "Several")
    data = s3.Bucket.from_bucket_name(stack, "Data", "dataset")
    for project_index in range(2):
        project = rekognition.CfnProject(stack, f"Project{project_index}", project_name=f"p{project_index}")
        for version_index in range(2):
            ProjectVersion(
                stack,
                f"V{project_index}{version_index}",
                project=project,
                training_data=TrainingData.from_manifest(data, f"p{project_index}/v{version_index}/train"),
                testing_data=TestingData.auto_create(),
                inference_units=InferenceUnits.fixed(1),
                min_f1_score=0.5,
            )
    return dict(app.synth().get_stack_by_name("Several").template)


def scope_of(action: str, resource: Any, stack_name: str, function: str) -> str | None:
    """The kind of scope ``resource`` is for ``action``, or None when it is not one the action may have."""
    text = json.dumps(resource)
    service = action.split(":")[0]
    if service == "rekognition":
        if re.fullmatch(r'\{"Fn::GetAtt": \["Project\d*", "Arn"\]\}', text):
            return "project"
        if re.search(r':project/", \{"Ref": "Project\d*"\}, "/version/\*"', text):
            return "versions of one project"
    if service == "s3" and action in ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject"):
        if re.search(r'/[A-Za-z0-9]+/\*"\]\]\}$', text) and "Output" in text:
            return "output prefix"
        if re.search(r':s3:::dataset/[^*"]+"\]\]\}$', text) or re.search(
            r':s3:::rekcl-example-dataset/[^*"]+"', text
        ):
            return "manifest key"
        if re.search(r':s3:::(rekcl-example-)?dataset/\*"\]\]\}$', text) and action != "s3:PutObject":
            return "images bucket objects"
    if action == "s3:ListBucket" and re.fullmatch(
        r'\{"Fn::GetAtt": \["[A-Za-z0-9]*Output[0-9A-F]{8}", "Arn"\]\}', text
    ):
        return "output bucket"
    if service == "kms" and re.fullmatch(r'\{"Fn::GetAtt": \["[A-Za-z0-9]+Key[0-9A-F]{8}", "Arn"\]\}', text):
        return "model key"
    if service == "events" and text.endswith(f':rule/{function}-*"]]}}'):
        return "own rule prefix"
    if service == "cloudformation" and text.endswith(f':stack/{stack_name}/*"]]}}'):
        return "own stack"
    if service == "lambda" and text.endswith(f':function:{function}"]]}}'):
        return "itself"
    if service == "logs" and re.fullmatch(
        r'\{"Fn::GetAtt": \["RekognitionCustomLabelsProviderLogGroup[0-9A-F]{8}", "Arn"\]\}', text
    ):
        return "own log group"
    return None


@pytest.mark.parametrize(
    ("build", "stack_name"), [(example_template, "Example"), (several_projects_template, "Several")]
)
def test_every_provider_statement_is_scoped_to_what_its_api_allows(build: Any, stack_name: str) -> None:
    # GIVEN the synthesized template
    template = cdk.assertions.Template.from_json(build())
    function = provider_function_name(template)
    _, policy = provider_policy(template)
    statements: list[Mapping[str, Any]] = policy["Properties"]["PolicyDocument"]["Statement"]
    # WHEN every (action, resource) pair is classified
    unscoped, scopes = [], set()
    for statement in statements:
        assert (
            statement["Effect"] == "Allow" and "NotAction" not in statement and "NotResource" not in statement
        )
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        resources = (
            statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        )
        for action in actions:
            assert "*" not in action, action
            for resource in resources:
                scope = scope_of(action, resource, stack_name, function)
                if scope is None:
                    unscoped.append((action, resource))
                scopes.add(scope)
    # THEN each one has its expected scope, and all of them appear
    assert unscoped == []
    assert scopes >= {
        "project",
        "versions of one project",
        "output prefix",
        "output bucket",
        "manifest key",
        "model key",
        "own rule prefix",
        "own stack",
        "itself",
        "own log group",
    }
