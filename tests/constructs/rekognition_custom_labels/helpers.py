"""Small builders and template readers shared by the unit tests (not fixtures: plain functions)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from aws_cdk import App, Stack
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from rekognition_custom_labels import TestingData, TrainingData

VERSION_TYPE = "Custom::RekognitionProjectVersion"
PROVIDER_RUNTIME = "python3.14"
PROVIDER_HANDLER = "index.handler"

ACCOUNT = "123456789012"
PROJECT_ARN = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/shapes/1700000000000"
VERSIONS_OF_PROJECT_ARN = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/shapes/version/*"
VERSION_ARN = f"arn:aws:rekognition:us-east-1:{ACCOUNT}:project/shapes/version/shapes-v1/1700000000001"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"


def new_app(*, bundling: bool = False) -> App:
    """An App; unless ``bundling``, the provider's Lambda asset is not bundled (faster synth)."""
    return App() if bundling else App(context={"aws:cdk:bundling-stacks": []})


def new_stack(app: App | None = None, construct_id: str = "Stack") -> Stack:
    return Stack(app or new_app(), construct_id)


def cfn_project(stack: Stack, construct_id: str = "Project", name: str = "shapes") -> rekognition.CfnProject:
    return rekognition.CfnProject(stack, construct_id, project_name=name)


def dataset_bucket(stack: Stack, name: str = "dataset") -> s3.IBucket:
    """The existing bucket ``name``, imported once per stack."""
    construct_id = f"Bucket-{name}"
    existing = stack.node.try_find_child(construct_id)
    return cast(s3.IBucket, existing) or s3.Bucket.from_bucket_name(stack, construct_id, name)


def manifests(
    stack: Stack,
    *,
    train_key: str = "manifests/train.manifest",
    test_key: str = "manifests/test.manifest",
) -> dict[str, Any]:
    """``training_data`` / ``testing_data`` keyword arguments reading from the bucket ``dataset``."""
    bucket = dataset_bucket(stack)
    return {
        "training_data": TrainingData.from_manifest(bucket, train_key),
        "testing_data": TestingData.from_manifest(bucket, test_key),
    }


def synth(stack: Stack) -> Template:
    return Template.from_stack(stack)


def versions(template: Template) -> Mapping[str, Mapping[str, Any]]:
    return template.find_resources(VERSION_TYPE)


def only_version(template: Template) -> tuple[str, Mapping[str, Any]]:
    """Logical id and definition of the template's single ``Custom::RekognitionProjectVersion``."""
    found = versions(template)
    assert len(found) == 1, f"expected one {VERSION_TYPE}, found {sorted(found)}"
    ((logical_id, resource),) = found.items()
    return logical_id, resource


def only_attributes(template: Template) -> tuple[str, Mapping[str, Any]]:
    """Logical id and definition of the single ``Custom::RekognitionProjectVersionAttributes``."""
    found = template.find_resources("Custom::RekognitionProjectVersionAttributes")
    assert len(found) == 1, f"expected one attributes step, found {sorted(found)}"
    ((logical_id, resource),) = found.items()
    return logical_id, resource


def version_properties(template: Template) -> Mapping[str, Any]:
    props: Mapping[str, Any] = only_version(template)[1]["Properties"]
    return props


def provider_functions(template: Template) -> Mapping[str, Mapping[str, Any]]:
    """Our provider Lambdas only (CDK's S3 auto-delete provider is a Node.js ``index.handler`` too)."""
    return template.find_resources(
        "AWS::Lambda::Function",
        {"Properties": {"Handler": PROVIDER_HANDLER, "Runtime": PROVIDER_RUNTIME}},
    )


def provider_function(template: Template) -> tuple[str, Mapping[str, Any]]:
    found = provider_functions(template)
    assert len(found) == 1, f"expected one provider function, found {sorted(found)}"
    ((logical_id, resource),) = found.items()
    return logical_id, resource


def provider_function_name(template: Template) -> str:
    name: str = provider_function(template)[1]["Properties"]["FunctionName"]
    return name


def provider_role_id(template: Template) -> str:
    role = provider_function(template)[1]["Properties"]["Role"]
    assert set(role) == {"Fn::GetAtt"}, role
    logical_id: str = role["Fn::GetAtt"][0]
    return logical_id


def provider_policy(template: Template) -> tuple[str, Mapping[str, Any]]:
    """Logical id and definition of the provider role's (only) inline policy."""
    found = template.find_resources(
        "AWS::IAM::Policy", {"Properties": {"Roles": [{"Ref": provider_role_id(template)}]}}
    )
    assert len(found) == 1, f"expected one provider policy, found {sorted(found)}"
    ((logical_id, resource),) = found.items()
    return logical_id, resource


def provider_statements(template: Template) -> list[dict[str, Any]]:
    statements: list[dict[str, Any]] = provider_policy(template)[1]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    return statements


def as_list(value: Any) -> list[Any]:
    """IAM ``Action`` / ``Resource`` may be one value or a list."""
    return list(value) if isinstance(value, list) else [value]


def actions_on(statements: list[dict[str, Any]], resource: Any) -> set[str]:
    """Every action the statements allow on exactly ``resource`` (as rendered in the template)."""
    return {
        action
        for statement in statements
        if statement["Effect"] == "Allow" and resource in as_list(statement["Resource"])
        for action in as_list(statement["Action"])
    }


def resources_for(statements: list[dict[str, Any]], action: str) -> list[Any]:
    """Every resource on which the statements allow ``action``."""
    return [
        resource
        for statement in statements
        if statement["Effect"] == "Allow" and action in as_list(statement["Action"])
        for resource in as_list(statement["Resource"])
    ]


def join(*parts: Any) -> dict[str, Any]:
    return {"Fn::Join": ["", list(parts)]}


def get_att(logical_id: str, attribute: str = "Arn") -> dict[str, Any]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def partition_arn(service: str, resource: str) -> dict[str, Any]:
    """How ``Stack.format_arn`` renders an ARN in an environment-agnostic stack."""
    return join(
        "arn:",
        {"Ref": "AWS::Partition"},
        f":{service}:",
        {"Ref": "AWS::Region"},
        ":",
        {"Ref": "AWS::AccountId"},
        f":{resource}",
    )


def s3_object_arn(bucket_name: str, key: str) -> dict[str, Any]:
    """How an imported bucket (``Bucket.from_bucket_name``) renders ``arn_for_objects``."""
    return join("arn:", {"Ref": "AWS::Partition"}, f":s3:::{bucket_name}/{key}")


def logical_id_of(template: Template, resource_type: str) -> str:
    found = template.find_resources(resource_type)
    assert len(found) == 1, f"expected one {resource_type}, found {sorted(found)}"
    return next(iter(found))


def dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def versions_of_cfn_project(project_id: str = "Project") -> dict[str, Any]:
    """``Stack.format_arn`` of "project/<Ref project>/version/*" in an environment-agnostic stack."""
    return join(
        "arn:",
        {"Ref": "AWS::Partition"},
        ":rekognition:",
        {"Ref": "AWS::Region"},
        ":",
        {"Ref": "AWS::AccountId"},
        ":project/",
        {"Ref": project_id},
        "/version/*",
    )
