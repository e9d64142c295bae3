"""What the provider's role may do for one model version: least privilege, scoped to that version."""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from .acknowledgements import acknowledge_wildcard
from .provider import ProjectVersionProvider

# The KMS permissions CreateProjectVersion documents for the caller, on the model's key.
MODEL_KEY_ACTIONS = ("kms:CreateGrant", "kms:DescribeKey", "kms:GenerateDataKey", "kms:Decrypt")
VERSION_ACTIONS = (
    "rekognition:DescribeProjectVersions",
    "rekognition:StartProjectVersion",
    "rekognition:StopProjectVersion",
    "rekognition:DeleteProjectVersion",
    "rekognition:TagResource",
    "rekognition:UntagResource",
    "rekognition:ListTagsForResource",
)


def grant_provider(
    provider: ProjectVersionProvider,
    *,
    project_arn: str,
    versions_arn: str,
    kms_key: kms.IKey,
    output_bucket: s3.IBucket,
    output_prefix: str,
) -> list[iam.Grant]:
    """Grant the provider what a version's own requests need (the data sources grant their reads when
    they bind); the version's resource waits for the grants returned."""
    role = provider.role
    outputs = output_bucket.arn_for_objects(f"{output_prefix}*")
    grants = [
        iam.Grant.add_to_principal(
            grantee=role,
            actions=["rekognition:CreateProjectVersion", "rekognition:DescribeProjectVersions"],
            resource_arns=[project_arn],
        ),
        iam.Grant.add_to_principal(grantee=role, actions=list(VERSION_ACTIONS), resource_arns=[versions_arn]),
        iam.Grant.add_to_principal(grantee=role, actions=["s3:PutObject"], resource_arns=[outputs]),
        # HeadBucket before training: the output bucket exists, is this account's and in this Region.
        iam.Grant.add_to_principal(
            grantee=role, actions=["s3:ListBucket"], resource_arns=[output_bucket.bucket_arn]
        ),
        kms_key.grant(role, *MODEL_KEY_ACTIONS),
    ]
    if output_bucket.encryption_key is not None and output_bucket.encryption_key is not kms_key:
        grants.append(output_bucket.encryption_key.grant(role, "kms:GenerateDataKey", "kms:Decrypt"))
    acknowledge_wildcard(
        provider,
        versions_arn,
        "model version ARNs end in a creation timestamp chosen by Rekognition at training time; "
        "the grant covers the versions of this one project only",
    )
    acknowledge_wildcard(
        provider,
        outputs,
        "training writes evaluation and manifest summaries under the output prefix with service-chosen "
        "names; PutObject (and, for an F1 gate, GetObject of the evaluation summary) is granted under "
        "that prefix only",
    )
    return grants


def grant_evaluation_read(
    provider: ProjectVersionProvider, *, output_bucket: s3.IBucket, output_prefix: str
) -> iam.Grant:
    """GetObject under the output prefix, for an F1 gate that reads the evaluation summary."""
    outputs = output_bucket.arn_for_objects(f"{output_prefix}*")
    return iam.Grant.add_to_principal(
        grantee=provider.role, actions=["s3:GetObject"], resource_arns=[outputs]
    )
