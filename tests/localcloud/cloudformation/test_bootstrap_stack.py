"""The CDK bootstrap stack (CDKToolkit) deployed, updated and destroyed by the local deploy engine.

The template is the pinned CLI's own, so ``cdk bootstrap`` against the local cloud gets the same stack.
"""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from botocore.exceptions import ClientError

from localcloud.clock import SystemClock
from localcloud.deploy.assembly import StackArtifact
from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.deploy.deployment import Deployment
from localcloud.deploy.engine import Engine
from localcloud.deploy.provisioners import ignored_properties
from localcloud.deploy.stack_events import Printer
from localcloud.gateway.server import LocalCloud
from localcloud.state import snapshots
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from tests.repository import ROOT

DURATIONS = PROPORTIONAL.durations

TEMPLATE_FILE = ROOT / "node_modules/aws-cdk/lib/api/bootstrap/bootstrap-template.yaml"
ACCOUNT, REGION, QUALIFIER = "123456789012", "us-east-1", "hnb659fds"
BUCKET = f"cdk-{QUALIFIER}-assets-{ACCOUNT}-{REGION}"
REPOSITORY = f"cdk-{QUALIFIER}-container-assets-{ACCOUNT}-{REGION}"
VERSION_PARAMETER = f"/cdk-bootstrap/{QUALIFIER}/version"
ALIAS = f"alias/cdk-{QUALIFIER}-assets-key"
ROLES = {
    kind: f"cdk-{QUALIFIER}-{kind}-{ACCOUNT}-{REGION}"
    for kind in (
        "file-publishing-role",
        "image-publishing-role",
        "lookup-role",
        "deploy-role",
        "cfn-exec-role",
    )
}
RETAINED = {"StagingBucket"}  # DeletionPolicy: Retain


def bootstrap_template(**parameters: str) -> dict[str, Any]:
    """The CLI's template; ``parameters`` become the Defaults, as if ``cdk bootstrap`` had passed them."""
    template: dict[str, Any] = yaml.safe_load(TEMPLATE_FILE.read_text())
    template = copy.deepcopy(template)
    for name, value in parameters.items():
        template["Parameters"][name]["Default"] = value
    return template


def template_version(template: dict[str, Any]) -> str:
    return str(template["Resources"]["CdkBootstrapVersion"]["Properties"]["Value"])


def artifact(template: dict[str, Any], folder: Path) -> StackArtifact:
    return StackArtifact("CDKToolkit", "CDKToolkit", template, folder)


@pytest.fixture
def events() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def engine(cloud: LocalCloud, certificate: CertificatePair, events: io.StringIO) -> Iterator[Engine]:
    with ResponseServer(certificate) as responses:
        yield Engine(cloud, responses, cert_file=certificate.cert_file, printer=Printer(events))


@pytest.fixture
def deployed(engine: Engine, tmp_path: Path) -> Deployment:
    return engine.deploy(artifact(bootstrap_template(), tmp_path))


def statements(document: Any) -> list[dict[str, Any]]:
    parsed = json.loads(document) if isinstance(document, str) else document
    found: list[dict[str, Any]] = parsed["Statement"]
    return found


def trusted_principals(iam: Any, role: str) -> list[Any]:
    trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
    return [statement["Principal"]["AWS"] for statement in statements(trust)]


def test_every_property_of_the_bootstrap_template_is_acted_on() -> None:
    # GIVEN the CLI's bootstrap template WHEN asked which properties the local cloud ignores THEN none
    template = bootstrap_template()
    ignored = {
        (logical_id, name)
        for logical_id, resource in template["Resources"].items()
        for name in ignored_properties(resource["Type"], resource.get("Properties", {}))
    }
    assert ignored == set()


