"""``AWS::IAM::Role``, ``AWS::IAM::Policy`` and ``AWS::IAM::ManagedPolicy`` (``iam.py``): roles with
inline and managed policies, inline policies put on, moved between and taken off roles, and managed
policies versioned on update, each created, updated and deleted as CloudFormation would, with the names
CloudFormation generates."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localcloud.deploy.provisioners import ProvisionError, provisioner_for

from .context import ACCOUNT, TRUST, LocalContext, OfflineContext, create, make_role


def allow(action: str, resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }


def test_role_with_inline_and_managed_policies_is_created_updated_and_deleted(ctx: LocalContext) -> None:
    iam = ctx.client("iam")
    managed = iam.create_policy(PolicyName="customer", PolicyDocument=json.dumps(allow("s3:GetObject")))
    managed_arn = managed["Policy"]["Arn"]
    aws_managed = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
    role = provisioner_for("AWS::IAM::Role")
    assert role is not None
    old = {
        "AssumeRolePolicyDocument": TRUST,
        "Description": "provider role",
        "Policies": [
            {"PolicyName": "logs", "PolicyDocument": allow("logs:PutLogEvents")},
            {"PolicyName": "events", "PolicyDocument": allow("events:PutRule")},
        ],
        "ManagedPolicyArns": [managed_arn, aws_managed],
        "Tags": [{"Key": "app", "Value": "demo"}],
    }
    # WHEN a role is created without a name THEN Ref is a generated name, with Arn and RoleId
    made = role.create(ctx, "ProviderRole", old)
    name = made.physical_id
    assert re.fullmatch(r"Example-ProviderRole-[A-Z0-9]{12}", name)
    got = iam.get_role(RoleName=name)["Role"]
    assert made.attributes == {"Arn": f"arn:aws:iam::{ACCOUNT}:role/{name}", "RoleId": got["RoleId"]}
    assert got["Description"] == "provider role"
    assert sorted(iam.list_role_policies(RoleName=name)["PolicyNames"]) == ["events", "logs"]
    # AND another role of that name fails, with the service's error
    with pytest.raises(ProvisionError, match=rf"^IAM role {name}: EntityAlreadyExists "):
        make_role(ctx, name)
    # (the AWS-managed policy exists in AWS, not in moto's default IAM: it is let go, not fatal)
    attached = [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]]
    assert managed_arn in attached
    # WHEN one inline policy is dropped, one changed, the managed policy detached and the trust changed
    trust = {
        **TRUST,
        "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "events.amazonaws.com"}}],
    }
    new = {
        **old,
        "AssumeRolePolicyDocument": trust,
        "Policies": [{"PolicyName": "logs", "PolicyDocument": allow("logs:*")}],
        "ManagedPolicyArns": [],
    }
    assert not role.needs_replacement(old, new)
    assert role.update(ctx, "ProviderRole", name, old, new) == made
    # THEN the same role carries exactly the new policies and trust
    assert iam.list_role_policies(RoleName=name)["PolicyNames"] == ["logs"]
    document = iam.get_role_policy(RoleName=name, PolicyName="logs")["PolicyDocument"]
    assert document["Statement"][0]["Action"] == "logs:*"
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []
    principal = iam.get_role(RoleName=name)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]
    assert principal == {"Service": "events.amazonaws.com"}
    # WHEN a managed policy is attached again and the role deleted THEN it goes despite its policies
    iam.attach_role_policy(RoleName=name, PolicyArn=managed_arn)
    role.delete(ctx, name, new)
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_role(RoleName=name)
    role.delete(ctx, name, new)


def test_iam_policy_is_put_on_roles_moved_and_removed(ctx: LocalContext) -> None:
    iam = ctx.client("iam")
    make_role(ctx, "one")
    make_role(ctx, "two")
    policy = provisioner_for("AWS::IAM::Policy")
    assert policy is not None
    old = {"PolicyName": "Default", "PolicyDocument": allow("s3:GetObject"), "Roles": ["one", "two"]}
    # WHEN the policy is created THEN both roles carry it, and Ref is a generated id
    made = policy.create(ctx, "DefaultPolicy", old)
    assert re.fullmatch(r"Examp-Defau-[A-Z0-9]{12}", made.physical_id)
    for role in ("one", "two"):
        assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["Default"]
    # WHEN it is renamed, changed and taken off role "two" THEN "one" has only the new one, "two" none
    new = {"PolicyName": "Renamed", "PolicyDocument": allow("s3:PutObject"), "Roles": ["one"]}
    assert not policy.needs_replacement(old, new)
    assert policy.update(ctx, "DefaultPolicy", made.physical_id, old, new).physical_id == made.physical_id
    assert iam.list_role_policies(RoleName="one")["PolicyNames"] == ["Renamed"]
    assert iam.get_role_policy(RoleName="one", PolicyName="Renamed")["PolicyDocument"] == allow(
        "s3:PutObject"
    )
    assert iam.list_role_policies(RoleName="two")["PolicyNames"] == []
    # WHEN it is deleted, twice THEN no role carries it
    policy.delete(ctx, made.physical_id, new)
    policy.delete(ctx, made.physical_id, new)
    assert iam.list_role_policies(RoleName="one")["PolicyNames"] == []


def test_iam_policy_needs_somewhere_to_go() -> None:
    ctx = OfflineContext()
    # GIVEN a policy with no roles, users or groups WHEN created THEN it fails, as CloudFormation's does
    with pytest.raises(ProvisionError, match="at least one of Roles, Users or Groups"):
        create(ctx, "AWS::IAM::Policy", "Lonely", {"PolicyName": "p", "PolicyDocument": allow("s3:*")})


def test_managed_policy_create_update_delete(ctx: LocalContext) -> None:
    iam = ctx.client("iam")
    make_role(ctx, "attached")
    policy = provisioner_for("AWS::IAM::ManagedPolicy")
    assert policy is not None
    old = {"PolicyDocument": allow("s3:GetObject"), "Roles": ["attached"]}
    # WHEN it is created THEN Ref is its ARN, under a generated name, attached to the role
    made = policy.create(ctx, "Managed", old)
    assert re.fullmatch(rf"arn:aws:iam::{ACCOUNT}:policy/Example-Managed-[A-Z0-9]{{12}}", made.physical_id)
    assert made.attributes["PolicyArn"] == made.physical_id
    attached = iam.list_attached_role_policies(RoleName="attached")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [made.physical_id]
    # WHEN its document changes THEN a new default version holds it
    new = {**old, "PolicyDocument": allow("s3:PutObject")}
    updated = policy.update(ctx, "Managed", made.physical_id, old, new)
    assert updated.attributes["DefaultVersionId"] == "v2"
    version = iam.get_policy_version(PolicyArn=made.physical_id, VersionId="v2")["PolicyVersion"]
    assert version["Document"] == allow("s3:PutObject")
    # WHEN it is deleted, twice THEN it is detached and gone
    policy.delete(ctx, made.physical_id, new)
    policy.delete(ctx, made.physical_id, new)
    assert iam.list_attached_role_policies(RoleName="attached")["AttachedPolicies"] == []
    with pytest.raises(iam.exceptions.NoSuchEntityException):
        iam.get_policy(PolicyArn=made.physical_id)
