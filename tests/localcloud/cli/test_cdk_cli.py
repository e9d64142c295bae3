"""The real, unmodified CDK CLI (the pinned npm ``aws-cdk``) against ``python -m localcloud serve``.

Only the environment ``serve`` prints is given to the CLI; each step is then checked through the same
endpoint with boto3, as ``aws cloudformation describe-stacks`` would see it. Trainings take their
realistic 30 local minutes on a clock 600 times faster than real time.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from localcloud.deploy.cdk_cli import cdk_executable
from localcloud.gateway.server import ServedCloud
from localcloud.state.inventory import leftovers
from tests.repository import ROOT

from .cli_helpers import STACK, V2_DATA, localcloud

# Each test runs python -m localcloud (or the CDK CLI) in processes of its own, as a user does.
pytestmark = pytest.mark.slow

TOOLKIT = "CDKToolkit"
ENVIRONMENT = "aws://123456789012/us-east-1"
TIME_SCALE = "600"


class Serve:
    """``python -m localcloud serve`` on a free port, in its own process, as a user starts it."""

    def __init__(self, state: Path) -> None:
        self.state = state
        command = [sys.executable, "-m", "localcloud", "--state", str(state), "--time-scale", TIME_SCALE]
        self.process = subprocess.Popen(
            [*command, "serve", "--port", "0"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.process.stdout is not None
        self.printed = [self.process.stdout.readline() for _ in range(2)]
        exported = re.search(r"export (.*)", self.printed[1])
        assert exported, "".join(self.printed)
        self.environment = dict(item.split("=", 1) for item in exported.group(1).split())

    def client(self, service: str) -> Any:
        return ServedCloud(self.environment["AWS_ENDPOINT_URL"]).client(service)

    def stop(self) -> str:
        """SIGINT, as Ctrl-C: the cloud is saved; what it printed meanwhile is returned."""
        self.process.send_signal(signal.SIGINT)
        output, _ = self.process.communicate(timeout=120)
        assert self.process.returncode == 0, output
        return output


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def serve(state: Path) -> Iterator[Serve]:
    server = Serve(state)
    try:
        yield server
    finally:
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()


def cdk(serve: Serve, tmp_path: Path, *args: str, **context: str) -> subprocess.CompletedProcess[str]:
    """The pinned CLI with the caller's environment (no AWS credentials) plus what ``serve`` printed.

    Its two streams come back as one ``stdout``: the CLI prints progress on standard error, or on
    standard output when it detects CI (``CI=true``), as CI machines set.
    """
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    environment.update(serve.environment, CDK_DISABLE_CLI_TELEMETRY="true", HOME=str(tmp_path))
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment["PATH"]])
    command = [cdk_executable(), *args, "--no-notices", "--output", str(tmp_path / "cdk.out")]
    for key, value in context.items():
        command += ["--context", f"{key}={value}"]
    return subprocess.run(
        command,
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=600,
    )


def stack(serve: Serve, name: str = STACK) -> dict[str, Any]:
    described: dict[str, Any] = serve.client("cloudformation").describe_stacks(StackName=name)["Stacks"][0]
    return described


def outputs(serve: Serve) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack(serve).get("Outputs", [])}


def test_bootstrap_deploy_update_replace_fail_and_destroy_with_the_real_cdk_cli(
    state: Path, serve: Serve, tmp_path: Path
) -> None:
    # GIVEN the example's dataset, uploaded while serve holds the state: through the cloud it serves
    uploaded = localcloud(state, "sample-data")
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    assert serve.environment["AWS_ENDPOINT_URL"] in uploaded.stdout
    # WHEN the account is bootstrapped THEN CDKToolkit is a stack of our engine with its SSM parameter
    bootstrapped = cdk(serve, tmp_path, "bootstrap", ENVIRONMENT)
    assert bootstrapped.returncode == 0, bootstrapped.stdout
    assert stack(serve, TOOLKIT)["StackStatus"] == "CREATE_COMPLETE"
    version = serve.client("ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")["Parameter"]
    # AND it survives a restart of the saved local cloud (the next deploy needs all of it)
    serve.stop()
    serve = Serve(state)
    try:
        assert stack(serve, TOOLKIT)["StackStatus"] == "CREATE_COMPLETE"
        again = serve.client("ssm").get_parameter(Name="/cdk-bootstrap/hnb659fds/version")
        assert again["Parameter"]["Value"] == version["Value"]
        _deploy_update_replace_fail_destroy(serve, tmp_path)
        printed = serve.stop()
    finally:
        if serve.process.poll() is None:
            serve.process.kill()
    assert "DELETE_COMPLETE" in printed  # the server's own log of the engine's events

    # THEN the saved cloud holds nothing of the app stack: no version, model, rule or permission
    report = json.loads(localcloud(state, "status", "--json").stdout)
    assert [s["name"] for s in report["stacks"]] == [TOOLKIT]
    assert not report["problems"]
    assert not any(leftovers(report["cloud"]).values()), leftovers(report["cloud"])


def _deploy_update_replace_fail_destroy(serve: Serve, tmp_path: Path) -> None:
    rekognition = serve.client("rekognition")

    # WHEN the example app is deployed THEN the model is trained and the CLI streamed our events
    created = cdk(serve, tmp_path, "deploy", "--require-approval", "never")
    assert created.returncode == 0, created.stdout
    assert re.search(r"CREATE_COMPLETE\s*\|\s*AWS::CloudFormation::WaitCondition", created.stdout)
    assert stack(serve)["StackStatus"] == "CREATE_COMPLETE"
    arn = outputs(serve)["ProjectVersionArn"]
    assert f"{STACK}.ProjectVersionArn = {arn}" in created.stdout
    assert rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"]["team"] == "vision"

    # WHEN a tag changes THEN `cdk diff` shows it and the deploy updates the same version in place
    diff = cdk(serve, tmp_path, "diff", team="robots")
    assert diff.returncode == 0, diff.stdout
    assert re.search(r"\[~\] Custom::RekognitionProjectVersion", diff.stdout)
    assert "robots" in diff.stdout
    tagged = cdk(serve, tmp_path, "deploy", "--require-approval", "never", team="robots")
    assert tagged.returncode == 0, tagged.stdout
    assert outputs(serve)["ProjectVersionArn"] == arn
    assert rekognition.list_tags_for_resource(ResourceArn=arn)["Tags"]["team"] == "robots"
    assert stack(serve)["StackStatus"] == "UPDATE_COMPLETE"
    # AND deploying it again changes nothing: the CLI finds the template it sent and skips the deploy
    again = cdk(serve, tmp_path, "deploy", "--require-approval", "never", team="robots")
    assert again.returncode == 0, again.stdout
    assert "(no changes)" in again.stdout, again.stdout

    # WHEN the training data changes THEN a new version replaces the old one, which is deleted
    replaced = cdk(serve, tmp_path, "deploy", "--require-approval", "never", team="robots", **V2_DATA)
    assert replaced.returncode == 0, replaced.stdout
    new_arn = outputs(serve)["ProjectVersionArn"]
    assert new_arn != arn
    name = arn.split(":project/")[1].split("/")[0]
    project = rekognition.describe_projects(ProjectNames=[name])["ProjectDescriptions"][0]["ProjectArn"]
    described = rekognition.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"]
    assert [v["ProjectVersionArn"] for v in described if v["Status"] != "DELETING"] == [new_arn]

    # WHEN a deploy fails (its manifest is missing) THEN the CLI fails and the stack rolls back
    failed = cdk(
        serve, tmp_path, "deploy", "--require-approval", "never", team="robots", training_manifest="nope"
    )
    assert failed.returncode != 0
    assert "failed to deploy" in failed.stdout and "UPDATE_ROLLBACK_IN_PROG" in failed.stdout
    assert stack(serve)["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    assert outputs(serve)["ProjectVersionArn"] == new_arn
    events = serve.client("cloudformation").describe_stack_events(StackName=STACK)["StackEvents"]
    assert any(e["ResourceStatus"].endswith("_FAILED") and e.get("ResourceStatusReason") for e in events)

    # WHEN destroyed THEN the stack is gone by name, DELETE_COMPLETE by its id
    stack_id = stack(serve)["StackId"]
    destroyed = cdk(serve, tmp_path, "destroy", "--force")
    assert destroyed.returncode == 0, destroyed.stdout
    assert stack(serve, stack_id)["StackStatus"] == "DELETE_COMPLETE"
    with pytest.raises(serve.client("cloudformation").exceptions.ClientError, match="does not exist"):
        stack(serve)
