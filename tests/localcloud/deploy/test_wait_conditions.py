"""AWS::CloudFormation::WaitCondition with a CreationPolicy, released by cloudformation:SignalResource.

The local cloud's clock runs 3600 times faster here, so a 12-hour signal timeout is 12 real seconds.
"""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from botocore.exceptions import ClientError

from localcloud.deploy.assembly import StackArtifact, read_assembly
from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.deploy.deployment import DeployFailed, Deployment
from localcloud.deploy.engine import Engine
from localcloud.deploy.stack_events import Printer
from localcloud.gateway.server import LocalCloud
from localcloud.testing.clouds import DEFAULT, started_cloud

SCALE = 3600.0


@pytest.fixture
def scaled_cloud() -> Iterator[LocalCloud]:
    with started_cloud(DEFAULT.at(SCALE)) as cloud:
        yield cloud


@pytest.fixture
def scaled_engine(
    scaled_cloud: LocalCloud, certificate: CertificatePair, events: io.StringIO
) -> Iterator[Engine]:
    with ResponseServer(certificate) as responses:
        yield Engine(
            scaled_cloud,
            responses,
            cert_file=certificate.cert_file,
            printer=Printer(events),
        )


def waits(tmp_path: Path, *timeouts: str) -> StackArtifact:  # synthesized before any deploy starts
    """A stack of chained waits (each DependsOn the one before), each waiting for one signal."""
    app = cdk.App(outdir=str(tmp_path / "cdk.out"))
    stack = cdk.Stack(app, "Waits")
    previous: cdk.CfnWaitCondition | None = None
    for index, timeout in enumerate(timeouts, start=1):
        wait = cdk.CfnWaitCondition(stack, f"Wait{index}")
        wait.cfn_options.creation_policy = cdk.CfnCreationPolicy(
            resource_signal=cdk.CfnResourceSignal(count=1, timeout=timeout)
        )
        wait.override_logical_id(f"Wait{index}")
        if previous is not None:
            wait.add_dependency(previous)
        previous = wait
    app.synth()
    (artifact,) = read_assembly(tmp_path / "cdk.out")
    return artifact


def in_background(work: Callable[[], Deployment]) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["deployment"] = work()
        except DeployFailed as failure:
            outcome["failure"] = failure

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def signal(
    cloud: LocalCloud, logical_id: str, unique_id: str, status: str = "SUCCESS", stack: str = "Waits"
) -> None:
    cloud.client("cloudformation").signal_resource(
        StackName=stack, LogicalResourceId=logical_id, UniqueId=unique_id, Status=status
    )


def signal_when_waiting(cloud: LocalCloud, logical_id: str, unique_id: str, status: str = "SUCCESS") -> None:
    """Retry until CloudFormation has started the resource (only then does it accept a signal)."""
    for _ in range(1000):
        try:
            signal(cloud, logical_id, unique_id, status)
            return
        except ClientError as error:  # not yet deploying, or the resource not yet started
            assert "cannot be signaled" in str(error) or "does not exist" in str(error), error
            time.sleep(0.02)
    raise AssertionError(f"{logical_id} never waited for a signal")


def test_a_signal_completes_the_wait(
    scaled_engine: Engine, scaled_cloud: LocalCloud, tmp_path: Path, events: io.StringIO
) -> None:
    # GIVEN a deploy of a 12-hour wait under way
    stack = waits(tmp_path, "PT12H")
    thread, outcome = in_background(lambda: scaled_engine.deploy(stack))
    # WHEN the resource is signalled once it is in progress
    signal_when_waiting(scaled_cloud, "Wait1", "training-complete")
    thread.join(30)
    # THEN it completed, printing the signal as CloudFormation does
    assert outcome["deployment"].status == "CREATE_COMPLETE"
    assert "Received SUCCESS signal with UniqueId training-complete" in events.getvalue()
    # AND a signal to it now is refused: it is no longer in progress
    with pytest.raises(ClientError, match="Wait1 is in CREATE_COMPLETE state and cannot be signaled"):
        signal(scaled_cloud, "Wait1", "late")


def test_a_failure_signal_fails_the_wait_and_rolls_back(
    scaled_engine: Engine, scaled_cloud: LocalCloud, tmp_path: Path, events: io.StringIO
) -> None:
    # GIVEN a wait under way WHEN it is signalled FAILURE
    stack = waits(tmp_path, "PT12H")
    thread, outcome = in_background(lambda: scaled_engine.deploy(stack))
    signal_when_waiting(scaled_cloud, "Wait1", "The manifest file has too few labels.", "FAILURE")
    thread.join(30)
    # THEN the create fails with the signal's UniqueId in the reason, and rolls back
    assert "Received FAILURE signal with UniqueId The manifest file has too few labels." in str(
        outcome["failure"]
    )
    assert "ROLLBACK_COMPLETE" in events.getvalue()
    # AND the stack is gone: a signal to it is refused
    with pytest.raises(ClientError, match="Stack Waits does not exist"):
        signal(scaled_cloud, "Wait1", "late")


def test_a_wait_without_its_signals_times_out_on_the_local_clock(
    scaled_engine: Engine, tmp_path: Path, events: io.StringIO
) -> None:
    # GIVEN a one-hour wait (one real second here) that nobody signals
    started = time.monotonic()
    # WHEN deployed THEN it fails as CloudFormation reports a timeout, about one real second later
    with pytest.raises(DeployFailed, match="Failed to receive 1 resource signal\\(s\\) within the specified"):
        scaled_engine.deploy(waits(tmp_path, "PT1H"))
    assert time.monotonic() - started < 15
    assert "CREATE_FAILED" in events.getvalue()


def test_chained_waits_accept_signals_only_once_started(
    scaled_engine: Engine, scaled_cloud: LocalCloud, tmp_path: Path
) -> None:
    # GIVEN two chained waits under way (the second depends on the first)
    stack = waits(tmp_path, "PT12H", "PT12H")
    thread, outcome = in_background(lambda: scaled_engine.deploy(stack))
    signal_when_waiting(scaled_cloud, "Wait1", "first-half")
    # WHEN the first has been signalled THEN the second accepts a signal once CloudFormation started it
    signal_when_waiting(scaled_cloud, "Wait2", "second-half")
    thread.join(30)
    assert outcome["deployment"].status == "CREATE_COMPLETE"
    assert [h[1:] for h in scaled_cloud.signals.heard()] == [
        ("Wait1", "first-half", "SUCCESS"),
        ("Wait2", "second-half", "SUCCESS"),
    ]


def test_signals_to_unknown_stacks_and_bad_statuses_are_refused(scaled_cloud: LocalCloud) -> None:
    with pytest.raises(ClientError, match="Stack Nowhere does not exist"):
        signal(scaled_cloud, "Wait1", "x", stack="Nowhere")
    with pytest.raises(ClientError):
        signal(scaled_cloud, "Wait1", "x", status="MAYBE")
