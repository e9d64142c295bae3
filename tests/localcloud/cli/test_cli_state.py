"""``python -m localcloud`` as a careful user finds it: options, the state directory, its lock, unknown
names, confirmation, ``serve``'s signals and banner, ``status`` and its JSON."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import boto3
import pytest
from aws_cdk import aws_s3 as s3

from localcloud.cli.commands import Options, opened
from localcloud.cli.main import main
from localcloud.rekognition.service import Durations
from localcloud.samples.shapes import shapes_dataset
from localcloud.state.workspace import Workspace
from tests.localcloud.apps import Synth
from tests.repository import ROOT

from .cli_helpers import localcloud, look

# Each test runs python -m localcloud (or the CDK CLI) in processes of its own, as a user does.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def buckets_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthesized app of two small stacks, each holding one bucket (quick to deploy)."""
    outdir = tmp_path_factory.mktemp("buckets") / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    for name in ("Alpha", "Beta"):
        s3.Bucket(cdk.Stack(app, name), "Data", removal_policy=cdk.RemovalPolicy.DESTROY)
    app.synth()
    return outdir


@pytest.fixture
def deployed_buckets(tmp_path: Path, buckets_app: Path) -> Path:
    """A state directory with both bucket stacks deployed."""
    state = tmp_path / "state"
    result = localcloud(state, "deploy", "--assembly", str(buckets_app))
    assert result.returncode == 0, result.stdout + result.stderr
    return state


def status_json(state: Path) -> dict[str, Any]:
    result = localcloud(state, "status", "--json")
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def marker_app(folder: Path) -> Path:
    """An app folder whose synthesis only leaves a marker file, to tell whether cdk synth ran at all."""
    folder.mkdir()
    command = f"{sys.executable} -c \"open('synthesized', 'w').close()\""
    (folder / "cdk.json").write_text(json.dumps({"app": command}))
    return folder


# -- options and the state directory ------------------------------------------------------------------


