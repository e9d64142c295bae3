"""Serving through the local deploy engine: start with units, unit changes, the F1 gate, zero-downtime
rollover, stop on delete and the running-model quota. Each scenario ends with an inventory check: exactly
the expected versions exist, exactly the expected ones run, with the expected inference units."""

from __future__ import annotations

import threading
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3

from localcloud.deploy.deployment import DeployFailed, Deployment
from localcloud.deploy.engine import Engine
from localcloud.gateway.server import LocalCloud
from localcloud.samples.example_dataset import EXAMPLE_BUCKET
from localcloud.state.inventory import inventory, leftovers
from rekognition_custom_labels import InferenceUnits, ProjectVersion, TestingData, TrainingData
from tests.localcloud.apps import Synth

from .probing import probe

pytestmark = pytest.mark.scenario

V1 = ("manifests/train.manifest", "manifests/test.manifest")
V2 = ("v2/manifests/train.manifest", "v2/manifests/test.manifest")
ONE_UNIT = InferenceUnits.fixed(1)


def served(
    *,
    data: tuple[str, str] = V1,
    units: InferenceUnits | None = ONE_UNIT,
    versions: int = 1,
    breaks_after: bool = False,
    **gate: Any,
) -> Any:
    """A stack like the example's: a project and ``versions`` model versions served with ``units``."""

    def build(app: cdk.App) -> None:
        stack = cdk.Stack(app, "Served")
        bucket = s3.Bucket.from_bucket_name(stack, "Dataset", EXAMPLE_BUCKET)
        project = rekognition.CfnProject(stack, "Project", project_name="served")
        for index in range(versions):
            version = ProjectVersion(
                stack,
                f"Model{index}",
                project=project,
                training_data=TrainingData.from_manifest(bucket, data[0]),
                testing_data=TestingData.from_manifest(bucket, data[1]),
                inference_units=units,
                **gate,
            )
            cdk.CfnOutput(stack, f"Arn{index}", value=version.project_version_arn)
            if breaks_after:  # a resource after the model serves that fails: a wait nobody signals
                breaks = cdk.CfnWaitCondition(stack, f"Breaks{index}")
                breaks.cfn_options.creation_policy = cdk.CfnCreationPolicy(
                    resource_signal=cdk.CfnResourceSignal(count=1, timeout="PT1S")
                )
                breaks.node.add_dependency(version)

    return build


def model_versions(cloud: LocalCloud) -> dict[str, tuple[str, int | None, int | None]]:
    """ARN -> (status, min units, max units) of every model version the cloud holds."""
    return {
        v["arn"]: (v["status"], v["min_inference_units"], v["max_inference_units"])
        for v in inventory(cloud)["model_versions"]
    }


def running(cloud: LocalCloud) -> dict[str, tuple[int | None, int | None]]:
    return {
        arn: (low, high) for arn, (status, low, high) in model_versions(cloud).items() if status == "RUNNING"
    }


def nothing_left(cloud: LocalCloud) -> None:
    found = leftovers(inventory(cloud))
    assert not any(found.values()), found


def no_rules(cloud: LocalCloud) -> None:
    assert cloud.client("events").list_rules()["Rules"] == []


def test_a_served_version_keeps_running_through_gate_and_unit_changes_and_destroy_stops_it(
    engine: Engine, cloud: LocalCloud, synth: Synth
) -> None:
    # GIVEN a version served with one unit behind a gate WHEN deployed
    deployment = engine.deploy(synth(served(min_f1_score=0.5)))
    arn = deployment.outputs["Arn0"]
    # THEN exactly that version exists, RUNNING with one unit, and no schedule is left
    assert model_versions(cloud) == {arn: ("RUNNING", 1, 1)}
    no_rules(cloud)
    # WHEN only the gate changes THEN the running model is checked again without a call that touches it
    before = len(cloud.service.calls.calls())
    deployment = engine.deploy(synth(served(min_f1_score=0.6)), deployment)
    after = [c.operation for c in cloud.service.calls.calls()][before:]
    assert deployment.outputs["Arn0"] == arn and running(cloud) == {arn: (1, 1)}
    assert not {"CreateProjectVersion", "StartProjectVersion", "StopProjectVersion"} & set(after)
    # WHEN its units become 2..3 THEN the same version runs with them (no new version, no training)
    two_to_three = InferenceUnits.auto_scaling(min_units=2, max_units=3)
    deployment = engine.deploy(synth(served(units=two_to_three, min_f1_score=0.6)), deployment)
    assert deployment.outputs["Arn0"] == arn
    assert model_versions(cloud) == {arn: ("RUNNING", 2, 3)}
    assert cloud.service.calls.count("CreateProjectVersion") == 1
    # WHEN destroyed THEN it was stopped, then deleted, and nothing is left
    stops = len(cloud.service.calls.calls(["StopProjectVersion"]))
    engine.destroy(deployment)
    calls = [c.operation for c in cloud.service.calls.calls(["StopProjectVersion", "DeleteProjectVersion"])]
    assert calls[stops] == "StopProjectVersion" and calls[-1] == "DeleteProjectVersion"
    nothing_left(cloud)


def test_removing_the_units_stops_the_model_and_keeps_the_version(
    engine: Engine, cloud: LocalCloud, synth: Synth
) -> None:
    deployment = engine.deploy(synth(served()))
    arn = deployment.outputs["Arn0"]
    deployment = engine.deploy(synth(served(units=None)), deployment)
    assert deployment.outputs["Arn0"] == arn
    assert model_versions(cloud) == {arn: ("STOPPED", 1, 1)} and running(cloud) == {}
    no_rules(cloud)
    engine.destroy(deployment)
    nothing_left(cloud)


