"""A signed request, as botocore sends it, mapped to what IAM authorizes: action, resources, context."""

from __future__ import annotations

import functools
import re
import urllib.parse
from collections.abc import Callable, Mapping
from typing import Any

import boto3
import botocore.config
import botocore.session
import pytest

from localcloud.iam import reference
from localcloud.iam.requests import (
    S3_ACTIONS,
    S3_VERSION_ACTIONS,
    HttpRequest,
    Target,
    operation_of,
    target_of,
)

ENDPOINT = "https://localhost:4566"
REGION = "us-east-1"
ACCOUNT = "123456789012"
_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/")

PROJECT = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/bottles/1690000000000"
VERSION = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/bottles/version/v1/1700000000000"
DATASET = f"arn:aws:rekognition:{REGION}:{ACCOUNT}:project/bottles/dataset/train/1690000000001"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{KEY_ID}"
FUNCTION = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:provider"
RULE = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/poll-abc"
STACK_ARN = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/models/0a1b2c3d-1111-2222-3333-444455556666"
BUCKET = "arn:aws:s3:::training-data"

Call = Callable[[Any], object]


class _Sent(Exception):
    """Raised from ``before-send``: the request never leaves, and botocore does not retry it."""


_prepared: list[Any] = []


def _capture(request: Any, **_: Any) -> None:
    _prepared.append(request)
    raise _Sent


@functools.cache
def _client(service: str, endpoint: str | None, addressing_style: str | None) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret", region_name=REGION
    )
    config = botocore.config.Config(s3={"addressing_style": addressing_style} if addressing_style else None)
    where = {"endpoint_url": endpoint} if endpoint else {}
    client = session.client(service, config=config, **where)
    client.meta.events.register("before-send", _capture)
    return client


def sent(
    service: str, call: Call, *, endpoint: str | None = ENDPOINT, addressing_style: str | None = None
) -> HttpRequest:
    """The request a boto3 client of ``service`` makes for ``call``, as the WSGI layer sees it."""
    _prepared.clear()
    with pytest.raises(_Sent):
        call(_client(service, endpoint, addressing_style))
    request = _prepared[-1]
    url = urllib.parse.urlsplit(request.url)
    headers = {
        str(name).lower(): value.decode() if isinstance(value, bytes) else str(value)
        for name, value in request.headers.items()
    }
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    if isinstance(body, str):
        body = body.encode()
    scope = _SCOPE.search(headers["authorization"])
    assert scope is not None
    return HttpRequest(
        method=request.method,
        path=url.path,
        query=url.query,
        headers=headers,
        body=body or b"",
        host=url.netloc,
        service=scope.group(2),
        region=scope.group(1),
        account=ACCOUNT,
        secure=url.scheme == "https",
    )


def target(service: str, call: Call, **options: Any) -> Target:
    found = target_of(sent(service, call, **options))
    assert found is not None
    return found