def test_the_bootstrap_stack_deploys_with_its_defaults(cloud: LocalCloud, deployed: Deployment) -> None:
    s3, ecr, ssm = cloud.client("s3"), cloud.client("ecr"), cloud.client("ssm")
    iam, kms = cloud.client("iam"), cloud.client("kms")
    template = bootstrap_template()
    # GIVEN a local cloud WHEN the bootstrap template is deployed with its defaults (the fixture)
    assert deployed.status == "CREATE_COMPLETE"
    # THEN the staging bucket is encrypted with the stack's new key, blocks public access and is versioned
    key_arn = deployed.resources["FileAssetsBucketEncryptionKey"].attributes["Arn"]
    (rule,) = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"] == {
        "SSEAlgorithm": "aws:kms",
        "KMSMasterKeyID": key_arn,
    }
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == dict.fromkeys(
        ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"), True
    )
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert {r["ID"]: r["Status"] for r in rules} == {
        "CleanupOldVersions": "Enabled",
        "AbortIncompleteMultipartUploads": "Enabled",
    }
    assert rules[0]["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    # AND its policy is deployed, but its one statement (deny unless TLS) is a conditional Deny that moto
    # would apply to every request: S3 holds no policy, and assets can be uploaded
    assert deployed.resources["StagingBucketPolicy"].physical_id == f"{BUCKET}-policy"
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="asset.zip", Body=b"zip")
    assert s3.head_object(Bucket=BUCKET, Key="asset.zip")["SSEKMSKeyId"] == key_arn
    # AND the key has its alias, and its policy lets the file publishing role use it
    (alias,) = kms.list_aliases(KeyId=key_arn)["Aliases"]
    assert alias["AliasName"] == ALIAS
    key_policy = json.loads(kms.get_key_policy(KeyId=key_arn, PolicyName="default")["Policy"])
    file_role_arn = f"arn:aws:iam::{ACCOUNT}:role/{ROLES['file-publishing-role']}"
    assert {"AWS": file_role_arn} in [statement["Principal"] for statement in statements(key_policy)]
    # AND the container assets repository is immutable, with its lifecycle and repository policies
    (repository,) = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["repositoryUri"] == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/{REPOSITORY}"
    lifecycle = ecr.get_lifecycle_policy(repositoryName=REPOSITORY)["lifecyclePolicyText"]
    expected = template["Resources"]["ContainerAssetsRepository"]["Properties"]["LifecyclePolicy"]
    assert json.loads(lifecycle) == json.loads(expected["LifecyclePolicyText"])
    policy = ecr.get_repository_policy(repositoryName=REPOSITORY)["policyText"]
    assert [s["Sid"] for s in statements(policy)] == [
        "LambdaECRImageRetrievalPolicy",
        "EmrServerlessImageRetrievalPolicy",
    ]
    # AND the version parameter holds the template's version
    parameter = ssm.get_parameter(Name=VERSION_PARAMETER)["Parameter"]
    assert (parameter["Value"], parameter["Type"]) == (template_version(template), "String")
    # AND the five roles exist, trusting only the account itself, and only without an external id
    for kind, role in ROLES.items():
        trust = iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]
        if kind == "cfn-exec-role":
            assert [s["Principal"] for s in statements(trust)] == [
                {"Service": "cloudformation.amazonaws.com"}
            ]
            continue
        assert trusted_principals(iam, role) == [ACCOUNT, ACCOUNT]
        assume = statements(trust)[0]
        assert assume["Condition"] == {"Null": {"sts:ExternalId": "true"}}
        tags = {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=role)["Tags"]}
        assert tags == {"aws-cdk:bootstrap-role": kind.removesuffix("-role")}
    # AND the roles carry their inline and default policies
    assert iam.list_role_policies(RoleName=ROLES["deploy-role"])["PolicyNames"] == ["default"]
    assert iam.list_role_policies(RoleName=ROLES["lookup-role"])["PolicyNames"] == ["LookupRolePolicy"]
    for kind in ("file-publishing-role", "image-publishing-role"):
        (name,) = iam.list_role_policies(RoleName=ROLES[kind])["PolicyNames"]
        assert name == f"cdk-{QUALIFIER}-{kind}-default-policy-{ACCOUNT}-{REGION}"
    # AND the example permissions boundary, behind a false condition, is not created
    assert "CdkBoostrapPermissionsBoundaryPolicy" not in deployed.resources
    assert iam.list_policies(Scope="Local")["Policies"] == []
    # AND the outputs resolve as the CLI reads them
    assert deployed.outputs == {
        "BucketName": BUCKET,
        "BucketDomainName": f"{BUCKET}.s3.{REGION}.amazonaws.com",
        "FileAssetKeyArn": key_arn,
        "ImageRepositoryName": REPOSITORY,
        "BootstrapVersion": template_version(template),
    }


