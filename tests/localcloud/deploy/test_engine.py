"""Deploy, update, replace, roll back and destroy app.py-style stacks in the local cloud."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3

from localcloud.deploy.deployment import DeployFailed
from localcloud.deploy.engine import Engine
from localcloud.deploy.intrinsics import dependencies
from localcloud.gateway.server import LocalCloud
from localcloud.samples.example_dataset import EXAMPLE_BUCKET
from rekognition_custom_labels import ProjectVersion, TestingData, TrainingData
from tests.localcloud.apps import Synth

pytestmark = pytest.mark.scenario


def statuses(events: io.StringIO, logical_prefix: str) -> list[str]:
    return [
        line.split("|")[1].strip()
        for line in events.getvalue().splitlines()
        if line.count("|") >= 3 and line.split("|")[3].strip().startswith(logical_prefix)
    ]


def versions(cloud: LocalCloud) -> list[dict[str, str]]:
    client = cloud.client("rekognition")
    return [
        v
        for p in client.describe_projects()["ProjectDescriptions"]
        if p["Status"] != "DELETING"
        for v in client.describe_project_versions(ProjectArn=p["ProjectArn"])["ProjectVersionDescriptions"]
    ]


def test_deploy_update_replace_destroy(
    engine: Engine, cloud: LocalCloud, synth: Synth, events: io.StringIO
) -> None:
    # GIVEN the example app WHEN it is deployed
    deployment = engine.deploy(synth())
    # THEN one trained model version, serving, whose ARN is the output, and the stack's event stream shows it
    arn = deployment.outputs["ProjectVersionArn"]
    (version,) = versions(cloud)
    assert version["ProjectVersionArn"] == arn and version["Status"] == "RUNNING"
    assert float(deployment.outputs["F1Score"]) >= 0.5
    assert statuses(events, "Classifier")[-1] == "CREATE_COMPLETE"
    assert "CREATE_COMPLETE" in events.getvalue().splitlines()[-1]

    # WHEN a tag changes THEN the version is updated in place (same ARN, new tag)
    deployment = engine.deploy(synth(team="research"), deployment)
    assert deployment.outputs["ProjectVersionArn"] == arn
    assert cloud.client("rekognition").list_tags_for_resource(ResourceArn=arn)["Tags"]["team"] == "research"

    # WHEN the training data changes THEN a new version replaces it and the old one is deleted in cleanup
    replaced = engine.deploy(
        synth(
            team="research",
            training_manifest="v2/manifests/train.manifest",
            testing_manifest="v2/manifests/test.manifest",
        ),
        deployment,
    )
    new_arn = replaced.outputs["ProjectVersionArn"]
    assert new_arn != arn
    assert [v["ProjectVersionArn"] for v in versions(cloud)] == [new_arn]
    assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" in events.getvalue()

    # WHEN destroyed THEN nothing of ours is left: no versions, no rules, no functions (so no permissions)
    engine.destroy(replaced)
    assert versions(cloud) == []
    assert cloud.client("events").list_rules()["Rules"] == []
    assert cloud.client("lambda").list_functions()["Functions"] == []
    assert cloud.client("logs").describe_log_groups()["logGroups"] == []


def test_destroy_keeps_what_the_template_retains(
    engine: Engine, cloud: LocalCloud, synth: Synth, events: io.StringIO
) -> None:
    # GIVEN a stack with a bucket under CDK's default removal policy (Retain)
    def retained(app: cdk.App) -> None:
        s3.Bucket(cdk.Stack(app, "Keep"), "Kept", bucket_name="kept-bucket-local")

    deployment = engine.deploy(synth(retained))
    # WHEN destroyed THEN CloudFormation skips the bucket's delete and the bucket is still there
    engine.destroy(deployment)
    assert statuses(events, "Kept")[-1] == "DELETE_SKIPPED"
    assert "kept-bucket-local" in [b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]]


def test_a_failed_training_rolls_the_create_back(
    engine: Engine, cloud: LocalCloud, synth: Synth, events: io.StringIO
) -> None:
    # GIVEN the emulator will fail this version's training
    stack = synth()
    name = next(
        r["Properties"]["VersionName"]
        for r in stack.resources.values()
        if r["Type"] == "Custom::RekognitionProjectVersion"
    )
    cloud.service.faults.fail_training(name, "The manifest file has too few labels.")
    # WHEN deployed THEN the deploy fails with the service's words and CloudFormation's rollback order
    with pytest.raises(DeployFailed, match="too few labels"):
        engine.deploy(stack)
    text = events.getvalue()
    # (the training watcher ends the version's wait with an id, and the next resource says why)
    assert re.search(
        r"AWS::CloudFormation::WaitCondition .*Received SUCCESS signal with UniqueId training-failed",
        text,
    )
    assert re.search(
        r"CREATE_FAILED .*Custom::RekognitionProjectVersionAttributes.*The manifest file has too few "
        r"labels\. \(model version arn:\S+ failed to train\) Trained from s3://\S+ \(training\), "
        r"s3://\S+ \(testing\)\.",
        text,
    )
    assert text.index("ROLLBACK_IN_PROGRESS") < text.index("ROLLBACK_COMPLETE")
    # AND everything created was removed: no versions, no projects, no functions, no rules
    assert versions(cloud) == []
    assert cloud.client("lambda").list_functions()["Functions"] == []
    assert cloud.client("events").list_rules()["Rules"] == []


def test_a_stack_of_ten_versions(engine: Engine, cloud: LocalCloud, synth: Synth) -> None:
    # GIVEN one stack declaring ten model versions of one project, sharing one output bucket
    def ten(app: cdk.App) -> None:
        stack = cdk.Stack(app, "Ten")
        data = s3.Bucket.from_bucket_name(stack, "Data", EXAMPLE_BUCKET)
        output = s3.Bucket(stack, "Out", removal_policy=cdk.RemovalPolicy.DESTROY, auto_delete_objects=True)
        project = rekognition.CfnProject(stack, "Project", project_name="ten")
        for index in range(10):
            ProjectVersion(
                stack,
                f"Model{index}",
                project=project,
                training_data=TrainingData.from_manifest(data, "manifests/train.manifest"),
                testing_data=TestingData.auto_create(),
                output_bucket=output,
                kms_key=None,
            )

    stack = synth(ten)
    # WHEN deployed (the emulator allows two trainings at a time: the others wait for a slot)
    deployment = engine.deploy(stack)
    # THEN ten trained versions; WHEN destroyed THEN none left
    assert len(versions(cloud)) == 10
    assert all(v["Status"] == "TRAINING_COMPLETED" for v in versions(cloud))
    engine.destroy(deployment)
    assert versions(cloud) == []


def test_a_failed_destroy_keeps_what_is_left_and_can_be_retried(
    engine: Engine, cloud: LocalCloud, synth: Synth, events: io.StringIO
) -> None:
    # GIVEN a deployed stack, and Rekognition refusing to delete model versions
    deployment = engine.deploy(synth())
    (version,) = versions(cloud)
    cloud.service.faults.fail_next("DeleteProjectVersion", "AccessDeniedException", count=100)
    # WHEN destroyed THEN the stack's delete fails with the service's refusal
    with pytest.raises(DeployFailed, match="AccessDenied") as failure:
        engine.destroy(deployment)
    assert re.search(r"DELETE_FAILED .*Custom::RekognitionProjectVersion", events.getvalue())
    # AND the deployment still holds the version and what it needs (its provider), not what went
    remaining = failure.value.remaining
    assert remaining is deployment and remaining.status == "DELETE_FAILED"
    left = {r.type for r in remaining.resources.values()}
    assert {"Custom::RekognitionProjectVersion", "AWS::Lambda::Function", "AWS::IAM::Role"} <= left
    assert [v["ProjectVersionArn"] for v in versions(cloud)] == [version["ProjectVersionArn"]]
    # WHEN the refusal ends and the destroy is retried THEN nothing of ours is left
    cloud.service.faults.clear()
    engine.destroy(remaining)
    assert versions(cloud) == [] and remaining.resources == {}
    assert cloud.client("lambda").list_functions()["Functions"] == []
    assert cloud.client("events").list_rules()["Rules"] == []


def four_versions_in_two_projects(app: cdk.App) -> None:
    stack = cdk.Stack(app, "Four")
    data = s3.Bucket.from_bucket_name(stack, "Data", EXAMPLE_BUCKET)
    for project_index in range(2):
        project = rekognition.CfnProject(
            stack, f"Project{project_index}", project_name=f"four-{project_index}"
        )
        for index in range(2):
            ProjectVersion(
                stack,
                f"P{project_index}Model{index}",
                project=project,
                training_data=TrainingData.from_manifest(data, "manifests/train.manifest"),
                testing_data=TestingData.from_manifest(data, "manifests/test.manifest"),
            )


def event_lines(events: io.StringIO) -> list[tuple[str, str, str]]:
    """(status, type, logical id) of each resource or stack event, in the order printed."""
    lines = []
    for line in events.getvalue().splitlines():
        parts = [part.strip() for part in line.split("|")]
        if len(parts) >= 4:
            lines.append((parts[1], parts[2], parts[3].split(" ")[0]))
    return lines


def spans(lines: list[tuple[str, str, str]], resource_type: str, verb: str) -> dict[str, tuple[int, int]]:
    """Each resource's (IN_PROGRESS, COMPLETE) positions in the event stream."""
    found: dict[str, list[int]] = {}
    for position, (status, kind, logical_id) in enumerate(lines):
        if kind == resource_type and status in (f"{verb}_IN_PROGRESS", f"{verb}_COMPLETE"):
            found.setdefault(logical_id, []).append(position)
    return {logical_id: (marks[0], marks[-1]) for logical_id, marks in found.items()}


