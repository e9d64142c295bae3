"""The model-version state machine, call by call: every documented transition and every refusal.

One local cloud serves the whole module (starting one per case would dominate the run time); each case
works in a project of its own, and the cloud's quotas are raised so that cases cannot block each other.
The quotas themselves are tested, at their defaults, in ``test_quotas_and_datasets.py``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.rekognition.service import Quotas
from localcloud.samples.shapes import shapes_dataset
from localcloud.testing.clients import error_code
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import manifest_asset

DURATIONS = PROPORTIONAL.durations

DATA_BUCKET = "state-machine-data"
OUTPUT_BUCKET = "state-machine-output"
TRAIN_KEY = "manifests/train.manifest"
TEST_KEY = "manifests/test.manifest"
UNKNOWN_PROJECT = "arn:aws:rekognition:us-east-1:123456789012:project/nowhere/1700000000000"
UNKNOWN_VERSION = "arn:aws:rekognition:us-east-1:123456789012:project/nowhere/version/v1/1700000000000"
TRAINING_FAILURE = "The manifest file has too few labels."
START_FAILURE = "Injected: the model could not be deployed."

_names = itertools.count()


@dataclass
class Shared:
    cloud: LocalCloud
    clock: ManualClock
    rekognition: Any
    image: bytes  # a PNG for DetectCustomLabels


@pytest.fixture(scope="module")
def shared() -> Iterator[Shared]:
    clock = ManualClock()
    roomy = Quotas(concurrent_trainings=1000, running_models=1000)
    with started_cloud(PROPORTIONAL, clock=clock, quotas=roomy) as cloud:
        s3 = cloud.client("s3")
        s3.create_bucket(Bucket=DATA_BUCKET)
        s3.create_bucket(Bucket=OUTPUT_BUCKET)
        # Two labels, one training and one testing image each: the smallest set that trains.
        objects = shapes_dataset(bucket=DATA_BUCKET, images_per_label=2, labels=("circle", "square"))
        for key, body in objects.items():
            s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
        image = next(body for key, body in objects.items() if key.endswith(".png"))
        yield Shared(cloud, clock, cloud.client("rekognition"), image)


class Models:
    """Model versions of one fresh project, driven through boto3 only (and the clock, and faults)."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared
        self.rekognition = shared.rekognition
        self.clock = shared.clock
        self.project_arn: str = self.rekognition.create_project(ProjectName=f"sm-{next(_names)}")[
            "ProjectArn"
        ]
        self._names = itertools.count(1)

    def create(self, name: str | None = None) -> str:
        arn: str = self.rekognition.create_project_version(
            ProjectArn=self.project_arn,
            VersionName=name or f"v{next(self._names)}",
            OutputConfig={"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "out/"},
            TrainingData=manifest_asset(DATA_BUCKET, TRAIN_KEY),
            TestingData=manifest_asset(DATA_BUCKET, TEST_KEY),
        )["ProjectVersionArn"]
        return arn

    def describe(self, arn: str) -> dict[str, Any] | None:
        """The version's description, or None once it has disappeared from the list."""
        name = arn.split("/")[-2]
        response = self.rekognition.describe_project_versions(
            ProjectArn=self.project_arn, VersionNames=[name]
        )
        found = [dict(v) for v in response["ProjectVersionDescriptions"] if v["ProjectVersionArn"] == arn]
        assert len(found) <= 1
        return found[0] if found else None

    def status(self, arn: str) -> str | None:
        described = self.describe(arn)
        return None if described is None else str(described["Status"])

    def start(self, arn: str, units: int = 1) -> str:
        status: str = self.rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=units)[
            "Status"
        ]
        return status

    def bring_to(self, status: str) -> str:
        """A new version in ``status``, reached through the documented path (each step checked)."""
        faults = self.shared.cloud.service.faults
        name = f"v{next(self._names)}"
        if status == "TRAINING_FAILED":
            faults.fail_training(name, TRAINING_FAILURE)
        if status == "FAILED":
            faults.fail_start(name, START_FAILURE)
        arn = self.create(name)
        self._expect(arn, "TRAINING_IN_PROGRESS")
        if status == "TRAINING_IN_PROGRESS":
            return arn
        self.clock.advance(DURATIONS.training)
        if status == "TRAINING_FAILED":
            return self._expect(arn, "TRAINING_FAILED")
        self._expect(arn, "TRAINING_COMPLETED")
        if status == "TRAINING_COMPLETED":
            return arn
        if status == "DELETING":
            self.rekognition.delete_project_version(ProjectVersionArn=arn)
            return self._expect(arn, "DELETING")
        self.start(arn)
        self._expect(arn, "STARTING")
        if status == "STARTING":
            return arn
        self.clock.advance(DURATIONS.starting)
        if status == "FAILED":
            return self._expect(arn, "FAILED")
        self._expect(arn, "RUNNING")
        if status == "RUNNING":
            return arn
        self.rekognition.stop_project_version(ProjectVersionArn=arn)
        self._expect(arn, "STOPPING")
        if status == "STOPPING":
            return arn
        self.clock.advance(DURATIONS.stopping)
        if status == "STOPPED":
            return self._expect(arn, "STOPPED")
        raise AssertionError(f"no path to {status}")

    def _expect(self, arn: str, status: str) -> str:
        assert self.status(arn) == status
        return arn


