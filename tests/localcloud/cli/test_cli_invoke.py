"""``python -m localcloud invoke``: a deployed Lambda function run as ``aws lambda invoke`` runs it."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from localcloud.cli.main import main
from localcloud.state.workspace import Workspace

from .cli_helpers import localcloud

# Each test runs python -m localcloud (or the CDK CLI) in processes of its own, as a user does.
pytestmark = pytest.mark.slow

ECHO = """
import json
import re
import os
import time

import boto3


def handler(event, context):
    print("echo got", json.dumps(event))
    buckets = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    return {
        "event": event,
        "bucket": os.environ["BUCKET"],
        "buckets": buckets,
        "function": context.function_name,
        "time": time.time(),
    }
"""
FAILING = """
def handler(event, context):
    raise ValueError(f"no such shape: {event.get('shape')}")
"""
SLOW = """
import time


def handler(event, context):
    time.sleep(30)
"""


def _function(stack: cdk.Stack, logical_id: str, code: Path, **options: Any) -> lambda_.Function:
    return lambda_.Function(
        stack,
        logical_id,
        runtime=lambda_.Runtime.PYTHON_3_12,
        handler="index.handler",
        code=lambda_.Code.from_asset(str(code)),
        **options,
    )


@pytest.fixture(scope="module")
def functions_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two stacks: Echoes (a bucket, an echo function given its name and allowed to list buckets, one that
    raises, one that outlives its one-second timeout) and Other (another function whose logical id is also
    Echo, whose role allows it nothing)."""
    root = tmp_path_factory.mktemp("functions")
    folders = {}
    for name, source in (("echo", ECHO), ("failing", FAILING), ("slow", SLOW)):
        folders[name] = root / name
        folders[name].mkdir()
        (folders[name] / "index.py").write_text(source)
    # With the construct paths in the template's metadata, as cdk synth writes them
    app = cdk.App(outdir=str(root / "cdk.out"), context={"aws:cdk:enable-path-metadata": True})
    echoes = cdk.Stack(app, "Echoes")
    bucket = s3.Bucket(echoes, "Data", removal_policy=cdk.RemovalPolicy.DESTROY)
    echo = _function(echoes, "Echo", folders["echo"], environment={"BUCKET": bucket.bucket_name})
    # its boto3 call, as its role allows (Other's Echo is not allowed it)
    echo.add_to_role_policy(iam.PolicyStatement(actions=["s3:ListAllMyBuckets"], resources=["*"]))
    _function(echoes, "Failing", folders["failing"])
    _function(echoes, "Slow", folders["slow"], timeout=cdk.Duration.seconds(1))
    other = cdk.Stack(app, "Other")
    _function(other, "Echo", folders["echo"], environment={"BUCKET": "none"})
    app.synth()
    return root / "cdk.out"


@pytest.fixture(scope="module")
def state(tmp_path_factory: pytest.TempPathFactory, functions_app: Path) -> Path:
    folder = tmp_path_factory.mktemp("invoke") / "state"
    result = localcloud(folder, "deploy", "--assembly", str(functions_app))
    assert result.returncode == 0, result.stdout + result.stderr
    return folder


def _physical_id(state: Path, stack: str, logical_id: str) -> str:
    deployment = Workspace(state).load(stack)
    assert deployment is not None
    return deployment.resources[logical_id].physical_id


def _logical_id(state: Path, stack: str, construct_id: str, kind: str = "AWS::Lambda::Function") -> str:
    """The logical id CDK gave the construct ``construct_id`` (its id and a hash)."""
    deployment = Workspace(state).load(stack)
    assert deployment is not None
    (logical_id,) = [
        r.logical_id
        for r in deployment.resources.values()
        if r.type == kind and r.logical_id.startswith(construct_id)
    ]
    return logical_id


