"""The endpoint authorizes a role session's requests: identity policies (inline and attached) and the
resource's policy, as AWS evaluates them; the local cloud's own credentials are never checked."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from localcloud.gateway.server import REGION, LocalCloud
from localcloud.testing.clients import error_code

BUCKET = "authorized-data"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


def allow(action: str, resource: str) -> str:
    return json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}]}
    )


def session_client(cloud: LocalCloud, role_arn: str, service: str) -> Any:
    """A client signing with the session credentials a function running as ``role_arn`` gets."""
    credentials = cloud.role_credentials(role_arn, "fn")
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=cloud.endpoint_url,
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials["AWS_SESSION_TOKEN"],
    )


@pytest.fixture
def role(cloud: LocalCloud) -> str:
    """A role with no policy, and a bucket with an object."""
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="a.txt", Body=b"a")
    arn: str = cloud.client("iam").create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(TRUST))[
        "Role"
    ]["Arn"]
    return arn


def get(cloud: LocalCloud, role_arn: str) -> str:
    """ "allowed", or the error code of the refusal, of the role's GetObject."""
    try:
        session_client(cloud, role_arn, "s3").get_object(Bucket=BUCKET, Key="a.txt")
    except ClientError as error:
        return error_code(error)
    return "allowed"


def test_a_role_without_policies_is_refused_and_the_cloud_itself_is_not(cloud: LocalCloud, role: str) -> None:
    # GIVEN a role that no policy allows anything
    # WHEN its session reads the object, and the local cloud's own client does
    refused = get(cloud, role)
    cloud.client("s3").get_object(Bucket=BUCKET, Key="a.txt")
    # THEN the session is refused as S3 refuses, the cloud's own request is not checked
    assert refused == "AccessDenied"
    assert ("arn:aws:sts::123456789012:assumed-role/reader/fn", "s3:GetObject", "denied") in (
        cloud.authorizer.decisions
    )


@pytest.mark.parametrize("how", ["inline", "attached", "bucket policy"])
def test_an_allow_in_an_identity_or_the_resource_policy_lets_the_session_read(
    cloud: LocalCloud, role: str, how: str
) -> None:
    # GIVEN the read allowed in an inline policy, in an attached customer-managed policy, or in the bucket
    # policy naming the role
    iam = cloud.client("iam")
    document = allow("s3:GetObject", f"arn:aws:s3:::{BUCKET}/*")
    if how == "inline":
        iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=document)
    elif how == "attached":
        policy = iam.create_policy(PolicyName="read", PolicyDocument=document)["Policy"]["Arn"]
        iam.attach_role_policy(RoleName="reader", PolicyArn=policy)
    else:
        statement = {
            "Effect": "Allow",
            "Principal": {"AWS": role},
            "Action": "s3:GetObject",
            "Resource": f"arn:aws:s3:::{BUCKET}/*",
        }
        cloud.client("s3").put_bucket_policy(
            Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [statement]})
        )
    # WHEN its session reads the object THEN it may
    assert get(cloud, role) == "allowed"


def test_an_explicit_deny_in_the_bucket_policy_wins_over_the_roles_allow(
    cloud: LocalCloud, role: str
) -> None:
    # GIVEN the role allowed to read, and the bucket denying reads that are not over TLS
    iam = cloud.client("iam")
    iam.put_role_policy(RoleName="reader", PolicyName="read", PolicyDocument=allow("s3:*", "*"))
    deny = {
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": {"StringEquals": {"aws:PrincipalArn": role}},
    }
    cloud.client("s3").put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [deny]})
    )
    # WHEN its session reads THEN the deny wins
    assert get(cloud, role) == "AccessDenied"


def test_without_enforcement_the_session_may_do_anything() -> None:
    # GIVEN a cloud that does not enforce IAM, and a role without policies
    with LocalCloud(enforce_iam=False) as cloud:
        cloud.client("s3").create_bucket(Bucket=BUCKET)
        cloud.client("s3").put_object(Bucket=BUCKET, Key="a.txt", Body=b"a")
        role = cloud.client("iam").create_role(RoleName="reader", AssumeRolePolicyDocument=json.dumps(TRUST))
        # WHEN its session reads THEN it may, and nothing was decided
        assert get(cloud, role["Role"]["Arn"]) == "allowed"
        assert not cloud.enforces_iam and not cloud.authorizer.decisions