def test_independent_versions_are_created_concurrently_under_the_training_quota(
    engine: Engine, cloud: LocalCloud, synth: Synth, events: io.StringIO
) -> None:
    # GIVEN four versions in two projects: more than the account's two training slots
    stack = synth(four_versions_in_two_projects)
    cloud.service.calls.clear()
    # WHEN deployed
    deployment = engine.deploy(stack)
    # THEN the stack is complete with four trained versions
    assert deployment.status == "CREATE_COMPLETE"
    assert len(versions(cloud)) == 4 and all(v["Status"] == "TRAINING_COMPLETED" for v in versions(cloud))
    # AND the versions' creations overlapped in time (each started before another had completed)
    lines = event_lines(events)
    created = spans(lines, "Custom::RekognitionProjectVersion", "CREATE")
    assert len(created) == 4
    overlapping = [
        (a, b)
        for a in created
        for b in created
        if a < b and created[a][0] < created[b][1] and created[b][0] < created[a][1]
    ]
    assert overlapping, created
    # AND the quota was met and waited out: some CreateProjectVersion calls were refused, none failed it
    assert cloud.service.calls.count("CreateProjectVersion", "LimitExceededException") >= 1
    # AND every resource started only after each resource it depends on had completed
    started = {lid: pos for pos, (status, _, lid) in enumerate(lines) if status == "CREATE_IN_PROGRESS"}
    completed = {lid: pos for pos, (status, _, lid) in enumerate(lines) if status == "CREATE_COMPLETE"}
    for logical_id, needed in dependencies(stack.template).items():
        for other in needed:
            assert completed[other] < started[logical_id], (other, logical_id)
    # WHEN destroyed THEN everything is gone, and each resource was deleted after those depending on it
    engine.destroy(deployment)
    assert versions(cloud) == []
    assert cloud.client("events").list_rules()["Rules"] == []
    assert cloud.client("lambda").list_functions()["Functions"] == []
    lines = event_lines(events)
    deleting = {lid: pos for pos, (status, _, lid) in enumerate(lines) if status == "DELETE_IN_PROGRESS"}
    deleted = {lid: pos for pos, (status, _, lid) in enumerate(lines) if status == "DELETE_COMPLETE"}
    for logical_id, needed in dependencies(stack.template).items():
        for other in needed:
            assert deleted[logical_id] < deleting[other], (logical_id, other)