def test_a_function_runs_as_deployed_against_the_local_cloud(state: Path) -> None:
    before = Workspace(state).clock_anchor()
    assert before is not None
    # WHEN the echo function is invoked by stack and logical id with a payload
    echo = f"Echoes/{_logical_id(state, 'Echoes', 'Echo')}"
    result = localcloud(state, "invoke", echo, "--payload", '{"shape": "circle"}')
    # THEN its result is the JSON on stdout: the event, its environment as deployed (the bucket's
    # name), what its boto3 call found in the local cloud, its function name
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    bucket = _physical_id(state, "Echoes", _logical_id(state, "Echoes", "Data", "AWS::S3::Bucket"))
    assert answer["event"] == {"shape": "circle"}
    assert answer["bucket"] == bucket and bucket in answer["buckets"]
    assert answer["function"] == _physical_id(state, "Echoes", echo.split("/")[1])
    # AND its time is the local cloud's scaled clock (ahead of real time, between the saved anchors)
    after = Workspace(state).clock_anchor()
    assert after is not None
    assert before["local"] <= answer["time"] <= after["local"]
    assert answer["time"] > time.time() + 60
    # AND its logs are on stderr, between Lambda's START and END lines
    logs = result.stderr
    assert logs.index("START RequestId:") < logs.index('echo got {"shape": "circle"}') < logs.index("END")
    assert "REPORT RequestId:" in logs

    # WHEN invoked by its function name without a payload THEN the event is {}
    by_name = localcloud(state, "invoke", answer["function"])
    assert by_name.returncode == 0, by_name.stderr
    assert json.loads(by_name.stdout)["event"] == {}
    # AND its construct path (what cdk shows, without the hash) names it too
    by_path = localcloud(state, "invoke", "Echoes/Echo")
    assert by_path.returncode == 0, by_path.stderr
    assert json.loads(by_path.stdout)["function"] == answer["function"]


def test_a_function_runs_as_its_role_and_is_denied_what_the_role_does_not_allow(state: Path) -> None:
    # WHEN the function whose role allows it nothing lists the buckets, IAM enforced and not
    denied = localcloud(state, "invoke", "Other/Echo")
    unchecked = localcloud(state, "--no-enforce-iam", "invoke", "Other/Echo")
    # THEN enforced, its call is refused as AWS refuses it, naming its role's session and the action
    assert denied.returncode == 1
    assert re.search(
        r"User: arn:aws:sts::\d{12}:assumed-role/Other-\S+/Other-\S+ is not authorized to perform: "
        r"s3:ListAllMyBuckets",
        denied.stderr,
    ), denied.stderr
    # AND without enforcement it runs
    assert unchecked.returncode == 0, unchecked.stderr


def test_a_handlers_error_is_reported_as_lambda_reports_it(state: Path) -> None:
    # WHEN a function that raises is invoked by its logical id alone (one stack holds it)
    failing = _logical_id(state, "Echoes", "Failing")
    result = localcloud(state, "invoke", failing, "--payload", '{"shape": "hexagon"}')
    # THEN it fails with status 1, nothing on stdout, and Lambda's error payload last on stderr
    assert result.returncode == 1
    assert result.stdout == ""
    error = json.loads(result.stderr.strip().splitlines()[-1])
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "no such shape: hexagon"
    assert "[ERROR]" in result.stderr  # the runtime's log record of the unhandled error

    # WHEN a function runs past its timeout (one second) THEN it is cut off as Lambda does
    slow = localcloud(state, "invoke", "Echoes/Slow")
    assert slow.returncode == 1 and slow.stdout == ""
    error = json.loads(slow.stderr.strip().splitlines()[-1])
    assert error["errorType"] == "Sandbox.Timedout"
    assert error["errorMessage"].endswith("Task timed out after 1.00 seconds")


def test_an_unknown_or_ambiguous_function_is_refused_naming_the_deployed_ones(state: Path) -> None:
    # WHEN no deployed function has the name THEN status 2 and one line listing the deployed ones
    unknown = localcloud(state, "invoke", "Nope")
    assert unknown.returncode == 2 and unknown.stdout == ""
    (line,) = unknown.stderr.splitlines()
    assert line.startswith("Nope: no such function is deployed")
    echo = _logical_id(state, "Other", "Echo")
    for stack, construct_id in (
        ("Echoes", "Echo"),
        ("Echoes", "Failing"),
        ("Echoes", "Slow"),
        ("Other", "Echo"),
    ):
        logical_id = _logical_id(state, stack, construct_id)
        assert f"{stack}/{logical_id} ({_physical_id(state, stack, logical_id)})" in line
    # WHEN a logical id alone names functions of two stacks THEN it is refused, naming both
    ambiguous = localcloud(state, "invoke", echo)
    assert ambiguous.returncode == 2
    assert f"Echoes/{echo}, Other/{echo}" in ambiguous.stderr


def test_a_bad_payload_or_a_missing_state_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    # WHEN the payload is not a JSON object THEN it is a usage error, before the state is touched
    for payload in ("{not json", "[1, 2]"):
        with pytest.raises(SystemExit) as refused:
            main(["--state", str(state), "invoke", "Echo", "--payload", payload])
        assert refused.value.code == 2
    assert not state.exists()
    # WHEN there is no state directory THEN it fails as the other commands do, without creating one
    missing = localcloud(state, "invoke", "Echo")
    assert missing.returncode == 1 and f"no local cloud state in {state}" in missing.stderr
    assert not state.exists()