def test_options_work_before_or_after_the_command(deployed_buckets: Path) -> None:
    # WHEN --state comes after the command THEN it is the same state as before it
    after = subprocess.run(
        [sys.executable, "-m", "localcloud", "status", "--json", "--state", str(deployed_buckets)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert after.returncode == 0, after.stderr
    assert [s["name"] for s in json.loads(after.stdout)["stacks"]] == ["Alpha", "Beta"]


def test_a_missing_state_directory_is_an_error_and_is_not_created(tmp_path: Path) -> None:
    mistyped = tmp_path / "no-such-state"
    for command in (["status"], ["status", "--json"], ["destroy", "--force"]):
        # WHEN a command that reads or removes is pointed at a directory that does not exist
        result = localcloud(mistyped, *command)
        # THEN it fails, naming it, and does not create it
        assert result.returncode == 1, command
        assert f"no local cloud state in {mistyped}" in result.stderr
        assert not mistyped.exists()


def test_help_is_plain_text_and_every_option_is_explained() -> None:
    for command in (
        [],
        ["show"],
        ["deploy"],
        ["destroy"],
        ["status"],
        ["invoke"],
        ["serve"],
        ["sample-data"],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "localcloud", *command, "--help"],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0
        assert "``" not in result.stdout
        assert "how long the emulator trains a model version" in result.stdout


# -- unknown names and confirmation -----------------------------------------------------------------


def test_destroying_an_unknown_stack_fails_and_names_the_deployed_ones(deployed_buckets: Path) -> None:
    result = localcloud(deployed_buckets, "destroy", "NoSuchStack", "--force")
    assert result.returncode == 1
    assert "NoSuchStack: no such stack is deployed" in result.stderr and "Alpha, Beta" in result.stderr
    assert Workspace(deployed_buckets).stack_names() == ["Alpha", "Beta"]


def test_destroy_asks_first_as_cdk_destroy_does(deployed_buckets: Path) -> None:
    # WHEN the question is answered "n" THEN nothing is destroyed
    declined = localcloud(deployed_buckets, "destroy", "Alpha", answer="n\n")
    assert "Are you sure you want to delete: Alpha (y/n)?" in declined.stdout
    assert declined.returncode == 0 and "Nothing was destroyed." in declined.stdout
    assert Workspace(deployed_buckets).stack_names() == ["Alpha", "Beta"]
    # WHEN nobody answers (nothing on standard input) THEN it fails, naming --force
    unanswered = localcloud(deployed_buckets, "destroy")
    assert unanswered.returncode == 1 and "--force" in unanswered.stderr
    assert Workspace(deployed_buckets).stack_names() == ["Alpha", "Beta"]
    # WHEN answered "y" THEN the chosen stack goes, and only it
    agreed = localcloud(deployed_buckets, "destroy", "Alpha", answer="y\n")
    assert agreed.returncode == 0 and "Alpha destroyed." in agreed.stdout
    assert Workspace(deployed_buckets).stack_names() == ["Beta"]
    # AND --force does not ask
    forced = localcloud(deployed_buckets, "destroy", "--force")
    assert forced.returncode == 0 and "Are you sure" not in forced.stdout
    assert Workspace(deployed_buckets).stack_names() == []


# -- the lock -------------------------------------------------------------------------------------------


def test_a_second_command_is_refused_and_told_who_holds_the_state(tmp_path: Path) -> None:
    # GIVEN a command holds the state directory
    with Workspace(tmp_path).locked(command="python -m localcloud deploy"):
        # WHEN another starts THEN it refuses, naming the process and command that hold it
        result = localcloud(tmp_path, "status")
    assert result.returncode == 1
    assert "another local cloud command is using" in result.stderr
    assert f"pid {os.getpid()}: python -m localcloud deploy" in result.stderr


def test_a_deploy_tells_where_its_cloud_answers_while_it_runs(tmp_path: Path) -> None:
    # GIVEN a deploy holds the state and has noted its endpoint
    workspace = Workspace(tmp_path)
    with workspace.locked(command="python -m localcloud deploy"):
        workspace.note_endpoint("http://127.0.0.1:4599")
        # WHEN another command or a reader looks
        seen = Workspace(tmp_path).endpoint()
        result = localcloud(tmp_path, "status")
    # THEN the endpoint is readable while it runs, and the refusal names it without "until stopped"
    assert seen == "http://127.0.0.1:4599"
    assert "its local cloud answers at http://127.0.0.1:4599 while it runs" in result.stderr
    assert "kill -INT" not in result.stderr
    # AND once the deploy has ended there is no endpoint any more
    assert Workspace(tmp_path).endpoint() is None


def test_deploy_takes_the_lock_and_loads_the_state_before_it_synthesizes(tmp_path: Path) -> None:
    app = marker_app(tmp_path / "app")
    state = tmp_path / "state"
    # GIVEN another command holds the state WHEN a deploy starts THEN it is refused before any synth
    with Workspace(state).locked():
        busy = localcloud(state, "deploy", "--app-dir", str(app))
    assert busy.returncode == 1 and "another local cloud command" in busy.stderr
    assert not (app / "synthesized").exists()
    # GIVEN an unreadable saved cloud WHEN a deploy starts THEN it fails before any synth, saying how to
    # recover
    (state / "cloud.pickle").write_bytes(b"\x80\x05truncated")
    broken = localcloud(state, "deploy", "--app-dir", str(app))
    assert broken.returncode == 1 and "is not a readable local cloud snapshot" in broken.stderr
    assert "delete its state directory" in broken.stderr
    assert not (app / "synthesized").exists()
    assert (state / "cloud.pickle").read_bytes() == b"\x80\x05truncated"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], str, str]]:
    """``serve`` started the way a shell's ``&`` starts it: SIGINT ignored. Yields it, its endpoint and
    its banner's export line."""
    command = [sys.executable, "-m", "localcloud", "serve", "--port", "0", "--state", str(tmp_path)]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN),
    )
    try:
        assert process.stdout is not None
        endpoint = process.stdout.readline().split(" at ")[1].strip()
        exports = process.stdout.readline().strip()
        yield process, endpoint, exports
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def test_serve_stops_on_ctrl_c_even_when_started_in_the_background(
    server: tuple[subprocess.Popen[str], str, str], tmp_path: Path
) -> None:
    process, endpoint, exports = server
    # GIVEN a tool that knows only what the banner exports (no region or credentials of its own)
    environment = dict(part.split("=", 1) for part in shlex.split(exports.removeprefix("export ")))
    assert environment["AWS_ENDPOINT_URL"] == endpoint and environment["AWS_DEFAULT_REGION"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    code = "import boto3; boto3.client('s3').create_bucket(Bucket='made-while-serving')"
    made = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **environment},
        capture_output=True,
        text=True,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    # WHEN another command wants the state THEN it is told the endpoint and how to stop the server
    refused = localcloud(tmp_path, "status")
    assert refused.returncode == 1 and endpoint in refused.stderr and "kill -INT" in refused.stderr
    # WHEN it gets SIGINT (its inherited disposition was "ignore")
    process.send_signal(signal.SIGINT)
    # THEN it stops, saves, and the change is in the saved cloud
    assert process.wait(timeout=30) == 0
    assert "made-while-serving" in look(tmp_path)["buckets"]


