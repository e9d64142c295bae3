"""The ``python -m localcloud`` commands that act on a saved local cloud.

Each command takes the state directory's lock first, opens the local cloud from it (starting its
servers), acts, saves the cloud back (also when the action fails, so the state always matches what
happened) and stops its servers: nothing is left running afterwards, except under ``serve``, which runs
until interrupted.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fnmatch
import json
import sys
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from ..clock import ScaledClock, handler_time
from ..cloudformation.endpoint import serving_cloudformation
from ..deploy.assembly import StackArtifact
from ..deploy.custom_resources.response_url import ResponseServer, make_test_certificate
from ..deploy.deployed_functions import (
    DeployedFunction,
    NoSuchFunction,
    NotRunnable,
    deployed_functions,
    find_function,
    local_cloud_environment,
)
from ..deploy.deployment import DeployFailed, Deployment
from ..deploy.engine import Engine
from ..deploy.lambda_runtime import Invocation, warm_up_soon
from ..deploy.lambda_runtime import invoke as run_function
from ..deploy.stack_events import Printer
from ..gateway.background import wait_until_stopped
from ..gateway.server import REGION, LocalCloud, ServedCloud, client_environment
from ..rekognition.service import Durations
from ..samples.example_dataset import EXAMPLE_BUCKET, upload_example_dataset
from ..state import snapshots
from ..state.drift import missing_resources
from ..state.inventory import Inventory, inventory, inventory_lines
from ..state.workspace import Workspace, WorkspaceBusy

# In local seconds (the local cloud's clock runs ``time_scale`` times faster than real time): a realistic
# 30-minute training, short transitions. At the default scale the training takes 15 real seconds.
LOCAL_DURATIONS = Durations(
    training=1800, starting=300, stopping=120, deleting=120, dataset=60, project_deleting=60
)
DEFAULT_TIME_SCALE = 120.0
# The version of ``status --json``'s layout; it changes only when a key changes meaning or goes away.
STATUS_FORMAT = 1

StackSource = Callable[[], AbstractContextManager[list[StackArtifact]]]


class CommandError(Exception):
    """A command that cannot do what was asked; its message says why and what to do instead."""

    def __init__(self, message: str, *, exit_status: int = 1) -> None:
        super().__init__(message)
        self.exit_status = exit_status


@dataclass(frozen=True)
class Options:
    workspace: Workspace
    durations: Durations = LOCAL_DURATIONS
    time_scale: float = DEFAULT_TIME_SCALE  # one clock: phases, schedules, timeouts, the handler's time
    enforce_iam: bool = True  # deployed functions' requests authorized against IAM (--no-enforce-iam)


@contextlib.contextmanager
def opened(options: Options, *, port: int = 0, read_only: bool = False) -> Iterator[LocalCloud]:
    """The saved local cloud, served; saved back once its server has stopped taking requests.

    Stack records over a missing snapshot mean the two disagree: commands that change the cloud refuse
    (they would act on resources that are not there), ``read_only`` ones (``status``) report it and do
    not save, so they never turn the missing snapshot into an empty one.
    """
    workspace = options.workspace
    with workspace.locked():
        clock = ScaledClock.continuing(options.time_scale, workspace.clock_anchor())
        with LocalCloud(
            port=port, durations=options.durations, clock=clock, enforce_iam=options.enforce_iam
        ) as cloud:
            loaded = snapshots.load(cloud, workspace.snapshot_file)  # a bad file stops here, intact
            if not loaded and workspace.stack_names() and not read_only:
                raise CommandError(_records_without_cloud(workspace))
            try:
                yield cloud
            finally:
                cloud.stop()
                if loaded or not read_only:
                    snapshots.save(cloud, workspace.snapshot_file)
                    workspace.save_clock(clock.anchor())


def _records_without_cloud(workspace: Workspace) -> str:
    return (
        f"the records in {workspace.root} say {', '.join(workspace.stack_names())} deployed, but the saved "
        f"cloud ({workspace.snapshot_file}) is missing: the records and the cloud disagree. Restore that "
        f"file, or delete {workspace.root} to start afresh."
    )


@contextlib.contextmanager
def _engine(cloud: LocalCloud, options: Options) -> Iterator[Engine]:
    """The deploy engine with its own ResponseURL server (HTTPS, a certificate made for this command).

    An update's record is saved as soon as its new outputs are the stack's (before its cleanup), as
    DescribeStacks shows them in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS.
    """
    with tempfile.TemporaryDirectory(prefix="localcloud-tls-") as folder:
        certificate = make_test_certificate(Path(folder))
        with ResponseServer(certificate) as responses:
            yield Engine(
                cloud,
                responses,
                cert_file=certificate.cert_file,
                printer=Printer(),
                published=options.workspace.save,
            )


def _print_outputs(deployment: Deployment) -> None:
    if deployment.outputs:
        print("Outputs:")
    for name, value in sorted(deployment.outputs.items()):
        print(f"  {deployment.stack_name}.{name} = {value}")


def deploy(options: Options, source: StackSource) -> int:
    """``cdk deploy``: create each stack, or update it from its saved deployment (0 when all succeed).

    ``source`` synthesizes (or reads) the stacks once the state is locked and loaded, so a second deploy
    or an unreadable state is refused before any synthesis.
    """
    workspace = options.workspace
    warm_up_soon()  # the providers' fork server, while cdk synth runs
    with opened(options) as cloud, source() as stacks, _engine(cloud, options) as engine:
        workspace.note_endpoint(cloud.endpoint_url)  # reachable while it deploys (see Workspace.endpoint)
        for stack in stacks:
            previous = workspace.load(stack.stack_name)
            if previous is not None and previous.status.endswith("_FAILED"):
                print(f"{stack.stack_name} is in {previous.status} state: destroy it first.")
                return 1
            if previous is not None and previous.template == stack.template:
                print(f"{stack.stack_name} (no changes)")
                _print_outputs(previous)
                continue
            try:
                deployment = engine.deploy(stack, previous)
            except DeployFailed as failure:
                if failure.remaining is None:
                    workspace.forget(stack.stack_name)
                else:
                    workspace.save(failure.remaining)
                print(f"\n{stack.stack_name} failed: {failure}")
                return 1
            workspace.save(deployment)
            print(f"\n{stack.stack_name} deployed.")
            _print_outputs(deployment)
    return 0


def _newest_first(workspace: Workspace) -> list[str]:
    deployments = [d for d in map(workspace.load, workspace.stack_names()) if d is not None]
    return [d.stack_name for d in sorted(deployments, key=lambda d: d.created, reverse=True)]


def _chosen(deployed: list[str], patterns: list[str], root: Path) -> list[str]:
    """Deployed stacks by name or ``*`` pattern, as ``cdk destroy`` takes them (all by default)."""
    if not patterns:
        return deployed
    unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(name, p) for name in deployed)]
    if unmatched:
        there = ", ".join(sorted(deployed)) if deployed else "none"
        raise CommandError(f"{', '.join(unmatched)}: no such stack is deployed in {root} (deployed: {there})")
    return [name for name in deployed if any(fnmatch.fnmatchcase(name, p) for p in patterns)]


def destroy(options: Options, patterns: list[str], confirm: Callable[[list[str]], bool]) -> int:
    """``cdk destroy``: delete the chosen stacks, the newest first, once ``confirm`` agrees."""
    workspace = options.workspace.require()
    with opened(options) as cloud:
        names = _chosen(_newest_first(workspace), patterns, workspace.root)
        if not names:
            print(f"Nothing to destroy: no stack is deployed in {workspace.root}.")
            return 0
        if not confirm(names):
            print("Nothing was destroyed.")
            return 0
        with _engine(cloud, options) as engine:
            for name in names:
                deployment = workspace.load(name)
                assert deployment is not None  # chosen from the records just read, under the lock
                try:
                    engine.destroy(deployment)
                except DeployFailed as failure:
                    workspace.save(deployment)  # holding what could not be deleted
                    print(f"\n{name} could not be destroyed: {failure}")
                    return 1
                workspace.forget(name)
                print(f"{name} destroyed.")
    return 0


def _timestamp(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def status_report(workspace: Workspace, cloud: LocalCloud, *, cloud_saved: bool) -> dict[str, Any]:
    """What ``status --json`` prints: the stack records, the cloud's inventory, and where they disagree."""
    found: Inventory = inventory(cloud)
    stacks, problems = [], []
    if not cloud_saved and workspace.stack_names():
        problems.append(_records_without_cloud(workspace))
    for name in workspace.stack_names():
        deployment = workspace.load(name)
        if deployment is None:
            continue
        missing = missing_resources(cloud, deployment, found)
        if missing:
            held = ", ".join(f"{r.logical_id} ({r.type} {r.physical_id})" for r in missing)
            problems.append(
                f"{name} is recorded as {deployment.status}, but the cloud does not hold "
                f"{len(missing)} of its resources: {held}"
            )
        stacks.append(
            {
                "name": name,
                "status": deployment.status,
                "created": _timestamp(deployment.created),
                "resources": len(deployment.resources),
                "outputs": dict(sorted(deployment.outputs.items())),
                "missing_resources": [
                    {"logical_id": r.logical_id, "type": r.type, "physical_id": r.physical_id}
                    for r in missing
                ],
            }
        )
    return {
        "format": STATUS_FORMAT,
        "state": str(workspace.root.resolve()),
        "iam": "enforced" if cloud.enforces_iam else "not enforced",
        "stacks": stacks,
        "cloud": found,
        "problems": problems,
    }


