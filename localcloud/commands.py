"""The ``python -m localcloud`` commands that act on a saved local cloud.

Each command opens the local cloud from its state directory (starting its servers), acts, saves the
cloud back (also when the action fails, so the state always matches what happened) and stops its
servers: nothing is left running afterwards, except under ``serve``, which runs until interrupted.
"""

from __future__ import annotations

import contextlib
import signal
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import snapshots
from .assembly import StackArtifact
from .cfn_response import ResponseServer, make_test_certificate
from .deploy.engine import DeployFailed, Deployment, Engine, Printer
from .example_dataset import EXAMPLE_BUCKET, upload_example_dataset
from .inventory import inventory, inventory_lines
from .rekognition.service import Durations
from .server import LocalCloud
from .workspace import Workspace

# Short enough for a demo, long enough to watch training progress at the default time scale.
LOCAL_DURATIONS = Durations(training=8, starting=2, stopping=2, deleting=2, dataset=1, project_deleting=1)


@dataclass(frozen=True)
class Options:
    workspace: Workspace
    durations: Durations = LOCAL_DURATIONS
    time_scale: float = 60.0  # a 1-minute EventBridge rate fires every second


@contextlib.contextmanager
def opened(options: Options, *, port: int = 0) -> Iterator[LocalCloud]:
    """The saved local cloud, served; saved back once its server has stopped taking requests."""
    with options.workspace.locked(), LocalCloud(port=port, durations=options.durations) as cloud:
        snapshots.load(cloud, options.workspace.snapshot_file)  # a bad file stops here, not overwritten
        try:
            yield cloud
        finally:
            cloud.stop()
            snapshots.save(cloud, options.workspace.snapshot_file)


@contextlib.contextmanager
def _engine(cloud: LocalCloud, options: Options) -> Iterator[Engine]:
    """The deploy engine with its own ResponseURL server (HTTPS, a certificate made for this command)."""
    with tempfile.TemporaryDirectory(prefix="localcloud-tls-") as folder:
        certificate = make_test_certificate(Path(folder))
        with ResponseServer(certificate) as responses:
            yield Engine(
                cloud,
                responses,
                cert_file=certificate.cert_file,
                printer=Printer(),
                time_scale=options.time_scale,
            )


def _print_outputs(deployment: Deployment) -> None:
    if deployment.outputs:
        print("Outputs:")
    for name, value in sorted(deployment.outputs.items()):
        print(f"  {deployment.stack_name}.{name} = {value}")


def deploy(options: Options, stacks: list[StackArtifact]) -> int:
    """``cdk deploy``: create each stack, or update it from its saved deployment (0 when all succeed)."""
    workspace = options.workspace
    with opened(options) as cloud, _engine(cloud, options) as engine:
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


def destroy(options: Options, stack_names: list[str]) -> int:
    """``cdk destroy``: delete the named stacks (default: every deployed one, the newest first)."""
    workspace = options.workspace
    with opened(options) as cloud, _engine(cloud, options) as engine:
        names = stack_names or _newest_first(workspace)
        if not names:
            print(f"Nothing to destroy: no stack is deployed in {workspace.root}.")
        for name in names:
            deployment = workspace.load(name)
            if deployment is None:
                print(f"{name} is not deployed in {workspace.root}.")
                continue
            try:
                engine.destroy(deployment)
            except DeployFailed as failure:
                workspace.save(deployment)  # holding what could not be deleted
                print(f"\n{name} could not be destroyed: {failure}")
                return 1
            workspace.forget(name)
            print(f"{name} destroyed.")
    return 0


def status(options: Options) -> int:
    """Every saved stack with its status and outputs, then what the local cloud holds."""
    workspace = options.workspace
    with opened(options) as cloud:
        names = workspace.stack_names()
        print(f"Local cloud state in {workspace.root}: {len(names)} stack(s)")
        for name in names:
            deployment = workspace.load(name)
            if deployment is not None:
                print(f"{name}  {deployment.status}  ({len(deployment.resources)} resources)")
                _print_outputs(deployment)
        print("\n".join(inventory_lines(inventory(cloud))))
    return 0


def sample_data(options: Options, bucket: str = EXAMPLE_BUCKET) -> int:
    """Upload the example's dataset into the saved local cloud, where app.py's defaults look for it."""
    with opened(options) as cloud:
        count = upload_example_dataset(cloud, bucket)
    print(f"Uploaded {count} objects (PNG images and Ground Truth manifests) to s3://{bucket}")
    return 0


def serve(options: Options, port: int) -> int:
    """Serve the saved local cloud until interrupted, then save what changed meanwhile."""
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    with opened(options, port=port) as cloud:
        print(f"Local cloud from {options.workspace.root} at {cloud.endpoint_url}", flush=True)
        print(f"  export AWS_ENDPOINT_URL={cloud.endpoint_url}", flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            stopped.wait()
    print(f"Saved to {options.workspace.root}.")
    return 0