def test_serve_stops_on_sigterm_and_saves(
    server: tuple[subprocess.Popen[str], str, str], tmp_path: Path
) -> None:
    process, endpoint, _ = server
    s3_client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="localcloud",
        aws_secret_access_key="localcloud",
    )
    s3_client.create_bucket(Bucket="made-before-sigterm")
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert "made-before-sigterm" in look(tmp_path)["buckets"]


# -- status, and when the records and the cloud disagree ----------------------------------------------


def test_status_json_lists_stacks_and_the_clouds_inventory(deployed_buckets: Path) -> None:
    report = status_json(deployed_buckets)
    assert report["format"] == 1 and report["state"] == str(deployed_buckets.resolve())
    alpha = report["stacks"][0]
    assert alpha["name"] == "Alpha" and alpha["status"] == "CREATE_COMPLETE"
    assert alpha["created"].endswith("Z") and alpha["missing_resources"] == []
    assert set(report["cloud"]) == {
        "projects",
        "model_versions",
        "eventbridge_rules",
        "lambda_functions",
        "lambda_permissions",
        "s3_buckets",
    }
    assert len(report["cloud"]["s3_buckets"]) == 2 and report["problems"] == []


def test_status_prints_readable_lines(deployed_buckets: Path) -> None:
    result = localcloud(deployed_buckets, "status")
    assert result.returncode == 0
    assert "Alpha  CREATE_COMPLETE" in result.stdout and "S3 buckets: 2" in result.stdout
    assert "[" not in result.stdout and "WARNING" not in result.stdout


def _settled(rekognition: Any, project_arn: str, name: str, status: str) -> str:
    """The version's ARN once DescribeProjectVersions reports ``status`` (a few real seconds at most)."""
    deadline = time.monotonic() + 60
    while True:
        (version,) = rekognition.describe_project_versions(ProjectArn=project_arn, VersionNames=[name])[
            "ProjectVersionDescriptions"
        ]
        if version["Status"] == status:
            return str(version["ProjectVersionArn"])
        assert time.monotonic() < deadline, f"{name} stayed {version['Status']}, never {status}"
        time.sleep(0.05)


