"""IAM roles, inline policies and managed policies: ``AWS::IAM::Role``, ``::Policy``, ``::ManagedPolicy``."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError

from .common import (
    Context,
    Provisioned,
    ProvisionError,
    _changed,
    _deleting,
    _document,
    _failing_as,
    _gone,
    _ignoring_missing,
    _number,
    _ResourceType,
    _retag,
    _tag_list,
    _tags,
    generated_name,
)

log = logging.getLogger(__name__)

_AWS_MANAGED = ":iam::aws:policy/"


def _attach_role_policy(iam: Any, role: str, arn: str) -> None:
    """Attach a managed policy; an AWS-managed one the local cloud does not carry is let go.

    AWS-managed policies always exist in AWS, but moto only loads them when configured to, and the local
    cloud does not enforce IAM, so nothing depends on the attachment.
    """
    try:
        iam.attach_role_policy(RoleName=role, PolicyArn=arn)
    except ClientError as error:
        if not (_gone(error, "NoSuchEntity") and _AWS_MANAGED in arn):
            raise
        log.info("role %s: %s is not in the local cloud; not attached", role, arn)


def _versioned(document: Any) -> str:
    """A trust policy for UpdateAssumeRolePolicy, which in moto refuses one without ``Version``.

    IAM takes such a document (as version 2008-10-17, which differs only for policy variables), and the
    CDK bootstrap stack's roles have none, so changing their trust (``cdk bootstrap --trust``) must work.
    """
    parsed = json.loads(document) if isinstance(document, str) else document
    if isinstance(parsed, Mapping) and "Version" not in parsed:
        return _document({"Version": "2012-10-17", **parsed})
    return _document(document)


class Role(_ResourceType):
    label = "IAM role"
    supported = frozenset(
        {
            "RoleName",
            "AssumeRolePolicyDocument",
            "Policies",
            "ManagedPolicyArns",
            "Description",
            "MaxSessionDuration",
            "Path",
            "PermissionsBoundary",
            "Tags",
        }
    )
    replaced_by = frozenset({"RoleName", "Path"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        iam = ctx.client("iam")
        name = str(properties.get("RoleName") or generated_name(ctx.stack_name, logical_id, 64))
        request: dict[str, Any] = {
            "RoleName": name,
            "AssumeRolePolicyDocument": _document(properties["AssumeRolePolicyDocument"]),
            "Path": str(properties.get("Path", "/")),
        }
        if "Description" in properties:
            request["Description"] = str(properties["Description"])
        if "MaxSessionDuration" in properties:
            request["MaxSessionDuration"] = _number(properties["MaxSessionDuration"])
        if "PermissionsBoundary" in properties:
            request["PermissionsBoundary"] = str(properties["PermissionsBoundary"])
        if tags := _tags(properties):
            request["Tags"] = _tag_list(tags)
        with _failing_as(self.label, name):
            role = iam.create_role(**request)["Role"]
        try:
            self._policies(iam, name, {}, properties)
        except ProvisionError:
            self.delete(ctx, name, properties)
            raise
        return Provisioned(name, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        iam = ctx.client("iam")
        with _failing_as(self.label, physical_id):
            if _changed(old, new, "AssumeRolePolicyDocument"):
                iam.update_assume_role_policy(
                    RoleName=physical_id, PolicyDocument=_versioned(new["AssumeRolePolicyDocument"])
                )
            if _changed(old, new, "Description", "MaxSessionDuration"):
                iam.update_role(
                    RoleName=physical_id,
                    Description=str(new.get("Description", "")),
                    MaxSessionDuration=_number(new.get("MaxSessionDuration", 3600)),
                )
            if _changed(old, new, "PermissionsBoundary"):
                if new.get("PermissionsBoundary"):
                    iam.put_role_permissions_boundary(
                        RoleName=physical_id, PermissionsBoundary=str(new["PermissionsBoundary"])
                    )
                else:
                    iam.delete_role_permissions_boundary(RoleName=physical_id)
            _retag(
                old,
                new,
                lambda tags: iam.tag_role(RoleName=physical_id, Tags=_tag_list(tags)),
                lambda keys: iam.untag_role(RoleName=physical_id, TagKeys=keys),
            )
        self._policies(iam, physical_id, old, new)
        with _failing_as(self.label, physical_id):
            role = iam.get_role(RoleName=physical_id)["Role"]
        return Provisioned(physical_id, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """IAM refuses to delete a role with policies: remove the inline ones, detach the managed ones."""
        iam = ctx.client("iam")
        with _deleting(self.label, physical_id, "NoSuchEntity"):
            for page in iam.get_paginator("list_role_policies").paginate(RoleName=physical_id):
                for policy in page["PolicyNames"]:
                    _ignoring_missing(
                        lambda p=policy: iam.delete_role_policy(RoleName=physical_id, PolicyName=p)
                    )
            for page in iam.get_paginator("list_attached_role_policies").paginate(RoleName=physical_id):
                for attached in page["AttachedPolicies"]:
                    arn = attached["PolicyArn"]
                    _ignoring_missing(lambda a=arn: iam.detach_role_policy(RoleName=physical_id, PolicyArn=a))
            iam.delete_role(RoleName=physical_id)

    def _policies(self, iam: Any, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Bring the inline ``Policies`` and the ``ManagedPolicyArns`` from ``old`` to ``new``."""
        before = {str(p["PolicyName"]): p["PolicyDocument"] for p in old.get("Policies") or []}
        after = {str(p["PolicyName"]): p["PolicyDocument"] for p in new.get("Policies") or []}
        with _failing_as(self.label, name):
            for policy_name in sorted(set(before) - set(after)):
                _ignoring_missing(lambda p=policy_name: iam.delete_role_policy(RoleName=name, PolicyName=p))
            for policy_name, document in after.items():
                if before.get(policy_name) != document:
                    iam.put_role_policy(
                        RoleName=name, PolicyName=policy_name, PolicyDocument=_document(document)
                    )
            attached_before = [str(a) for a in old.get("ManagedPolicyArns") or []]
            attached_after = [str(a) for a in new.get("ManagedPolicyArns") or []]
            for arn in attached_before:
                if arn not in attached_after:
                    _ignoring_missing(lambda a=arn: iam.detach_role_policy(RoleName=name, PolicyArn=a))
            for arn in attached_after:
                if arn not in attached_before:
                    _attach_role_policy(iam, name, arn)


