"""Trainings of many hours in the local cloud, on its scaled clock.

The custom resource answers when training has started; the stack is held by chained wait conditions
that the provider's watcher releases. Each scenario ends by checking the inventory (what
``python -m localcloud status --json`` reports): nothing of the stack left but what it should hold.
"""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_rekognition as rekognition
from aws_cdk import aws_s3 as s3

from localcloud.deploy.assembly import StackArtifact, read_assembly
from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.deploy.deployment import DeployFailed
from localcloud.deploy.engine import Engine
from localcloud.deploy.stack_events import Printer
from localcloud.gateway.server import LocalCloud
from localcloud.samples.example_dataset import EXAMPLE_BUCKET, upload_example_dataset
from localcloud.state.inventory import inventory, leftovers
from localcloud.testing.clouds import preset, started_cloud
from rekognition_custom_labels import InferenceUnits, ProjectVersion, TestingData, TrainingData
from rekognition_custom_labels.provider import ProjectVersionProvider

from .probing import probe

HOUR = 3600.0
pytestmark = [pytest.mark.slow, pytest.mark.scenario]


def cloud_training_for(hours: float) -> Iterator[LocalCloud]:
    with started_cloud(preset("hours").training_for(hours)) as cloud:
        upload_example_dataset(cloud, images_per_label=4)
        yield cloud


@pytest.fixture
def three_hours() -> Iterator[LocalCloud]:
    yield from cloud_training_for(3)


@pytest.fixture
def two_hours() -> Iterator[LocalCloud]:
    yield from cloud_training_for(2)


@pytest.fixture
def thirteen_hours() -> Iterator[LocalCloud]:
    """Longer than one 12-hour wait (the bench runs 20 hours: `python -m bench`)."""
    yield from cloud_training_for(13)


@pytest.fixture
def responses(certificate: CertificatePair) -> Iterator[tuple[ResponseServer, CertificatePair]]:
    with ResponseServer(certificate) as server:
        yield server, certificate


def engine_for(
    cloud: LocalCloud, responses: tuple[ResponseServer, CertificatePair], events: io.StringIO
) -> Engine:
    server, certificate = responses
    return Engine(cloud, server, cert_file=certificate.cert_file, printer=Printer(events))


def app(tmp_path: Path, name: str = "cdk.out", *, poll_minutes: int = 1, **version: Any) -> StackArtifact:
    """One model version trained from the example dataset (``version`` adds ProjectVersion props), its
    provider polling every ``poll_minutes`` (the handler's POLL_INTERVAL_MINUTES; one by default)."""
    application = cdk.App(outdir=str(tmp_path / name))
    stack = cdk.Stack(application, "Long")
    data = s3.Bucket.from_bucket_name(stack, "Data", EXAMPLE_BUCKET)
    project = rekognition.CfnProject(stack, "Project", project_name="long")
    manifests = version.pop("manifests", "manifests")
    model = ProjectVersion(
        stack,
        "Model",
        project=project,
        training_data=TrainingData.from_manifest(data, f"{manifests}/train.manifest"),
        testing_data=TestingData.from_manifest(data, f"{manifests}/test.manifest"),
        **version,
    )
    if poll_minutes != 1:
        ProjectVersionProvider.of(stack).function.add_environment("POLL_INTERVAL_MINUTES", str(poll_minutes))
    cdk.CfnOutput(stack, "Arn", value=model.project_version_arn)
    cdk.CfnOutput(stack, "F1", value=model.f1_score)
    application.synth()
    (artifact,) = read_assembly(tmp_path / name)
    return artifact


def nothing_left(cloud: LocalCloud) -> dict[str, Any]:
    found = leftovers(inventory(cloud))
    return {kind: entries for kind, entries in found.items() if entries}


def versions(cloud: LocalCloud) -> dict[str, str]:
    return {v["arn"]: v["status"] for v in inventory(cloud)["model_versions"] if v["status"] != "DELETING"}


def test_a_three_hour_training_deploys_and_destroys(
    three_hours: LocalCloud,
    responses: tuple[ResponseServer, CertificatePair],
    events: io.StringIO,
    tmp_path: Path,
) -> None:
    engine = engine_for(three_hours, responses, events)
    # WHEN a stack whose model trains for three (local) hours is deployed
    deployment = engine.deploy(app(tmp_path))
    # THEN it completes with the trained version's outputs, after the first wait was released
    assert deployment.status == "CREATE_COMPLETE"
    assert versions(three_hours) == {deployment.outputs["Arn"]: "TRAINING_COMPLETED"}
    assert float(deployment.outputs["F1"]) > 0
    released = r"WaitCondition .*Received SUCCESS signal with UniqueId training-completed"
    assert re.search(released, events.getvalue())
    # AND nothing watches any more; WHEN destroyed THEN nothing of the stack is left
    assert inventory(three_hours)["eventbridge_rules"] == []
    engine.destroy(deployment)
    assert nothing_left(three_hours) == {}


def test_a_thirteen_hour_training_deploys_across_chained_waits(
    thirteen_hours: LocalCloud,
    responses: tuple[ResponseServer, CertificatePair],
    events: io.StringIO,
    tmp_path: Path,
) -> None:
    engine = engine_for(thirteen_hours, responses, events)
    # WHEN a model that trains for thirteen hours is deployed (two 12-hour waits by default), polled every
    # five minutes (156 polls instead of 780: the chaining, not the cadence, is what this scenario is for)
    deployment = engine.deploy(app(tmp_path, poll_minutes=5))
    # THEN the first wait was renewed while training went on, the second released when it ended
    assert deployment.status == "CREATE_COMPLETE"
    text = events.getvalue()
    assert "Received SUCCESS signal with UniqueId training-continues-1" in text
    assert "Received SUCCESS signal with UniqueId training-completed" in text
    assert versions(thirteen_hours) == {deployment.outputs["Arn"]: "TRAINING_COMPLETED"}
    engine.destroy(deployment)
    assert nothing_left(thirteen_hours) == {}


