"""Per-type provisioners: create, update and delete as CloudFormation would, against a real local cloud."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import pytest

import app as example
from localcloud.clock import ManualClock
from localcloud.deploy.provisioners import (
    PROVISIONERS,
    Context,
    Provisioned,
    ProvisionError,
    generated_name,
    ignored_properties,
    provisioner_for,
    with_stack_tags,
)
from localcloud.gateway.server import LocalCloud

from .conftest import DURATIONS

ACCOUNT = "123456789012"
REGION = "us-east-1"
TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def allow(action: str, resource: str = "*") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }


class LocalContext:
    """The engine's side of the contract, as small as it gets: clients, names, and a code zip per S3Key."""

    def __init__(self, cloud: LocalCloud, stack_name: str = "Example") -> None:
        self.cloud = cloud
        self.account, self.region, self.stack_name = ACCOUNT, REGION, stack_name
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.cloud.client(service, region=self.region)
        return self._clients[service]

    def asset_zip(self, properties: Mapping[str, Any]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            key = properties.get("Code", {}).get("S3Key", "inline")
            archive.writestr("index.py", f"# {key}\ndef handler(event, context):\n    return event\n")
        return buffer.getvalue()


class OfflineContext(LocalContext):
    """For provisioners that must not reach any service."""

    def __init__(self) -> None:
        self.account, self.region, self.stack_name = ACCOUNT, REGION, "Example"

    def client(self, service: str) -> Any:
        raise AssertionError(f"no {service} call expected")


@pytest.fixture
def ctx(cloud: LocalCloud) -> LocalContext:
    return LocalContext(cloud)


def create(ctx: Context, resource_type: str, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
    provisioner = provisioner_for(resource_type)
    assert provisioner is not None
    return provisioner.create(ctx, logical_id, properties)


def make_role(ctx: LocalContext, name: str) -> Provisioned:
    return create(ctx, "AWS::IAM::Role", "Role", {"RoleName": name, "AssumeRolePolicyDocument": TRUST})


# -- generated names ----------------------------------------------------------------------------------------


def test_generated_names_have_cloudformations_shape_and_fit_their_limits() -> None:
    # GIVEN a short stack name and logical id WHEN names are generated THEN all three parts survive
    assert re.fullmatch(r"Example-Role-[A-Z0-9]{12}", generated_name("Example", "Role", 64))
    assert re.fullmatch(r"example-bucket-[a-z0-9]{12}", generated_name("Example", "Bucket", 63, lower=True))
    # GIVEN ids too long for the limit THEN the name is exactly the limit, the random suffix kept whole
    long_id = "CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092"
    for long_stack, logical_id, limit in [
        ("S" * 80, long_id, 63),
        ("S" * 80, long_id, 64),
        ("S" * 81, long_id, 128),
        ("S" * 81, "Role", 64),
    ]:
        name = generated_name(long_stack, logical_id, limit)
        assert len(name) == limit
        head, tail, suffix = name.split("-")
        assert long_stack.startswith(head) and logical_id.startswith(tail) and len(suffix) == 12
        assert head and tail
    # AND the longer part is trimmed first: a short logical id is kept whole
    assert generated_name("S" * 81, "Role", 64).split("-")[:2] == ["S" * 46, "Role"]
    # AND two generated names differ
    assert generated_name("Example", "Role", 64) != generated_name("Example", "Role", 64)


def test_generated_physical_names_per_type(ctx: LocalContext) -> None:
    # GIVEN resources without explicit names, on a long stack name
    ctx.stack_name = "A-Very-Long-Stack-Name-For-Testing-Generated-Physical-Names-Here"
    role = create(
        ctx, "AWS::IAM::Role", "ProviderRoleWithAVeryLongLogicalId0123", {"AssumeRolePolicyDocument": TRUST}
    )
    bucket = create(ctx, "AWS::S3::Bucket", "OutputBucket", {})
    group = create(ctx, "AWS::Logs::LogGroup", "Logs", {})
    function = create(
        ctx,
        "AWS::Lambda::Function",
        "Handler",
        {"Role": role.attributes["Arn"], "Runtime": "python3.12", "Handler": "index.handler"},
    )
    # THEN each name is within its service's limit and in its service's alphabet
    assert len(role.physical_id) <= 64 and re.fullmatch(r"[\w+=,.@-]+", role.physical_id)
    assert len(bucket.physical_id) <= 63 and re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", bucket.physical_id)
    assert len(function.physical_id) <= 64
    assert group.physical_id.startswith(ctx.stack_name + "-Logs-")
    # AND the services know them by those names
    assert ctx.client("iam").get_role(RoleName=role.physical_id)["Role"]["Arn"] == role.attributes["Arn"]
    ctx.client("s3").head_bucket(Bucket=bucket.physical_id)
    ctx.client("lambda").get_function(FunctionName=function.physical_id)


# -- S3 -----------------------------------------------------------------------------------------------------


def test_bucket_ref_and_getatt_values(ctx: LocalContext) -> None:
    # GIVEN a named bucket WHEN it is created
    made = create(ctx, "AWS::S3::Bucket", "Bucket", {"BucketName": "my-bucket"})
    # THEN Ref is the name and the attributes are those CloudFormation documents
    assert made == Provisioned(
        "my-bucket",
        {
            "Arn": "arn:aws:s3:::my-bucket",
            "DomainName": "my-bucket.s3.amazonaws.com",
            "RegionalDomainName": "my-bucket.s3.us-east-1.amazonaws.com",
            "DualStackDomainName": "my-bucket.s3.dualstack.us-east-1.amazonaws.com",
            "WebsiteURL": "http://my-bucket.s3-website-us-east-1.amazonaws.com",
        },
    )
    ctx.client("s3").head_bucket(Bucket="my-bucket")
    # WHEN a stack creates a bucket of a taken name (S3 in us-east-1 answers 200) THEN it fails, saying so
    with pytest.raises(ProvisionError, match=r"^S3 bucket my-bucket: BucketAlreadyExists .*already exists"):
        create(ctx, "AWS::S3::Bucket", "Again", {"BucketName": "my-bucket"})


def test_kms_encrypted_bucket_is_really_encrypted_with_that_key(ctx: LocalContext) -> None:
    # GIVEN a key, and a bucket whose default encryption is SSE-KMS with that key and a bucket key
    key = create(ctx, "AWS::KMS::Key", "Key", {"Description": "bucket key"})
    properties = {
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {
                    "BucketKeyEnabled": True,
                    "ServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key.attributes["Arn"],
                    },
                }
            ]
        },
        "PublicAccessBlockConfiguration": {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": "true",
        },
        "VersioningConfiguration": {"Status": "Enabled"},
        "Tags": [{"Key": "app", "Value": "demo"}, {"Key": "aws-cdk:auto-delete-objects", "Value": "true"}],
    }
    # WHEN the bucket is created
    bucket = create(ctx, "AWS::S3::Bucket", "Bucket", properties).physical_id
    s3 = ctx.client("s3")
    # THEN S3 reports that encryption, and an object put without headers is encrypted with the key
    (rule,) = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key.attributes["Arn"],
    }
    assert rule["BucketKeyEnabled"] is True
    s3.put_object(Bucket=bucket, Key="x", Body=b"secret")
    head = s3.head_object(Bucket=bucket, Key="x")
    assert (head["ServerSideEncryption"], head["SSEKMSKeyId"]) == ("aws:kms", key.attributes["Arn"])
    # AND public access is blocked, versioning is on and the tags are set
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {"app": "demo", "aws-cdk:auto-delete-objects": "true"}


