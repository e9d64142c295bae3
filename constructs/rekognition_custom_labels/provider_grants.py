"""What the provider's role may do for one model version: least privilege, scoped to that version."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import CustomResource
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from .acknowledgements import acknowledge_wildcard
from .datasets import ManifestLocation
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
    manifests: Sequence[ManifestLocation],
    version: CustomResource,
    deployed_model: CustomResource | None,
) -> None:
    """Grant the provider what the version's requests need; each resource waits for its grants.

    ``deployed_model`` is given when it reads the evaluation summary (an F1 gate).
    """
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
    for manifest in manifests:
        grants.append(_grant_object_read(role, manifest.bucket, manifest.key))
        grants.append(_grant_object_read(role, manifest.images_bucket, "*"))
    for grant in grants:
        grant.apply_before(version)
    if deployed_model is not None:
        iam.Grant.add_to_principal(
            grantee=role, actions=["s3:GetObject"], resource_arns=[outputs]
        ).apply_before(deployed_model)

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
    for images_bucket in {id(m.images_bucket): m.images_bucket for m in manifests}.values():
        acknowledge_wildcard(
            provider,
            images_bucket.arn_for_objects("*"),
            "training reads every image the Ground Truth manifest lists, and the service requires them "
            "all in this one bucket; read of objects only",
        )


def _grant_object_read(role: iam.IGrantable, bucket: s3.IBucket, key_pattern: str) -> iam.Grant:
    """Read of objects only (``grant_read`` would add ``s3:List*`` and ``s3:GetBucket*``)."""
    grant = iam.Grant.add_to_principal(
        grantee=role,
        actions=["s3:GetObject", "s3:GetObjectVersion"],
        resource_arns=[bucket.arn_for_objects(key_pattern)],
    )
    if bucket.encryption_key is not None:
        grant = grant.combine(bucket.encryption_key.grant_decrypt(role))
    return grant