@pytest.fixture
def models(shared: Shared) -> Models:
    return Models(shared)


# -- the transition table ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Moves:
    """A call that is accepted: it answers ``answer``, and ``seconds`` later the version is ``settles``
    (None: the version is gone from DescribeProjectVersions)."""

    answer: str
    settles: str | None
    seconds: float


STARTS = Moves("STARTING", "RUNNING", DURATIONS.starting)
STOPS = Moves("STOPPING", "STOPPED", DURATIONS.stopping)
DELETES = Moves("DELETING", None, DURATIONS.deleting)
IN_USE = "ResourceInUseException"

OPERATIONS: dict[str, Callable[[Any, str], dict[str, Any]]] = {
    "Start": lambda client, arn: client.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1),
    "Stop": lambda client, arn: client.stop_project_version(ProjectVersionArn=arn),
    "Delete": lambda client, arn: client.delete_project_version(ProjectVersionArn=arn),
}

# From each reachable status, what Start / Stop / Delete do: a move, or the error code of the refusal.
TRANSITIONS: dict[str, dict[str, Moves | str]] = {
    "TRAINING_IN_PROGRESS": {"Start": IN_USE, "Stop": IN_USE, "Delete": IN_USE},
    "TRAINING_COMPLETED": {"Start": STARTS, "Stop": IN_USE, "Delete": DELETES},
    "TRAINING_FAILED": {"Start": IN_USE, "Stop": IN_USE, "Delete": DELETES},
    "STARTING": {"Start": IN_USE, "Stop": IN_USE, "Delete": IN_USE},  # Stop: documented for RUNNING only
    "RUNNING": {"Start": IN_USE, "Stop": STOPS, "Delete": IN_USE},
    "FAILED": {"Start": STARTS, "Stop": IN_USE, "Delete": DELETES},
    "STOPPING": {"Start": IN_USE, "Stop": IN_USE, "Delete": IN_USE},
    "STOPPED": {"Start": STARTS, "Stop": IN_USE, "Delete": DELETES},
    # A repeated delete is accepted, and the version still goes when the deletion time is over.
    "DELETING": {"Start": IN_USE, "Stop": IN_USE, "Delete": Moves("DELETING", None, DURATIONS.deleting)},
}
CASES = [
    pytest.param(origin, operation, outcome, id=f"{origin}-{operation}")
    for origin, row in TRANSITIONS.items()
    for operation, outcome in row.items()
]


@pytest.mark.parametrize(("origin", "operation", "outcome"), CASES)
def test_transition(models: Models, origin: str, operation: str, outcome: Moves | str) -> None:
    # GIVEN a version in the origin status
    arn = models.bring_to(origin)
    call = OPERATIONS[operation]
    if isinstance(outcome, str):
        # WHEN the operation is called THEN it is refused with the expected code, and nothing changes
        with pytest.raises(ClientError) as caught:
            call(models.rekognition, arn)
        assert error_code(caught) == outcome
        assert models.status(arn) == origin
        return
    # WHEN the operation is called THEN it answers, and the version shows, the transitional status
    assert call(models.rekognition, arn)["Status"] == outcome.answer
    assert models.status(arn) == outcome.answer
    # AND the phase is not over one second before its duration
    models.clock.advance(outcome.seconds - 1)
    assert models.status(arn) == outcome.answer
    # AND it is over at its duration
    models.clock.advance(1)
    assert models.status(arn) == outcome.settles


def test_the_table_covers_every_reachable_status_and_operation() -> None:
    # GIVEN the transition table WHEN its rows and columns are listed THEN none is missing
    reachable = {
        "TRAINING_IN_PROGRESS",
        "TRAINING_COMPLETED",
        "TRAINING_FAILED",
        "STARTING",
        "RUNNING",
        "FAILED",
        "STOPPING",
        "STOPPED",
        "DELETING",
    }
    assert set(TRANSITIONS) == reachable
    assert all(set(row) == set(OPERATIONS) for row in TRANSITIONS.values())