@pytest.fixture
def serving_models(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A saved cloud (no stack) whose project holds a model running on 1 to 3 inference units
    (``autoscaled``), one started on 2 without a maximum (``fixed``) and one trained, never started
    (``idle``); returns the state directory and each version's ARN by name."""
    state = tmp_path / "state"
    quick = Options(Workspace(state), durations=Durations.uniform(1), time_scale=240)
    with opened(quick) as cloud:
        s3_client, rekognition = cloud.client("s3"), cloud.client("rekognition")
        for bucket in ("units-data", "units-output"):
            s3_client.create_bucket(Bucket=bucket)
        objects = shapes_dataset(bucket="units-data", images_per_label=2, labels=("circle", "square"))
        for key, body in objects.items():
            s3_client.put_object(Bucket="units-data", Key=key, Body=body)
        project_arn = rekognition.create_project(ProjectName="units")["ProjectArn"]
        data = {
            name: {"Assets": [{"GroundTruthManifest": {"S3Object": {"Bucket": "units-data", "Name": key}}}]}
            for name, key in (
                ("TrainingData", "manifests/train.manifest"),
                ("TestingData", "manifests/test.manifest"),
            )
        }
        arns: dict[str, str] = {}
        for name in ("autoscaled", "fixed", "idle"):  # one at a time: the account trains two at most
            rekognition.create_project_version(
                ProjectArn=project_arn, VersionName=name, OutputConfig={"S3Bucket": "units-output"}, **data
            )
            arns[name] = _settled(rekognition, project_arn, name, "TRAINING_COMPLETED")
        rekognition.start_project_version(
            ProjectVersionArn=arns["autoscaled"], MinInferenceUnits=1, MaxInferenceUnits=3
        )
        rekognition.start_project_version(ProjectVersionArn=arns["fixed"], MinInferenceUnits=2)
        for name in ("autoscaled", "fixed"):
            _settled(rekognition, project_arn, name, "RUNNING")
    return state, arns


def test_status_reports_each_model_versions_inference_units(
    serving_models: tuple[Path, dict[str, str]],
) -> None:
    # GIVEN models running on 1 to 3 and on 2 inference units, and a trained model never started
    state, arns = serving_models
    # WHEN status --json is asked
    report = status_json(state)
    # THEN each version carries the units DescribeProjectVersions reports, null for the one never started
    units = {
        v["name"]: (v["status"], v["min_inference_units"], v["max_inference_units"])
        for v in report["cloud"]["model_versions"]
    }
    assert units == {
        "autoscaled": ("RUNNING", 1, 3),
        "fixed": ("RUNNING", 2, 2),  # no maximum given: the emulator reports the minimum (undocumented)
        "idle": ("TRAINING_COMPLETED", None, None),
    }
    # WHEN the readable status is asked THEN the running models are listed with their units
    result = localcloud(state, "status")
    assert result.returncode == 0, result.stderr
    running = result.stdout.split("  running models: 2\n", 1)[1].splitlines()
    assert sorted(running) == sorted(
        [
            f"    {arns['autoscaled']}  RUNNING  1 to 3 inference units (auto scaling)",
            f"    {arns['fixed']}  RUNNING  2 inference units",
        ]
    )


def test_a_deleted_saved_cloud_is_reported_and_refused(deployed_buckets: Path, buckets_app: Path) -> None:
    # GIVEN the saved cloud deleted by hand, the stack records left
    (deployed_buckets / "cloud.pickle").unlink()
    # WHEN the status is asked THEN it says the records and the cloud disagree, and which resources
    result = localcloud(deployed_buckets, "status")
    assert result.returncode == 0 and "WARNING" in result.stdout and "disagree" in result.stdout
    report = status_json(deployed_buckets)
    assert report["problems"] and all(s["missing_resources"] for s in report["stacks"])
    assert not (deployed_buckets / "cloud.pickle").exists(), "status must not save an empty cloud"
    # AND commands that would act on the missing resources refuse, saying how to recover
    for command in (["deploy", "--assembly", str(buckets_app)], ["destroy", "--force"]):
        refused = localcloud(deployed_buckets, *command)
        assert refused.returncode == 1 and "disagree" in refused.stderr, command


def test_a_resource_removed_by_hand_is_reported(deployed_buckets: Path) -> None:
    # GIVEN Alpha's bucket deleted outside its stack
    with opened(Options(Workspace(deployed_buckets))) as cloud:
        client = cloud.client("s3")
        (bucket,) = [b["Name"] for b in client.list_buckets()["Buckets"] if b["Name"].startswith("alpha")]
        client.delete_bucket(Bucket=bucket)
    # THEN status names it as missing, for Alpha only
    report = status_json(deployed_buckets)
    missing = {s["name"]: s["missing_resources"] for s in report["stacks"]}
    assert [m["physical_id"] for m in missing["Alpha"]] == [bucket] and missing["Beta"] == []
    assert len(report["problems"]) == 1 and bucket in report["problems"][0]


# -- arguments --------------------------------------------------------------------------------------------


def test_a_wrong_command_line_is_refused_before_the_state_is_touched(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN no state directory (tests/localcloud/cli/test_readme_commands.py checks each wrong command
    # line's message)
    for arguments in (["deploy", "-c", "team"], ["deploy", "--assembly", "x", "-c", "team=a"]):
        # WHEN a command line is wrong
        with pytest.raises(SystemExit) as exited:
            main(["--state", str(tmp_path / "state"), *arguments])
        # THEN it is a usage error (status 2, one line), and the state directory is not created
        assert exited.value.code == 2, arguments
        assert len(capsys.readouterr().err.splitlines()) == 1
        assert not (tmp_path / "state").exists(), arguments


# What is no cloud assembly, and the line that says so, for deploy --assembly and show alike.
NOT_ASSEMBLIES = [
    ("no-such-folder", "no-such-folder is not a cloud assembly (no such folder): run cdk synth first"),
    ("a-file", "a-file is not a cloud assembly (a file, not a folder)"),
    ("empty", "empty is not a cloud assembly (no manifest.json): run cdk synth first"),
]


@pytest.fixture
def not_assemblies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder holding a file, an empty folder, a damaged manifest and a manifest of no stack,
    where no folder ``no-such-folder`` is."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a-file").write_text("")
    (tmp_path / "empty").mkdir()
    (tmp_path / "unreadable").mkdir()
    (tmp_path / "unreadable" / "manifest.json").write_text("{")
    (tmp_path / "no-stacks").mkdir()
    (tmp_path / "no-stacks" / "manifest.json").write_text('{"version": "48.0.0", "artifacts": {}}')
    return tmp_path


@pytest.mark.parametrize(("assembly", "message"), NOT_ASSEMBLIES)
def test_deploy_of_what_is_no_cloud_assembly_fails_in_one_line(
    not_assemblies: Path, capsys: pytest.CaptureFixture[str], assembly: str, message: str
) -> None:
    # GIVEN what is no cloud assembly WHEN --assembly names it
    status = main(["--state", str(not_assemblies / "state"), "deploy", "--assembly", assembly])
    # THEN the command fails (status 1) with one line saying why, before the state is touched
    assert status == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith(message), line
    assert not (not_assemblies / "state").exists()


@pytest.mark.parametrize(
    ("assembly", "message"),
    [
        *NOT_ASSEMBLIES,
        ("unreadable", "unreadable is not a readable cloud assembly (JSONDecodeError: "),
        ("no-stacks", "no stacks in no-stacks"),
    ],
)
def test_show_of_what_is_no_cloud_assembly_fails_in_one_line(
    not_assemblies: Path, capsys: pytest.CaptureFixture[str], assembly: str, message: str
) -> None:
    # GIVEN what is no cloud assembly WHEN show is asked what it declares
    status = main(["show", assembly])
    # THEN it fails (status 1) with one line saying why, nothing on standard output
    assert status == 1
    printed = capsys.readouterr()
    (line,) = printed.err.splitlines()
    assert line.startswith(message) and printed.out == "", line


def test_show_without_cdk_out_says_to_synthesize_first(tmp_path: Path) -> None:
    # GIVEN a folder without cdk.out WHEN `python -m localcloud show` runs there, as make demo runs it
    result = subprocess.run(
        [sys.executable, "-m", "localcloud", "show"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN one line says so (no traceback), status 1
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == "cdk.out is not a cloud assembly (no such folder): run cdk synth first\n"


def test_an_unknown_stack_is_named_with_the_stacks_there_are(
    tmp_path: Path, synth: Synth, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN the example app synthesized
    stack = synth()
    capsys.readouterr()  # what the synthesis printed
    # WHEN deploy names a stack the assembly does not hold
    status = main(["--state", str(tmp_path), "deploy", "--assembly", str(stack.assembly_dir), "Nope"])
    # THEN it fails (status 1) with one line naming the stacks there are
    assert status == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert re.fullmatch(f"no stack matches Nope \\(the app has .*{stack.stack_name}.*\\)", line), line


def test_deploy_outside_an_app_folder_says_what_to_do(tmp_path: Path) -> None:
    result = localcloud(tmp_path / "state", "deploy", cwd=tmp_path)
    assert result.returncode == 1
    assert f"no cdk.json in {tmp_path.resolve()}" in result.stderr and "--assembly" in result.stderr


def test_the_state_lock_is_free_again_after_a_refused_command(tmp_path: Path) -> None:
    # GIVEN a command refused while another held the lock
    with Workspace(tmp_path).locked():
        assert localcloud(tmp_path, "status").returncode == 1
    # WHEN the holder is gone THEN the next command runs (the refused one did not keep or break the lock)
    result = localcloud(tmp_path, "status")
    assert result.returncode == 0, result.stderr