def test_a_version_below_the_gate_fails_the_create_and_the_rollback_deletes_it(
    engine: Engine, cloud: LocalCloud, synth: Synth
) -> None:
    # GIVEN a gate on a label the dataset does not have WHEN deployed
    with pytest.raises(
        DeployFailed, match="below its F1 gate: label 'hexagon' is not in the evaluation"
    ) as raised:
        engine.deploy(synth(served(min_label_f1_scores={"hexagon": 0.5})))
    # THEN the Reason points at the summary, the model was never started, and the rollback left nothing
    assert "Evaluation summary: s3://" in str(raised.value)
    assert cloud.service.calls.count("StartProjectVersion") == 0
    assert raised.value.remaining is None
    nothing_left(cloud)


def test_a_new_version_below_the_gate_rolls_back_to_the_old_one_still_running(
    engine: Engine, cloud: LocalCloud, synth: Synth
) -> None:
    # GIVEN a served version
    deployment = engine.deploy(synth(served()))
    old = deployment.outputs["Arn0"]
    # WHEN new data comes with a gate the new version misses
    with pytest.raises(DeployFailed, match="below its F1 gate") as raised:
        engine.deploy(synth(served(data=V2, min_label_f1_scores={"hexagon": 0.5})), deployment)
    # THEN the stack is back on the old version, which ran throughout; the new one is gone
    restored = raised.value.remaining
    assert restored is not None and restored.status == "UPDATE_ROLLBACK_COMPLETE"
    assert model_versions(cloud) == {old: ("RUNNING", 1, 1)}
    assert cloud.service.calls.count("StopProjectVersion") == 0
    no_rules(cloud)
    engine.destroy(restored)
    nothing_left(cloud)


def test_a_rollover_serves_without_a_gap_and_cleans_up_the_old_version(
    engine: Engine, cloud: LocalCloud, synth: Synth
) -> None:
    # GIVEN a served version, and a probe calling the ARN the stack outputs at each moment
    deployment = engine.deploy(synth(served()))
    old = deployment.outputs["Arn0"]
    arn_now, published = {"arn": old}, []

    def publish(updated: Deployment) -> None:  # as DescribeStacks shows it, before the cleanup
        published.append(updated.status)
        arn_now.update(arn=updated.outputs["Arn0"])

    engine.published = publish
    done, seen = threading.Event(), {}
    prober = threading.Thread(target=lambda: seen.update(probe(cloud, arn_now, done)))
    prober.start()
    # WHEN new training data is deployed
    try:
        replaced = engine.deploy(synth(served(data=V2)), deployment)
    finally:
        done.set()
        prober.join()
    new = replaced.outputs["Arn0"]
    # THEN the new outputs were published once, before the cleanup, and every call succeeded, first on
    # the old version, then on the new one
    assert published == ["UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"]
    assert new != old and seen["arns"] == [old, new]
    assert seen["failures"] == [] and seen["calls"] > 20
    # AND the old version was stopped and deleted in the cleanup: only the new one exists, running
    assert model_versions(cloud) == {new: ("RUNNING", 1, 1)}
    no_rules(cloud)
    engine.destroy(replaced)
    nothing_left(cloud)


def test_a_new_version_that_fails_to_start_rolls_back_to_the_old_one_still_running(
    engine: Engine, cloud: LocalCloud, synth: Synth
) -> None:
    # GIVEN a served version, and new data whose version will fail to start
    deployment = engine.deploy(synth(served()))
    old = deployment.outputs["Arn0"]
    stack = synth(served(data=V2))
    name = next(
        r["Properties"]["VersionName"]
        for r in stack.resources.values()
        if r["Type"] == "Custom::RekognitionProjectVersion"
    )
    cloud.service.faults.fail_start(name, "Not enough capacity.")
    # WHEN it is deployed THEN the update fails with the service's message
    with pytest.raises(DeployFailed, match="failed to start: Not enough capacity") as raised:
        engine.deploy(stack, deployment)
    # AND the stack is back on the old version, which kept running; the new one is gone
    restored = raised.value.remaining
    assert restored is not None and restored.outputs["Arn0"] == old
    assert model_versions(cloud) == {old: ("RUNNING", 1, 1)}
    no_rules(cloud)
    engine.destroy(restored)
    nothing_left(cloud)


def test_a_rollback_caused_by_another_resource_after_the_new_model_served_returns_to_the_old_one(
    engine: Engine, cloud: LocalCloud, synth: Synth
) -> None:
    # GIVEN a served version
    deployment = engine.deploy(synth(served()))
    old = deployment.outputs["Arn0"]
    # WHEN new data trains and starts a new version, then a later resource of the same update fails
    with pytest.raises(DeployFailed, match="Breaks0") as raised:
        engine.deploy(synth(served(data=V2, breaks_after=True)), deployment)
    # THEN the new model was started, then stopped and deleted by the rollback; the old one kept running
    restored = raised.value.remaining
    assert restored is not None and restored.status == "UPDATE_ROLLBACK_COMPLETE"
    assert restored.outputs["Arn0"] == old
    assert cloud.service.calls.count("StartProjectVersion") == 2
    assert model_versions(cloud) == {old: ("RUNNING", 1, 1)}
    no_rules(cloud)
    engine.destroy(restored)
    nothing_left(cloud)


def test_more_starts_than_the_running_model_quota_fail_at_once_and_roll_back(
    engine: Engine, cloud: LocalCloud, synth: Synth
) -> None:
    # GIVEN three served versions in one stack (the account runs at most two models)
    with pytest.raises(DeployFailed, match="at most 2 models at once per account") as raised:
        engine.deploy(synth(served(versions=3)))
    # THEN the Reason names the versions it saw running, and the rollback stopped and deleted everything
    assert "running in its project: arn:aws:rekognition:" in str(raised.value)
    nothing_left(cloud)
