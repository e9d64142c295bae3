"""``AWS::ECR::Repository`` (``ecr.py``), as the CDK bootstrap stack uses it: settings, lifecycle and
repository policies and tags created, updated and dropped in place; a delete that fails on a repository
holding images unless ``EmptyOnDelete`` is set; and the lower-case name generated for an unnamed one."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from localcloud.deploy.provisioners import Provisioned, ProvisionError, provisioner_for

from .context import ACCOUNT, REGION, LocalContext, create

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
