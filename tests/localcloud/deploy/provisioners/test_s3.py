"""``AWS::S3::Bucket`` and ``AWS::S3::BucketPolicy`` (``s3.py``): the Ref and Fn::GetAtt values, the
settings S3 then reports (encryption with a stack's KMS key, public access block, versioning, tags,
lifecycle rules, ACL, ownership controls), updates in place, and deletes that fail on a non-empty bucket
and leave out the conditional Deny moto would apply to every request, as CloudFormation's would not."""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.deploy.provisioners import Provisioned, ProvisionError, provisioner_for

from .context import LocalContext, create


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