def test_a_training_that_fails_after_two_hours_rolls_back_leaving_nothing(
    two_hours: LocalCloud,
    responses: tuple[ResponseServer, CertificatePair],
    events: io.StringIO,
    tmp_path: Path,
) -> None:
    engine = engine_for(two_hours, responses, events)
    stack = app(tmp_path)
    (name,) = [
        r["Properties"]["VersionName"]
        for r in stack.resources.values()
        if r["Type"] == "Custom::RekognitionProjectVersion"
    ]
    two_hours.service.faults.fail_training(name, "The manifest file has too few labels.")
    # WHEN deployed THEN it fails with the service's words and the rollback removes everything
    with pytest.raises(DeployFailed, match="The manifest file has too few labels"):
        engine.deploy(stack)
    assert "ROLLBACK_COMPLETE" in events.getvalue()
    assert nothing_left(two_hours) == {}


def test_a_training_longer_than_training_timeout_fails_and_a_later_destroy_leaves_nothing(
    three_hours: LocalCloud,
    responses: tuple[ResponseServer, CertificatePair],
    events: io.StringIO,
    tmp_path: Path,
) -> None:
    engine = engine_for(three_hours, responses, events)
    # WHEN a three-hour training is deployed with a one-hour training_timeout
    with pytest.raises(DeployFailed) as failed:
        engine.deploy(app(tmp_path, training_timeout=cdk.Duration.hours(1)))
    # THEN the waits end at the deadline and the next resource fails saying the training outlasted them
    assert "was still training when the stack stopped waiting for it" in str(failed.value)
    assert "Received SUCCESS signal with UniqueId training-timeout" in events.getvalue()
    # AND the rollback could not delete the still-training version: it says why and what to do
    remaining = failed.value.remaining
    assert remaining is not None and remaining.status == "ROLLBACK_FAILED"
    assert "Rekognition can neither stop nor delete a model version while it trains" in events.getvalue()
    # WHEN training has ended and the stack is destroyed THEN nothing is left
    _wait_until_trained(three_hours)
    engine.destroy(remaining)
    assert nothing_left(three_hours) == {}


def test_destroy_during_training_waits_for_it_and_leaves_nothing(
    two_hours: LocalCloud,
    responses: tuple[ResponseServer, CertificatePair],
    events: io.StringIO,
    tmp_path: Path,
) -> None:
    engine = engine_for(two_hours, responses, events)
    # GIVEN a version deployed with a short training_timeout is left training by its failed deploy
    with pytest.raises(DeployFailed) as failed:
        engine.deploy(app(tmp_path, training_timeout=cdk.Duration.hours(1)))
    remaining = failed.value.remaining
    assert remaining is not None
    # WHEN it is destroyed while training goes on, and again until the destroy succeeds
    assert list(versions(two_hours).values()) == ["TRAINING_IN_PROGRESS"]
    refused = []
    for _ in range(5):
        try:
            engine.destroy(remaining)
            break
        except DeployFailed as again:
            assert again.remaining is not None
            refused.append(str(again))
            remaining = again.remaining
    # THEN each destroy that ended during training failed saying why (after waiting its ServiceTimeout),
    # the one during which training ended succeeded, and nothing is left
    assert all("neither stop nor delete" in reason for reason in refused), refused
    assert remaining.status == "DELETE_COMPLETE" and remaining.resources == {}
    assert nothing_left(two_hours) == {}


def test_a_rollover_trains_for_hours_while_the_old_model_serves(
    two_hours: LocalCloud,
    responses: tuple[ResponseServer, CertificatePair],
    events: io.StringIO,
    tmp_path: Path,
) -> None:
    # GIVEN a model version serving with one inference unit
    engine = engine_for(two_hours, responses, events)
    deployment = engine.deploy(app(tmp_path, inference_units=InferenceUnits.fixed(1)))
    old = deployment.outputs["Arn"]
    arn_now = {"arn": old}
    engine.published = lambda updated: arn_now.update(arn=updated.outputs["Arn"])
    done, seen = threading.Event(), {}
    prober = threading.Thread(target=lambda: seen.update(probe(two_hours, arn_now, done)))
    prober.start()
    # WHEN new training data replaces the version (two more hours of training) while a client calls
    # DetectCustomLabels on the ARN the stack outputs
    try:
        replaced = engine.deploy(
            app(tmp_path, "cdk.out.2", manifests="v2/manifests", inference_units=InferenceUnits.fixed(1)),
            deployment,
        )
    finally:
        done.set()
        prober.join()
    # THEN the new version was waited for, started, and the old one stopped and deleted only in the cleanup
    new = replaced.outputs["Arn"]
    assert new != old and versions(two_hours) == {new: "RUNNING"}
    text = events.getvalue()
    assert text.index("training-completed", text.index("UPDATE_IN_PROGRESS")) < text.index(
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
    )
    # AND the old model served throughout the two hours of training: no call failed
    assert seen["arns"] == [old, new] and seen["failures"] == [] and seen["calls"] > 50
    engine.destroy(replaced)
    assert nothing_left(two_hours) == {}


def _wait_until_trained(cloud: LocalCloud, polls: int = 400) -> None:
    for _ in range(polls):
        if all(status != "TRAINING_IN_PROGRESS" for status in versions(cloud).values()):
            return
        time.sleep(0.1)
    raise AssertionError("training never ended")
