"""The lines a deploy prints between stack events: a version's status at each poll, what an empty
DescribeProjectVersions means for the request, and a training's progress at a readable cadence."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest

from localcloud.clock import ManualClock
from localcloud.deploy.progress import WATCH_KEY, Progress, duration_text, training_mark
from localcloud.deploy.stack_events import Printer
from localcloud.gateway.server import LocalCloud
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded, upload_shapes

HOUR = 3600.0


@pytest.fixture
def training_cloud() -> Iterator[LocalCloud]:
    """Trainings of three hours, on a clock moved by hand."""
    with started_cloud(PROPORTIONAL.training_for(3)) as cloud:
        yield cloud


def lines(out: io.StringIO) -> list[str]:
    return [line.split(" | ", 1)[1].strip() for line in out.getvalue().splitlines()]


def create_version(cloud: LocalCloud, dataset: Uploaded) -> tuple[str, str]:
    rekognition = cloud.client("rekognition")
    project = rekognition.create_project(ProjectName="shapes")["ProjectArn"]
    arn = rekognition.create_project_version(
        ProjectArn=project,
        VersionName="v1",
        OutputConfig={"S3Bucket": OUTPUT_BUCKET},
        TrainingData=dataset.training,
        TestingData=dataset.testing,
    )["ProjectVersionArn"]
    return str(project), str(arn)


@pytest.mark.parametrize(
    ("seconds", "mark"),
    [(0, 0), (599, 0), (600, 1), (3599, 5), (3600, 6), (7199, 6), (7200, 7), (24 * HOUR, 29)],
)
def test_training_marks_fall_every_ten_minutes_in_the_first_hour_then_hourly(
    seconds: float, mark: int
) -> None:
    assert training_mark(seconds) == mark


@pytest.mark.parametrize(
    ("seconds", "text"), [(45, "45 s"), (600, "10 min"), (3600, "1 h 0 min"), (5 * HOUR + 120, "5 h 2 min")]
)
def test_durations_read_as_a_person_says_them(seconds: float, text: str) -> None:
    assert duration_text(seconds) == text


def test_a_watched_training_is_reported_at_each_mark_not_at_each_poll(training_cloud: LocalCloud) -> None:
    # GIVEN a three-hour training held by a chain of two waits
    clock = training_cloud.service.clock
    assert isinstance(clock, ManualClock)
    project, _ = create_version(training_cloud, upload_shapes(training_cloud.client("s3")))
    out = io.StringIO()
    progress = Progress(Printer(out), lambda: training_cloud.client("rekognition"), clock, enabled=True)
    watch = {"project_arn": project, "version_name": "v1", "waits": [["Wait1", 43200], ["Wait2", 43200]]}
    # WHEN the watcher polls every five minutes until training has ended
    for _ in range(int(3 * HOUR // 300) + 2):
        clock.advance(300)
        progress.watched({WATCH_KEY: {**watch, "signalled": 0}})
    # THEN one line per mark (10 ... 60 minutes, 2 hours), each naming the open wait, the status and the time
    printed = lines(out)
    assert printed == [
        f"Wait1: model version v1 is TRAINING_IN_PROGRESS, trained for {time}"
        for time in ("10 min", "20 min", "30 min", "40 min", "50 min", "1 h 0 min", "2 h 0 min")
    ]


def test_other_schedules_and_disabled_progress_print_nothing(training_cloud: LocalCloud) -> None:
    # GIVEN a training well past its first mark
    clock = training_cloud.service.clock
    assert isinstance(clock, ManualClock)
    project, _ = create_version(training_cloud, upload_shapes(training_cloud.client("s3")))
    clock.advance(1800)
    watch = {WATCH_KEY: {"project_arn": project, "version_name": "v1", "waits": [["Wait1", 43200]]}}
    out = io.StringIO()
    enabled = Progress(Printer(out), lambda: training_cloud.client("rekognition"), clock, enabled=True)
    disabled = Progress(Printer(out), lambda: training_cloud.client("rekognition"), clock, enabled=False)
    # WHEN a schedule that is not the watcher fires, and a disabled progress sees the watcher
    enabled.watched({"RequestId": "crhelper's poll"})
    disabled.watched(watch)
    # THEN nothing was printed
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("request_type", "expected"),
    [
        (
            "Delete",
            "Model: model version gone is deleted (DescribeProjectVersions lists no gone in project shapes)",
        ),
        (
            "Create",
            "Model: model version gone is not created yet (DescribeProjectVersions lists no gone in project "
            "shapes: it waits for a training slot)",
        ),
    ],
)
def test_a_version_not_listed_is_explained_for_the_request(
    training_cloud: LocalCloud, request_type: str, expected: str
) -> None:
    # GIVEN a project without the version a request names
    project = training_cloud.client("rekognition").create_project(ProjectName="shapes")["ProjectArn"]
    out = io.StringIO()
    progress = Progress(
        Printer(out), lambda: training_cloud.client("rekognition"), training_cloud.service.clock, enabled=True
    )
    properties: dict[str, Any] = {"ProjectArn": project, "VersionName": "gone"}
    # WHEN the request polls
    progress.poll("Model", properties, request_type)
    # THEN the line says what was looked up and what its absence means for this request
    assert lines(out) == [expected]


def test_a_listed_version_is_reported_with_its_status(training_cloud: LocalCloud) -> None:
    # GIVEN a training version, named by the attributes resource through its ARN
    project, arn = create_version(training_cloud, upload_shapes(training_cloud.client("s3")))
    out = io.StringIO()
    progress = Progress(
        Printer(out), lambda: training_cloud.client("rekognition"), training_cloud.service.clock, enabled=True
    )
    # WHEN its request polls THEN its status is printed
    progress.poll("ModelAttributes", {"ProjectArn": project, "VersionArn": arn}, "Create")
    assert lines(out) == ["ModelAttributes: model version v1 is TRAINING_IN_PROGRESS"]
