"""S3 buckets and their policies: ``AWS::S3::Bucket`` and ``AWS::S3::BucketPolicy``."""

from __future__ import annotations

import json
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
    _flag,
    _gone,
    _ignoring_missing,
    _number,
    _quietly,
    _ResourceType,
    _tag_list,
    _tags,
    generated_name,
    partition,
)

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


# CloudFormation's AccessControl values and the canned ACLs S3 takes for them.
_CANNED_ACLS = {
    "Private": "private",
    "PublicRead": "public-read",
    "PublicReadWrite": "public-read-write",
    "AuthenticatedRead": "authenticated-read",
    "LogDeliveryWrite": "log-delivery-write",
    "BucketOwnerRead": "bucket-owner-read",
    "BucketOwnerFullControl": "bucket-owner-full-control",
    "AwsExecRead": "aws-exec-read",
}


def _lifecycle_filter(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation rule's Prefix, TagFilters and object sizes as one S3 ``Filter``."""
    prefix = str(rule.get("Prefix") or "")
    tags = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in rule.get("TagFilters") or []]
    sizes = {k: _number(rule[k]) for k in ("ObjectSizeGreaterThan", "ObjectSizeLessThan") if k in rule}
    if bool(prefix) + len(tags) + len(sizes) > 1:
        return {
            "And": {**({"Prefix": prefix} if prefix else {}), **({"Tags": tags} if tags else {}), **sizes}
        }
    if tags:
        return {"Tag": tags[0]}
    return sizes or {"Prefix": prefix}


def _transitions(rule: Mapping[str, Any], plural: str, days: str) -> list[dict[str, Any]]:
    """A rule's ``<plural>`` list and its legacy single ``<plural minus s>``, in S3's shape."""
    given = [*(rule.get(plural) or []), *([rule[plural[:-1]]] if plural[:-1] in rule else [])]
    made = []
    for transition in given:
        entry: dict[str, Any] = {"StorageClass": str(transition["StorageClass"])}
        if "TransitionInDays" in transition:
            entry[days] = _number(transition["TransitionInDays"])
        if "TransitionDate" in transition:
            entry["Date"] = transition["TransitionDate"]
        if "NewerNoncurrentVersions" in transition:
            entry["NewerNoncurrentVersions"] = _number(transition["NewerNoncurrentVersions"])
        made.append(entry)
    return made


def _lifecycle_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A CloudFormation lifecycle Rule in the shape of S3's PutBucketLifecycleConfiguration."""
    made: dict[str, Any] = {"Status": str(rule["Status"]), "Filter": _lifecycle_filter(rule)}
    if "Id" in rule:
        made["ID"] = str(rule["Id"])
    expiration: dict[str, Any] = {}
    if "ExpirationInDays" in rule:
        expiration["Days"] = _number(rule["ExpirationInDays"])
    if "ExpirationDate" in rule:
        expiration["Date"] = rule["ExpirationDate"]
    if "ExpiredObjectDeleteMarker" in rule:
        expiration["ExpiredObjectDeleteMarker"] = _flag(rule["ExpiredObjectDeleteMarker"])
    if expiration:
        made["Expiration"] = expiration
    if transitions := _transitions(rule, "Transitions", "Days"):
        made["Transitions"] = transitions
    if noncurrent_transitions := _transitions(rule, "NoncurrentVersionTransitions", "NoncurrentDays"):
        made["NoncurrentVersionTransitions"] = noncurrent_transitions
    noncurrent = dict(rule.get("NoncurrentVersionExpiration") or {})
    if "NoncurrentVersionExpirationInDays" in rule:
        noncurrent.setdefault("NoncurrentDays", rule["NoncurrentVersionExpirationInDays"])
    if noncurrent:
        made["NoncurrentVersionExpiration"] = {k: _number(v) for k, v in noncurrent.items()}
    if abort := rule.get("AbortIncompleteMultipartUpload"):
        made["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": _number(abort["DaysAfterInitiation"])
        }
    return made


class Bucket(_ResourceType):
    label = "S3 bucket"
    supported = frozenset(
        {
            "BucketName",
            "AccessControl",
            "BucketEncryption",
            "LifecycleConfiguration",
            "OwnershipControls",
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
        with _deleting(self.label, physical_id, "NoSuchBucket", "404"):
            ctx.client("s3").delete_bucket(Bucket=physical_id)

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
            if _changed(old, new, "AccessControl") and (new.get("AccessControl") or old):
                acl = _CANNED_ACLS.get(str(new.get("AccessControl", "Private")))
                if acl is None:
                    raise ProvisionError(f"{self.label} {name}: unknown AccessControl {new['AccessControl']}")
                s3.put_bucket_acl(Bucket=name, ACL=acl)
            if _changed(old, new, "OwnershipControls"):
                ownership = new.get("OwnershipControls")
                if ownership:
                    rules = [{"ObjectOwnership": str(r["ObjectOwnership"])} for r in ownership["Rules"]]
                    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": rules})
                else:
                    s3.delete_bucket_ownership_controls(Bucket=name)
            if _changed(old, new, "LifecycleConfiguration"):
                lifecycle = new.get("LifecycleConfiguration")
                if lifecycle:
                    rules = [_lifecycle_rule(r) for r in lifecycle.get("Rules", [])]
                    s3.put_bucket_lifecycle_configuration(
                        Bucket=name, LifecycleConfiguration={"Rules": rules}
                    )
                else:
                    s3.delete_bucket_lifecycle(Bucket=name)
            if _changed(old, new, "Tags"):
                tags = _tags(new)
                if tags:
                    tag_set = _tag_list(tags)
                    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": tag_set})
                else:
                    s3.delete_bucket_tagging(Bucket=name)


def _bucket_exists(s3: Any, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
    except ClientError as error:
        return not _gone(error, "404", "NoSuchBucket", "NotFound")
    return True


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
        with _deleting(self.label, bucket, "NoSuchBucket", "NoSuchBucketPolicy", "404"):
            ctx.client("s3").delete_bucket_policy(Bucket=bucket)

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