@pytest.mark.parametrize("origin", list(TRANSITIONS))
def test_detect_custom_labels_needs_a_running_model(models: Models, origin: str) -> None:
    # GIVEN a version in the origin status
    arn = models.bring_to(origin)
    image = {"Bytes": models.shared.image}
    if origin == "RUNNING":
        # WHEN an image is sent to a running model THEN it answers with a list of labels
        labels = models.rekognition.detect_custom_labels(ProjectVersionArn=arn, Image=image)["CustomLabels"]
        assert isinstance(labels, list)
        return
    # WHEN an image is sent to a model that is not running THEN it is not ready
    with pytest.raises(ClientError) as caught:
        models.rekognition.detect_custom_labels(ProjectVersionArn=arn, Image=image)
    assert error_code(caught) == "ResourceNotReadyException"


# -- phases that end on their own -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fails", "settles"), [(False, "TRAINING_COMPLETED"), (True, "TRAINING_FAILED")], ids=["ok", "fails"]
)
def test_training_ends_at_its_duration(models: Models, fails: bool, settles: str) -> None:
    # GIVEN a version that is being trained (and, for one case, will fail)
    if fails:
        models.shared.cloud.service.faults.fail_training("v-timed", TRAINING_FAILURE)
    arn = models.create("v-timed")
    assert models.status(arn) == "TRAINING_IN_PROGRESS"
    # WHEN all but one second of the training duration passes THEN it is still training
    models.clock.advance(DURATIONS.training - 1)
    assert models.status(arn) == "TRAINING_IN_PROGRESS"
    # WHEN the last second passes THEN training has ended
    models.clock.advance(1)
    assert models.status(arn) == settles


def test_failed_training_keeps_no_bill_and_no_evaluation(models: Models) -> None:
    # GIVEN a training forced to fail with a message
    models.shared.cloud.service.faults.fail_training("doomed", TRAINING_FAILURE)
    arn = models.create("doomed")
    created = models.describe(arn)
    assert created is not None
    # WHEN its training time has passed
    models.clock.advance(DURATIONS.training)
    failed = models.describe(arn)
    # THEN it failed with that message, at the end of the training time, and bills nothing
    assert failed is not None
    assert failed["Status"] == "TRAINING_FAILED"
    assert failed["StatusMessage"] == TRAINING_FAILURE
    ended = failed["TrainingEndTimestamp"].timestamp() - created["CreationTimestamp"].timestamp()
    assert ended == pytest.approx(DURATIONS.training)
    assert "BillableTrainingTimeInSeconds" not in failed
    assert "EvaluationResult" not in failed


def test_failed_start_reports_its_message_and_can_be_started_again(models: Models) -> None:
    # GIVEN a trained version whose start is forced to fail
    arn = models.bring_to("FAILED")
    # THEN it is FAILED with the forced message
    failed = models.describe(arn)
    assert failed is not None and failed["StatusMessage"] == START_FAILURE
    # WHEN it is started again (the fault was used up) THEN it runs and answers
    assert models.start(arn) == "STARTING"
    models.clock.advance(DURATIONS.starting)
    assert models.status(arn) == "RUNNING"
    models.rekognition.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": models.shared.image})


def test_restart_after_stop_runs_with_the_new_inference_units(models: Models) -> None:
    # GIVEN a model that ran on one inference unit and was stopped
    arn = models.bring_to("STOPPED")
    described = models.describe(arn)
    assert described is not None and described["MinInferenceUnits"] == 1
    # WHEN it is started again with two units
    assert models.start(arn, units=2) == "STARTING"
    models.clock.advance(DURATIONS.starting)
    # THEN it runs with two units and answers DetectCustomLabels again
    running = models.describe(arn)
    assert running is not None
    assert (running["Status"], running["MinInferenceUnits"], running["MaxInferenceUnits"]) == (
        "RUNNING",
        2,
        2,
    )
    models.rekognition.detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": models.shared.image})


# -- unknown resources, names, projects -------------------------------------------------------------

VERSION_CALLS: dict[str, Callable[[Any, str, bytes], Any]] = {
    "StartProjectVersion": lambda c, arn, _: c.start_project_version(
        ProjectVersionArn=arn, MinInferenceUnits=1
    ),
    "StopProjectVersion": lambda c, arn, _: c.stop_project_version(ProjectVersionArn=arn),
    "DeleteProjectVersion": lambda c, arn, _: c.delete_project_version(ProjectVersionArn=arn),
    "DetectCustomLabels": lambda c, arn, image: c.detect_custom_labels(
        ProjectVersionArn=arn, Image={"Bytes": image}
    ),
}


