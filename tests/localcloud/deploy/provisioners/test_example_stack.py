"""The provisioners together on the example app's synthesized template: every resource the engine does
not keep for itself is accepted, created in dependency order and deleted again, the properties the local
cloud ignores are the ones expected, and a property of the wrong shape fails its resource readably."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest

import app as example
from localcloud.deploy.provisioners import (
    PROVISIONERS,
    Provisioned,
    ProvisionError,
    ignored_properties,
    provisioner_for,
)

from .context import ACCOUNT, REGION, LocalContext, create


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    app = cdk.App(context={"aws:cdk:bundling-stacks": []})
    example.ExampleStack(app, "Example")
    template: dict[str, Any] = app.synth().get_stack_by_name("Example").template
    return template


def references(value: Any) -> set[str]:
    """The logical ids a template value refers to through Ref, Fn::GetAtt or Fn::Sub."""
    if isinstance(value, list):
        return set().union(*(references(v) for v in value)) if value else set()
    if not isinstance(value, dict):
        return set()
    if set(value) == {"Ref"}:
        return set() if str(value["Ref"]).startswith("AWS::") else {str(value["Ref"])}
    if set(value) == {"Fn::GetAtt"}:
        return {str(value["Fn::GetAtt"][0])}
    if set(value) == {"Fn::Sub"}:
        return {
            n.split(".")[0]
            for n in re.findall(r"\$\{([^}!]+)\}", value["Fn::Sub"])
            if not n.startswith("AWS::")
        }
    return set().union(*(references(v) for v in value.values())) if value else set()


def resolve(value: Any, made: Mapping[str, Provisioned]) -> Any:
    """Just enough of the intrinsics for the example stack (the real resolver is the engine's)."""
    pseudo = {
        "AWS::Partition": "aws",
        "AWS::AccountId": ACCOUNT,
        "AWS::Region": REGION,
        "AWS::StackName": "Example",
    }

    def ref(name: str) -> str:
        if name in pseudo:
            return pseudo[name]
        if "." in name:
            logical_id, attribute = name.split(".", 1)
            return str(made[logical_id].attributes[attribute])
        return made[name].physical_id

    if isinstance(value, list):
        return [resolve(v, made) for v in value]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Ref"}:
        return ref(value["Ref"])
    if set(value) == {"Fn::GetAtt"}:
        logical_id, attribute = value["Fn::GetAtt"]
        return made[logical_id].attributes[attribute]
    if set(value) == {"Fn::Join"}:
        separator, parts = value["Fn::Join"]
        return separator.join(str(resolve(p, made)) for p in parts)
    if set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([^}]+)\}", lambda m: ref(m[1]), value["Fn::Sub"])
    return {k: resolve(v, made) for k, v in value.items()}


