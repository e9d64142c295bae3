"""``python -m localcloud``: successive commands, each its own process, act on one saved local cloud."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from localcloud.state.workspace import Workspace
from tests.localcloud.apps import Synth
from tests.repository import ROOT

from .cli_helpers import STACK, V2_DATA, deployed, localcloud, look, nothing_of_ours

# Each test runs python -m localcloud (or the CDK CLI) in processes of its own, as a user does.
pytestmark = pytest.mark.slow


@pytest.fixture
def state(tmp_path: Path) -> Path:
    folder = tmp_path / "state"
    assert localcloud(folder, "sample-data").returncode == 0
    return folder


def test_deploy_update_replace_destroy_across_commands(state: Path, synth: Synth) -> None:
    first, tagged, new_data = synth(), synth(team="research"), synth(team="research", **V2_DATA)

    # WHEN the app is deployed by one command THEN the stack is recorded with its model version's ARN
    result = localcloud(state, "deploy", "--assembly", str(first.assembly_dir))
    assert result.returncode == 0, result.stdout + result.stderr
    arn = deployed(state).outputs["ProjectVersionArn"]
    assert f"{first.stack_name}.ProjectVersionArn = {arn}" in result.stdout
    assert deployed(state).status == "CREATE_COMPLETE"
    # AND status --json shows the stack and what it made: its project, its trained version (serving with
    # one inference unit) and its provider function, with no polling rule or permission left
    report = json.loads(localcloud(state, "status", "--json").stdout)
    (stack,) = report["stacks"]
    assert stack["status"] == "CREATE_COMPLETE" and stack["outputs"]["ProjectVersionArn"] == arn
    cloud = report["cloud"]
    assert [p["name"] for p in cloud["projects"]] == ["rekcl-example-shapes"]
    assert cloud["model_versions"] == [
        {
            "project": "rekcl-example-shapes",
            "name": stack["outputs"]["ProjectVersionName"],
            "arn": arn,
            "status": "RUNNING",
            "min_inference_units": 1,
            "max_inference_units": 1,
        }
    ]
    assert [f["name"] for f in cloud["lambda_functions"] if f["name"].startswith("RekCL-")] != []
    assert cloud["eventbridge_rules"] == [] and cloud["lambda_permissions"] == []

    # WHEN a later command deploys a tag change THEN the same version is updated in place
    assert localcloud(state, "deploy", "--assembly", str(tagged.assembly_dir)).returncode == 0
    assert deployed(state).outputs["ProjectVersionArn"] == arn
    assert look(state)["tags"][arn]["team"] == "research"

    # WHEN the same template is deployed again THEN nothing is done
    again = localcloud(state, "deploy", "--assembly", str(tagged.assembly_dir))
    assert again.returncode == 0 and f"{tagged.stack_name} (no changes)" in again.stdout
    assert "UPDATE_IN_PROGRESS" not in again.stdout

    # WHEN new training data is deployed THEN a new version replaces the old one, deleted in cleanup
    replaced = localcloud(state, "deploy", "--assembly", str(new_data.assembly_dir))
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    new_arn = deployed(state).outputs["ProjectVersionArn"]
    assert new_arn != arn and look(state)["model versions"] == [new_arn]
    assert "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS" in replaced.stdout

    # WHEN destroyed, even after cdk.out is gone (deletes run the provider's code as deployed)
    assert new_data.assembly_dir is not None
    shutil.rmtree(new_data.assembly_dir)
    destroyed = localcloud(state, "destroy", "--force")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    # THEN no record and nothing of ours is left; the dataset bucket (not the stack's) stays
    assert Workspace(state).stack_names() == []
    found = look(state)
    assert nothing_of_ours(found) and "rekcl-example-dataset" in found["buckets"]
    report = json.loads(localcloud(state, "status", "--json").stdout)
    assert report["stacks"] == [] and report["problems"] == []
    assert [b["name"] for b in report["cloud"]["s3_buckets"]] == ["rekcl-example-dataset"]

    # WHEN the stack is deployed again after its destroy THEN it is created anew
    redeployed = localcloud(state, "deploy", "--assembly", str(first.assembly_dir))
    assert redeployed.returncode == 0, redeployed.stdout + redeployed.stderr
    assert localcloud(state, "destroy", "--force").returncode == 0
    assert nothing_of_ours(look(state))


def test_a_failed_create_is_rolled_back_and_forgotten(state: Path, synth: Synth) -> None:
    # GIVEN an app whose training manifest does not exist
    broken = synth(training_manifest="missing/train.manifest")
    # WHEN deployed THEN the command fails with the reason, after CloudFormation's rollback
    result = localcloud(state, "deploy", "--assembly", str(broken.assembly_dir))
    assert result.returncode == 1
    assert "CREATE_FAILED" in result.stdout and "ROLLBACK_COMPLETE" in result.stdout
    assert f"{broken.stack_name} failed:" in result.stdout
    # AND nothing is recorded or left behind, so the next deploy starts afresh
    assert Workspace(state).stack_names() == []
    assert nothing_of_ours(look(state))


def test_a_failed_update_rolls_back_to_the_deployed_version(state: Path, synth: Synth) -> None:
    # GIVEN a deployed stack
    assert localcloud(state, "deploy", "--assembly", str(synth().assembly_dir)).returncode == 0
    arn = deployed(state).outputs["ProjectVersionArn"]
    # WHEN an update replaces the version with one whose training cannot start
    broken = synth(training_manifest="missing/train.manifest")
    result = localcloud(state, "deploy", "--assembly", str(broken.assembly_dir))
    # THEN it fails, rolls back, and the record is the deployed stack again with the same version
    assert result.returncode == 1 and "UPDATE_ROLLBACK_COMPLETE" in result.stdout
    assert deployed(state).status == "UPDATE_ROLLBACK_COMPLETE"
    assert deployed(state).outputs["ProjectVersionArn"] == arn
    assert look(state)["model versions"] == [arn]
    # AND it can still be destroyed cleanly
    assert localcloud(state, "destroy", "--force").returncode == 0
    assert nothing_of_ours(look(state))


def test_deploy_synthesizes_the_app_with_context(tmp_path: Path) -> None:
    # GIVEN an app folder whose cdk.json runs app.py
    app_dir = tmp_path / "app"
    app_dir.mkdir()
    cdk_json = json.loads((ROOT / "cdk.json").read_text())
    cdk_json["app"] = f"{sys.executable} {ROOT / 'app.py'}"
    (app_dir / "cdk.json").write_text(json.dumps(cdk_json))
    state = tmp_path / "state"
    assert localcloud(state, "sample-data").returncode == 0
    # WHEN deployed with context, without an assembly
    result = localcloud(state, "deploy", "-c", "team=from-context", "--app-dir", str(app_dir), STACK)
    # THEN the pinned CLI synthesized it, into a folder of the command's own (the app's cdk.out is
    # left alone), and the context reached the version
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (app_dir / "cdk.out").exists()
    arn = deployed(state).outputs["ProjectVersionArn"]
    assert look(state)["tags"][arn]["team"] == "from-context"
    assert localcloud(state, "destroy", STACK, "--force").returncode == 0


def test_stacks_are_chosen_by_pattern_and_destroyed_newest_first(tmp_path: Path) -> None:
    # GIVEN an app of two small stacks
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    for name in ("Alpha", "Beta"):
        s3.Bucket(cdk.Stack(app, name), "Data", removal_policy=cdk.RemovalPolicy.DESTROY)
    assembly = app.synth().directory
    # WHEN Beta is deployed before Alpha, each picked by a pattern
    state = tmp_path / "state"
    assert localcloud(state, "deploy", "--assembly", assembly, "B*").returncode == 0
    assert Workspace(state).stack_names() == ["Beta"]
    assert localcloud(state, "deploy", "--assembly", assembly, "Alpha").returncode == 0
    # THEN a destroy of everything deletes Alpha, the newest, first, and leaves no bucket
    result = localcloud(state, "destroy", "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.index("Alpha destroyed.") < result.stdout.index("Beta destroyed.")
    assert Workspace(state).stack_names() == [] and look(state)["buckets"] == []
    # AND a destroy with nothing deployed says so
    assert "Nothing to destroy" in localcloud(state, "destroy", "--force").stdout


def test_a_three_hour_training_deploys_on_a_scaled_clock(state: Path, synth: Synth) -> None:
    # GIVEN a three-hour training on a clock 3000 times faster while the cloud waits (about 4 real seconds
    # of waiting; the 180 polls run at real time)
    scaled = ("--training-seconds", "10800", "--time-scale", "3000")
    # WHEN the example app is deployed
    result = localcloud(state, "deploy", "--assembly", str(synth().assembly_dir), *scaled)
    # THEN it completed with the trained version's outputs, held by a wait the provider released
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Received SUCCESS signal with UniqueId training-completed" in result.stdout
    report = json.loads(localcloud(state, "status", "--json", *scaled).stdout)
    (stack,) = report["stacks"]
    assert stack["status"] == "CREATE_COMPLETE" and float(stack["outputs"]["F1Score"]) > 0
    (version,) = report["cloud"]["model_versions"]
    assert version["arn"] == stack["outputs"]["ProjectVersionArn"]
    assert version["status"] == "RUNNING"
    assert report["cloud"]["eventbridge_rules"] == [] and report["cloud"]["lambda_permissions"] == []
    # WHEN destroyed THEN status --json shows nothing of the stack
    assert localcloud(state, "destroy", "--force", *scaled).returncode == 0
    after = json.loads(localcloud(state, "status", "--json", *scaled).stdout)
    assert after["stacks"] == [] and nothing_of_ours(look(state))