CASES: list[tuple[str, str, Call, str, tuple[str, ...]]] = [
    # Rekognition: the provider handler and the consumer
    (
        "rekognition",
        "create_project",
        lambda c: c.create_project(ProjectName="bottles"),
        "rekognition:CreateProject",
        ("*",),
    ),
    (
        "rekognition",
        "describe_projects",
        lambda c: c.describe_projects(ProjectNames=["bottles"]),
        "rekognition:DescribeProjects",
        ("*",),
    ),
    (
        "rekognition",
        "create_project_version",
        lambda c: c.create_project_version(
            ProjectArn=PROJECT,
            VersionName="v1",
            OutputConfig={"S3Bucket": "out", "S3KeyPrefix": "p/"},
            KmsKeyId=KEY_ARN,
            Tags={"owner": "cfn"},
        ),
        "rekognition:CreateProjectVersion",
        (PROJECT,),
    ),
    (
        "rekognition",
        "describe_project_versions",
        lambda c: c.describe_project_versions(ProjectArn=PROJECT, VersionNames=["v1"]),
        "rekognition:DescribeProjectVersions",
        (PROJECT,),
    ),
    (
        "rekognition",
        "start_project_version",
        lambda c: c.start_project_version(ProjectVersionArn=VERSION, MinInferenceUnits=1),
        "rekognition:StartProjectVersion",
        (VERSION,),
    ),
    (
        "rekognition",
        "stop_project_version",
        lambda c: c.stop_project_version(ProjectVersionArn=VERSION),
        "rekognition:StopProjectVersion",
        (VERSION,),
    ),
    (
        "rekognition",
        "delete_project_version",
        lambda c: c.delete_project_version(ProjectVersionArn=VERSION),
        "rekognition:DeleteProjectVersion",
        (VERSION,),
    ),
    (
        "rekognition",
        "delete_project",
        lambda c: c.delete_project(ProjectArn=PROJECT),
        "rekognition:DeleteProject",
        (PROJECT,),
    ),
    (
        "rekognition",
        "tag_resource",
        lambda c: c.tag_resource(ResourceArn=VERSION, Tags={"k": "v"}),
        "rekognition:TagResource",
        (VERSION,),
    ),
    (
        "rekognition",
        "untag_resource",
        lambda c: c.untag_resource(ResourceArn=PROJECT, TagKeys=["k"]),
        "rekognition:UntagResource",
        (PROJECT,),
    ),
    (
        "rekognition",
        "list_tags_for_resource",
        lambda c: c.list_tags_for_resource(ResourceArn=DATASET),
        "rekognition:ListTagsForResource",
        (DATASET,),
    ),
    (
        "rekognition",
        "detect_custom_labels",
        lambda c: c.detect_custom_labels(
            ProjectVersionArn=VERSION,
            Image={"S3Object": {"Bucket": "images", "Name": "a.jpg"}},
            MinConfidence=50.0,
        ),
        "rekognition:DetectCustomLabels",
        (VERSION,),
    ),
    # S3 (path style against the local endpoint)
    (
        "s3",
        "get_object",
        lambda c: c.get_object(Bucket="training-data", Key="manifests/a b+c.json", Range="bytes=0-0"),
        "s3:GetObject",
        (f"{BUCKET}/manifests/a b+c.json",),
    ),
    (
        "s3",
        "get_object_version",
        lambda c: c.get_object(Bucket="training-data", Key="m.json", VersionId="3HL4kqtJ"),
        "s3:GetObjectVersion",
        (f"{BUCKET}/m.json",),
    ),
    (
        "s3",
        "head_object",
        lambda c: c.head_object(Bucket="training-data", Key="m.json"),
        "s3:GetObject",
        (f"{BUCKET}/m.json",),
    ),
    (
        "s3",
        "head_bucket",
        lambda c: c.head_bucket(Bucket="training-data", ExpectedBucketOwner=ACCOUNT),
        "s3:ListBucket",
        (BUCKET,),
    ),
    (
        "s3",
        "put_object",
        lambda c: c.put_object(Bucket="training-data", Key="out/summary.json", Body=b"{}"),
        "s3:PutObject",
        (f"{BUCKET}/out/summary.json",),
    ),
    (
        "s3",
        "copy_object",
        lambda c: c.copy_object(Bucket="training-data", Key="b.json", CopySource="src/a.json"),
        "s3:PutObject",
        (f"{BUCKET}/b.json",),
    ),
    (
        "s3",
        "list_objects_v2",
        lambda c: c.list_objects_v2(Bucket="training-data", Prefix="out/"),
        "s3:ListBucket",
        (BUCKET,),
    ),
    ("s3", "list_objects", lambda c: c.list_objects(Bucket="training-data"), "s3:ListBucket", (BUCKET,)),
    (
        "s3",
        "list_object_versions",
        lambda c: c.list_object_versions(Bucket="training-data"),
        "s3:ListBucketVersions",
        (BUCKET,),
    ),
    (
        "s3",
        "delete_object",
        lambda c: c.delete_object(Bucket="training-data", Key="a/b"),
        "s3:DeleteObject",
        (f"{BUCKET}/a/b",),
    ),
    (
        "s3",
        "delete_object_version",
        lambda c: c.delete_object(Bucket="training-data", Key="a", VersionId="v"),
        "s3:DeleteObjectVersion",
        (f"{BUCKET}/a",),
    ),
    (
        "s3",
        "delete_objects",
        lambda c: c.delete_objects(
            Bucket="training-data", Delete={"Objects": [{"Key": "a/1"}, {"Key": "a/2"}]}
        ),
        "s3:DeleteObject",
        (f"{BUCKET}/a/1", f"{BUCKET}/a/2"),
    ),
    ("s3", "list_buckets", lambda c: c.list_buckets(), "s3:ListAllMyBuckets", ("*",)),
    ("s3", "create_bucket", lambda c: c.create_bucket(Bucket="training-data"), "s3:CreateBucket", (BUCKET,)),
    ("s3", "delete_bucket", lambda c: c.delete_bucket(Bucket="training-data"), "s3:DeleteBucket", (BUCKET,)),
    (
        "s3",
        "get_bucket_location",
        lambda c: c.get_bucket_location(Bucket="training-data"),
        "s3:GetBucketLocation",
        (BUCKET,),
    ),
    (
        "s3",
        "get_bucket_policy",
        lambda c: c.get_bucket_policy(Bucket="training-data"),
        "s3:GetBucketPolicy",
        (BUCKET,),
    ),
    (
        "s3",
        "put_bucket_policy",
        lambda c: c.put_bucket_policy(Bucket="training-data", Policy="{}"),
        "s3:PutBucketPolicy",
        (BUCKET,),
    ),
    (
        "s3",
        "get_bucket_tagging",
        lambda c: c.get_bucket_tagging(Bucket="training-data"),
        "s3:GetBucketTagging",
        (BUCKET,),
    ),
    (
        "s3",
        "put_bucket_tagging",
        lambda c: c.put_bucket_tagging(
            Bucket="training-data", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]}
        ),
        "s3:PutBucketTagging",
        (BUCKET,),
    ),
    (
        "s3",
        "delete_bucket_tagging",
        lambda c: c.delete_bucket_tagging(Bucket="training-data"),
        "s3:PutBucketTagging",
        (BUCKET,),
    ),
    (
        "s3",
        "get_object_tagging",
        lambda c: c.get_object_tagging(Bucket="training-data", Key="k"),
        "s3:GetObjectTagging",
        (f"{BUCKET}/k",),
    ),
    (
        "s3",
        "get_bucket_encryption",
        lambda c: c.get_bucket_encryption(Bucket="training-data"),
        "s3:GetEncryptionConfiguration",
        (BUCKET,),
    ),
    (
        "s3",
        "delete_bucket_encryption",
        lambda c: c.delete_bucket_encryption(Bucket="training-data"),
        "s3:PutEncryptionConfiguration",
        (BUCKET,),
    ),
    (
        "s3",
        "put_bucket_notification_configuration",
        lambda c: c.put_bucket_notification_configuration(
            Bucket="training-data", NotificationConfiguration={}
        ),
        "s3:PutBucketNotification",
        (BUCKET,),
    ),
    (
        "s3",
        "get_bucket_versioning",
        lambda c: c.get_bucket_versioning(Bucket="training-data"),
        "s3:GetBucketVersioning",
        (BUCKET,),
    ),
    (
        "s3",
        "get_public_access_block",
        lambda c: c.get_public_access_block(Bucket="training-data"),
        "s3:GetBucketPublicAccessBlock",
        (BUCKET,),
    ),
    (
        "s3",
        "get_bucket_lifecycle_configuration",
        lambda c: c.get_bucket_lifecycle_configuration(Bucket="training-data"),
        "s3:GetLifecycleConfiguration",
        (BUCKET,),
    ),
    (
        "s3",
        "get_bucket_cors",
        lambda c: c.get_bucket_cors(Bucket="training-data"),
        "s3:GetBucketCORS",
        (BUCKET,),
    ),
    (
        "s3",
        "get_bucket_ownership_controls",
        lambda c: c.get_bucket_ownership_controls(Bucket="training-data"),
        "s3:GetBucketOwnershipControls",
        (BUCKET,),
    ),
    (
        "s3",
        "create_multipart_upload",
        lambda c: c.create_multipart_upload(Bucket="training-data", Key="big"),
        "s3:PutObject",
        (f"{BUCKET}/big",),
    ),
    (
        "s3",
        "abort_multipart_upload",
        lambda c: c.abort_multipart_upload(Bucket="training-data", Key="big", UploadId="u1"),
        "s3:AbortMultipartUpload",
        (f"{BUCKET}/big",),
    ),
    (
        "s3",
        "list_parts",
        lambda c: c.list_parts(Bucket="training-data", Key="big", UploadId="u1"),
        "s3:ListMultipartUploadParts",
        (f"{BUCKET}/big",),
    ),
    # KMS
    ("kms", "describe_key", lambda c: c.describe_key(KeyId=KEY_ID), "kms:DescribeKey", (KEY_ARN,)),
    ("kms", "describe_key_by_arn", lambda c: c.describe_key(KeyId=KEY_ARN), "kms:DescribeKey", (KEY_ARN,)),
    ("kms", "decrypt", lambda c: c.decrypt(CiphertextBlob=b"blob", KeyId=KEY_ID), "kms:Decrypt", (KEY_ARN,)),
    (
        "kms",
        "generate_data_key",
        lambda c: c.generate_data_key(KeyId=KEY_ID, KeySpec="AES_256"),
        "kms:GenerateDataKey",
        (KEY_ARN,),
    ),
    (
        "kms",
        "create_grant",
        lambda c: c.create_grant(
            KeyId=KEY_ARN, GranteePrincipal="rekognition.amazonaws.com", Operations=["Decrypt"]
        ),
        "kms:CreateGrant",
        (KEY_ARN,),
    ),
    (
        "kms",
        "create_alias",
        lambda c: c.create_alias(AliasName="alias/models", TargetKeyId=KEY_ID),
        "kms:CreateAlias",
        (
            f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/models",
            KEY_ARN,
        ),
    ),
    ("kms", "list_aliases", lambda c: c.list_aliases(), "kms:ListAliases", ("*",)),
    # EventBridge
    (
        "events",
        "put_rule",
        lambda c: c.put_rule(Name="poll-abc", ScheduleExpression="rate(1 minute)", State="ENABLED"),
        "events:PutRule",
        (RULE,),
    ),
    (
        "events",
        "put_rule_custom_bus",
        lambda c: c.put_rule(Name="poll-abc", EventBusName="models", EventPattern="{}"),
        "events:PutRule",
        (f"arn:aws:events:{REGION}:{ACCOUNT}:rule/models/poll-abc",),
    ),
    (
        "events",
        "put_targets",
        lambda c: c.put_targets(Rule="poll-abc", Targets=[{"Id": "1", "Arn": FUNCTION, "Input": "{}"}]),
        "events:PutTargets",
        (RULE,),
    ),
    (
        "events",
        "remove_targets",
        lambda c: c.remove_targets(Rule="poll-abc", Ids=["1"]),
        "events:RemoveTargets",
        (RULE,),
    ),
    ("events", "delete_rule", lambda c: c.delete_rule(Name="poll-abc"), "events:DeleteRule", (RULE,)),
    ("events", "describe_rule", lambda c: c.describe_rule(Name="poll-abc"), "events:DescribeRule", (RULE,)),
    (
        "events",
        "list_targets_by_rule",
        lambda c: c.list_targets_by_rule(Rule="poll-abc"),
        "events:ListTargetsByRule",
        (RULE,),
    ),
    (
        "events",
        "tag_resource",
        lambda c: c.tag_resource(ResourceARN=RULE, Tags=[{"Key": "k", "Value": "v"}]),
        "events:TagResource",
        (RULE,),
    ),
    # Lambda (REST paths under /2015-03-31/)
    (
        "lambda",
        "add_permission",
        lambda c: c.add_permission(
            FunctionName="provider",
            StatementId="poll-abc",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=RULE,
        ),
        "lambda:AddPermission",
        (FUNCTION,),
    ),
    (
        "lambda",
        "remove_permission",
        lambda c: c.remove_permission(FunctionName="provider", StatementId="poll-abc"),
        "lambda:RemovePermission",
        (FUNCTION,),
    ),
    (
        "lambda",
        "get_policy",
        lambda c: c.get_policy(FunctionName="provider"),
        "lambda:GetPolicy",
        (FUNCTION,),
    ),
    (
        "lambda",
        "get_function",
        lambda c: c.get_function(FunctionName=f"{ACCOUNT}:function:provider"),
        "lambda:GetFunction",
        (FUNCTION,),
    ),
    (
        "lambda",
        "invoke",
        lambda c: c.invoke(FunctionName=FUNCTION, Payload=b'{"FunctionName": "other"}'),
        "lambda:InvokeFunction",
        (FUNCTION,),
    ),
    (
        "lambda",
        "invoke_qualified",
        lambda c: c.invoke(FunctionName="provider", Qualifier="live"),
        "lambda:InvokeFunction",
        (f"{FUNCTION}:live",),
    ),
    ("lambda", "list_functions", lambda c: c.list_functions(), "lambda:ListFunctions", ("*",)),
    # CloudFormation (query protocol)
    (
        "cloudformation",
        "signal_resource",
        lambda c: c.signal_resource(
            StackName=STACK_ARN, LogicalResourceId="Model", UniqueId="u", Status="SUCCESS"
        ),
        "cloudformation:SignalResource",
        (STACK_ARN,),
    ),
    (
        "cloudformation",
        "signal_resource_by_name",
        lambda c: c.signal_resource(
            StackName="models", LogicalResourceId="Model", UniqueId="u", Status="SUCCESS"
        ),
        "cloudformation:SignalResource",
        (f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/models/*",),
    ),
    # CloudWatch Logs
    (
        "logs",
        "put_log_events",
        lambda c: c.put_log_events(
            logGroupName="/aws/lambda/provider",
            logStreamName="2026/01/01/[$LATEST]ab",
            logEvents=[{"timestamp": 1, "message": "m"}],
        ),
        "logs:PutLogEvents",
        (
            f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/provider:log-stream:2026/01/01/[$LATEST]ab",
        ),
    ),
    (
        "logs",
        "create_log_group",
        lambda c: c.create_log_group(logGroupName="/aws/lambda/provider"),
        "logs:CreateLogGroup",
        (f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/provider",),
    ),
    # IAM and STS (best effort)
    (
        "iam",
        "get_role",
        lambda c: c.get_role(RoleName="provider-role"),
        "iam:GetRole",
        (f"arn:aws:iam::{ACCOUNT}:role/provider-role",),
    ),
    (
        "iam",
        "create_role",
        lambda c: c.create_role(RoleName="r", Path="/service/", AssumeRolePolicyDocument="{}"),
        "iam:CreateRole",
        (f"arn:aws:iam::{ACCOUNT}:role/service/r",),
    ),
    (
        "sts",
        "assume_role",
        lambda c: c.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/r", RoleSessionName="session"),
        "sts:AssumeRole",
        (f"arn:aws:iam::{ACCOUNT}:role/r",),
    ),
]


@pytest.mark.parametrize(
    ("service", "call", "action", "resources"),
    [
        pytest.param(service, call, action, resources, id=f"{service}-{name}")
        for service, name, call, action, resources in CASES
    ],
)
def test_a_botocore_request_maps_to_its_action_and_resources(
    service: str, call: Call, action: str, resources: tuple[str, ...]
) -> None:
    # GIVEN the request a boto3 client sends for the call
    request = sent(service, call)
    # WHEN it is mapped
    found = target_of(request)
    # THEN IAM authorizes the documented action on the resources the request names
    assert found is not None
    assert (found.action, found.resources) == (action, resources)
    assert found.context["aws:SecureTransport"] is True and found.context["aws:RequestedRegion"] == REGION


@pytest.mark.parametrize(
    ("service", "call", "bucket", "key_id", "function"),
    [
        ("s3", lambda c: c.get_object(Bucket="training-data", Key="k"), "training-data", None, None),
        ("s3", lambda c: c.head_bucket(Bucket="out", ExpectedBucketOwner=ACCOUNT), "out", None, None),
        ("s3", lambda c: c.list_buckets(), None, None, None),
        ("kms", lambda c: c.describe_key(KeyId=KEY_ARN), None, KEY_ARN, None),
        ("kms", lambda c: c.describe_key(KeyId="alias/models"), None, "alias/models", None),
        ("lambda", lambda c: c.get_policy(FunctionName="provider"), None, None, FUNCTION),
        ("lambda", lambda c: c.invoke(FunctionName=f"{FUNCTION}:7"), None, None, f"{FUNCTION}:7"),
        (
            "events",
            lambda c: c.put_rule(Name="poll-abc", ScheduleExpression="rate(1 minute)"),
            None,
            None,
            None,
        ),
    ],
)
def test_the_resource_policy_locator_names_the_resource_whose_policy_applies(
    service: str, call: Call, bucket: str | None, key_id: str | None, function: str | None
) -> None:
    # GIVEN a call on a resource that may carry a resource-based policy
    # WHEN it is mapped
    found = target(service, call)
    # THEN the target says which bucket, key or function to fetch the policy of
    assert (found.bucket, found.kms_key_id, found.function) == (bucket, key_id, function)


def test_a_kms_alias_stands_for_the_key_until_the_caller_resolves_it() -> None:
    # GIVEN DescribeKey by alias name (as the provider's preflight may be given)
    found = target("kms", lambda c: c.describe_key(KeyId="alias/models"))
    # THEN the alias's ARN stands in the resources, and the KeyId is handed over as given
    alias_arn = f"arn:aws:kms:{REGION}:{ACCOUNT}:alias/models"
    assert found.resources == (alias_arn,) and found.kms_key_id == "alias/models"
    assert found.context["kms:RequestAlias"] == "alias/models"
    # WHEN the caller resolves the alias to its key
    resolved = found.resolve_key(KEY_ARN)
    # THEN the target names the key, as KMS authorizes it
    assert resolved.resources == (KEY_ARN,) and resolved.action == "kms:DescribeKey"


def test_an_alias_arn_keeps_its_own_region_and_account() -> None:
    alias_arn = "arn:aws:kms:eu-west-1:210987654321:alias/models"
    found = target("kms", lambda c: c.decrypt(CiphertextBlob=b"blob", KeyId=alias_arn))
    assert found.resources == (alias_arn,) and found.kms_key_id == alias_arn


@pytest.mark.parametrize(
    ("endpoint", "host"),
    [
        (None, "training-data.s3.amazonaws.com"),
        (ENDPOINT, "training-data.localhost:4566"),
        ("https://s3.localhost.localstack.cloud:4566", "training-data.s3.localhost.localstack.cloud:4566"),
    ],
)
def test_a_virtual_hosted_s3_request_takes_its_bucket_from_the_host(endpoint: str | None, host: str) -> None:
    # GIVEN requests sent virtual-hosted style, the bucket in the Host rather than the path
    get = sent(
        "s3",
        lambda c: c.get_object(Bucket="training-data", Key="a/b.json"),
        endpoint=endpoint,
        addressing_style="virtual",
    )
    listing = sent(
        "s3",
        lambda c: c.list_objects_v2(Bucket="training-data"),
        endpoint=endpoint,
        addressing_style="virtual",
    )
    assert get.host == host and get.path == "/a/b.json" and listing.path == "/"
    # WHEN they are mapped
    found_get, found_list = target_of(get), target_of(listing)
    # THEN the bucket and key are read as in path style
    assert found_get is not None and found_list is not None
    assert (found_get.action, found_get.resources, found_get.bucket) == (
        "s3:GetObject",
        (f"{BUCKET}/a/b.json",),
        "training-data",
    )
    assert (found_list.action, found_list.resources) == ("s3:ListBucket", (BUCKET,))


@pytest.mark.parametrize(
    ("service", "call", "expected"),
    [
        (
            "s3",
            lambda c: c.list_objects_v2(Bucket="b-1", Prefix="out/", Delimiter="/", MaxKeys=10),
            {
                "s3:prefix": "out/",
                "s3:delimiter": "/",
                "s3:max-keys": "10",
                "s3:authType": "REST-HEADER",
                "s3:signatureversion": "AWS4-HMAC-SHA256",
            },
        ),
        ("s3", lambda c: c.get_object(Bucket="b-1", Key="k", VersionId="v7"), {"s3:versionid": "v7"}),
        (
            "s3",
            lambda c: c.put_object(
                Bucket="b-1", Key="k", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=KEY_ARN
            ),
            {
                "s3:x-amz-server-side-encryption": "aws:kms",
                "s3:x-amz-server-side-encryption-aws-kms-key-id": KEY_ARN,
            },
        ),
        (
            "kms",
            lambda c: c.generate_data_key(KeyId=KEY_ID, KeySpec="AES_256", EncryptionContext={"job": "j1"}),
            {
                "kms:CallerAccount": ACCOUNT,
                "kms:EncryptionContext:job": "j1",
                "kms:EncryptionContextKeys": ["job"],
            },
        ),
        (
            "kms",
            lambda c: c.create_grant(KeyId=KEY_ID, GranteePrincipal="p", Operations=["Decrypt", "Encrypt"]),
            {"kms:GranteePrincipal": "p", "kms:GrantOperations": ["Decrypt", "Encrypt"]},
        ),
        (
            "lambda",
            lambda c: c.add_permission(
                FunctionName="provider",
                StatementId="s",
                Action="lambda:InvokeFunction",
                Principal="events.amazonaws.com",
            ),
            {"lambda:Principal": "events.amazonaws.com"},
        ),
        (
            "events",
            lambda c: c.put_rule(
                Name="r",
                EventPattern='{"source": ["aws.rekognition"]}',
                Tags=[{"Key": "team", "Value": "ml"}],
            ),
            {"events:source": ["aws.rekognition"], "aws:RequestTag/team": "ml", "aws:TagKeys": ["team"]},
        ),
        (
            "events",
            lambda c: c.put_targets(Rule="r", Targets=[{"Id": "1", "Arn": FUNCTION}]),
            {"events:TargetArn": [FUNCTION]},
        ),
        (
            "rekognition",
            lambda c: c.tag_resource(ResourceArn=VERSION, Tags={"owner": "cfn"}),
            {"aws:RequestTag/owner": "cfn", "aws:TagKeys": ["owner"]},
        ),
        (
            "rekognition",
            lambda c: c.untag_resource(ResourceArn=VERSION, TagKeys=["owner"]),
            {"aws:TagKeys": ["owner"]},
        ),
    ],
)
def test_the_request_context_carries_the_keys_the_request_decides(
    service: str, call: Call, expected: Mapping[str, object]
) -> None:
    # GIVEN a request whose members or headers set condition keys the action supports
    # WHEN it is mapped
    found = target(service, call)
    # THEN the context holds them
    assert {key: found.context.get(key) for key in expected} == expected


def test_context_keys_the_action_does_not_support_are_left_out() -> None:
    # GIVEN UntagResource, for which the reference lists aws:TagKeys but not aws:RequestTag, and a
    # GetObject, which no s3:prefix applies to
    untag = target("rekognition", lambda c: c.untag_resource(ResourceArn=VERSION, TagKeys=["owner"]))
    get = target("s3", lambda c: c.get_object(Bucket="b-1", Key="k"))
    # THEN neither carries a key AWS would not send for it
    assert not any(key.startswith("aws:RequestTag/") for key in untag.context)
    assert "s3:prefix" not in get.context and "kms:CallerAccount" not in get.context


def test_a_request_over_plain_http_is_not_secure_transport() -> None:
    found = target("s3", lambda c: c.list_buckets(), endpoint="http://localhost:4566")
    assert found.context["aws:SecureTransport"] is False


@pytest.mark.parametrize(
    ("service", "call", "operation", "action"),
    [
        ("s3", lambda c: c.head_bucket(Bucket="b-1"), "HeadBucket", "s3:ListBucket"),
        ("s3", lambda c: c.list_objects_v2(Bucket="b-1"), "ListObjectsV2", "s3:ListBucket"),
        (
            "s3",
            lambda c: c.get_bucket_encryption(Bucket="b-1"),
            "GetBucketEncryption",
            "s3:GetEncryptionConfiguration",
        ),
        ("s3", lambda c: c.list_buckets(), "ListBuckets", "s3:ListAllMyBuckets"),
        ("lambda", lambda c: c.invoke(FunctionName="f"), "Invoke", "lambda:InvokeFunction"),
        (
            "lambda",
            lambda c: c.get_layer_version_by_arn(Arn="arn:aws:lambda:us-east-1:123456789012:layer:l:1"),
            "GetLayerVersionByArn",
            "lambda:GetLayerVersion",
        ),
    ],
)
def test_an_operation_whose_iam_action_is_named_otherwise_maps_to_the_action(
    service: str, call: Call, operation: str, action: str
) -> None:
    # GIVEN a request for an operation whose IAM action has another name
    request = sent(service, call)
    # WHEN it is mapped
    found = target_of(request)
    # THEN the operation is recognized, and the action is the documented one
    assert operation_of(request) == operation
    assert found is not None and found.action == action


def _request(**fields: Any) -> HttpRequest:
    base: dict[str, Any] = {
        "method": "POST",
        "path": "/",
        "query": "",
        "headers": {},
        "body": b"",
        "host": "localhost:4566",
        "service": "kms",
        "region": REGION,
        "account": ACCOUNT,
        "secure": True,
    }
    return HttpRequest(**{**base, **fields})


@pytest.mark.parametrize(
    "request_",
    [
        pytest.param(_request(service="no-such-service"), id="unknown-signing-name"),
        pytest.param(_request(headers={"x-amz-target": "AWSEvents.PutRule"}), id="another-services-target"),
        pytest.param(
            _request(headers={"x-amz-target": "TrentService.NoSuchOperation"}), id="unknown-operation"
        ),
        pytest.param(
            _request(service="s3", method="GET", path="/b-1", query="no-such-subresource"),
            id="s3-unknown-query",
        ),
        pytest.param(
            _request(service="lambda", method="GET", path="/2015-03-31/nowhere"), id="lambda-no-route"
        ),
        pytest.param(
            _request(service="cloudformation", body=b"Action=NoSuchThing"), id="query-unknown-action"
        ),
    ],
)
def test_a_request_that_names_no_known_operation_is_not_mapped(request_: HttpRequest) -> None:
    assert target_of(request_) is None and operation_of(request_) is None


@pytest.mark.parametrize(
    ("service", "call"),
    [
        # ReEncrypt is authorized as two actions, kms:ReEncryptFrom and kms:ReEncryptTo
        ("kms", lambda c: c.re_encrypt(CiphertextBlob=b"blob", DestinationKeyId=KEY_ID)),
        # Decrypt without KeyId: the key is only in the ciphertext
        ("kms", lambda c: c.decrypt(CiphertextBlob=b"blob")),
        # AWS never denies GetCallerIdentity
        ("sts", lambda c: c.get_caller_identity()),
    ],
)
def test_an_operation_iam_cannot_be_told_from_the_request_is_not_mapped(service: str, call: Call) -> None:
    # GIVEN a known operation whose action or resource this module cannot name from the request alone
    request = sent(service, call)
    # THEN it is left to the caller (allowed and logged) rather than guessed
    assert operation_of(request) is not None and target_of(request) is None


def test_delete_objects_naming_every_version_is_delete_object_version() -> None:
    found = target(
        "s3",
        lambda c: c.delete_objects(
            Bucket="b-1", Delete={"Objects": [{"Key": "a", "VersionId": "1"}, {"Key": "b", "VersionId": "2"}]}
        ),
    )
    assert found.action == "s3:DeleteObjectVersion"
    assert found.resources == ("arn:aws:s3:::b-1/a", "arn:aws:s3:::b-1/b")


def test_every_s3_table_entry_is_an_action_of_the_reference() -> None:
    names = {*S3_ACTIONS.values(), *S3_VERSION_ACTIONS.values()}
    assert [name for name in sorted(names) if not reference().has_action(f"s3:{name}")] == []


def test_the_s3_table_agrees_with_the_permissions_each_operation_documents() -> None:
    # GIVEN the S3 API Reference's "Permissions" of each operation, as botocore's model documents it
    model = botocore.session.get_session().get_service_model("s3")
    disagreements = {}
    for operation, action in S3_ACTIONS.items():
        documented = set(re.findall(r"s3:([A-Za-z]+)", model.operation_model(operation).documentation))
        # THEN where an operation names the s3: actions it needs, the table's is among them
        if documented and action.lower() not in {name.lower() for name in documented}:
            disagreements[operation] = (action, sorted(documented))
    assert disagreements == {}