def _print_report(report: dict[str, Any]) -> None:
    stacks = report["stacks"]
    print(f"Local cloud state in {report['state']}: {len(stacks)} stack(s)")
    for stack in stacks:
        counted = f"{stack['resources']} resources, created {stack['created']}"
        print(f"{stack['name']}  {stack['status']}  ({counted})")
        for name, value in stack["outputs"].items():
            print(f"  {stack['name']}.{name} = {value}")
    print("The local cloud holds:")
    print("\n".join(inventory_lines(report["cloud"])))
    for problem in report["problems"]:
        print(f"WARNING: {problem}")


def status(options: Options, *, as_json: bool = False) -> int:
    """Every saved stack with its status and outputs, then what the local cloud holds."""
    workspace = options.workspace.require()
    cloud_saved = workspace.snapshot_file.is_file()
    with opened(options, read_only=True) as cloud:
        report = status_report(workspace, cloud, cloud_saved=cloud_saved)
    if as_json:
        print(json.dumps(report, indent=2))
    else:
        _print_report(report)
    return 0


def sample_data(options: Options, bucket: str = EXAMPLE_BUCKET) -> int:
    """Upload the example's dataset into the saved local cloud, where app.py's defaults look for it; while
    ``serve`` holds the state, into the cloud it serves (so the README's loop may start with ``serve``)."""
    try:
        with opened(options) as cloud:
            count = upload_example_dataset(cloud, bucket)
    except WorkspaceBusy:
        endpoint = options.workspace.endpoint(served=True)
        if endpoint is None:
            raise
        count = upload_example_dataset(ServedCloud(endpoint), bucket)
        print(f"(through the local cloud served at {endpoint})")
    print(f"Uploaded {count} objects (PNG images and Ground Truth manifests) to s3://{bucket}")
    return 0