@pytest.mark.parametrize("gone", [False, True], ids=["never-existed", "deleted"])
@pytest.mark.parametrize("operation", list(VERSION_CALLS))
def test_unknown_version_arn_is_not_found(models: Models, operation: str, gone: bool) -> None:
    # GIVEN a version ARN that never existed, or one whose deletion has completed
    arn = UNKNOWN_VERSION
    if gone:
        arn = models.bring_to("DELETING")
        models.clock.advance(DURATIONS.deleting)
        assert models.status(arn) is None
    # WHEN the operation names it THEN the resource is not found
    with pytest.raises(ClientError) as caught:
        VERSION_CALLS[operation](models.rekognition, arn, models.shared.image)
    assert error_code(caught) == "ResourceNotFoundException"


@pytest.mark.parametrize(
    "call",
    [
        pytest.param(
            lambda c: c.describe_project_versions(ProjectArn=UNKNOWN_PROJECT), id="describe-versions"
        ),
        pytest.param(lambda c: c.delete_project(ProjectArn=UNKNOWN_PROJECT), id="delete-project"),
        pytest.param(
            lambda c: c.create_project_version(
                ProjectArn=UNKNOWN_PROJECT,
                VersionName="v1",
                OutputConfig={"S3Bucket": OUTPUT_BUCKET},
                TrainingData=manifest_asset(DATA_BUCKET, TRAIN_KEY),
                TestingData=manifest_asset(DATA_BUCKET, TEST_KEY),
            ),
            id="create-version",
        ),
    ],
)
def test_unknown_project_arn_is_not_found(shared: Shared, call: Callable[[Any], Any]) -> None:
    # GIVEN a well-formed project ARN that names no project
    # WHEN an operation names it THEN the resource is not found
    with pytest.raises(ClientError) as caught:
        call(shared.rekognition)
    assert error_code(caught) == "ResourceNotFoundException"


@pytest.mark.parametrize("first_status", ["TRAINING_IN_PROGRESS", "TRAINING_COMPLETED"])
def test_duplicate_version_name_is_in_use(models: Models, first_status: str) -> None:
    # GIVEN a version named v1 (still training, or trained)
    first = models.create("v1")
    if first_status == "TRAINING_COMPLETED":
        models.clock.advance(DURATIONS.training)
    assert models.status(first) == first_status
    # WHEN another version named v1 is created in the same project THEN the name is in use
    with pytest.raises(ClientError) as caught:
        models.create("v1")
    assert error_code(caught) == IN_USE
    # AND the project still holds one version
    listed = models.rekognition.describe_project_versions(ProjectArn=models.project_arn)
    assert [v["ProjectVersionArn"] for v in listed["ProjectVersionDescriptions"]] == [first]
    # AND the same name is free in another project
    other = Models(models.shared)
    assert other.create("v1").split("/")[-2] == "v1"


def test_project_with_versions_cannot_be_deleted_until_they_are_gone(models: Models) -> None:
    rekognition, project_arn, name = models.rekognition, models.project_arn, models.project_arn.split("/")[-2]
    # GIVEN a project with a trained version
    arn = models.bring_to("TRAINING_COMPLETED")

    def delete_refused() -> str:
        with pytest.raises(ClientError) as caught:
            rekognition.delete_project(ProjectArn=project_arn)
        return error_code(caught)

    # WHEN the project is deleted THEN it is in use
    assert delete_refused() == IN_USE
    # AND still in use while its last version is being deleted
    rekognition.delete_project_version(ProjectVersionArn=arn)
    assert delete_refused() == IN_USE
    # WHEN the version is gone THEN the project deletion is accepted
    models.clock.advance(DURATIONS.deleting)
    assert rekognition.delete_project(ProjectArn=project_arn)["Status"] == "DELETING"
    # AND the project is listed as DELETING until one second before the deletion time
    models.clock.advance(DURATIONS.project_deleting - 1)
    (listed,) = rekognition.describe_projects(ProjectNames=[name])["ProjectDescriptions"]
    assert (listed["ProjectArn"], listed["Status"]) == (project_arn, "DELETING")
    # AND it has disappeared at the deletion time
    models.clock.advance(1)
    assert rekognition.describe_projects(ProjectNames=[name])["ProjectDescriptions"] == []
    # AND its name can be used again
    assert rekognition.create_project(ProjectName=name)["ProjectArn"] != project_arn


def test_duplicate_project_name_is_in_use(models: Models) -> None:
    # GIVEN an existing project
    name = models.project_arn.split("/")[-2]
    # WHEN another project gets the same name THEN the name is in use
    with pytest.raises(ClientError) as caught:
        models.rekognition.create_project(ProjectName=name)
    assert error_code(caught) == IN_USE
