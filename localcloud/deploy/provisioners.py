"""How CloudFormation creates, updates and deletes each resource type, done against the local cloud.

Properties arrive resolved (no intrinsics left). Each provisioner makes the same API calls CloudFormation's
resource handler makes, generates the physical names CloudFormation would, and answers with the Ref and
Fn::GetAtt values CloudFormation documents, so the rest of the template resolves exactly as it would in AWS.
"""

from __future__ import annotations

import io
import json
import logging
import secrets
import string
import zipfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from botocore.exceptions import ClientError, ParamValidationError

log = logging.getLogger(__name__)

# Regions whose S3 website endpoint is "s3-website-<region>"; the newer ones use "s3-website.<region>".
_DASHED_WEBSITE_REGIONS = frozenset(
    {
        "us-east-1",
        "us-west-1",
        "us-west-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-northeast-1",
        "eu-west-1",
        "sa-east-1",
        "us-gov-west-1",
    }
)


@dataclass(frozen=True)
class Provisioned:
    """What the rest of the template sees of a resource: its Ref value and its Fn::GetAtt values."""

    physical_id: str
    attributes: dict[str, Any]


class ProvisionError(Exception):
    """A failure worded for a CREATE_FAILED / UPDATE_FAILED / DELETE_FAILED event line."""


class Context(Protocol):
    """What a provisioner needs from the deploy engine."""

    @property
    def account(self) -> str: ...

    @property
    def region(self) -> str: ...

    @property
    def stack_name(self) -> str: ...

    def client(self, service: str) -> Any: ...

    def asset_zip(self, properties: Mapping[str, Any]) -> bytes:
        """The Lambda code zip for a function's ``Code`` property (the engine reads it from cdk.out)."""
        ...


class Provisioner(Protocol):
    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned: ...

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned: ...

    def needs_replacement(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool: ...

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None: ...


# -- helpers ----------------------------------------------------------------------------------------------


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Error"))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


@contextmanager
def _failing_as(label: str, name: str) -> Iterator[None]:
    """Turn a service error into the line CloudFormation would print: ``S3 bucket foo: Code message``."""
    try:
        yield
    except ClientError as error:
        raise ProvisionError(f"{label} {name}: {_code(error)} {_message(error)}") from error
    except ParamValidationError as error:  # botocore refused it before any call, as CloudFormation would
        raise ProvisionError(f"{label} {name}: Properties validation failed: {error}") from error


def _gone(error: ClientError, *codes: str) -> bool:
    """Whether a delete found nothing to delete: deletes are idempotent, as CloudFormation's are."""
    return _code(error) in codes


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def generated_name(stack_name: str, logical_id: str, limit: int, *, lower: bool = False) -> str:
    """A physical name the way CloudFormation makes one: ``<stack>-<logicalid>-<12 random>``, within limit.

    When too long, the longer of stack name and logical id is trimmed first, so both stay recognisable.
    """
    alphabet = (string.ascii_lowercase if lower else string.ascii_uppercase) + string.digits
    suffix = "".join(secrets.choice(alphabet) for _ in range(12))
    head, tail = stack_name, logical_id
    budget = limit - len(suffix) - 2
    while len(head) + len(tail) > budget:
        if len(head) >= len(tail):
            head = head[:-1]
        else:
            tail = tail[:-1]
    name = f"{head}-{tail}-{suffix}"
    return name.lower() if lower else name


def _flag(value: Any) -> bool:
    """CloudFormation accepts booleans as JSON booleans or as "true"/"false" strings."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _number(value: Any) -> int:
    """CloudFormation accepts numbers as JSON numbers or as strings."""
    return int(value)


def _document(value: Any) -> str:
    """A policy document as IAM/S3/KMS take it: JSON text (templates give it as an object)."""
    return value if isinstance(value, str) else json.dumps(value)


def _tags(properties: Mapping[str, Any]) -> dict[str, str]:
    """CloudFormation's ``Tags`` list of ``{Key, Value}`` (or a map, as some types take it) as a dict."""
    tags = properties.get("Tags") or []
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(tag["Key"]): str(tag["Value"]) for tag in tags}


def _tag_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[dict[str, str], list[str]]:
    """The tags to set and the tag keys to remove to go from ``old`` to ``new``."""
    before, after = _tags(old), _tags(new)
    changed = {k: v for k, v in after.items() if before.get(k) != v}
    return changed, sorted(set(before) - set(after))


def _changed(old: Mapping[str, Any], new: Mapping[str, Any], *names: str) -> bool:
    return any(old.get(name) != new.get(name) for name in names)