def test_a_failure_among_concurrent_creates_rolls_everything_back(
    engine: Engine, cloud: LocalCloud, synth: Synth, events: io.StringIO
) -> None:
    # GIVEN four versions, one of which the service will fail to train
    stack = synth(four_versions_in_two_projects)
    names = sorted(
        r["Properties"]["VersionName"]
        for r in stack.resources.values()
        if r["Type"] == "Custom::RekognitionProjectVersion"
    )
    cloud.service.faults.fail_training(names[1], "The manifest file has too few labels.")
    # WHEN deployed
    with pytest.raises(DeployFailed, match="too few labels"):
        engine.deploy(stack)
    # THEN the stack rolled back, and nothing is left
    text = events.getvalue()
    assert text.index("ROLLBACK_IN_PROGRESS") < text.index("ROLLBACK_COMPLETE")
    assert versions(cloud) == []
    assert [
        p
        for p in cloud.client("rekognition").describe_projects()["ProjectDescriptions"]
        if p["Status"] != "DELETING"
    ] == []
    assert cloud.client("events").list_rules()["Rules"] == []
    assert cloud.client("lambda").list_functions()["Functions"] == []


def version_beside_a_failing_wait(app: cdk.App) -> None:
    """A version, and a wait condition nobody signals, timing out (15 s on this cloud's real-time clock)
    while the version's Create is still in progress."""
    stack = cdk.Stack(app, "Doomed")
    data = s3.Bucket.from_bucket_name(stack, "Data", EXAMPLE_BUCKET)
    project = rekognition.CfnProject(stack, "Project", project_name="doomed")
    ProjectVersion(
        stack,
        "Model",
        project=project,
        training_data=TrainingData.from_manifest(data, "manifests/train.manifest"),
        testing_data=TestingData.from_manifest(data, "manifests/test.manifest"),
    )
    wait = cdk.CfnWaitCondition(stack, "NeverSignalled")
    wait.cfn_options.creation_policy = cdk.CfnCreationPolicy(
        resource_signal=cdk.CfnResourceSignal(count=1, timeout="PT15S")
    )