def _function_named(workspace: Workspace, cloud: LocalCloud, name: str) -> DeployedFunction:
    """The deployed function ``name`` names, which the cloud must still hold (else Lambda's 404)."""
    deployments = [d for d in map(workspace.load, workspace.stack_names()) if d is not None]
    try:
        function = find_function(deployed_functions(deployments), name, where=str(workspace.root))
    except NoSuchFunction as unknown:
        raise CommandError(str(unknown), exit_status=2) from unknown
    try:
        cloud.client("lambda").get_function(FunctionName=function.physical_id)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        raise CommandError(
            f"{function.path} is recorded as {function.physical_id}, but the local cloud does not hold that "
            "function (see status)"
        ) from error
    return function


def _print_logs(invocation: Invocation, memory_mb: int) -> None:
    """The function's log stream as Lambda writes it: START, what the handler printed, END and REPORT."""
    request = invocation.request_id
    logs = invocation.stdout + invocation.stderr
    if logs and not logs.endswith("\n"):
        logs += "\n"
    duration = f"{invocation.duration_seconds * 1000:.2f} ms"
    lines = [
        f"START RequestId: {request} Version: $LATEST\n",
        logs,
        f"END RequestId: {request}\n",
        f"REPORT RequestId: {request}\tDuration: {duration}\tMemory Size: {memory_mb} MB\n",
    ]
    sys.stderr.write("".join(lines))
    sys.stderr.flush()


def invoke(options: Options, name: str, payload: Mapping[str, Any]) -> int:
    """``aws lambda invoke`` of a deployed function: its result as JSON on stdout, its logs on stderr;
    a handler's error as Lambda reports it on stderr (status 1)."""
    workspace = options.workspace.require()
    with opened(options) as cloud:
        function = _function_named(workspace, cloud, name)
        try:
            config = function.config(region=REGION, account=cloud.service.account)
            role = str(function.properties.get("Role", ""))
            if role.startswith("arn:"):  # as Lambda runs it: its execution role's session
                config = dataclasses.replace(
                    config, credentials=cloud.role_credentials(role, function.physical_id)
                )
            with cloud.service.clock.working():
                invocation = run_function(
                    config,
                    payload,
                    base_env=local_cloud_environment(cloud.endpoint_url),
                    clock=handler_time(cloud.service.clock),
                    single=True,
                )
        except (NotRunnable, ValueError) as error:  # ValueError: reserved keys in its environment
            raise CommandError(str(error)) from error
    _print_logs(invocation, config.memory_mb)
    if invocation.error is not None:
        print(json.dumps(invocation.error), file=sys.stderr)
        return 1
    print(json.dumps(invocation.result))
    return 0


def serve(options: Options, port: int) -> int:
    """Serve the saved local cloud until interrupted (SIGINT or SIGTERM), then save what changed."""
    with (
        opened(options, port=port) as cloud,
        _engine(cloud, options) as engine,
        serving_cloudformation(engine, options.workspace),
    ):
        options.workspace.note_endpoint(cloud.endpoint_url, until_stopped=True)
        print(f"Local cloud from {options.workspace.root} at {cloud.endpoint_url}", flush=True)
        print(f"  {client_environment(cloud.endpoint_url)}", flush=True)
        print("  Ctrl-C or SIGTERM stops it and saves the cloud.", flush=True)
        wait_until_stopped()
    print(f"Saved to {options.workspace.root}.")
    return 0