def test_an_update_with_changed_parameters_updates_in_place(
    cloud: LocalCloud, engine: Engine, deployed: Deployment, events: io.StringIO, tmp_path: Path
) -> None:
    s3, ssm, iam = cloud.client("s3"), cloud.client("ssm"), cloud.client("iam")
    execution_policy = iam.create_policy(
        PolicyName="deploy-what-we-allow",
        PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
    )["Policy"]["Arn"]
    before = {lid: r.physical_id for lid, r in deployed.resources.items()}
    # GIVEN the deployed bootstrap stack WHEN it is bootstrapped again trusting two accounts, with an
    # execution policy, without the public access block, from a newer template version
    template = bootstrap_template(
        TrustedAccounts="111111111111,222222222222",
        CloudFormationExecutionPolicies=execution_policy,
        PublicAccessBlockConfiguration="false",
    )
    newer = str(int(template_version(template)) + 1)
    template["Resources"]["CdkBootstrapVersion"]["Properties"]["Value"] = newer
    template["Outputs"]["BootstrapVersion"]["Value"] = newer
    updated = engine.deploy(artifact(template, tmp_path), deployed)
    # THEN the update completes with every resource where it was: nothing was replaced
    assert updated.status == "UPDATE_COMPLETE"
    assert {lid: r.physical_id for lid, r in updated.resources.items()} == before
    assert "DELETE_" not in events.getvalue()
    # AND the publishing and deploy roles trust the accounts, still only without an external id
    for kind in ("file-publishing-role", "image-publishing-role", "deploy-role", "lookup-role"):
        principals = trusted_principals(iam, ROLES[kind])
        assert principals[:2] == [ACCOUNT, ACCOUNT]
        assert [sorted(p) for p in principals[2:]] == [["111111111111", "222222222222"]] * 2
    # AND the execution role has the given policy instead of AdministratorAccess
    attached = iam.list_attached_role_policies(RoleName=ROLES["cfn-exec-role"])["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [execution_policy]
    assert updated.resources["CloudFormationExecutionRole"].properties["ManagedPolicyArns"] == [
        execution_policy
    ]
    # AND the bucket no longer blocks public access
    with pytest.raises(ClientError, match="NoSuchPublicAccessBlockConfiguration"):
        s3.get_public_access_block(Bucket=BUCKET)
    # AND the version parameter was overwritten with the newer version, as the output says
    parameter = ssm.get_parameter(Name=VERSION_PARAMETER)["Parameter"]
    assert (parameter["Value"], parameter["Version"]) == (newer, 2)
    assert updated.outputs["BootstrapVersion"] == newer


def test_destroy_keeps_only_the_retained_resources(
    cloud: LocalCloud, engine: Engine, deployed: Deployment, events: io.StringIO
) -> None:
    s3, ecr, ssm = cloud.client("s3"), cloud.client("ecr"), cloud.client("ssm")
    iam, kms = cloud.client("iam"), cloud.client("kms")
    key_id = deployed.resources["FileAssetsBucketEncryptionKey"].physical_id
    retained = {lid for lid, r in deployed.resources.items() if r.deletion_policy == "Retain"}
    assert retained == RETAINED
    # GIVEN the deployed bootstrap stack WHEN it is destroyed
    engine.destroy(deployed)
    # THEN it is gone, the staging bucket skipped as its DeletionPolicy says, and kept with its settings
    assert deployed.status == "DELETE_COMPLETE" and deployed.resources == {}
    assert "DELETE_SKIPPED" in events.getvalue()
    s3.head_bucket(Bucket=BUCKET)
    assert s3.get_bucket_versioning(Bucket=BUCKET)["Status"] == "Enabled"
    # AND everything else is gone: the repository, the parameter, the roles, the alias; the key is
    # pending deletion, as KMS keys always are first
    assert ecr.describe_repositories()["repositories"] == []
    with pytest.raises(ClientError, match="ParameterNotFound"):
        ssm.get_parameter(Name=VERSION_PARAMETER)
    assert iam.list_roles()["Roles"] == []
    assert [a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == ALIAS] == []
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_a_saved_bootstrapped_cloud_comes_back_after_a_restart(
    certificate: CertificatePair, tmp_path: Path
) -> None:
    path = tmp_path / "cloud.pickle"
    # GIVEN a local cloud with the bootstrap stack deployed, saved to a file
    with started_cloud(PROPORTIONAL, clock=SystemClock()) as cloud, ResponseServer(certificate) as responses:
        engine = Engine(cloud, responses, cert_file=certificate.cert_file, printer=Printer(io.StringIO()))
        deployment = engine.deploy(artifact(bootstrap_template(), tmp_path))
        snapshots.save(cloud, path)

    # WHEN it is loaded into a new local cloud, which starts empty
    with started_cloud(PROPORTIONAL, clock=SystemClock()) as cloud, ResponseServer(certificate) as responses:
        ecr, ssm, kms = cloud.client("ecr"), cloud.client("ssm"), cloud.client("kms")
        assert ssm.describe_parameters()["Parameters"] == []
        assert snapshots.load(cloud, path) is True
        # THEN the repository, the version parameter, the alias, the roles and the bucket are there
        (repository,) = ecr.describe_repositories(repositoryNames=[REPOSITORY])["repositories"]
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert ecr.get_lifecycle_policy(repositoryName=REPOSITORY)["lifecyclePolicyText"]
        version = ssm.get_parameter(Name=VERSION_PARAMETER)["Parameter"]["Value"]
        assert version == template_version(bootstrap_template())
        key_id = deployment.resources["FileAssetsBucketEncryptionKey"].physical_id
        assert [a["TargetKeyId"] for a in kms.list_aliases()["Aliases"] if a["AliasName"] == ALIAS] == [
            key_id
        ]
        for role in ROLES.values():
            cloud.client("iam").get_role(RoleName=role)
        cloud.client("s3").head_bucket(Bucket=BUCKET)
        # AND the stack can be destroyed from there, the bucket kept
        engine = Engine(cloud, responses, cert_file=certificate.cert_file, printer=Printer(io.StringIO()))
        engine.destroy(deployment)
        assert ecr.describe_repositories()["repositories"] == []
        assert ssm.describe_parameters()["Parameters"] == []
        cloud.client("s3").head_bucket(Bucket=BUCKET)