def test_a_failure_elsewhere_cancels_a_create_in_progress_and_the_rollback_deletes_its_version(
    engine: Engine, cloud: LocalCloud, synth: Synth, events: io.StringIO
) -> None:
    # GIVEN a version whose Create waits for a training slot (the quota answers), and a wait condition
    # that times out meanwhile
    stack = synth(version_beside_a_failing_wait)
    cloud.service.faults.fail_next("CreateProjectVersion", "LimitExceededException", count=1000)
    # WHEN deployed
    with pytest.raises(DeployFailed, match="NeverSignalled"):
        engine.deploy(stack)
    # THEN CloudFormation stopped waiting for the Create ("Resource creation cancelled"), and its
    # rollback Delete (an id of CloudFormation's making) left no version, rule or permission
    text = events.getvalue()
    assert "Resource creation cancelled" in text, text
    assert versions(cloud) == []
    assert cloud.client("events").list_rules()["Rules"] == []
    assert cloud.client("lambda").list_functions()["Functions"] == []


def function_beside_a_version(code_dir: Path, manifest: str) -> Callable[[cdk.App], None]:
    """A Lambda function with its code from ``code_dir``, and a version trained from ``manifest``."""

    def build(app: cdk.App) -> None:
        stack = cdk.Stack(app, "Upgrade")
        lambda_.Function(
            stack,
            "Function",
            runtime=lambda_.Runtime.PYTHON_3_12,
            handler="index.handler",
            code=lambda_.Code.from_asset(str(code_dir)),
        )
        data = s3.Bucket.from_bucket_name(stack, "Data", EXAMPLE_BUCKET)
        ProjectVersion(
            stack,
            "Model",
            project=rekognition.CfnProject(stack, "Project", project_name="upgrade"),
            training_data=TrainingData.from_manifest(data, manifest),
            testing_data=TestingData.from_manifest(data, "manifests/test.manifest"),
        )

    return build