def test_bucket_updates_in_place(ctx: LocalContext) -> None:
    # GIVEN a versioned, tagged bucket with a public access block
    old = {
        "BucketName": "updated-bucket",
        "VersioningConfiguration": {"Status": "Enabled"},
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True},
        "Tags": [{"Key": "a", "Value": "1"}],
    }
    bucket = provisioner_for("AWS::S3::Bucket")
    assert bucket is not None
    bucket.create(ctx, "Bucket", old)
    # WHEN versioning, the block and the tags are dropped, and SSE-S3 encryption is added
    new = {
        "BucketName": "updated-bucket",
        "BucketEncryption": {
            "ServerSideEncryptionConfiguration": [
                {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
            ]
        },
    }
    assert not bucket.needs_replacement(old, new)
    made = bucket.update(ctx, "Bucket", "updated-bucket", old, new)
    # THEN the same bucket is suspended (never unversioned), unblocked, untagged and encrypted
    s3 = ctx.client("s3")
    assert made.physical_id == "updated-bucket"
    assert s3.get_bucket_versioning(Bucket="updated-bucket")["Status"] == "Suspended"
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchPublicAccessBlockConfiguration"):
        s3.get_public_access_block(Bucket="updated-bucket")
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchTagSet"):
        s3.get_bucket_tagging(Bucket="updated-bucket")
    (rule,) = s3.get_bucket_encryption(Bucket="updated-bucket")["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


def test_deleting_a_non_empty_bucket_fails_and_an_empty_one_goes(ctx: LocalContext) -> None:
    # GIVEN a bucket with an object in it
    bucket = provisioner_for("AWS::S3::Bucket")
    assert bucket is not None
    name = bucket.create(ctx, "Bucket", {}).physical_id
    s3 = ctx.client("s3")
    s3.put_object(Bucket=name, Key="left-behind", Body=b"x")
    # WHEN it is deleted THEN the delete fails as CloudFormation's does, and the bucket stays
    with pytest.raises(ProvisionError, match=rf"^S3 bucket {name}: BucketNotEmpty .*not empty"):
        bucket.delete(ctx, name, {})
    s3.head_bucket(Bucket=name)
    # WHEN it is emptied and deleted, twice THEN it is gone and the second delete is no error
    s3.delete_object(Bucket=name, Key="left-behind")
    bucket.delete(ctx, name, {})
    bucket.delete(ctx, name, {})
    assert name not in [b["Name"] for b in s3.list_buckets()["Buckets"]]


def test_bucket_policy_create_update_delete(ctx: LocalContext) -> None:
    # GIVEN a bucket
    s3 = ctx.client("s3")
    s3.create_bucket(Bucket="policy-bucket")
    policy = provisioner_for("AWS::S3::BucketPolicy")
    assert policy is not None
    allow = {
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::policy-bucket/*",
    }
    ssl_only = {
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": ["arn:aws:s3:::policy-bucket", "arn:aws:s3:::policy-bucket/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    document: dict[str, Any] = {"Version": "2012-10-17", "Statement": [allow, ssl_only]}
    old = {"Bucket": "policy-bucket", "PolicyDocument": document}
    # WHEN its policy is created THEN S3 has it, under the "<bucket>-policy" physical id, without the
    # conditional Deny that moto would apply unconditionally
    assert policy.create(ctx, "Policy", old) == Provisioned("policy-bucket-policy", {})
    assert json.loads(s3.get_bucket_policy(Bucket="policy-bucket")["Policy"]) == {
        "Version": "2012-10-17",
        "Statement": [allow],
    }
    # WHEN the document changes THEN it is updated in place; a new bucket would mean replacement
    changed = {**document, "Statement": [{**allow, "Action": "s3:PutObject"}, ssl_only]}
    new = {"Bucket": "policy-bucket", "PolicyDocument": changed}
    assert not policy.needs_replacement(old, new)
    assert policy.needs_replacement(old, {**new, "Bucket": "other-bucket"})
    policy.update(ctx, "Policy", "policy-bucket-policy", old, new)
    stored = json.loads(s3.get_bucket_policy(Bucket="policy-bucket")["Policy"])
    assert stored["Statement"] == [{**allow, "Action": "s3:PutObject"}]
    # WHEN only the conditional Deny is left THEN no policy is stored (and objects stay writable)
    policy.update(
        ctx,
        "Policy",
        "policy-bucket-policy",
        new,
        {**new, "PolicyDocument": {**document, "Statement": [ssl_only]}},
    )
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket="policy-bucket")
    s3.put_object(Bucket="policy-bucket", Key="k", Body=b"x")
    s3.delete_object(Bucket="policy-bucket", Key="k")
    # WHEN it is deleted, twice, and once more after the bucket is gone THEN no error
    policy.delete(ctx, "policy-bucket-policy", new)
    policy.delete(ctx, "policy-bucket-policy", new)
    s3.delete_bucket(Bucket="policy-bucket")
    policy.delete(ctx, "policy-bucket-policy", new)


def test_bucket_lifecycle_acl_and_ownership_controls(ctx: LocalContext) -> None:
    s3 = ctx.client("s3")
    bucket = provisioner_for("AWS::S3::Bucket")
    assert bucket is not None
    # GIVEN CloudFormation's lifecycle rules (the bootstrap stack's two, and one using the older forms)
    old = {
        "BucketName": "lifecycle-bucket",
        "AccessControl": "Private",
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "LifecycleConfiguration": {
            "Rules": [
                {
                    "Id": "CleanupOldVersions",
                    "Status": "Enabled",
                    "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                },
                {
                    "Id": "AbortIncompleteMultipartUploads",
                    "Status": "Enabled",
                    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": "1"},
                },
                {
                    "Id": "Archive",
                    "Status": "Disabled",
                    "Prefix": "logs/",
                    "TagFilters": [{"Key": "tier", "Value": "cold"}],
                    "ExpirationInDays": 365,
                    "Transition": {"StorageClass": "GLACIER", "TransitionInDays": 30},
                },
            ]
        },
    }
    # WHEN the bucket is created
    bucket.create(ctx, "Bucket", old)
    # THEN S3 holds the rules in its own shape: IDs, filters, expirations and transitions
    rules = {r["ID"]: r for r in s3.get_bucket_lifecycle_configuration(Bucket="lifecycle-bucket")["Rules"]}
    assert rules["CleanupOldVersions"]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert rules["CleanupOldVersions"]["Filter"] == {"Prefix": ""}
    assert rules["AbortIncompleteMultipartUploads"]["AbortIncompleteMultipartUpload"] == {
        "DaysAfterInitiation": 1
    }
    archive = rules["Archive"]
    assert archive["Status"] == "Disabled"
    assert archive["Filter"] == {"And": {"Prefix": "logs/", "Tags": [{"Key": "tier", "Value": "cold"}]}}
    assert archive["Expiration"] == {"Days": 365}
    assert archive["Transitions"] == [{"Days": 30, "StorageClass": "GLACIER"}]
    # AND the ownership controls and the canned ACL are set
    ownership = s3.get_bucket_ownership_controls(Bucket="lifecycle-bucket")["OwnershipControls"]
    assert ownership == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    (grant,) = s3.get_bucket_acl(Bucket="lifecycle-bucket")["Grants"]
    assert grant["Permission"] == "FULL_CONTROL"
    # WHEN the lifecycle rules and the ownership controls are dropped THEN they are gone from the bucket
    new = {"BucketName": "lifecycle-bucket", "AccessControl": "Private"}
    assert not bucket.needs_replacement(old, new)
    bucket.update(ctx, "Bucket", "lifecycle-bucket", old, new)
    with pytest.raises(s3.exceptions.ClientError, match="NoSuchLifecycleConfiguration"):
        s3.get_bucket_lifecycle_configuration(Bucket="lifecycle-bucket")
    with pytest.raises(s3.exceptions.ClientError, match="OwnershipControlsNotFoundError"):
        s3.get_bucket_ownership_controls(Bucket="lifecycle-bucket")
    # AND an AccessControl CloudFormation does not know fails, naming it
    with pytest.raises(ProvisionError, match=r"^S3 bucket lifecycle-bucket: unknown AccessControl Open$"):
        bucket.update(ctx, "Bucket", "lifecycle-bucket", new, {**new, "AccessControl": "Open"})


# -- KMS ----------------------------------------------------------------------------------------------------


def test_kms_key_create_update_delete(ctx: LocalContext) -> None:
    kms = ctx.client("kms")
    key = provisioner_for("AWS::KMS::Key")
    assert key is not None
    key_policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    old = {
        "Description": "first",
        "EnableKeyRotation": True,
        "KeyPolicy": key_policy,
        "Tags": [{"Key": "app", "Value": "demo"}, {"Key": "gone", "Value": "soon"}],
        "PendingWindowInDays": 3,
    }
    # WHEN a key is created THEN Ref is its key id, and Arn its ARN
    made = key.create(ctx, "Key", old)
    key_id = made.physical_id
    assert made.attributes == {"Arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{key_id}", "KeyId": key_id}
    # AND it has the description, the rotation, the policy and the tags
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "first"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"]) == key_policy
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert tags == {"app": "demo", "gone": "soon"}
    # WHEN description, rotation and tags change THEN the same key is updated in place
    new = {
        **old,
        "Description": "second",
        "EnableKeyRotation": False,
        "Tags": [{"Key": "app", "Value": "v2"}],
    }
    assert not key.needs_replacement(old, new)
    assert key.update(ctx, "Key", key_id, old, new) == made
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Description"] == "second"
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    tags = {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}
    assert tags == {"app": "v2"}
    # WHEN it is deleted THEN it is pending deletion, the 3-day window raised to KMS's minimum of 7
    key.delete(ctx, key_id, new)
    metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert metadata["KeyState"] == "PendingDeletion"
    days = (metadata["DeletionDate"] - metadata["CreationDate"]).total_seconds() / 86400
    assert 6.9 < days < 7.1
    # AND deleting again, or deleting an unknown key, is no error
    key.delete(ctx, key_id, new)
    key.delete(ctx, "00000000-0000-0000-0000-000000000000", {})


def test_kms_alias_create_move_delete(ctx: LocalContext) -> None:
    kms = ctx.client("kms")
    alias = provisioner_for("AWS::KMS::Alias")
    assert alias is not None
    first, second = (kms.create_key()["KeyMetadata"]["KeyId"] for _ in range(2))
    old = {"AliasName": "alias/cdk-hnb659fds-assets-key", "TargetKeyId": first}

    def target() -> list[str]:
        aliases = kms.list_aliases()["Aliases"]
        return [a["TargetKeyId"] for a in aliases if a["AliasName"] == old["AliasName"]]

    # WHEN an alias is created THEN Ref is the alias name, and it names the key
    assert alias.create(ctx, "Alias", old) == Provisioned("alias/cdk-hnb659fds-assets-key", {})
    assert target() == [first]
    # AND another alias of that name fails, with KMS's error
    with pytest.raises(ProvisionError, match=r"^KMS alias alias/cdk-hnb659fds-assets-key: AlreadyExists"):
        alias.create(ctx, "Again", old)
    # WHEN it is moved to another key THEN it is updated in place; a new name would mean replacement
    new = {**old, "TargetKeyId": second}
    assert not alias.needs_replacement(old, new)
    assert alias.needs_replacement(old, {**new, "AliasName": "alias/other"})
    assert alias.update(ctx, "Alias", old["AliasName"], old, new).physical_id == old["AliasName"]
    assert target() == [second]
    # AND a name without the alias/ prefix, or an unknown key, fails with KMS's words
    with pytest.raises(ProvisionError, match=r"^KMS alias no-prefix: ValidationException"):
        alias.create(ctx, "Bad", {"AliasName": "no-prefix", "TargetKeyId": first})
    with pytest.raises(ProvisionError, match=r"^KMS alias alias/nowhere: NotFoundException"):
        alias.create(
            ctx, "Bad", {"AliasName": "alias/nowhere", "TargetKeyId": "0" * 8 + "-0000" * 3 + "-" + "0" * 12}
        )
    # WHEN it is deleted, twice THEN it is gone and the second delete is no error; the keys stay
    alias.delete(ctx, old["AliasName"], new)
    alias.delete(ctx, old["AliasName"], new)
    assert target() == []
    assert kms.describe_key(KeyId=second)["KeyMetadata"]["KeyState"] == "Enabled"


# -- IAM ----------------------------------------------------------------------------------------------------


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


# -- ECR ----------------------------------------------------------------------------------------------------

LIFECYCLE_POLICY = {
    "rules": [
        {
            "rulePriority": 1,
            "description": "Untagged images should not exist, but expire any older than one year",
            "selection": {
                "tagStatus": "untagged",
                "countType": "sinceImagePushed",
                "countUnit": "days",
                "countNumber": 365,
            },
            "action": {"type": "expire"},
        }
    ]
}
REPOSITORY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "LambdaECRImageRetrievalPolicy",
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            "Condition": {"StringLike": {"aws:sourceArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:*"}},
        }
    ],
}


def push_image(ecr: Any, repository: str, tag: str) -> None:
    digest = "sha256:" + "a" * 64
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 1,
            "digest": digest,
        },
        "layers": [],
    }
    ecr.put_image(repositoryName=repository, imageManifest=json.dumps(manifest), imageTag=tag)


def test_ecr_repository_create_update_delete(ctx: LocalContext) -> None:
    ecr = ctx.client("ecr")
    repository = provisioner_for("AWS::ECR::Repository")
    assert repository is not None
    old = {
        "RepositoryName": "cdk-assets",
        "ImageTagMutability": "IMMUTABLE",
        "ImageScanningConfiguration": {"ScanOnPush": "true"},
        "EncryptionConfiguration": {"EncryptionType": "AES256"},
        # (the bootstrap template gives the lifecycle policy as text, the repository policy as an object)
        "LifecyclePolicy": {"LifecyclePolicyText": json.dumps(LIFECYCLE_POLICY, indent=2)},
        "RepositoryPolicyText": REPOSITORY_POLICY,
        "Tags": [{"Key": "app", "Value": "demo"}, {"Key": "gone", "Value": "soon"}],
    }
    # WHEN it is created THEN Ref is its name, with the Arn and RepositoryUri CloudFormation documents
    made = repository.create(ctx, "Repository", old)
    arn = f"arn:aws:ecr:{REGION}:{ACCOUNT}:repository/cdk-assets"
    uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/cdk-assets"
    assert made == Provisioned("cdk-assets", {"Arn": arn, "RepositoryUri": uri})
    # AND ECR has its settings, its two policies and its tags
    (described,) = ecr.describe_repositories(repositoryNames=["cdk-assets"])["repositories"]
    assert (described["repositoryArn"], described["repositoryUri"]) == (arn, uri)
    assert described["imageTagMutability"] == "IMMUTABLE"
    assert described["imageScanningConfiguration"] == {"scanOnPush": True}
    assert described["encryptionConfiguration"] == {"encryptionType": "AES256"}
    lifecycle = ecr.get_lifecycle_policy(repositoryName="cdk-assets")["lifecyclePolicyText"]
    assert json.loads(lifecycle) == LIFECYCLE_POLICY
    assert (
        json.loads(ecr.get_repository_policy(repositoryName="cdk-assets")["policyText"]) == REPOSITORY_POLICY
    )
    tags = {t["Key"]: t["Value"] for t in ecr.list_tags_for_resource(resourceArn=arn)["tags"]}
    assert tags == {"app": "demo", "gone": "soon"}
    # AND another repository of that name fails, with ECR's error
    with pytest.raises(
        ProvisionError, match=r"^ECR repository cdk-assets: RepositoryAlreadyExistsException "
    ):
        repository.create(ctx, "Again", {"RepositoryName": "cdk-assets"})
    # WHEN mutability, scanning and tags change and both policies are dropped THEN it is updated in place
    new = {
        "RepositoryName": "cdk-assets",
        "EncryptionConfiguration": {"EncryptionType": "AES256"},
        "ImageScanningConfiguration": {"ScanOnPush": False},
        "Tags": [{"Key": "app", "Value": "v2"}],
    }
    assert not repository.needs_replacement(old, new)
    assert repository.update(ctx, "Repository", "cdk-assets", old, new) == made
    (described,) = ecr.describe_repositories(repositoryNames=["cdk-assets"])["repositories"]
    assert described["imageTagMutability"] == "MUTABLE"
    assert described["imageScanningConfiguration"] == {"scanOnPush": False}
    with pytest.raises(ecr.exceptions.LifecyclePolicyNotFoundException):
        ecr.get_lifecycle_policy(repositoryName="cdk-assets")
    with pytest.raises(ecr.exceptions.RepositoryPolicyNotFoundException):
        ecr.get_repository_policy(repositoryName="cdk-assets")
    assert ecr.list_tags_for_resource(resourceArn=arn)["tags"] == [{"Key": "app", "Value": "v2"}]
    # WHEN it holds an image and is deleted THEN the delete fails, as CloudFormation's does
    push_image(ecr, "cdk-assets", "v1")
    with pytest.raises(ProvisionError, match=r"^ECR repository cdk-assets: RepositoryNotEmptyException "):
        repository.delete(ctx, "cdk-assets", new)
    # WHEN EmptyOnDelete is set THEN it goes, images and all; deleting again is no error
    repository.delete(ctx, "cdk-assets", {**new, "EmptyOnDelete": True})
    repository.delete(ctx, "cdk-assets", new)
    assert ecr.describe_repositories()["repositories"] == []


def test_ecr_repository_without_a_name_gets_a_lower_case_generated_one(ctx: LocalContext) -> None:
    # GIVEN a repository without a name, in a stack with capitals (as CDKToolkit has)
    ctx.stack_name = "CDKToolkit"
    # WHEN it is created THEN its name is generated the CloudFormation way, lower-cased as ECR requires
    made = create(ctx, "AWS::ECR::Repository", "ContainerAssetsRepository", {})
    assert re.fullmatch(r"cdktoolkit-containerassetsrepository-[a-z0-9]{12}", made.physical_id)
    assert made.attributes["RepositoryUri"].endswith(f".amazonaws.com/{made.physical_id}")
    ctx.client("ecr").describe_repositories(repositoryNames=[made.physical_id])


# -- SSM ----------------------------------------------------------------------------------------------------


def test_ssm_parameter_create_update_delete(ctx: LocalContext) -> None:
    ssm = ctx.client("ssm")
    parameter = provisioner_for("AWS::SSM::Parameter")
    assert parameter is not None
    name = "/cdk-bootstrap/hnb659fds/version"
    old: dict[str, Any] = {
        "Name": name,
        "Type": "String",
        "Value": "33",
        "Description": "bootstrap version",
        "AllowedPattern": "^[0-9]+$",
        "Tier": "Standard",
        "Tags": {"app": "demo", "gone": "soon"},  # (a map, for this type)
    }
    # WHEN it is created THEN Ref is its name, and Type and Value its attributes
    made = parameter.create(ctx, "CdkBootstrapVersion", old)
    assert made == Provisioned(name, {"Type": "String", "Value": "33"})
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Value"], got["Type"], got["Version"]) == ("33", "String", 1)
    (described,) = ssm.describe_parameters()["Parameters"]
    assert (described["Description"], described["AllowedPattern"]) == ("bootstrap version", "^[0-9]+$")

    def tags() -> dict[str, str]:
        listed = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=name)["TagList"]
        return {t["Key"]: t["Value"] for t in listed}

    assert tags() == {"app": "demo", "gone": "soon"}
    # AND another parameter of that name fails, with SSM's error
    with pytest.raises(ProvisionError, match=rf"^SSM parameter {name}: ParameterAlreadyExists "):
        parameter.create(ctx, "Again", old)
    # WHEN the value, description and tags change THEN the value is overwritten: a new version
    new = {**old, "Value": "34", "Tags": {"app": "v2"}}
    del new["Description"]
    assert not parameter.needs_replacement(old, new)
    assert parameter.needs_replacement(old, {**new, "Name": "/other"})
    assert parameter.update(ctx, "CdkBootstrapVersion", name, old, new) == Provisioned(
        name, {"Type": "String", "Value": "34"}
    )
    got = ssm.get_parameter(Name=name)["Parameter"]
    assert (got["Value"], got["Version"]) == ("34", 2)
    assert not ssm.describe_parameters()["Parameters"][0].get("Description")
    assert tags() == {"app": "v2"}
    # WHEN a value its AllowedPattern refuses is given THEN the update fails, as SSM's does, and the value
    # stays (moto does not check the pattern: the provisioner does)
    with pytest.raises(ProvisionError, match=rf"^SSM parameter {name}: ParameterPatternMismatchException "):
        parameter.update(ctx, "CdkBootstrapVersion", name, new, {**new, "Value": "latest"})
    assert ssm.get_parameter(Name=name)["Parameter"]["Value"] == "34"
    # WHEN it is deleted, twice THEN it is gone and the second delete is no error
    parameter.delete(ctx, name, new)
    parameter.delete(ctx, name, new)
    assert ssm.describe_parameters()["Parameters"] == []


def test_ssm_parameter_without_a_name_gets_a_generated_one(ctx: LocalContext) -> None:
    # GIVEN a StringList parameter without a name
    # WHEN it is created THEN it is named CFN-<logical id>-<random>
    made = create(ctx, "AWS::SSM::Parameter", "Endpoints", {"Type": "StringList", "Value": "a,b"})
    assert re.fullmatch(r"CFN-Endpoints-[A-Z0-9]{12}", made.physical_id)
    got = ctx.client("ssm").get_parameter(Name=made.physical_id)["Parameter"]
    assert (got["Type"], got["Value"]) == ("StringList", "a,b")
    assert made.attributes == {"Type": "StringList", "Value": "a,b"}


# -- Lambda -------------------------------------------------------------------------------------------------


def test_lambda_function_create_update_delete(ctx: LocalContext) -> None:
    lam = ctx.client("lambda")
    role = make_role(ctx, "fn-role").attributes["Arn"]
    function = provisioner_for("AWS::Lambda::Function")
    assert function is not None
    old = {
        "FunctionName": "handler-fn",
        "Code": {"S3Bucket": "cdk-assets", "S3Key": "one.zip"},
        "Runtime": "python3.14",
        "Handler": "index.handler",
        "Role": role,
        "Environment": {"Variables": {"LOG_LEVEL": "INFO", "RETRIES": 3}},
        "Timeout": 300,
        "MemorySize": "256",
        "Description": "provider",
        "LoggingConfig": {"LogGroup": "/aws/lambda/handler-fn"},
        "Tags": [{"Key": "app", "Value": "demo"}],
    }
    # WHEN it is created THEN Ref is its name, Arn its ARN
    made = function.create(ctx, "Handler", old)
    assert made == Provisioned(
        "handler-fn", {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:handler-fn"}
    )
    # AND it runs the engine's zip, with the environment (values as strings) and the settings
    got = lam.get_function(FunctionName="handler-fn")
    configuration = got["Configuration"]
    assert configuration["Environment"]["Variables"] == {"LOG_LEVEL": "INFO", "RETRIES": "3"}
    assert (configuration["Runtime"], configuration["Handler"], configuration["Role"]) == (
        "python3.14",
        "index.handler",
        role,
    )
    assert (configuration["Timeout"], configuration["MemorySize"]) == (300, 256)
    assert got["Tags"] == {"app": "demo"}
    first_code = configuration["CodeSha256"]
    # WHEN the code asset, the environment and the tags change THEN the same function is updated
    new = {
        **old,
        "Code": {"S3Bucket": "cdk-assets", "S3Key": "two.zip"},
        "Environment": {"Variables": {"LOG_LEVEL": "DEBUG"}},
        "Tags": [{"Key": "team", "Value": "vision"}],
    }
    assert not function.needs_replacement(old, new)
    assert function.update(ctx, "Handler", "handler-fn", old, new) == made
    got = lam.get_function(FunctionName="handler-fn")
    assert got["Configuration"]["CodeSha256"] != first_code
    assert got["Configuration"]["Environment"]["Variables"] == {"LOG_LEVEL": "DEBUG"}
    assert got["Tags"] == {"team": "vision"}
    # WHEN it is deleted, twice THEN it is gone
    function.delete(ctx, "handler-fn", new)
    function.delete(ctx, "handler-fn", new)
    assert lam.list_functions()["Functions"] == []


class InlineOnlyContext(LocalContext):
    """For functions whose code is inline: reading a code asset would be a mistake."""

    def asset_zip(self, properties: Mapping[str, Any]) -> bytes:
        raise AssertionError("inline code must not be read from an asset")


def inline_function(ctx: LocalContext, name: str, source: str) -> Provisioned:
    role = make_role(ctx, f"{name}-role").attributes["Arn"]
    return create(
        ctx,
        "AWS::Lambda::Function",
        "Inline",
        {
            "FunctionName": name,
            "Code": {"ZipFile": source},
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": role,
        },
    )


def test_inline_function_code_is_packaged_as_cloudformation_does(cloud: LocalCloud) -> None:
    ctx = InlineOnlyContext(cloud)
    lam = ctx.client("lambda")
    source = "def handler(event, context):\n    return event\n"
    # GIVEN two functions of the same inline source WHEN created (no code asset is read)
    inline_function(ctx, "inline-one", source)
    inline_function(ctx, "inline-two", source)
    # THEN their packages are identical: the zip does not depend on when it was made
    one = lam.get_function(FunctionName="inline-one")["Configuration"]
    two = lam.get_function(FunctionName="inline-two")["Configuration"]
    assert one["CodeSha256"] == two["CodeSha256"] and one["CodeSize"] > 0
    # WHEN the source changes THEN the same function gets a new package
    function = provisioner_for("AWS::Lambda::Function")
    assert function is not None
    old = {"Code": {"ZipFile": source}, "Runtime": "python3.12", "Handler": "index.handler"}
    old["Role"] = one["Role"]
    new = {**old, "Code": {"ZipFile": source.replace("event", "context")}}
    assert not function.needs_replacement(old, new)
    function.update(ctx, "Inline", "inline-one", old, new)
    assert lam.get_function(FunctionName="inline-one")["Configuration"]["CodeSha256"] != one["CodeSha256"]


def policy_statements(lam: Any, function: str) -> list[dict[str, Any]]:
    policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
    statements: list[dict[str, Any]] = policy["Statement"]
    return statements


def test_lambda_permission_create_replace_delete(ctx: LocalContext) -> None:
    lam = ctx.client("lambda")
    arn = inline_function(ctx, "invoked-fn", "def handler(event, context):\n    return 1\n").attributes["Arn"]
    permission = provisioner_for("AWS::Lambda::Permission")
    assert permission is not None
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/every-five"
    properties = {
        "FunctionName": arn,
        "Action": "lambda:InvokeFunction",
        "Principal": "events.amazonaws.com",
        "SourceArn": rule_arn,
        "SourceAccount": ACCOUNT,
    }
    # WHEN a permission is created THEN the statement id is generated as CloudFormation does, Ref is
    # "<FunctionName>|<statement id>" (the type's primary identifier) and Fn::GetAtt Id the statement id
    made = permission.create(ctx, "InvokePermission", properties)
    function_name, _, statement_id = made.physical_id.rpartition("|")
    assert function_name == arn
    assert re.fullmatch(r"Example-InvokePermission-[A-Z0-9]{12}", statement_id)
    assert made.attributes == {"Id": statement_id}
    # AND the function's policy allows EventBridge to invoke it, from that rule and account only
    (statement,) = policy_statements(lam, "invoked-fn")
    assert statement["Sid"] == statement_id
    assert statement["Effect"] == "Allow" and statement["Action"] == "lambda:InvokeFunction"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"AWS:SourceArn": rule_arn}
    assert statement["Condition"]["StringEquals"] == {"AWS:SourceAccount": ACCOUNT}
    # AND a second permission of the same function gets its own statement
    other = permission.create(ctx, "OtherPermission", {**properties, "SourceArn": rule_arn + "-2"})
    assert len(policy_statements(lam, "invoked-fn")) == 2
    # WHEN any property changes THEN it is a replacement (update is never reached with a real change)
    for name, value in [
        ("FunctionName", "invoked-fn"),
        ("Action", "lambda:GetFunction"),
        ("Principal", "s3.amazonaws.com"),
        ("SourceArn", rule_arn + "-3"),
        ("SourceAccount", "210987654321"),
        ("EventSourceToken", "token"),
        ("PrincipalOrgID", "o-abcdefghij"),
        ("FunctionUrlAuthType", "NONE"),
        ("InvokedViaFunctionUrl", True),
    ]:
        assert permission.needs_replacement(properties, {**properties, name: value}), name
    assert permission.update(ctx, "InvokePermission", made.physical_id, properties, properties) == made
    # WHEN it is deleted, twice THEN only its statement is gone
    permission.delete(ctx, made.physical_id, properties)
    permission.delete(ctx, made.physical_id, properties)
    assert [s["Sid"] for s in policy_statements(lam, "invoked-fn")] == [other.attributes["Id"]]
    # AND once the function is gone, deleting the other permission is no error either
    lam.delete_function(FunctionName="invoked-fn")
    permission.delete(ctx, other.physical_id, properties)


def test_lambda_permission_on_a_missing_function_fails_readably(ctx: LocalContext) -> None:
    # GIVEN no function "absent-fn" WHEN a permission on it is created THEN it fails with Lambda's words
    properties = {"FunctionName": "absent-fn", "Action": "lambda:InvokeFunction", "Principal": ACCOUNT}
    with pytest.raises(
        ProvisionError, match=r"^Lambda permission on absent-fn: ResourceNotFoundException Function not found"
    ):
        create(ctx, "AWS::Lambda::Permission", "Permission", properties)


# -- Logs ---------------------------------------------------------------------------------------------------


def test_log_group_create_update_delete(ctx: LocalContext) -> None:
    logs = ctx.client("logs")
    group = provisioner_for("AWS::Logs::LogGroup")
    assert group is not None
    old = {
        "LogGroupName": "/aws/lambda/RekCL-1",
        "RetentionInDays": 365,
        "Tags": [{"Key": "app", "Value": "demo"}],
    }
    # WHEN it is created THEN Ref is its name and Arn ends in ":*", as CloudFormation's does
    made = group.create(ctx, "Logs", old)
    assert made == Provisioned(
        "/aws/lambda/RekCL-1", {"Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/RekCL-1:*"}
    )
    (described,) = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/RekCL-1")["logGroups"]
    assert described["retentionInDays"] == 365
    # WHEN retention is dropped THEN the group keeps its events forever; a new name would replace it
    new = {"LogGroupName": "/aws/lambda/RekCL-1", "Tags": [{"Key": "app", "Value": "demo"}]}
    assert not group.needs_replacement(old, new)
    assert group.needs_replacement(old, {**new, "LogGroupName": "/aws/lambda/RekCL-2"})
    group.update(ctx, "Logs", made.physical_id, old, new)
    (described,) = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/RekCL-1")["logGroups"]
    assert "retentionInDays" not in described
    # WHEN it is deleted, twice THEN it is gone
    group.delete(ctx, made.physical_id, new)
    group.delete(ctx, made.physical_id, new)
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/RekCL-1")["logGroups"] == []


# -- EventBridge --------------------------------------------------------------------------------------------


def targets_of(events: Any, rule: str, **bus: str) -> dict[str, dict[str, Any]]:
    return {t["Id"]: t for t in events.list_targets_by_rule(Rule=rule, **bus)["Targets"]}


def rule_tags(events: Any, arn: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in events.list_tags_for_resource(ResourceARN=arn)["Tags"]}


def test_event_rule_create_update_delete(ctx: LocalContext) -> None:
    events = ctx.client("events")
    rule = provisioner_for("AWS::Events::Rule")
    assert rule is not None
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:ticker"
    old = {
        "Name": "every-five",
        "Description": "ticks",
        "ScheduleExpression": "rate(5 minutes)",
        "Targets": [
            {"Id": "Target0", "Arn": function_arn, "RetryPolicy": {"MaximumRetryAttempts": "2"}},
            {"Id": "Target1", "Arn": function_arn + "-2", "Input": '{"kind": "tick"}'},
        ],
        "Tags": [{"Key": "app", "Value": "demo"}, {"Key": "gone", "Value": "soon"}],
    }
    # WHEN a named rule on the default bus is created THEN Ref is its name, Arn and RuleName its own
    made = rule.create(ctx, "Every", old)
    arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/every-five"
    assert made == Provisioned("every-five", {"Arn": arn, "RuleName": "every-five"})
    # AND EventBridge holds its settings (enabled by default), its targets (numbers as numbers) and tags
    described = events.describe_rule(Name="every-five")
    assert (described["State"], described["ScheduleExpression"], described["Description"]) == (
        "ENABLED",
        "rate(5 minutes)",
        "ticks",
    )
    assert targets_of(events, "every-five") == {
        "Target0": {"Id": "Target0", "Arn": function_arn, "RetryPolicy": {"MaximumRetryAttempts": 2}},
        "Target1": {"Id": "Target1", "Arn": function_arn + "-2", "Input": '{"kind": "tick"}'},
    }
    assert rule_tags(events, arn) == {"app": "demo", "gone": "soon"}
    # AND another rule of that name fails (PutRule alone would have overwritten it)
    taken = r"^EventBridge rule every-five: AlreadyExists .*event bus default"
    with pytest.raises(ProvisionError, match=taken):
        rule.create(ctx, "Again", old)
    # WHEN the schedule, state and description change, a target goes, one changes, one comes, tags move
    new = {
        "Name": "every-five",
        "ScheduleExpression": "cron(0 12 * * ? *)",
        "State": "DISABLED",
        "Targets": [
            {"Id": "Target0", "Arn": function_arn, "Input": '{"kind": "noon"}'},
            {"Id": "Target2", "Arn": function_arn + "-3"},
        ],
        "Tags": [{"Key": "app", "Value": "v2"}],
    }
    assert not rule.needs_replacement(old, new)
    assert rule.update(ctx, "Every", "every-five", old, new) == made
    # THEN the same rule has exactly the new settings (PutRule keeps none of the old), targets and tags
    described = events.describe_rule(Name="every-five")
    assert (described["State"], described["ScheduleExpression"]) == ("DISABLED", "cron(0 12 * * ? *)")
    assert "Description" not in described
    assert targets_of(events, "every-five") == {
        "Target0": {"Id": "Target0", "Arn": function_arn, "Input": '{"kind": "noon"}'},
        "Target2": {"Id": "Target2", "Arn": function_arn + "-3"},
    }
    assert rule_tags(events, arn) == {"app": "v2"}
    # AND a new name, or a new event bus, would replace it
    assert rule.needs_replacement(old, {**new, "Name": "every-six"})
    assert rule.needs_replacement(old, {**new, "EventBusName": "custom"})
    # WHEN it is deleted, twice THEN its targets went first and it is gone
    rule.delete(ctx, "every-five", new)
    rule.delete(ctx, "every-five", new)
    assert events.list_rules()["Rules"] == []


def test_event_rule_on_a_custom_bus_with_a_generated_name(ctx: LocalContext) -> None:
    events = ctx.client("events")
    events.create_event_bus(Name="orders")
    ctx.stack_name = "A-Very-Long-Stack-Name-For-Testing-Generated-Rule-Names"
    rule = provisioner_for("AWS::Events::Rule")
    assert rule is not None
    pattern = {"source": ["shop.orders"], "detail-type": ["Order Placed"]}
    ecs_target = {
        "Id": "Task",
        "Arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/work",
        "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/events-run-task",
        "EcsParameters": {
            "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/work:1",
            "TaskCount": "2",
            "NetworkConfiguration": {"AwsVpcConfiguration": {"Subnets": ["subnet-1"]}},
            "PlacementStrategies": [{"Type": "random"}],
        },
    }
    properties = {"EventBusName": "orders", "EventPattern": pattern, "Targets": [ecs_target]}
    # WHEN an unnamed rule on a custom bus is created
    made = rule.create(ctx, "OrderPlacedRule", properties)
    # THEN its name is generated within EventBridge's 64 characters, and Ref is "<bus>|<name>"
    bus, _, name = made.physical_id.partition("|")
    assert bus == "orders" and len(name) == 64
    assert re.fullmatch(r"A-Very-Long-Stack-Name-For-Test[\w-]*-OrderPlacedRule-[A-Z0-9]{12}", name)
    assert made.attributes == {
        "Arn": f"arn:aws:events:{REGION}:{ACCOUNT}:rule/orders/{name}",
        "RuleName": name,
    }
    # AND the pattern (an object in the template) is stored as JSON, on that bus
    described = events.describe_rule(Name=name, EventBusName="orders")
    assert json.loads(described["EventPattern"]) == pattern
    # AND the target's ECS settings are in the API's spelling, not CloudFormation's
    (target,) = targets_of(events, name, EventBusName="orders").values()
    assert target["EcsParameters"] == {
        "TaskDefinitionArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/work:1",
        "TaskCount": 2,
        "NetworkConfiguration": {"awsvpcConfiguration": {"Subnets": ["subnet-1"]}},
        "PlacementStrategy": [{"type": "random"}],
    }
    # WHEN it is deleted by its Ref alone, twice THEN the bus has no rules left
    rule.delete(ctx, made.physical_id, {})
    rule.delete(ctx, made.physical_id, {})
    assert events.list_rules(EventBusName="orders")["Rules"] == []


def test_event_rule_bad_inputs_fail_readably_and_leave_nothing(ctx: LocalContext) -> None:
    events = ctx.client("events")
    target = {"Id": "Target0", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:f"}
    # GIVEN a schedule EventBridge cannot parse WHEN created THEN it fails with EventBridge's words
    invalid = r"^EventBridge rule bad-schedule: ValidationException Parameter ScheduleExpression is not"
    unparsable = {"Name": "bad-schedule", "ScheduleExpression": "every 5 min"}
    with pytest.raises(ProvisionError, match=invalid):
        create(ctx, "AWS::Events::Rule", "Rule", unparsable)
    # GIVEN targets PutTargets could not take THEN they are refused before any rule is made
    for bad, message in [
        ({**target, "Colour": "red"}, r"Targets\[0\]\.Colour is not a property EventBridge knows"),
        (
            {**target, "RetryPolicy": {"MaximumRetryAttempts": "many"}},
            r"Targets\[0\]\.RetryPolicy\.MaximumRetryAttempts must be a whole number, not 'many'",
        ),
    ]:
        with pytest.raises(ProvisionError, match=rf"^EventBridge rule bad-target: {message}"):
            create(
                ctx,
                "AWS::Events::Rule",
                "Rule",
                {"Name": "bad-target", "ScheduleExpression": "rate(1 hour)", "Targets": [bad]},
            )
    # GIVEN a custom bus that does not exist THEN EventBridge's refusal is reported
    with pytest.raises(ProvisionError, match=r"^EventBridge rule on-nowhere: ResourceNotFoundException "):
        create(
            ctx,
            "AWS::Events::Rule",
            "Rule",
            {"Name": "on-nowhere", "EventBusName": "nowhere", "EventPattern": {"source": ["x"]}},
        )
    assert events.list_rules()["Rules"] == []
    # AND properties the local cloud does not know are reported, not silently dropped
    assert ignored_properties("AWS::Events::Rule", {"Name": "r", "Targets": [], "Unknown": 1}) == ["Unknown"]


# -- Rekognition --------------------------------------------------------------------------------------------


def test_rekognition_project_through_the_emulator(ctx: LocalContext, clock: ManualClock) -> None:
    rekognition = ctx.client("rekognition")
    project = provisioner_for("AWS::Rekognition::Project")
    assert project is not None
    old = {"ProjectName": "shapes", "Tags": [{"Key": "app", "Value": "demo"}]}
    # WHEN a project is created THEN Ref is its NAME and Arn the ARN the emulator made
    made = project.create(ctx, "Project", old)
    (described,) = rekognition.describe_projects(ProjectNames=["shapes"])["ProjectDescriptions"]
    assert made == Provisioned("shapes", {"Arn": described["ProjectArn"]})
    assert rekognition.list_tags_for_resource(ResourceArn=described["ProjectArn"])["Tags"] == {"app": "demo"}
    # AND another project of that name fails, with the emulator's error
    with pytest.raises(ProvisionError, match=r"^Rekognition project shapes: ResourceInUseException "):
        project.create(ctx, "Again", old)
    # WHEN its tags change THEN the same project is retagged; a new name would replace it
    new = {"ProjectName": "shapes", "Tags": [{"Key": "team", "Value": "vision"}]}
    assert not project.needs_replacement(old, new)
    assert project.needs_replacement(old, {**new, "ProjectName": "other"})
    assert project.update(ctx, "Project", "shapes", old, new) == made
    assert rekognition.list_tags_for_resource(ResourceArn=made.attributes["Arn"])["Tags"] == {
        "team": "vision"
    }
    # WHEN it is deleted THEN it is DELETING, and gone once the emulator's deletion time has passed
    project.delete(ctx, "shapes", new)
    (described,) = rekognition.describe_projects(ProjectNames=["shapes"])["ProjectDescriptions"]
    assert described["Status"] == "DELETING"
    project.delete(ctx, "shapes", new)
    clock.advance(DURATIONS.project_deleting + 1)
    assert rekognition.describe_projects(ProjectNames=["shapes"])["ProjectDescriptions"] == []
    # AND deleting a project that is gone is no error
    project.delete(ctx, "shapes", new)


def test_cdk_metadata_is_documentation_only() -> None:
    ctx = OfflineContext()
    metadata = provisioner_for("AWS::CDK::Metadata")
    assert metadata is not None
    made = metadata.create(ctx, "CDKMetadata", {"Analytics": "v2:deflate64:abc"})
    assert made == Provisioned("metadata", {})
    assert metadata.update(ctx, "CDKMetadata", "metadata", {}, {"Analytics": "x"}) == made
    metadata.delete(ctx, "metadata", {})


# -- replacement tables -------------------------------------------------------------------------------------

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


# -- the example stack --------------------------------------------------------------------------------------


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