_PRINCIPAL_KINDS = (
    # (property, put, delete, name parameter)
    ("Roles", "put_role_policy", "delete_role_policy", "RoleName"),
    ("Users", "put_user_policy", "delete_user_policy", "UserName"),
    ("Groups", "put_group_policy", "delete_group_policy", "GroupName"),
)


class Policy(_ResourceType):
    """An inline policy put on each of its roles, users and groups (``AWS::IAM::Policy``)."""

    label = "IAM policy"
    supported = frozenset({"PolicyName", "PolicyDocument", "Roles", "Users", "Groups"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        name = str(properties["PolicyName"])
        if not any(properties.get(kind) for kind, *_ in _PRINCIPAL_KINDS):
            raise ProvisionError(f"{self.label} {name}: at least one of Roles, Users or Groups is required")
        physical_id = generated_name(ctx.stack_name[:5], name[:5], 24)
        self._put(ctx.client("iam"), {}, properties)
        return Provisioned(physical_id, {"Id": physical_id})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        self._put(ctx.client("iam"), old, new)
        return Provisioned(physical_id, {"Id": physical_id})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        self._remove(ctx.client("iam"), str(properties["PolicyName"]), properties, {})

    def _put(self, iam: Any, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        name = str(new["PolicyName"])
        renamed = bool(old) and old.get("PolicyName") != name
        self._remove(iam, str(old.get("PolicyName", name)), old, {} if renamed else new)
        document = _document(new["PolicyDocument"])
        with _failing_as(self.label, name):
            for kind, put, _, parameter in _PRINCIPAL_KINDS:
                for principal in new.get(kind) or []:
                    getattr(iam, put)(**{parameter: str(principal)}, PolicyName=name, PolicyDocument=document)

    def _remove(self, iam: Any, name: str, old: Mapping[str, Any], keep: Mapping[str, Any]) -> None:
        """Delete policy ``name`` from the principals of ``old`` that ``keep`` does not list."""
        with _failing_as(self.label, name):
            for kind, _, delete, parameter in _PRINCIPAL_KINDS:
                kept = {str(p) for p in keep.get(kind) or []}
                for principal in old.get(kind) or []:
                    if str(principal) not in kept:
                        _ignoring_missing(
                            lambda d=delete, p=parameter, who=str(principal): getattr(iam, d)(
                                **{p: who}, PolicyName=name
                            )
                        )


_ATTACH_KINDS = (
    ("Roles", "attach_role_policy", "detach_role_policy", "RoleName"),
    ("Users", "attach_user_policy", "detach_user_policy", "UserName"),
    ("Groups", "attach_group_policy", "detach_group_policy", "GroupName"),
)


class ManagedPolicy(_ResourceType):
    """A customer-managed policy attached to its roles, users and groups; its Ref is the policy ARN."""

    label = "IAM managed policy"
    supported = frozenset(
        {"ManagedPolicyName", "PolicyDocument", "Description", "Path", "Roles", "Users", "Groups"}
    )
    replaced_by = frozenset({"ManagedPolicyName", "Path", "Description"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        iam = ctx.client("iam")
        name = str(properties.get("ManagedPolicyName") or generated_name(ctx.stack_name, logical_id, 128))
        request: dict[str, Any] = {
            "PolicyName": name,
            "PolicyDocument": _document(properties["PolicyDocument"]),
            "Path": str(properties.get("Path", "/")),
        }
        if "Description" in properties:
            request["Description"] = str(properties["Description"])
        with _failing_as(self.label, name):
            policy = iam.create_policy(**request)["Policy"]
        arn = str(policy["Arn"])
        try:
            self._attach(iam, arn, {}, properties)
        except ProvisionError:
            self.delete(ctx, arn, properties)
            raise
        return Provisioned(arn, self._attributes(iam, arn))

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        iam = ctx.client("iam")
        if _changed(old, new, "PolicyDocument"):
            with _failing_as(self.label, physical_id):
                # IAM keeps at most five versions: make room by dropping the oldest non-default one.
                versions = iam.list_policy_versions(PolicyArn=physical_id)["Versions"]
                spare = sorted(
                    (v for v in versions if not v["IsDefaultVersion"]), key=lambda v: v["CreateDate"]
                )
                if len(versions) >= 5 and spare:
                    iam.delete_policy_version(PolicyArn=physical_id, VersionId=spare[0]["VersionId"])
                iam.create_policy_version(
                    PolicyArn=physical_id, PolicyDocument=_document(new["PolicyDocument"]), SetAsDefault=True
                )
        self._attach(iam, physical_id, old, new)
        return Provisioned(physical_id, self._attributes(iam, physical_id))

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """Detach from everything, drop old versions, then delete: IAM refuses otherwise."""
        iam = ctx.client("iam")
        with _deleting(self.label, physical_id, "NoSuchEntity"):
            entities = iam.list_entities_for_policy(PolicyArn=physical_id)
            for role in entities.get("PolicyRoles", []):
                _ignoring_missing(
                    lambda r=role: iam.detach_role_policy(RoleName=r["RoleName"], PolicyArn=physical_id)
                )
            for user in entities.get("PolicyUsers", []):
                _ignoring_missing(
                    lambda u=user: iam.detach_user_policy(UserName=u["UserName"], PolicyArn=physical_id)
                )
            for group in entities.get("PolicyGroups", []):
                _ignoring_missing(
                    lambda g=group: iam.detach_group_policy(GroupName=g["GroupName"], PolicyArn=physical_id)
                )
            for version in iam.list_policy_versions(PolicyArn=physical_id)["Versions"]:
                if not version["IsDefaultVersion"]:
                    iam.delete_policy_version(PolicyArn=physical_id, VersionId=version["VersionId"])
            iam.delete_policy(PolicyArn=physical_id)

    def _attach(self, iam: Any, arn: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        with _failing_as(self.label, arn):
            for kind, attach, detach, parameter in _ATTACH_KINDS:
                before = [str(p) for p in old.get(kind) or []]
                after = [str(p) for p in new.get(kind) or []]
                for who in before:
                    if who not in after:
                        _ignoring_missing(
                            lambda d=detach, p=parameter, w=who: getattr(iam, d)(**{p: w}, PolicyArn=arn)
                        )
                for who in after:
                    if who not in before:
                        getattr(iam, attach)(**{parameter: who}, PolicyArn=arn)

    def _attributes(self, iam: Any, arn: str) -> dict[str, Any]:
        with _failing_as(self.label, arn):
            policy = iam.get_policy(PolicyArn=arn)["Policy"]
        return {
            "PolicyArn": arn,
            "PolicyId": policy["PolicyId"],
            "DefaultVersionId": policy["DefaultVersionId"],
            "AttachmentCount": policy.get("AttachmentCount", 0),
            "IsAttachable": policy.get("IsAttachable", True),
        }