def test_a_rollback_restores_a_function_whose_code_changed_from_the_deployed_assembly(
    engine: Engine, cloud: LocalCloud, synth: Synth, tmp_path: Path
) -> None:
    # GIVEN a deployed function, then an update with new code for it and a version that cannot train
    old_code, new_code = tmp_path / "old", tmp_path / "new"
    for folder, text in ((old_code, "OLD = 1\n"), (new_code, "NEW = 2\n")):
        folder.mkdir()
        (folder / "index.py").write_text(text)
    deployed = engine.deploy(synth(function_beside_a_version(old_code, "manifests/train.manifest")))
    lambda_client = cloud.client("lambda")
    (name,) = [
        f["FunctionName"]
        for f in lambda_client.list_functions()["Functions"]
        if "Function" in f["FunctionName"]
    ]
    before = lambda_client.get_function(FunctionName=name)["Configuration"]["CodeSha256"]
    broken = synth(function_beside_a_version(new_code, "missing/train.manifest"))
    # WHEN the update fails and rolls back
    with pytest.raises(DeployFailed) as failed:
        engine.deploy(broken, deployed)
    # THEN the rollback found the old code in the deployed assembly: the function has it again
    assert "is not in" not in str(failed.value)
    assert failed.value.remaining is not None and failed.value.remaining.status == "UPDATE_ROLLBACK_COMPLETE"
    assert lambda_client.get_function(FunctionName=name)["Configuration"]["CodeSha256"] == before


def version_writing_to_a_bucket_of_the_users(app: cdk.App) -> None:
    """A version trained from a manifest that is not JSON lines, writing to a bucket not of the stack."""
    stack = cdk.Stack(app, "OwnOutput")
    data = s3.Bucket.from_bucket_name(stack, "Data", EXAMPLE_BUCKET)
    ProjectVersion(
        stack,
        "Model",
        project=rekognition.CfnProject(stack, "Project", project_name="own-output"),
        training_data=TrainingData.from_manifest(data, "manifests/broken.manifest"),
        testing_data=TestingData.from_manifest(data, "manifests/test.manifest"),
        output_bucket=s3.Bucket.from_bucket_name(stack, "Output", "my-own-output"),
    )


def test_a_training_that_fails_on_its_data_names_it_and_its_validation_results_survive_the_rollback(
    engine: Engine, cloud: LocalCloud, synth: Synth, events: io.StringIO
) -> None:
    # GIVEN an output bucket of the user's own and a training manifest that is not JSON lines
    s3_client = cloud.client("s3")
    s3_client.create_bucket(Bucket="my-own-output")
    s3_client.put_object(Bucket=EXAMPLE_BUCKET, Key="manifests/broken.manifest", Body=b"not json\n")
    # WHEN deployed
    with pytest.raises(DeployFailed) as failed:
        engine.deploy(synth(version_writing_to_a_bucket_of_the_users))
    # THEN the Reason names the manifest and the validation results Rekognition wrote
    reason = str(failed.value)
    assert f"s3://{EXAMPLE_BUCKET}/manifests/broken.manifest (training)" in reason
    results = re.findall(r"s3://my-own-output/(\S+?\.json)", reason)
    assert any(key.endswith("manifest_summary.json") for key in results), reason
    assert "ROLLBACK_COMPLETE" in events.getvalue() and versions(cloud) == []
    # AND after the rollback they are still in the user's bucket, to be read
    kept = {o["Key"] for o in s3_client.list_objects_v2(Bucket="my-own-output").get("Contents", [])}
    assert set(results) <= kept