class _ResourceType:
    """Shared by the provisioners: the properties they act on and those whose change means replacement."""

    label: ClassVar[str]
    supported: ClassVar[frozenset[str]]
    replaced_by: ClassVar[frozenset[str]] = frozenset()

    def needs_replacement(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        """CloudFormation's "Update requires: Replacement" properties of this type."""
        return _changed(old, new, *self.replaced_by)


# -- S3 ---------------------------------------------------------------------------------------------------


def bucket_attributes(name: str, region: str) -> dict[str, Any]:
    website = "-" if region in _DASHED_WEBSITE_REGIONS else "."
    return {
        "Arn": f"arn:{partition(region)}:s3:::{name}",
        "DomainName": f"{name}.s3.amazonaws.com",
        "RegionalDomainName": f"{name}.s3.{region}.amazonaws.com",
        "DualStackDomainName": f"{name}.s3.dualstack.{region}.amazonaws.com",
        "WebsiteURL": f"http://{name}.s3-website{website}{region}.amazonaws.com",
    }


def _sse_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation ServerSideEncryptionRule in the shape of S3's PutBucketEncryption."""
    made: dict[str, Any] = {}
    default = rule.get("ServerSideEncryptionByDefault")
    if default:
        made["ApplyServerSideEncryptionByDefault"] = {
            k: default[k] for k in ("SSEAlgorithm", "KMSMasterKeyID") if k in default
        }
    if "BucketKeyEnabled" in rule:
        made["BucketKeyEnabled"] = _flag(rule["BucketKeyEnabled"])
    return made


class Bucket(_ResourceType):
    label = "S3 bucket"
    supported = frozenset(
        {
            "BucketName",
            "BucketEncryption",
            "PublicAccessBlockConfiguration",
            "VersioningConfiguration",
            "ObjectLockEnabled",
            "Tags",
        }
    )
    replaced_by = frozenset({"BucketName", "ObjectLockEnabled"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        s3 = ctx.client("s3")
        explicit = properties.get("BucketName")
        name = str(explicit) if explicit else generated_name(ctx.stack_name, logical_id, 63, lower=True)
        with _failing_as(self.label, name):
            # In us-east-1 S3 answers 200 to re-creating one's own bucket; CloudFormation still fails.
            if explicit and _bucket_exists(s3, name):
                raise ProvisionError(f"{self.label} {name}: BucketAlreadyExists {name} already exists")
            request: dict[str, Any] = {"Bucket": name}
            if ctx.region != "us-east-1":
                request["CreateBucketConfiguration"] = {"LocationConstraint": ctx.region}
            if _flag(properties.get("ObjectLockEnabled", False)):
                request["ObjectLockEnabledForBucket"] = True
            s3.create_bucket(**request)
        try:
            self._configure(s3, name, {}, properties)
        except ProvisionError:
            _quietly(lambda: s3.delete_bucket(Bucket=name))
            raise
        return Provisioned(name, bucket_attributes(name, ctx.region))

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        self._configure(ctx.client("s3"), physical_id, old, new)
        return Provisioned(physical_id, bucket_attributes(physical_id, ctx.region))

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """Fails on a non-empty bucket, as CloudFormation does; emptying is the auto-delete resource's job."""
        try:
            ctx.client("s3").delete_bucket(Bucket=physical_id)
        except ClientError as error:
            if not _gone(error, "NoSuchBucket", "404"):
                raise ProvisionError(
                    f"{self.label} {physical_id}: {_code(error)} {_message(error)}"
                ) from error

    def _configure(self, s3: Any, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Apply each sub-configuration that differs from ``old``, removing those ``new`` drops."""
        with _failing_as(self.label, name):
            if _changed(old, new, "BucketEncryption"):
                encryption = new.get("BucketEncryption")
                if encryption:
                    rules = [_sse_rule(r) for r in encryption.get("ServerSideEncryptionConfiguration", [])]
                    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
                else:
                    s3.delete_bucket_encryption(Bucket=name)
            if _changed(old, new, "PublicAccessBlockConfiguration"):
                block = new.get("PublicAccessBlockConfiguration")
                if block:
                    flags = (
                        "BlockPublicAcls",
                        "IgnorePublicAcls",
                        "BlockPublicPolicy",
                        "RestrictPublicBuckets",
                    )
                    s3.put_public_access_block(
                        Bucket=name,
                        PublicAccessBlockConfiguration={k: _flag(block.get(k, False)) for k in flags},
                    )
                else:
                    s3.delete_public_access_block(Bucket=name)
            if _changed(old, new, "VersioningConfiguration"):
                versioning = new.get("VersioningConfiguration")
                # A bucket once versioned can only be suspended, never unversioned again.
                status = str(versioning["Status"]) if versioning else "Suspended"
                if versioning or old.get("VersioningConfiguration"):
                    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": status})
            if _changed(old, new, "Tags"):
                tags = _tags(new)
                if tags:
                    tag_set = [{"Key": k, "Value": v} for k, v in tags.items()]
                    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_set})
                else:
                    s3.delete_bucket_tagging(Bucket=name)


def _bucket_exists(s3: Any, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as error:
        return not _gone(error, "404", "NoSuchBucket", "NotFound")
    return True


def _quietly(action: Any) -> None:
    """Best-effort clean-up of a half-made resource, so a failed create leaves nothing behind."""
    try:
        action()
    except ClientError as error:
        log.debug("clean-up after a failed create: %s", error)


class BucketPolicy(_ResourceType):
    label = "S3 bucket policy of"
    supported = frozenset({"Bucket", "PolicyDocument"})
    replaced_by = frozenset({"Bucket"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        bucket = str(properties["Bucket"])
        self._put(ctx, bucket, properties)
        return Provisioned(f"{bucket}-policy", {})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        bucket = str(new["Bucket"])
        self._put(ctx, bucket, new)
        return Provisioned(physical_id, {})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        bucket = str(properties.get("Bucket") or physical_id.removesuffix("-policy"))
        try:
            ctx.client("s3").delete_bucket_policy(Bucket=bucket)
        except ClientError as error:
            if not _gone(error, "NoSuchBucket", "NoSuchBucketPolicy", "404"):
                raise ProvisionError(f"{self.label} {bucket}: {_code(error)} {_message(error)}") from error

    def _put(self, ctx: Context, bucket: str, properties: Mapping[str, Any]) -> None:
        with _failing_as(self.label, bucket):
            document = _evaluable(properties["PolicyDocument"])
            if document["Statement"]:
                ctx.client("s3").put_bucket_policy(Bucket=bucket, Policy=_document(document))
            else:  # nothing moto can honour is left: no policy rather than an empty one S3 would refuse
                _ignoring_missing(lambda: ctx.client("s3").delete_bucket_policy(Bucket=bucket))


def _evaluable(document: Any) -> Any:
    """The policy without Deny statements that carry a Condition.

    moto ignores policy conditions, so ``Deny unless aws:SecureTransport`` (CDK's enforce_ssl) would deny
    every request, TLS or not; such statements cannot be honoured locally and are left out.
    """
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    kept = [s for s in statements if not (s.get("Effect") == "Deny" and s.get("Condition"))]
    return {**document, "Statement": kept}


# -- KMS --------------------------------------------------------------------------------------------------


def _kms_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"TagKey": k, "TagValue": v} for k, v in tags.items()]


class Key(_ResourceType):
    label = "KMS key"
    supported = frozenset(
        {
            "Description",
            "Enabled",
            "EnableKeyRotation",
            "RotationPeriodInDays",
            "KeyPolicy",
            "KeySpec",
            "KeyUsage",
            "MultiRegion",
            "Origin",
            "PendingWindowInDays",
            "Tags",
        }
    )
    replaced_by = frozenset({"KeySpec", "KeyUsage", "MultiRegion", "Origin"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        kms = ctx.client("kms")
        request: dict[str, Any] = {
            k: properties[k] for k in ("Description", "KeySpec", "KeyUsage", "Origin") if k in properties
        }
        if "KeyPolicy" in properties:
            request["Policy"] = _document(properties["KeyPolicy"])
        if "MultiRegion" in properties:
            request["MultiRegion"] = _flag(properties["MultiRegion"])
        if tags := _tags(properties):
            request["Tags"] = _kms_tags(tags)
        with _failing_as(self.label, logical_id):
            key_id = str(kms.create_key(**request)["KeyMetadata"]["KeyId"])
        try:
            self._settle(kms, key_id, {}, properties)
        except ProvisionError:
            _quietly(lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7))
            raise
        return Provisioned(key_id, self._attributes(ctx, key_id))

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        kms = ctx.client("kms")
        with _failing_as(self.label, physical_id):
            if _changed(old, new, "Description"):
                kms.update_key_description(KeyId=physical_id, Description=str(new.get("Description", "")))
            if _changed(old, new, "KeyPolicy") and "KeyPolicy" in new:
                kms.put_key_policy(
                    KeyId=physical_id, PolicyName="default", Policy=_document(new["KeyPolicy"])
                )
            set_tags, removed = _tag_changes(old, new)
            if set_tags:
                kms.tag_resource(KeyId=physical_id, Tags=_kms_tags(set_tags))
            if removed:
                kms.untag_resource(KeyId=physical_id, TagKeys=removed)
        self._settle(kms, physical_id, old, new)
        return Provisioned(physical_id, self._attributes(ctx, physical_id))

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """Keys are never deleted at once: they are scheduled, with a window of 7 to 30 days (default 30)."""
        window = min(30, max(7, _number(properties.get("PendingWindowInDays", 30))))
        try:
            ctx.client("kms").schedule_key_deletion(KeyId=physical_id, PendingWindowInDays=window)
        except ClientError as error:
            # KMSInvalidStateException: already pending deletion, which is where delete leads anyway.
            if not _gone(error, "NotFoundException", "KMSInvalidStateException"):
                raise ProvisionError(
                    f"{self.label} {physical_id}: {_code(error)} {_message(error)}"
                ) from error

    def _settle(self, kms: Any, key_id: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Rotation and enablement, which CreateKey does not take."""
        with _failing_as(self.label, key_id):
            if _changed(old, new, "EnableKeyRotation", "RotationPeriodInDays"):
                if _flag(new.get("EnableKeyRotation", False)):
                    period = new.get("RotationPeriodInDays")
                    extra = {"RotationPeriodInDays": _number(period)} if period is not None else {}
                    kms.enable_key_rotation(KeyId=key_id, **extra)
                elif old:
                    kms.disable_key_rotation(KeyId=key_id)
            if _changed(old, new, "Enabled"):
                if _flag(new.get("Enabled", True)):
                    kms.enable_key(KeyId=key_id)
                else:
                    kms.disable_key(KeyId=key_id)

    @staticmethod
    def _attributes(ctx: Context, key_id: str) -> dict[str, Any]:
        arn = f"arn:{partition(ctx.region)}:kms:{ctx.region}:{ctx.account}:key/{key_id}"
        return {"Arn": arn, "KeyId": key_id}


# -- IAM --------------------------------------------------------------------------------------------------

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


def _ignoring_missing(action: Any) -> None:
    try:
        action()
    except ClientError as error:
        if not _gone(error, "NoSuchEntity"):
            raise


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
            request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
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
                    RoleName=physical_id, PolicyDocument=_document(new["AssumeRolePolicyDocument"])
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
            set_tags, removed = _tag_changes(old, new)
            if set_tags:
                iam.tag_role(RoleName=physical_id, Tags=[{"Key": k, "Value": v} for k, v in set_tags.items()])
            if removed:
                iam.untag_role(RoleName=physical_id, TagKeys=removed)
        self._policies(iam, physical_id, old, new)
        with _failing_as(self.label, physical_id):
            role = iam.get_role(RoleName=physical_id)["Role"]
        return Provisioned(physical_id, {"Arn": role["Arn"], "RoleId": role["RoleId"]})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """IAM refuses to delete a role with policies: remove the inline ones, detach the managed ones."""
        iam = ctx.client("iam")
        try:
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
        except ClientError as error:
            if not _gone(error, "NoSuchEntity"):
                raise ProvisionError(
                    f"{self.label} {physical_id}: {_code(error)} {_message(error)}"
                ) from error

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
        try:
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
        except ClientError as error:
            if not _gone(error, "NoSuchEntity"):
                raise ProvisionError(
                    f"{self.label} {physical_id}: {_code(error)} {_message(error)}"
                ) from error

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


# -- Lambda -----------------------------------------------------------------------------------------------


def _function_configuration(properties: Mapping[str, Any]) -> dict[str, Any]:
    """The UpdateFunctionConfiguration request for these properties, with AWS's defaults for absent ones."""
    configuration: dict[str, Any] = {
        "Role": str(properties["Role"]),
        "Description": str(properties.get("Description", "")),
        "Timeout": _number(properties.get("Timeout", 3)),
        "MemorySize": _number(properties.get("MemorySize", 128)),
        "Environment": {"Variables": _variables(properties)},
    }
    for name in ("Runtime", "Handler"):
        if name in properties:
            configuration[name] = str(properties[name])
    return configuration


def _variables(properties: Mapping[str, Any]) -> dict[str, str]:
    variables = (properties.get("Environment") or {}).get("Variables") or {}
    return {str(k): str(v) for k, v in variables.items()}


def _package(ctx: Context, properties: Mapping[str, Any]) -> bytes:
    """The function's deployment package: its code asset, or the zip CloudFormation makes of inline code.

    CloudFormation puts inline ``Code.ZipFile`` source in a file named ``index`` (``index.js`` for Node.js,
    ``index.py`` for Python) and zips it. The zip is built with a fixed timestamp, so unchanged source
    gives an unchanged CodeSha256. (CloudFormation also adds its cfn-response module; that is not done here.)
    """
    code = properties.get("Code") or {}
    if "ZipFile" not in code:
        return ctx.asset_zip(properties)
    extension = "js" if str(properties.get("Runtime", "")).startswith("nodejs") else "py"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        entry = zipfile.ZipInfo(f"index.{extension}", date_time=(1980, 1, 1, 0, 0, 0))
        entry.external_attr = 0o644 << 16
        archive.writestr(entry, str(code["ZipFile"]), compress_type=zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


class Function(_ResourceType):
    label = "Lambda function"
    supported = frozenset(
        {
            "FunctionName",
            "Code",
            "Runtime",
            "Handler",
            "Role",
            "Environment",
            "Timeout",
            "MemorySize",
            "Description",
            "Architectures",
            "PackageType",
            "Tags",
        }
    )
    replaced_by = frozenset({"FunctionName", "PackageType"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        lam = ctx.client("lambda")
        name = str(properties.get("FunctionName") or generated_name(ctx.stack_name, logical_id, 64))
        request = _function_configuration(properties)
        request.update(FunctionName=name, Code={"ZipFile": _package(ctx, properties)})
        if "Architectures" in properties:
            request["Architectures"] = [str(a) for a in properties["Architectures"]]
        if "PackageType" in properties:
            request["PackageType"] = str(properties["PackageType"])
        if tags := _tags(properties):
            request["Tags"] = tags
        with _failing_as(self.label, name):
            function = lam.create_function(**request)
        return Provisioned(name, {"Arn": function["FunctionArn"]})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        lam = ctx.client("lambda")
        with _failing_as(self.label, physical_id):
            if _changed(old, new, "Code", "Architectures"):
                code: dict[str, Any] = {"FunctionName": physical_id, "ZipFile": _package(ctx, new)}
                if "Architectures" in new:
                    code["Architectures"] = [str(a) for a in new["Architectures"]]
                lam.update_function_code(**code)
            configuration = _function_configuration(new)
            if configuration != _function_configuration(old):
                lam.update_function_configuration(FunctionName=physical_id, **configuration)
            arn = str(lam.get_function(FunctionName=physical_id)["Configuration"]["FunctionArn"])
            set_tags, removed = _tag_changes(old, new)
            if set_tags:
                lam.tag_resource(Resource=arn, Tags=set_tags)
            if removed:
                lam.untag_resource(Resource=arn, TagKeys=removed)
        return Provisioned(physical_id, {"Arn": arn})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        try:
            ctx.client("lambda").delete_function(FunctionName=physical_id)
        except ClientError as error:
            if not _gone(error, "ResourceNotFoundException"):
                raise ProvisionError(
                    f"{self.label} {physical_id}: {_code(error)} {_message(error)}"
                ) from error


# Every property of AWS::Lambda::Permission is "Update requires: Replacement".
_PERMISSION_PROPERTIES = frozenset(
    {
        "FunctionName",
        "Action",
        "Principal",
        "SourceArn",
        "SourceAccount",
        "EventSourceToken",
        "PrincipalOrgID",
        "FunctionUrlAuthType",
        "InvokedViaFunctionUrl",
    }
)

# The optional AddPermission parameters that are strings, named as the template names them.
_PERMISSION_CONDITIONS = (
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "PrincipalOrgID",
    "FunctionUrlAuthType",
)


class Permission(_ResourceType):
    """One statement of a function's resource policy, under a statement id CloudFormation generates.

    Ref is ``<FunctionName>|<statement id>``, the type's primary identifier (FunctionName and Id) joined
    by "|"; Fn::GetAtt Id is the statement id.
    """

    label = "Lambda permission on"
    supported = _PERMISSION_PROPERTIES
    replaced_by = _PERMISSION_PROPERTIES

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        function = str(properties["FunctionName"])
        statement_id = generated_name(ctx.stack_name, logical_id, 100)
        request: dict[str, Any] = {
            "FunctionName": function,
            "StatementId": statement_id,
            "Action": str(properties["Action"]),
            "Principal": str(properties["Principal"]),
        }
        for name in _PERMISSION_CONDITIONS:
            if name in properties:
                request[name] = str(properties[name])
        if "InvokedViaFunctionUrl" in properties:
            request["InvokedViaFunctionUrl"] = _flag(properties["InvokedViaFunctionUrl"])
        with _failing_as(self.label, function):
            ctx.client("lambda").add_permission(**request)
        return Provisioned(f"{function}|{statement_id}", {"Id": statement_id})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        """Nothing to do: any change of a property is a replacement."""
        return Provisioned(physical_id, {"Id": physical_id.rpartition("|")[2]})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """RemovePermission; a function or statement already gone is success."""
        function, _, statement_id = physical_id.rpartition("|")
        function = function or str(properties.get("FunctionName", ""))
        if not function or not statement_id:  # nothing names a statement: there is nothing to remove
            return
        try:
            ctx.client("lambda").remove_permission(FunctionName=function, StatementId=statement_id)
        except ClientError as error:
            if not _gone(error, "ResourceNotFoundException"):
                raise ProvisionError(f"{self.label} {function}: {_code(error)} {_message(error)}") from error


# -- CloudWatch Logs --------------------------------------------------------------------------------------


class LogGroup(_ResourceType):
    label = "Log group"
    supported = frozenset({"LogGroupName", "RetentionInDays", "KmsKeyId", "LogGroupClass", "Tags"})
    replaced_by = frozenset({"LogGroupName", "LogGroupClass"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        logs = ctx.client("logs")
        name = str(properties.get("LogGroupName") or generated_name(ctx.stack_name, logical_id, 512))
        request: dict[str, Any] = {"logGroupName": name}
        if "KmsKeyId" in properties:
            request["kmsKeyId"] = str(properties["KmsKeyId"])
        if "LogGroupClass" in properties:
            request["logGroupClass"] = str(properties["LogGroupClass"])
        if tags := _tags(properties):
            request["tags"] = tags
        with _failing_as(self.label, name):
            logs.create_log_group(**request)
        try:
            self._retention(logs, name, {}, properties)
        except ProvisionError:
            _quietly(lambda: logs.delete_log_group(logGroupName=name))
            raise
        return Provisioned(name, {"Arn": f"{self._arn(ctx, name)}:*"})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        logs = ctx.client("logs")
        arn = self._arn(ctx, physical_id)
        self._retention(logs, physical_id, old, new)
        with _failing_as(self.label, physical_id):
            if _changed(old, new, "KmsKeyId"):
                if new.get("KmsKeyId"):
                    logs.associate_kms_key(logGroupName=physical_id, kmsKeyId=str(new["KmsKeyId"]))
                else:
                    logs.disassociate_kms_key(logGroupName=physical_id)
            set_tags, removed = _tag_changes(old, new)
            if set_tags:
                logs.tag_resource(resourceArn=arn, tags=set_tags)
            if removed:
                logs.untag_resource(resourceArn=arn, tagKeys=removed)
        return Provisioned(physical_id, {"Arn": f"{arn}:*"})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        try:
            ctx.client("logs").delete_log_group(logGroupName=physical_id)
        except ClientError as error:
            if not _gone(error, "ResourceNotFoundException"):
                raise ProvisionError(
                    f"{self.label} {physical_id}: {_code(error)} {_message(error)}"
                ) from error

    def _retention(self, logs: Any, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        if not _changed(old, new, "RetentionInDays"):
            return
        with _failing_as(self.label, name):
            if new.get("RetentionInDays") is not None:
                logs.put_retention_policy(logGroupName=name, retentionInDays=_number(new["RetentionInDays"]))
            else:
                logs.delete_retention_policy(logGroupName=name)

    @staticmethod
    def _arn(ctx: Context, name: str) -> str:
        """The log group's ARN as the Logs API takes it; CloudFormation's ``Arn`` adds ``:*``."""
        return f"arn:{partition(ctx.region)}:logs:{ctx.region}:{ctx.account}:log-group:{name}"


# -- EventBridge ------------------------------------------------------------------------------------------

# CloudFormation's names for PutTargets members that differ from the API's by more than letter case.
_TARGET_RENAMES = {"PlacementStrategies": "PlacementStrategy", "TagList": "Tags"}


def _shaped(value: Any, shape: Any, where: str) -> Any:
    """A resolved template value in the shape of a botocore request member.

    CloudFormation's Target matches PutTargets' Target but for nested ECS settings, where it capitalises
    what the API spells camelCase (``AwsVpcConfiguration`` for ``awsvpcConfiguration``) and renames two
    lists; numbers and booleans may arrive as strings. Raises ValueError for what the API cannot take.
    """
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, Mapping):
            raise ValueError(f"{where} must be an object")
        members = {str(name).lower(): str(name) for name in shape.members}
        made: dict[str, Any] = {}
        for key, item in value.items():
            name = members.get(_TARGET_RENAMES.get(str(key), str(key)).lower())
            if name is None:
                raise ValueError(f"{where}.{key} is not a property EventBridge knows")
            made[name] = _shaped(item, shape.members[name], f"{where}.{key}")
        return made
    if kind == "list":
        if not isinstance(value, list):
            raise ValueError(f"{where} must be a list")
        return [_shaped(item, shape.member, f"{where}[{index}]") for index, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, Mapping):
            raise ValueError(f"{where} must be an object")
        return {str(k): _shaped(v, shape.value, f"{where}.{k}") for k, v in value.items()}
    if kind in ("integer", "long"):
        try:
            return _number(value)
        except (TypeError, ValueError):
            raise ValueError(f"{where} must be a whole number, not {value!r}") from None
    if kind == "boolean":
        return _flag(value)
    if isinstance(value, Mapping | list):
        raise ValueError(f"{where} must be a string")
    return str(value).lower() if isinstance(value, bool) else str(value)


def _event_bus(properties: Mapping[str, Any]) -> str | None:
    """The rule's ``EventBusName`` (a name or an ARN), or None for the default bus."""
    bus = str(properties.get("EventBusName") or "")
    return None if bus.rpartition("/")[2] in ("", "default") else bus


def _rule_id(physical_id: str) -> tuple[str | None, str]:
    """The event bus (None for the default one) and rule name a rule's Ref names."""
    bus, _, name = physical_id.rpartition("|")
    return bus or None, name


class EventRule(_ResourceType):
    """An EventBridge rule and its targets (``AWS::Events::Rule``).

    Ref is the rule name, or ``<event bus>|<rule name>`` for a rule on a custom event bus (what
    CloudFormation returns, though its documentation only shows the default-bus form); Fn::GetAtt gives
    Arn and RuleName.
    """

    label = "EventBridge rule"
    supported = frozenset(
        {
            "Name",
            "Description",
            "EventBusName",
            "EventPattern",
            "RoleArn",
            "ScheduleExpression",
            "State",
            "Targets",
            "Tags",
        }
    )
    replaced_by = frozenset({"Name", "EventBusName"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        events = ctx.client("events")
        explicit = properties.get("Name")
        name = str(explicit) if explicit else generated_name(ctx.stack_name, logical_id, 64)
        bus = _event_bus(properties)
        targets = self._targets(events, name, properties)
        request = self._rule(name, bus, properties)
        if tags := _tags(properties):
            request["Tags"] = [{"Key": k, "Value": v} for k, v in tags.items()]
        with _failing_as(self.label, name):
            # PutRule overwrites a rule of the same name; CloudFormation's create fails instead.
            if explicit and _rule_exists(events, name, bus):
                where = bus or "default"
                raise ProvisionError(
                    f"{self.label} {name}: AlreadyExists a rule of that name is on event bus {where}"
                )
            arn = str(events.put_rule(**request)["RuleArn"])
        physical_id = f"{bus}|{name}" if bus else name
        try:
            self._put_targets(events, name, bus, targets)
        except ProvisionError:
            _quietly(lambda: self.delete(ctx, physical_id, properties))
            raise
        return Provisioned(physical_id, {"Arn": arn, "RuleName": name})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        """PutRule again with every setting (it keeps none of the old ones), then the targets and tags."""
        events = ctx.client("events")
        bus, name = _rule_id(physical_id)
        targets = self._targets(events, name, new)
        with _failing_as(self.label, name):
            arn = str(events.put_rule(**self._rule(name, bus, new))["RuleArn"])
            wanted = {str(target["Id"]) for target in targets}
            stale = [i for i in self._target_ids(events, name, bus) if i not in wanted]
            if stale:
                self._check(events.remove_targets(Rule=name, Ids=stale, **_on(bus)), name, "RemoveTargets")
            set_tags, removed = _tag_changes(old, new)
            if set_tags:
                events.tag_resource(
                    ResourceARN=arn, Tags=[{"Key": k, "Value": v} for k, v in set_tags.items()]
                )
            if removed:
                events.untag_resource(ResourceARN=arn, TagKeys=removed)
        self._put_targets(events, name, bus, targets)
        return Provisioned(physical_id, {"Arn": arn, "RuleName": name})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """Remove the targets first (DeleteRule refuses a rule that has any), then the rule."""
        events = ctx.client("events")
        bus, name = _rule_id(physical_id)
        try:
            ids = self._target_ids(events, name, bus)
            if ids:
                self._check(events.remove_targets(Rule=name, Ids=ids, **_on(bus)), name, "RemoveTargets")
            events.delete_rule(Name=name, **_on(bus))
        except ClientError as error:
            if not _gone(error, "ResourceNotFoundException"):
                raise ProvisionError(f"{self.label} {name}: {_code(error)} {_message(error)}") from error

    @staticmethod
    def _rule(name: str, bus: str | None, properties: Mapping[str, Any]) -> dict[str, Any]:
        """The PutRule request: all settings, since PutRule resets those it is not given."""
        request: dict[str, Any] = {"Name": name, "State": str(properties.get("State") or "ENABLED")}
        if bus:
            request["EventBusName"] = bus
        for key in ("Description", "ScheduleExpression", "RoleArn"):
            if properties.get(key) is not None:
                request[key] = str(properties[key])
        if properties.get("EventPattern") is not None:
            request["EventPattern"] = _document(properties["EventPattern"])
        return request

    def _targets(self, events: Any, name: str, properties: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The template's Targets as PutTargets takes them, checked before anything is made."""
        shape = events.meta.service_model.operation_model("PutTargets").input_shape.members["Targets"]
        try:
            targets: list[dict[str, Any]] = _shaped(properties.get("Targets") or [], shape, "Targets")
        except ValueError as error:
            raise ProvisionError(f"{self.label} {name}: {error}") from None
        return targets

    def _put_targets(self, events: Any, name: str, bus: str | None, targets: list[dict[str, Any]]) -> None:
        if not targets:
            return
        with _failing_as(self.label, name):
            self._check(events.put_targets(Rule=name, Targets=targets, **_on(bus)), name, "PutTargets")

    @staticmethod
    def _target_ids(events: Any, name: str, bus: str | None) -> list[str]:
        return [
            str(target["Id"])
            for page in events.get_paginator("list_targets_by_rule").paginate(Rule=name, **_on(bus))
            for target in page["Targets"]
        ]

    def _check(self, answer: Mapping[str, Any], name: str, action: str) -> None:
        """PutTargets and RemoveTargets answer 200 with per-target failures; CloudFormation fails on any."""
        failed = answer.get("FailedEntries") or []
        if answer.get("FailedEntryCount") or failed:
            reasons = "; ".join(
                f"{entry.get('TargetId')}: {entry.get('ErrorCode')} {entry.get('ErrorMessage', '')}".strip()
                for entry in failed
            )
            raise ProvisionError(f"{self.label} {name}: {action} failed for {reasons or 'some targets'}")


def _on(bus: str | None) -> dict[str, str]:
    """The EventBusName argument for a rule on a custom bus; the default bus is the APIs' default."""
    return {"EventBusName": bus} if bus else {}


def _rule_exists(events: Any, name: str, bus: str | None) -> bool:
    try:
        events.describe_rule(Name=name, **_on(bus))
    except ClientError as error:
        if _gone(error, "ResourceNotFoundException"):
            return False
        raise
    return True


# -- Rekognition ------------------------------------------------------------------------------------------


class Project(_ResourceType):
    """A Custom Labels project, made through the local cloud's Rekognition emulator. Its Ref is its name."""

    label = "Rekognition project"
    supported = frozenset({"ProjectName", "Tags"})
    replaced_by = frozenset({"ProjectName"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        name = str(properties["ProjectName"])
        request: dict[str, Any] = {"ProjectName": name}
        if tags := _tags(properties):
            request["Tags"] = tags
        with _failing_as(self.label, name):
            arn = str(ctx.client("rekognition").create_project(**request)["ProjectArn"])
        return Provisioned(name, {"Arn": arn})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        rekognition = ctx.client("rekognition")
        with _failing_as(self.label, physical_id):
            arn = _project_arn(rekognition, physical_id)
            if arn is None:
                raise ProvisionError(
                    f"{self.label} {physical_id}: ResourceNotFoundException it no longer exists"
                )
            set_tags, removed = _tag_changes(old, new)
            if set_tags:
                rekognition.tag_resource(ResourceArn=arn, Tags=set_tags)
            if removed:
                rekognition.untag_resource(ResourceArn=arn, TagKeys=removed)
        return Provisioned(physical_id, {"Arn": arn})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """DeleteProject answers DELETING and the project goes later; the delete does not wait for that."""
        rekognition = ctx.client("rekognition")
        try:
            arn = _project_arn(rekognition, physical_id)
            if arn is not None:
                rekognition.delete_project(ProjectArn=arn)
        except ClientError as error:
            if not _gone(error, "ResourceNotFoundException"):
                raise ProvisionError(
                    f"{self.label} {physical_id}: {_code(error)} {_message(error)}"
                ) from error


def _project_arn(rekognition: Any, name: str) -> str | None:
    projects = rekognition.describe_projects(ProjectNames=[name])["ProjectDescriptions"]
    return str(projects[0]["ProjectArn"]) if projects else None


# -- CDK --------------------------------------------------------------------------------------------------


class Metadata(_ResourceType):
    """``AWS::CDK::Metadata`` records which constructs made the stack; there is nothing to provision."""

    label = "CDK metadata"
    supported = frozenset({"Analytics"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        return Provisioned("metadata", {})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        return Provisioned(physical_id, {})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        return None


PROVISIONERS: dict[str, Provisioner] = {
    "AWS::S3::Bucket": Bucket(),
    "AWS::S3::BucketPolicy": BucketPolicy(),
    "AWS::KMS::Key": Key(),
    "AWS::IAM::Role": Role(),
    "AWS::IAM::Policy": Policy(),
    "AWS::IAM::ManagedPolicy": ManagedPolicy(),
    "AWS::Lambda::Function": Function(),
    "AWS::Lambda::Permission": Permission(),
    "AWS::Logs::LogGroup": LogGroup(),
    "AWS::Events::Rule": EventRule(),
    "AWS::Rekognition::Project": Project(),
    "AWS::CDK::Metadata": Metadata(),
}


def provisioner_for(resource_type: str) -> Provisioner | None:
    return PROVISIONERS.get(resource_type)


def ignored_properties(resource_type: str, properties: Mapping[str, Any]) -> list[str]:
    """The properties of a resource the local cloud does not act on, for the engine to report."""
    provisioner = PROVISIONERS.get(resource_type)
    if not isinstance(provisioner, _ResourceType):
        return []
    return sorted(set(properties) - provisioner.supported)
