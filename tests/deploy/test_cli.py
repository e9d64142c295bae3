"""``python -m localcloud``: successive commands, each its own process, act on one saved local cloud."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_s3 as s3

from localcloud.__main__ import main
from localcloud.commands import Options, opened
from localcloud.deploy.engine import Deployment
from localcloud.inventory import inventory
from localcloud.workspace import Workspace

from .conftest import Synth

ROOT = Path(__file__).resolve().parents[2]
STACK = "RekognitionCustomLabelsExample"
V2_DATA = {
    "training_manifest": "v2/manifests/train.manifest",
    "testing_manifest": "v2/manifests/test.manifest",
}


def localcloud(state: Path, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """One command in its own process, as a user runs it (fast training and polls)."""
    command = [sys.executable, "-m", "localcloud", "--state", str(state), "--training-seconds", "1"]
    command += ["--time-scale", "240", *args]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)


def deployed(state: Path) -> Deployment:
    """The one stack recorded in the state directory."""
    (name,) = Workspace(state).stack_names()
    deployment = Workspace(state).load(name)
    assert deployment is not None
    return deployment


def look(state: Path) -> dict[str, Any]:
    """What the saved local cloud holds, seen through a local cloud opened from it in this process."""
    with opened(Options(Workspace(state))) as cloud:
        found: dict[str, Any] = inventory(cloud)
        rekognition = cloud.client("rekognition")
        found["tags"] = {
            arn: rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"]
            for arn in found["model versions"]
        }
        found["buckets"] = [b["Name"] for b in cloud.client("s3").list_buckets()["Buckets"]]
        return found


def nothing_of_ours(found: dict[str, Any]) -> bool:
    kinds = ["projects", "model versions", "running models", "EventBridge rules"]
    return not any(found[kind] for kind in [*kinds, "Lambda functions and their permissions"])


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
    shutil.rmtree(new_data.assembly_dir)
    destroyed = localcloud(state, "destroy")
    assert destroyed.returncode == 0, destroyed.stdout + destroyed.stderr
    # THEN no record and nothing of ours is left; the dataset bucket (not the stack's) stays
    assert Workspace(state).stack_names() == []
    found = look(state)
    assert nothing_of_ours(found) and "rekcl-example-dataset" in found["buckets"]

    # WHEN the stack is deployed again after its destroy THEN it is created anew
    redeployed = localcloud(state, "deploy", "--assembly", str(first.assembly_dir))
    assert redeployed.returncode == 0, redeployed.stdout + redeployed.stderr
    assert localcloud(state, "destroy").returncode == 0
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
    assert localcloud(state, "destroy").returncode == 0
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
    # THEN the pinned CLI synthesized it into the app's cdk.out and the context reached the version
    assert result.returncode == 0, result.stdout + result.stderr
    assert (app_dir / "cdk.out" / "manifest.json").is_file()
    arn = deployed(state).outputs["ProjectVersionArn"]
    assert look(state)["tags"][arn]["team"] == "from-context"
    assert localcloud(state, "destroy", STACK).returncode == 0


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
    result = localcloud(state, "destroy")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.index("Alpha destroyed.") < result.stdout.index("Beta destroyed.")
    assert Workspace(state).stack_names() == [] and look(state)["buckets"] == []
    # AND a destroy with nothing deployed says so
    assert "Nothing to destroy" in localcloud(state, "destroy").stdout


def test_one_command_at_a_time(tmp_path: Path) -> None:
    # GIVEN a command holds the state directory WHEN another starts THEN it refuses, saying why
    with Workspace(tmp_path).locked():
        result = localcloud(tmp_path, "status")
    assert result.returncode == 1 and "another local cloud command is using" in result.stderr


def test_serve_keeps_the_cloud_until_interrupted_then_saves_it(tmp_path: Path) -> None:
    # GIVEN the saved cloud served for other tools
    command = [sys.executable, "-m", "localcloud", "--state", str(tmp_path), "serve", "--port", "0"]
    server = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        endpoint = server.stdout.readline().split(" at ")[1].strip()
        # WHEN a tool changes it (a bucket made through the endpoint) and the server is stopped
        s3 = boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id="localcloud",
            aws_secret_access_key="localcloud",
        )
        s3.create_bucket(Bucket="made-while-serving")
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    # THEN the change is in the saved cloud
    assert "made-while-serving" in look(tmp_path)["buckets"]


def test_an_unreadable_state_is_reported_and_kept(tmp_path: Path) -> None:
    # GIVEN a state directory whose saved cloud was cut short
    (tmp_path / "cloud.pickle").write_bytes(b"\x80\x05truncated")
    # WHEN a command opens it THEN it fails, saying which file, and leaves the file for the user to see
    result = localcloud(tmp_path, "status")
    assert result.returncode == 1 and "is not a readable local cloud snapshot" in result.stderr
    assert (tmp_path / "cloud.pickle").read_bytes() == b"\x80\x05truncated"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["deploy", "-c", "team"], "context must be KEY=VALUE"),
        (["deploy", "--assembly", "x", "-c", "team=a"], "cannot change an already synthesized"),
    ],
)
def test_bad_arguments_say_what_is_wrong(tmp_path: Path, arguments: list[str], message: str) -> None:
    with pytest.raises(SystemExit, match=message):
        main(["--state", str(tmp_path), *arguments])


def test_an_unknown_stack_is_named_with_the_stacks_there_are(tmp_path: Path, synth: Synth) -> None:
    stack = synth()
    with pytest.raises(SystemExit, match=f"no stack matches Nope.*{stack.stack_name}"):
        main(["--state", str(tmp_path), "deploy", "--assembly", str(stack.assembly_dir), "Nope"])
