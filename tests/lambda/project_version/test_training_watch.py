"""The training watcher's poll on its own: what it signals, and what it logs while a training runs."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import pytest
from training_watch import Signaller, Watch, progress_due, watch_step

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.testing.clouds import PROPORTIONAL, Preset
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded

HOUR = 3600.0


@pytest.fixture
def local_cloud_preset() -> Preset:
    return PROPORTIONAL.training_for(3)  # a three-hour training, on a clock moved by hand


@dataclass(frozen=True)
class Heard(Signaller):
    """Takes every signal, and remembers it (the stack's side is the engine's and WaitChain's business)."""

    heard: list[tuple[str, str, str]] = field(default_factory=list)

    def signal(self, logical_id: str, status: str, unique: str, *, retry_seconds: float = 0.0) -> str:
        self.heard.append((logical_id, status, unique))
        return "accepted"


def training(cloud: LocalCloud, project_arn: str, dataset: Uploaded) -> Watch:
    arn = cloud.client("rekognition").create_project_version(
        ProjectArn=project_arn,
        VersionName="v1",
        OutputConfig={"S3Bucket": OUTPUT_BUCKET},
        TrainingData=dataset.training,
        TestingData=dataset.testing,
    )["ProjectVersionArn"]
    now = cloud.service.clock.now()
    return Watch(
        stack_id="arn:aws:cloudformation:us-east-1:123456789012:stack/s/1",
        logical_id="Classifier",
        project_arn=project_arn,
        version_name="v1",
        version_arn=str(arn),
        waits=[("Wait1", 43200)],
        started=now,
        deadline=now + 43200 - 300,
        current_since=now,
    )


@pytest.mark.parametrize(
    ("elapsed", "interval", "due"),
    [
        (60, 60, False),
        (600, 60, True),
        (660, 60, False),
        (900, 300, False),
        (1200, 300, True),
        (7200, 300, True),
    ],
)
def test_progress_is_due_once_per_mark_whatever_the_poll_interval(
    elapsed: float, interval: float, due: bool
) -> None:
    assert progress_due(elapsed, interval) is due


@pytest.mark.parametrize("poll_minutes", [1, 5])
def test_a_training_is_logged_at_its_marks_and_its_end(
    cloud: LocalCloud,
    clock: ManualClock,
    project_arn: str,
    dataset: Uploaded,
    caplog: pytest.LogCaptureFixture,
    poll_minutes: int,
) -> None:
    # GIVEN a three-hour training and its watcher
    watch, signaller = training(cloud, project_arn, dataset), Heard(cloudformation=None, stack_id="s")
    rekognition, interval = cloud.client("rekognition"), poll_minutes * 60.0
    caplog.set_level(logging.INFO, logger="training_watch")
    # WHEN the watcher polls until training has ended
    done = False
    while not done:
        clock.advance(interval)
        done = watch_step(watch, rekognition, signaller, clock.now(), 900, interval=interval)
    # THEN it logged the training's time at 10 ... 60 minutes and 2 hours, then its end, and released the wait
    logged = [r.getMessage() for r in caplog.records if r.name == "training_watch"]
    marks = ("10 min", "20 min", "30 min", "40 min", "50 min", "1 h 0 min", "2 h 0 min")
    assert logged == [
        *(f"Model version v1 is TRAINING_IN_PROGRESS, training for {mark}" for mark in marks),
        "Model version v1 is TRAINING_COMPLETED after 3 h 0 min of training",
    ]
    assert signaller.heard == [("Wait1", "SUCCESS", "training-completed")]


def test_a_failed_training_releases_the_waits_with_an_id(
    cloud: LocalCloud, clock: ManualClock, project_arn: str, dataset: Uploaded
) -> None:
    # GIVEN a training that fails after an hour
    watch = training(cloud, project_arn, dataset)
    cloud.service.faults.fail_training("v1", "The manifest file has too few labels.")
    signaller: Any = Heard(cloudformation=None, stack_id="s")
    # WHEN the watcher polls once training has ended
    clock.advance(3 * HOUR)
    done = watch_step(watch, cloud.client("rekognition"), signaller, clock.now(), 900)
    # THEN the open wait is released with an id, never the message (SignalResource carries no Reason)
    assert done and signaller.heard == [("Wait1", "SUCCESS", "training-failed")]


def test_errors_for_thirty_minutes_release_the_waits_instead_of_holding_them_to_training_timeout(
    cloud: LocalCloud, clock: ManualClock, project_arn: str, dataset: Uploaded
) -> None:
    # GIVEN a training whose DescribeProjectVersions keeps answering InternalServerError (the guide's
    # word for service errors during training)
    watch = training(cloud, project_arn, dataset)
    cloud.service.faults.fail_until(
        "DescribeProjectVersions", "InternalServerError", until=clock.now() + 2 * HOUR
    )
    signaller: Any = Heard(cloudformation=None, stack_id="s")
    rekognition = cloud.client("rekognition")
    # WHEN the watcher polls through 29 minutes of errors, then once more after 30
    held = [
        watch_step(watch, rekognition, signaller, clock.now() + minutes * 60, 900) for minutes in (0, 10, 29)
    ]
    released = watch_step(watch, rekognition, signaller, clock.now() + 30 * 60, 900)
    # THEN it held the waits while the errors were young, and then released them for the next resource to
    # fail with a Reason, long before training_timeout
    assert held == [False, False, False]
    assert released and signaller.heard == [("Wait1", "SUCCESS", "watch-failed")]


def test_an_answer_between_errors_starts_the_thirty_minutes_again(
    cloud: LocalCloud, clock: ManualClock, project_arn: str, dataset: Uploaded
) -> None:
    # GIVEN a watch that met errors for 20 minutes
    watch = training(cloud, project_arn, dataset)
    signaller: Any = Heard(cloudformation=None, stack_id="s")
    rekognition = cloud.client("rekognition")
    start = clock.now()
    cloud.service.faults.fail_until("DescribeProjectVersions", "InternalServerError", until=start + 20 * 60)
    assert not watch_step(watch, rekognition, signaller, start, 900)
    # WHEN an answer comes at 21 minutes, and errors again from 25 to 50 minutes
    clock.advance(21 * 60)
    assert not watch_step(watch, rekognition, signaller, clock.now(), 900)
    cloud.service.faults.fail_until("DescribeProjectVersions", "InternalServerError", until=start + 3 * HOUR)
    still = watch_step(watch, rekognition, signaller, start + 25 * 60, 900)
    before_thirty = watch_step(watch, rekognition, signaller, start + 50 * 60, 900)
    # THEN only errors for 30 minutes in a row give up
    assert not still and not before_thirty and signaller.heard == []
