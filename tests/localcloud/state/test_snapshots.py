"""A local cloud saved to a file comes back whole in a new local cloud: moto's services and the emulator's."""

from __future__ import annotations

import io
import json
import os
import pickle
import subprocess
import sys
import threading
import zipfile
from pathlib import Path
from typing import Any

import pytest

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.state import snapshots
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded, upload_shapes

START = 1_750_000_000.0
DURATIONS = PROPORTIONAL.durations
ASSUME_ROLE = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}
SIGNING_ALGORITHMS = {"RSA_2048": "RSASSA_PSS_SHA_256", "ECC_NIST_P256": "ECDSA_SHA_256"}
INLINE_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::payload/*"}],
}


def upload_dataset(cloud: LocalCloud) -> Uploaded:
    return upload_shapes(cloud.client("s3"), images_per_label=4)


def create_version(rekognition: Any, project_arn: str, dataset: Uploaded, name: str) -> str:
    arn: str = rekognition.create_project_version(
        ProjectArn=project_arn,
        VersionName=name,
        OutputConfig={"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "out/"},
        TrainingData=dataset.training,
        TestingData=dataset.testing,
        Tags={"team": "vision"},
    )["ProjectVersionArn"]
    return arn


def version_status(rekognition: Any, project_arn: str, name: str) -> str:
    versions = rekognition.describe_project_versions(ProjectArn=project_arn, VersionNames=[name])
    (version,) = versions["ProjectVersionDescriptions"]
    status: str = version["Status"]
    return status


def signing_key(kms: Any, spec: str) -> tuple[str, bytes, bytes]:
    """An asymmetric KMS key (a ``cryptography`` private key in moto): id, public key, a signature."""
    key_id: str = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    public_key: bytes = kms.get_public_key(KeyId=key_id)["PublicKey"]
    signature: bytes = kms.sign(
        KeyId=key_id, Message=b"signed before the save", SigningAlgorithm=SIGNING_ALGORITHMS[spec]
    )["Signature"]
    return key_id, public_key, signature


def lambda_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handler(event, context):\n    return event\n")
    return buffer.getvalue()


def test_everything_survives_a_save_and_a_load_into_a_new_cloud(tmp_path: Path) -> None:
    path = tmp_path / "cloud.pickle"
    body = os.urandom(150 * 1024)  # large enough for moto to keep it in a spooled temporary file
    # GIVEN a local cloud with an object, a KMS key and a ciphertext, a role with an inline policy,
    # a Lambda function with a resource policy, a rule with a target, a log group and a trained model
    clock = ManualClock(START)
    with started_cloud(PROPORTIONAL, clock=clock) as cloud:
        s3, kms, iam = cloud.client("s3"), cloud.client("kms"), cloud.client("iam")
        awslambda, events, logs = cloud.client("lambda"), cloud.client("events"), cloud.client("logs")
        rekognition = cloud.client("rekognition")
        s3.create_bucket(Bucket="payload")
        s3.put_object(Bucket="payload", Key="big.bin", Body=body)
        key_id = kms.create_key(Description="snapshots")["KeyMetadata"]["KeyId"]
        ciphertext = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
        signing = {spec: signing_key(kms, spec) for spec in SIGNING_ALGORITHMS}
        role_arn = iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps(ASSUME_ROLE))[
            "Role"
        ]["Arn"]
        iam.put_role_policy(RoleName="worker", PolicyName="read", PolicyDocument=json.dumps(INLINE_POLICY))
        function_arn = awslambda.create_function(
            FunctionName="worker",
            Runtime="python3.12",
            Role=role_arn,
            Handler="handler.handler",
            Code={"ZipFile": lambda_zip()},
        )["FunctionArn"]
        awslambda.add_permission(
            FunctionName="worker",
            StatementId="events-invoke",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
        )
        events.put_rule(Name="every-minute", ScheduleExpression="rate(1 minute)")
        events.put_targets(Rule="every-minute", Targets=[{"Id": "worker", "Arn": function_arn}])
        logs.create_log_group(logGroupName="/aws/lambda/worker")
        dataset = upload_dataset(cloud)
        project_arn = rekognition.create_project(ProjectName="shapes")["ProjectArn"]
        version_arn = create_version(rekognition, project_arn, dataset, "v1")
        clock.advance(DURATIONS.training)
        assert version_status(rekognition, project_arn, "v1") == "TRAINING_COMPLETED"
        # WHEN it is saved
        snapshots.save(cloud, path)

    # AND loaded into a new local cloud, which starts empty
    with started_cloud(PROPORTIONAL, clock=ManualClock(START + DURATIONS.training)) as cloud:
        s3, kms, iam = cloud.client("s3"), cloud.client("kms"), cloud.client("iam")
        awslambda, events, logs = cloud.client("lambda"), cloud.client("events"), cloud.client("logs")
        rekognition = cloud.client("rekognition")
        assert s3.list_buckets()["Buckets"] == []
        assert snapshots.load(cloud, path) is True

        # THEN the object has the very same bytes
        assert s3.get_object(Bucket="payload", Key="big.bin")["Body"].read() == body
        # AND the key decrypts what it encrypted before the save, and has the same metadata
        assert kms.decrypt(CiphertextBlob=ciphertext)["Plaintext"] == b"secret"
        assert kms.decrypt(CiphertextBlob=ciphertext, KeyId=key_id)["Plaintext"] == b"secret"
        metadata = kms.describe_key(KeyId=key_id)["KeyMetadata"]
        assert metadata["KeyId"] == key_id and metadata["KeyState"] == "Enabled"
        # AND the asymmetric keys are the very same key pairs: same public key, signatures still verify
        for spec, (signing_id, public_key, signature) in signing.items():
            assert kms.get_public_key(KeyId=signing_id)["PublicKey"] == public_key
            verified = kms.verify(
                KeyId=signing_id,
                Message=b"signed before the save",
                Signature=signature,
                SigningAlgorithm=SIGNING_ALGORITHMS[spec],
            )
            assert verified["SignatureValid"] is True
        # AND the role and its inline policy are there
        assert iam.get_role(RoleName="worker")["Role"]["Arn"] == role_arn
        policy = iam.get_role_policy(RoleName="worker", PolicyName="read")["PolicyDocument"]
        assert policy == INLINE_POLICY
        # AND the function is found by name and by ARN, with its resource policy statement
        assert awslambda.get_function(FunctionName="worker")["Configuration"]["FunctionArn"] == function_arn
        by_arn = awslambda.get_function(FunctionName=function_arn)["Configuration"]
        assert by_arn["FunctionName"] == "worker"
        statements = json.loads(awslambda.get_policy(FunctionName="worker")["Policy"])["Statement"]
        assert [statement["Sid"] for statement in statements] == ["events-invoke"]
        # AND the rule still has its target
        targets = events.list_targets_by_rule(Rule="every-minute")["Targets"]
        assert [(target["Id"], target["Arn"]) for target in targets] == [("worker", function_arn)]
        # AND the log group is there
        groups = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/")["logGroups"]
        assert [group["logGroupName"] for group in groups] == ["/aws/lambda/worker"]
        # AND the project and its trained model are there, under the same ARNs, with their tags
        projects = rekognition.describe_projects(ProjectNames=["shapes"])["ProjectDescriptions"]
        assert [project["ProjectArn"] for project in projects] == [project_arn]
        (version,) = rekognition.describe_project_versions(ProjectArn=project_arn)[
            "ProjectVersionDescriptions"
        ]
        assert version["ProjectVersionArn"] == version_arn
        assert version["Status"] == "TRAINING_COMPLETED"
        tags = rekognition.list_tags_for_resource(ResourceArn=version_arn)["Tags"]
        assert tags == {"team": "vision"}


def test_a_version_training_when_saved_finishes_after_the_load(tmp_path: Path) -> None:
    path = tmp_path / "cloud.pickle"
    # GIVEN a model version saved right after it started training
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        dataset = upload_dataset(cloud)
        rekognition = cloud.client("rekognition")
        project_arn = rekognition.create_project(ProjectName="shapes")["ProjectArn"]
        version_arn = create_version(rekognition, project_arn, dataset, "v1")
        snapshots.save(cloud, path)

    # WHEN it is loaded into a new local cloud a minute later
    clock = ManualClock(START + 60)
    with started_cloud(PROPORTIONAL, clock=clock) as cloud:
        rekognition = cloud.client("rekognition")
        assert snapshots.load(cloud, path) is True
        # THEN it is still training, up to the end of its training time counted from before the save
        assert version_status(rekognition, project_arn, "v1") == "TRAINING_IN_PROGRESS"
        clock.advance(DURATIONS.training - 61)
        assert version_status(rekognition, project_arn, "v1") == "TRAINING_IN_PROGRESS"
        # AND it completes once that time has passed
        clock.advance(1)
        assert version_status(rekognition, project_arn, "v1") == "TRAINING_COMPLETED"
        (version,) = rekognition.describe_project_versions(ProjectArn=project_arn)[
            "ProjectVersionDescriptions"
        ]
        assert version["ProjectVersionArn"] == version_arn
        # AND its evaluation was written to the restored output bucket
        summary = version["EvaluationResult"]["Summary"]["S3Object"]
        cloud.client("s3").head_object(Bucket=summary["Bucket"], Key=summary["Name"])


def test_load_without_a_snapshot_returns_false_and_leaves_the_cloud_empty(tmp_path: Path) -> None:
    # GIVEN a new local cloud and no snapshot file
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        # WHEN the missing file is loaded
        loaded = snapshots.load(cloud, tmp_path / "missing.pickle")
        # THEN nothing is loaded and the cloud stays empty
        assert loaded is False
        assert cloud.client("s3").list_buckets()["Buckets"] == []
        assert cloud.client("rekognition").describe_projects()["ProjectDescriptions"] == []
        assert not (tmp_path / "missing.pickle").exists()


def test_a_save_goes_through_a_partial_file_and_replaces_the_last_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "state" / "cloud.pickle"
    renames: list[tuple[str, str]] = []
    replace = os.replace

    def recording_replace(source: Any, target: Any) -> None:
        renames.append((str(source), str(target)))
        replace(source, target)

    monkeypatch.setattr(os, "replace", recording_replace)
    # GIVEN a local cloud saved once, then changed and saved again
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        s3 = cloud.client("s3")
        s3.create_bucket(Bucket="first")
        snapshots.save(cloud, path)
        # THEN the first save wrote a partial file next to the snapshot and renamed it
        assert renames == [(f"{path}.partial", str(path))]
        assert path.is_file()
        assert list(path.parent.glob("*.partial")) == []
        first = path.read_bytes()
        s3.create_bucket(Bucket="second")
        # WHEN it is saved again
        snapshots.save(cloud, path)

    # THEN the file was replaced, again without a partial file left behind
    assert list(path.parent.glob("*.partial")) == []
    assert [entry.name for entry in path.parent.iterdir()] == ["cloud.pickle"]
    assert path.read_bytes() != first
    # AND a new cloud loaded from it has both buckets
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        assert snapshots.load(cloud, path) is True
        buckets = cloud.client("s3").list_buckets()["Buckets"]
        assert sorted(bucket["Name"] for bucket in buckets) == ["first", "second"]


def test_a_failed_save_leaves_the_last_good_snapshot(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "cloud.pickle"
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        # GIVEN a good snapshot
        cloud.client("s3").create_bucket(Bucket="good")
        snapshots.save(cloud, path)
        good = path.read_bytes()
        # WHEN a later save fails while pickling (a state that cannot be pickled)
        unpicklable = snapshots.Snapshot(
            moto={"s3": [("000000000000", "aws", threading.Lock())]},
            moto_indexes={},
            rekognition=cloud.service.records(),
        )
        monkeypatch.setattr(snapshots, "take", lambda _: unpicklable)
        with pytest.raises(TypeError, match="pickle"):
            snapshots.save(cloud, path)
    # THEN the good snapshot is untouched and no partial file is left
    assert path.read_bytes() == good
    assert list(tmp_path.glob("*.partial")) == []


def test_a_file_that_is_not_a_snapshot_is_refused(tmp_path: Path) -> None:
    # GIVEN a pickle that is not a snapshot
    path = tmp_path / "cloud.pickle"
    path.write_bytes(pickle.dumps({"projects": {}}))
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        # WHEN it is loaded THEN it is refused
        with pytest.raises(ValueError, match="not a local cloud snapshot"):
            snapshots.load(cloud, path)
        # AND the cloud is left empty
        assert cloud.client("rekognition").describe_projects()["ProjectDescriptions"] == []


def test_arns_made_after_a_load_do_not_collide_with_saved_ones(tmp_path: Path) -> None:
    path = tmp_path / "cloud.pickle"
    # GIVEN a project saved on a clock that then reads the same time again in the new cloud
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        before = cloud.client("rekognition").create_project(ProjectName="before")["ProjectArn"]
        snapshots.save(cloud, path)

    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        rekognition = cloud.client("rekognition")
        assert snapshots.load(cloud, path) is True
        # WHEN another project is created after the load, in the same millisecond
        after = rekognition.create_project(ProjectName="after")["ProjectArn"]
        # THEN the ARNs differ (creation order is kept) and both projects are listed
        assert after != before
        assert int(after.rsplit("/", 1)[1]) > int(before.rsplit("/", 1)[1])
        projects = rekognition.describe_projects()["ProjectDescriptions"]
        assert sorted(project["ProjectArn"] for project in projects) == sorted([before, after])


def test_creating_a_restored_bucket_again_keeps_its_objects(tmp_path: Path) -> None:
    path = tmp_path / "cloud.pickle"
    # GIVEN a bucket with an object, saved and loaded into a new cloud
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        s3 = cloud.client("s3")
        s3.create_bucket(Bucket="kept")
        s3.put_object(Bucket="kept", Key="object", Body=b"data")
        # (before a save, S3 in us-east-1 answers 200 to re-creating one's own bucket and keeps it as it is)
        s3.create_bucket(Bucket="kept")
        assert s3.get_object(Bucket="kept", Key="object")["Body"].read() == b"data"
        snapshots.save(cloud, path)

    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        s3 = cloud.client("s3")
        assert snapshots.load(cloud, path) is True
        # WHEN the bucket is created again, as it could be before the save
        s3.create_bucket(Bucket="kept")
        # THEN it still holds its object
        assert s3.get_object(Bucket="kept", Key="object")["Body"].read() == b"data"


def test_ecr_repositories_ssm_parameters_and_kms_aliases_survive_a_save_and_a_load(tmp_path: Path) -> None:
    path = tmp_path / "cloud.pickle"
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "LambdaECRImageRetrievalPolicy",
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": ["ecr:BatchGetImage"],
            }
        ],
    }
    # GIVEN what the CDK bootstrap stack writes besides S3 and IAM: a repository with a repository policy
    # and tags, a version parameter overwritten once and tagged, and a key alias
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        ecr, ssm, kms = cloud.client("ecr"), cloud.client("ssm"), cloud.client("kms")
        ecr.create_repository(
            repositoryName="cdk-assets",
            imageTagMutability="IMMUTABLE",
            tags=[{"Key": "app", "Value": "demo"}],
        )
        ecr.set_repository_policy(repositoryName="cdk-assets", policyText=json.dumps(policy))
        ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="32", Type="String")
        ssm.put_parameter(Name="/cdk-bootstrap/hnb659fds/version", Value="33", Overwrite=True)
        ssm.add_tags_to_resource(
            ResourceType="Parameter",
            ResourceId="/cdk-bootstrap/hnb659fds/version",
            Tags=[{"Key": "app", "Value": "demo"}],
        )
        key_id = kms.create_key()["KeyMetadata"]["KeyId"]
        kms.create_alias(AliasName="alias/cdk-hnb659fds-assets-key", TargetKeyId=key_id)
        # WHEN it is saved
        snapshots.save(cloud, path)

    # AND loaded into a new local cloud
    with started_cloud(PROPORTIONAL, clock=ManualClock(START)) as cloud:
        ecr, ssm, kms = cloud.client("ecr"), cloud.client("ssm"), cloud.client("kms")
        assert ecr.describe_repositories()["repositories"] == []
        assert snapshots.load(cloud, path) is True
        # THEN the repository is there with its settings, policy and tags
        (repository,) = ecr.describe_repositories(repositoryNames=["cdk-assets"])["repositories"]
        assert repository["imageTagMutability"] == "IMMUTABLE"
        assert json.loads(ecr.get_repository_policy(repositoryName="cdk-assets")["policyText"]) == policy
        tags = ecr.list_tags_for_resource(resourceArn=repository["repositoryArn"])["tags"]
        assert tags == [{"Key": "app", "Value": "demo"}]
        # AND the parameter has its value, its version history and its tags
        parameter = ssm.get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]
        assert (parameter["Value"], parameter["Version"]) == ("33", 2)
        history = ssm.get_parameter_history(Name="/cdk-bootstrap/hnb659fds/version")["Parameters"]
        assert [entry["Value"] for entry in history] == ["32", "33"]
        listed = ssm.list_tags_for_resource(
            ResourceType="Parameter", ResourceId="/cdk-bootstrap/hnb659fds/version"
        )
        assert listed["TagList"] == [{"Key": "app", "Value": "demo"}]
        # AND the alias still names the key
        aliases = kms.list_aliases(KeyId=key_id)["Aliases"]
        assert [alias["AliasName"] for alias in aliases] == ["alias/cdk-hnb659fds-assets-key"]
        # AND both services keep working on the restored state: new parameters, tags and registry settings
        ssm.put_parameter(Name="/after/load", Value="x", Type="String", Tags=[{"Key": "k", "Value": "v"}])
        after = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId="/after/load")["TagList"]
        assert after == [{"Key": "k", "Value": "v"}]
        ecr.put_registry_scanning_configuration(scanType="BASIC", rules=[])
        ecr.create_repository(repositoryName="after-load")
        assert len(ecr.describe_repositories()["repositories"]) == 2


LOAD_AND_REPORT = """
import json, sys
from pathlib import Path
from localcloud.state import snapshots
from localcloud.testing.clouds import started_cloud
with started_cloud() as cloud:
    snapshots.load(cloud, Path(sys.argv[1]))
    buckets = [b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]]
loaded = sorted(m for m in sys.modules if m in ("moto.ssm", "moto.ec2"))
print(json.dumps({"buckets": buckets, "loaded": loaded}))
"""


@pytest.mark.slow  # two Python processes of its own
@pytest.mark.parametrize("uses_ssm", [False, True], ids=["s3 only", "s3 and ssm"])
def test_a_load_imports_only_the_services_the_saved_cloud_used(tmp_path: Path, uses_ssm: bool) -> None:
    # GIVEN a cloud saved in a process of its own that used S3, and SSM or not
    save = (
        "import sys\nfrom pathlib import Path\nfrom localcloud.state import snapshots\n"
        "from localcloud.testing.clouds import started_cloud\n"
        "with started_cloud() as cloud:\n"
        "    cloud.client('s3').create_bucket(Bucket='kept')\n"
        + ("    cloud.client('ssm').put_parameter(Name='/p', Value='v', Type='String')\n" if uses_ssm else "")
        + "    snapshots.save(cloud, Path(sys.argv[1]))\n"
    )
    path = tmp_path / "cloud.pickle"
    subprocess.run([sys.executable, "-c", save, str(path)], check=True)
    # WHEN a new process loads it
    loaded = subprocess.run(
        [sys.executable, "-c", LOAD_AND_REPORT, str(path)], check=True, capture_output=True, text=True
    )
    report = json.loads(loaded.stdout)
    # THEN the bucket is back, and SSM's models (which import all of EC2's) only when the cloud used SSM
    assert report["buckets"] == ["kept"]
    assert report["loaded"] == (["moto.ec2", "moto.ssm"] if uses_ssm else [])