def test_every_resource_of_the_example_stack_is_accepted_created_and_deleted(
    ctx: LocalContext, template: dict[str, Any]
) -> None:
    # GIVEN the example app's synthesized template, the custom resources and wait conditions (which
    # wait for signals) left to the engine, with what uses their attributes (the consumer function)
    left = {
        logical_id
        for logical_id, resource in template["Resources"].items()
        if resource["Type"].startswith("Custom::") or resource["Type"] == "AWS::CloudFormation::WaitCondition"
    }
    while True:
        using = {
            logical_id
            for logical_id, resource in template["Resources"].items()
            if (references(resource.get("Properties", {})) | set(resource.get("DependsOn", []))) & left
        } - left
        if not using:
            break
        left |= using
    resources = {lid: resource for lid, resource in template["Resources"].items() if lid not in left}
    assert {r["Type"] for r in resources.values()} <= set(PROVISIONERS)
    # WHEN each resource is created in dependency order, its properties resolved from those before it
    made: dict[str, Provisioned] = {}
    order: list[str] = []
    while len(made) < len(resources):
        ready = [
            logical_id
            for logical_id, resource in resources.items()
            if logical_id not in made
            and (references(resource.get("Properties", {})) | set(resource.get("DependsOn", []))) <= set(made)
        ]
        assert ready, f"unresolvable: {sorted(set(resources) - set(made))}"
        for logical_id in ready:
            resource = resources[logical_id]
            properties = resolve(resource.get("Properties", {}), made)
            made[logical_id] = create(ctx, resource["Type"], logical_id, properties)
            order.append(logical_id)
    # THEN the bucket is encrypted with the stack's key, and the provider function runs as its role
    s3, lam, iam = ctx.client("s3"), ctx.client("lambda"), ctx.client("iam")

    def only(resource_type: str) -> str:
        (logical_id,) = [k for k, r in resources.items() if r["Type"] == resource_type]
        return str(logical_id)

    bucket, key = made[only("AWS::S3::Bucket")].physical_id, made[only("AWS::KMS::Key")]
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"] == key.attributes["Arn"]
    # (its policy keeps the auto-delete Allow but not enforce_ssl's conditional Deny, which moto would
    # apply to every request, so the model's training output can be written)
    statements = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statements and all(st["Effect"] == "Allow" for st in statements)
    (provider_id,) = [
        k
        for k, r in resources.items()
        if r["Type"] == "AWS::Lambda::Function" and "FunctionName" in r["Properties"]
    ]
    provider = resources[provider_id]["Properties"]
    configuration = lam.get_function(FunctionName=provider["FunctionName"])["Configuration"]
    role_id = provider["Role"]["Fn::GetAtt"][0]
    assert configuration["Role"] == made[role_id].attributes["Arn"]
    assert configuration["Environment"]["Variables"] == provider["Environment"]["Variables"]
    (policy,) = [
        r["Properties"]
        for r in resources.values()
        if r["Type"] == "AWS::IAM::Policy" and r["Properties"]["Roles"] == [{"Ref": role_id}]
    ]
    assert iam.list_role_policies(RoleName=made[role_id].physical_id)["PolicyNames"] == [policy["PolicyName"]]
    project = resources[only("AWS::Rekognition::Project")]["Properties"]
    assert made[only("AWS::Rekognition::Project")].physical_id == project["ProjectName"]
    # WHEN everything is deleted in reverse order THEN every delete succeeds and nothing is left
    for logical_id in reversed(order):
        provisioner = provisioner_for(resources[logical_id]["Type"])
        assert provisioner is not None
        properties = resolve(resources[logical_id].get("Properties", {}), made)
        provisioner.delete(ctx, made[logical_id].physical_id, properties)
    assert s3.list_buckets()["Buckets"] == []
    assert lam.list_functions()["Functions"] == []
    assert iam.list_roles()["Roles"] == []
    assert ctx.client("logs").describe_log_groups()["logGroups"] == []


def test_ignored_properties_of_the_example_stack_are_reported(template: dict[str, Any]) -> None:
    # GIVEN the example template WHEN asked which properties the local cloud does not act on
    ignored = {
        (resource["Type"], name)
        for resource in template["Resources"].values()
        for name in ignored_properties(resource["Type"], resource.get("Properties", {}))
    }
    # THEN only the provider function's LoggingConfig is; custom resources are not the provisioners' to judge
    assert ignored == {("AWS::Lambda::Function", "LoggingConfig")}
    assert ignored_properties("AWS::S3::Bucket", {"BucketName": "b", "WebsiteConfiguration": {}}) == [
        "WebsiteConfiguration"
    ]


def test_a_property_of_the_wrong_shape_fails_the_resource_with_a_readable_reason(ctx: LocalContext) -> None:
    # GIVEN a key whose Description is an object, not a string
    # WHEN created THEN it fails as a resource failure (so the engine rolls back), naming the property
    with pytest.raises(ProvisionError, match=r"KMS key .*Properties validation failed(.|\n)*Description"):
        create(ctx, "AWS::KMS::Key", "Key", {"Description": {"not": "a string"}})
    assert ctx.client("kms").list_keys()["Keys"] == []
