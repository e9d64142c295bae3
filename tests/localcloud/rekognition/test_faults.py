"""Fault injection: planned errors, the control-plane rate quota and forced failures, in Python and over HTTP.

Errors travel the whole way: the emulator answers them over HTTP and botocore parses (and, where its retry
policy says so, retries) them, so a test sees what an application would.
"""

from __future__ import annotations

import itertools
import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.rekognition.faults import Faults
from localcloud.testing.clients import error_code
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import OUTPUT_BUCKET, Uploaded

DURATIONS = PROPORTIONAL.durations

ABSENT_VERSION = "arn:aws:rekognition:us-east-1:123456789012:project/shapes/version/none/1750000000000"


def client(cloud: LocalCloud, attempts: int) -> Any:
    """A Rekognition client making at most ``attempts`` attempts per call (standard retry mode)."""
    return boto3.session.Session().client(
        "rekognition",
        region_name="us-east-1",
        endpoint_url=cloud.endpoint_url,
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"mode": "standard", "total_max_attempts": attempts}),
    )


@dataclass
class Shared:
    """One local cloud for the tests that only change faults (cleared after each) and the clock."""

    cloud: LocalCloud
    clock: ManualClock
    once: Any  # a client without retries: every error reaches the test
    project_arn: str
    _names: Iterator[int]

    @property
    def faults(self) -> Faults:
        return self.cloud.service.faults

    def new_name(self) -> str:
        return f"p{next(self._names)}"


@pytest.fixture(scope="module")
def shared_cloud() -> Iterator[Shared]:
    clock = ManualClock()
    with started_cloud(PROPORTIONAL, clock=clock) as local_cloud:
        once = client(local_cloud, 1)
        project_arn = once.create_project(ProjectName="shapes")["ProjectArn"]
        yield Shared(local_cloud, clock, once, project_arn, itertools.count())


@pytest.fixture
def shared(shared_cloud: Shared) -> Iterator[Shared]:
    shared_cloud.faults.clear()
    yield shared_cloud
    shared_cloud.faults.clear()


@pytest.fixture
def once(cloud: LocalCloud) -> Any:
    """No retries: every error reaches the test."""
    return client(cloud, 1)


def error_of(call: Any, **params: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as caught:
        call(**params)
    response: dict[str, Any] = caught.value.response
    return response


def control(cloud: LocalCloud, path: str, body: Any = None, *, raw: bytes | None = None) -> tuple[int, Any]:
    """POST (GET without a body) to a /_localcloud/ control; (HTTP status, decoded JSON answer)."""
    data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
    request = urllib.request.Request(
        f"{cloud.endpoint_url}/_localcloud/{path}",
        data=data,
        method="GET" if data is None else "POST",
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def create_version(rekognition: Any, project_arn: str, dataset: Uploaded, name: str) -> str:
    arn: str = rekognition.create_project_version(
        ProjectArn=project_arn,
        VersionName=name,
        OutputConfig={"S3Bucket": OUTPUT_BUCKET},
        TrainingData=dataset.training,
        TestingData=dataset.testing,
    )["ProjectVersionArn"]
    return arn


def status(rekognition: Any, project_arn: str, name: str) -> tuple[str, str]:
    described = rekognition.describe_project_versions(ProjectArn=project_arn, VersionNames=[name])
    (version,) = described["ProjectVersionDescriptions"]
    return version["Status"], version["StatusMessage"]


# -- planned errors -----------------------------------------------------------------------------------

PLANNED = [
    ("ThrottlingException", 500),
    ("InternalServerError", 500),
    ("ProvisionedThroughputExceededException", 400),
]


@pytest.mark.parametrize(("code", "http_status"), PLANNED)
def test_a_planned_error_fails_exactly_the_next_calls(shared: Shared, code: str, http_status: int) -> None:
    # GIVEN two planned failures of DescribeProjectVersions
    shared.faults.fail_next("DescribeProjectVersions", code, count=2)
    describe = shared.once.describe_project_versions
    # WHEN it is called three times (without retries)
    failures = [error_of(describe, ProjectArn=shared.project_arn) for _ in range(2)]
    answer = describe(ProjectArn=shared.project_arn)
    # THEN the first two fail with that error and its HTTP status, and the third succeeds
    for failure in failures:
        assert failure["Error"]["Code"] == code
        assert failure["ResponseMetadata"]["HTTPStatusCode"] == http_status
        assert failure["ResponseMetadata"]["RetryAttempts"] == 0
    assert answer["ProjectVersionDescriptions"] == []


def test_a_planned_error_touches_only_its_operation(shared: Shared) -> None:
    # GIVEN a planned failure of DescribeProjectVersions
    shared.faults.fail_next("DescribeProjectVersions", "InternalServerError")
    # WHEN other operations are called first THEN they succeed
    listed = shared.once.describe_projects()["ProjectDescriptions"]
    assert shared.project_arn in [project["ProjectArn"] for project in listed]
    shared.once.create_project(ProjectName=shared.new_name())
    # AND the planned failure still waits for its own operation
    failure = error_of(shared.once.describe_project_versions, ProjectArn=shared.project_arn)
    assert failure["Error"]["Code"] == "InternalServerError"


def test_planned_errors_fire_in_the_order_planned_with_their_messages(shared: Shared) -> None:
    # GIVEN two plans for one operation, the second with its own message
    shared.faults.fail_next("DescribeProjectVersions", "ThrottlingException")
    shared.faults.fail_next("DescribeProjectVersions", "InternalServerError", message="disk on fire")
    describe = shared.once.describe_project_versions
    # WHEN it is called three times
    first = error_of(describe, ProjectArn=shared.project_arn)["Error"]
    second = error_of(describe, ProjectArn=shared.project_arn)["Error"]
    describe(ProjectArn=shared.project_arn)
    # THEN the plans fire in order, each with its message, and then calls succeed
    assert first["Code"] == "ThrottlingException" and "ThrottlingException" in first["Message"]
    assert (second["Code"], second["Message"]) == ("InternalServerError", "disk on fire")


def test_a_plan_needs_at_least_one_call(shared: Shared) -> None:
    # GIVEN the fault API WHEN a plan covers no call THEN it is refused
    with pytest.raises(ValueError, match="count"):
        shared.faults.fail_next("DescribeProjects", "ThrottlingException", count=0)


def test_a_lost_answer_is_an_error_after_the_call_took_effect(shared: Shared) -> None:
    # GIVEN the next CreateProject's answer will be lost
    shared.faults.lose_next_answers("CreateProject")
    name = shared.new_name()
    # WHEN it is called THEN the caller sees a 500, yet the project exists; the next call is answered
    assert error_of(shared.once.create_project, ProjectName=name)["Error"]["Code"] == "InternalServerError"
    names = [p["ProjectArn"] for p in shared.once.describe_projects()["ProjectDescriptions"]]
    assert any(f":project/{name}/" in arn for arn in names)
    assert shared.once.create_project(ProjectName=shared.new_name())["ProjectArn"]
    # AND the call log records it as answered with that error
    assert shared.cloud.service.calls.calls(["CreateProject"])[-2].error == "InternalServerError"


@pytest.mark.parametrize(("code", "http_status"), PLANNED)
def test_botocore_retries_a_single_transient_error_transparently(
    shared: Shared, code: str, http_status: int
) -> None:
    # GIVEN one planned failure and a client with botocore's standard retries (3 attempts)
    shared.faults.fail_next("DescribeProjectVersions", code)
    retrying = client(shared.cloud, 3)
    # WHEN the operation is called once
    answer = retrying.describe_project_versions(ProjectArn=shared.project_arn)
    # THEN botocore retried once, and the caller sees only success
    assert answer["ResponseMetadata"]["RetryAttempts"] == 1
    assert answer["ProjectVersionDescriptions"] == []


def test_botocore_gives_up_when_every_attempt_is_throttled(shared: Shared) -> None:
    # GIVEN as many planned throttles as the client makes attempts
    shared.faults.fail_next("DescribeProjectVersions", "ThrottlingException", count=3)
    # WHEN the operation is called
    failure = error_of(client(shared.cloud, 3).describe_project_versions, ProjectArn=shared.project_arn)
    # THEN the throttle reaches the caller after two retries, and the plan is used up
    assert failure["Error"]["Code"] == "ThrottlingException"
    assert failure["ResponseMetadata"]["RetryAttempts"] == 2
    assert (
        shared.once.describe_project_versions(ProjectArn=shared.project_arn)["ProjectVersionDescriptions"]
        == []
    )


# -- the control-plane rate quota ---------------------------------------------------------------------


def test_the_rate_quota_allows_five_calls_a_second(shared: Shared) -> None:
    # GIVEN a quota of 5 control-plane calls per second
    shared.faults.limit_tps(5)
    once = shared.once
    # WHEN five different control-plane calls are made in the same second THEN they pass
    once.describe_projects()
    once.describe_project_versions(ProjectArn=shared.project_arn)
    once.create_project(ProjectName=shared.new_name())
    once.describe_projects(ProjectNames=["shapes"])
    once.describe_project_versions(ProjectArn=shared.project_arn, MaxResults=1)
    # AND the sixth is throttled with HTTP 500
    failure = error_of(once.describe_projects)
    assert failure["Error"]["Code"] == "ThrottlingException"
    assert failure["ResponseMetadata"]["HTTPStatusCode"] == 500
    # WHEN half a second passes THEN the window still holds five calls
    shared.clock.advance(0.5)
    assert error_of(once.describe_projects)["Error"]["Code"] == "ThrottlingException"
    # WHEN a full second has passed since the first call THEN five calls pass again, and the sixth does not
    shared.clock.advance(0.5)
    for _ in range(5):
        once.describe_projects()
    assert error_of(once.describe_projects)["Error"]["Code"] == "ThrottlingException"


@pytest.mark.parametrize("operation", ["detect_custom_labels", "list_tags_for_resource", "tag_resource"])
def test_calls_outside_the_control_plane_do_not_count(shared: Shared, operation: str) -> None:
    # GIVEN a quota of 5 control-plane calls per second
    shared.faults.limit_tps(5)
    requests: dict[str, dict[str, Any]] = {
        "detect_custom_labels": {"ProjectVersionArn": ABSENT_VERSION, "Image": {"Bytes": b"\x89PNG"}},
        "list_tags_for_resource": {"ResourceArn": shared.project_arn},
        "tag_resource": {"ResourceArn": shared.project_arn, "Tags": {"team": "vision"}},
    }
    params = requests[operation]
    # WHEN ten calls outside the control plane are made in that second
    for _ in range(10):
        try:
            getattr(shared.once, operation)(**params)
        except ClientError as error:  # an absent model: answered, not throttled
            assert error_code(error) == "ResourceNotFoundException"
    # THEN all five control-plane calls of the second still pass
    for _ in range(5):
        shared.once.describe_projects()
    assert error_of(shared.once.describe_projects)["Error"]["Code"] == "ThrottlingException"


def test_lifting_the_quota_lets_every_call_through(shared: Shared) -> None:
    # GIVEN a quota of one call per second, already used
    shared.faults.limit_tps(1)
    shared.once.describe_projects()
    assert error_of(shared.once.describe_projects)["Error"]["Code"] == "ThrottlingException"
    # WHEN the quota is lifted THEN calls in the same second pass
    shared.faults.limit_tps(None)
    for _ in range(10):
        shared.once.describe_projects()


# -- forced training and start failures ---------------------------------------------------------------


def test_a_forced_training_failure_hits_the_next_training_of_that_name_only(
    cloud: LocalCloud, rekognition: Any, dataset: Uploaded, project_arn: str, clock: ManualClock
) -> None:
    # GIVEN a forced failure for versions named v1
    cloud.service.faults.fail_training("v1", "The training instance ran out of memory.")
    # WHEN v1 and v2 train side by side
    first = create_version(rekognition, project_arn, dataset, "v1")
    create_version(rekognition, project_arn, dataset, "v2")
    clock.advance(DURATIONS.training)
    # THEN v1 failed with the forced message and v2 completed
    assert status(rekognition, project_arn, "v1") == (
        "TRAINING_FAILED",
        "The training instance ran out of memory.",
    )
    assert status(rekognition, project_arn, "v2")[0] == "TRAINING_COMPLETED"
    # WHEN v1 is deleted and trained again THEN the failure was used up: it completes
    rekognition.delete_project_version(ProjectVersionArn=first)
    clock.advance(DURATIONS.deleting)
    create_version(rekognition, project_arn, dataset, "v1")
    clock.advance(DURATIONS.training)
    assert status(rekognition, project_arn, "v1")[0] == "TRAINING_COMPLETED"


def test_a_forced_start_failure_hits_the_next_start_only(
    cloud: LocalCloud, rekognition: Any, dataset: Uploaded, project_arn: str, clock: ManualClock
) -> None:
    # GIVEN a trained v1 and a forced start failure for it
    arn = create_version(rekognition, project_arn, dataset, "v1")
    clock.advance(DURATIONS.training)
    cloud.service.faults.fail_start("v1", "Insufficient capacity to start the model.")
    # WHEN it is started THEN it is STARTING, then FAILED with the forced message
    assert (
        rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)["Status"] == "STARTING"
    )
    assert status(rekognition, project_arn, "v1")[0] == "STARTING"
    clock.advance(DURATIONS.starting)
    assert status(rekognition, project_arn, "v1") == ("FAILED", "Insufficient capacity to start the model.")
    # WHEN it is started again THEN it runs
    rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)
    clock.advance(DURATIONS.starting)
    assert status(rekognition, project_arn, "v1")[0] == "RUNNING"


def test_clear_forgets_every_fault(
    cloud: LocalCloud, once: Any, dataset: Uploaded, project_arn: str, clock: ManualClock
) -> None:
    # GIVEN a planned error, a quota of one call a second (used up), a forced training and start failure
    faults = cloud.service.faults
    faults.fail_next("CreateProjectVersion", "InternalServerError", count=5)
    faults.fail_training("v1", "forced")
    faults.fail_start("v1", "forced")
    faults.limit_tps(1)
    once.describe_projects()
    # WHEN the faults are cleared
    faults.clear()
    # THEN the same second allows more calls, and v1 trains and starts normally
    arn = create_version(once, project_arn, dataset, "v1")
    clock.advance(DURATIONS.training)
    once.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)
    clock.advance(DURATIONS.starting)
    assert status(once, project_arn, "v1") == ("RUNNING", "The model is running.")


# -- the same over HTTP -------------------------------------------------------------------------------


def test_http_controls_plan_errors_and_reset_them(shared: Shared) -> None:
    # GIVEN a planned error posted over HTTP
    planned = {"operation": "DescribeProjects", "error": "ThrottlingException", "count": 2, "message": "slow"}
    assert control(shared.cloud, "rekognition/faults", planned) == (200, {"ok": True})
    # WHEN the operation is called THEN it fails twice with that error and message, then succeeds
    for _ in range(2):
        error = error_of(shared.once.describe_projects)["Error"]
        assert (error["Code"], error["Message"]) == ("ThrottlingException", "slow")
    shared.once.describe_projects()
    # WHEN an error and a quota of one call a second are set, and then reset over HTTP
    again = {"operation": "DescribeProjects", "error": "InternalServerError"}
    assert control(shared.cloud, "rekognition/faults", again) == (200, {"ok": True})
    assert control(shared.cloud, "rekognition/tps", {"limit": 1}) == (200, {"ok": True})
    assert control(shared.cloud, "rekognition/reset-faults", {}) == (200, {"ok": True})
    # THEN neither applies any more: several calls in the same second pass
    for _ in range(3):
        shared.once.describe_projects()


def test_http_controls_set_the_quota_and_move_the_clock(shared: Shared) -> None:
    # GIVEN a quota of two calls a second set over HTTP, and the clock's time from /health
    assert control(shared.cloud, "rekognition/tps", {"limit": 2}) == (200, {"ok": True})
    before = shared.clock.now()
    assert control(shared.cloud, "health") == (200, {"now": before})
    # WHEN three calls are made THEN the third is throttled
    shared.once.describe_projects()
    shared.once.describe_projects()
    assert error_of(shared.once.describe_projects)["Error"]["Code"] == "ThrottlingException"
    # WHEN a second passes by the HTTP clock control THEN /health shows it and calls pass again
    assert control(shared.cloud, "clock/advance", {"seconds": 1}) == (200, {"ok": True})
    assert control(shared.cloud, "health") == (200, {"now": before + 1})
    shared.once.describe_projects()
    # WHEN the quota is lifted over HTTP THEN every call passes
    assert control(shared.cloud, "rekognition/tps", {"limit": None}) == (200, {"ok": True})
    for _ in range(5):
        shared.once.describe_projects()


def test_http_controls_force_training_and_start_failures(
    cloud: LocalCloud, rekognition: Any, dataset: Uploaded, project_arn: str
) -> None:
    # GIVEN forced failures posted over HTTP: v1's training, v2's start
    training_failure = {"versionName": "v1", "message": "The manifest file has too few labels."}
    assert control(cloud, "rekognition/training-failures", training_failure) == (200, {"ok": True})
    start_failure = {"versionName": "v2", "message": "Insufficient capacity."}
    assert control(cloud, "rekognition/start-failures", start_failure) == (200, {"ok": True})
    # WHEN both train, time passing only by the HTTP clock control
    create_version(rekognition, project_arn, dataset, "v1")
    second = create_version(rekognition, project_arn, dataset, "v2")
    control(cloud, "clock/advance", {"seconds": DURATIONS.training})
    # THEN v1 failed as forced, and v2 trained
    assert status(rekognition, project_arn, "v1") == (
        "TRAINING_FAILED",
        "The manifest file has too few labels.",
    )
    assert status(rekognition, project_arn, "v2")[0] == "TRAINING_COMPLETED"
    # WHEN v2 is started THEN its start fails as forced
    rekognition.start_project_version(ProjectVersionArn=second, MinInferenceUnits=1)
    control(cloud, "clock/advance", {"seconds": DURATIONS.starting})
    assert status(rekognition, project_arn, "v2") == ("FAILED", "Insufficient capacity.")


BAD_BODIES = [
    pytest.param("rekognition/faults", b"{not json", id="faults-invalid-json"),
    pytest.param("rekognition/faults", b"[]", id="faults-array"),
    pytest.param("rekognition/faults", b"{}", id="faults-empty"),
    pytest.param("rekognition/faults", b'{"operation": "DescribeProjects"}', id="faults-no-error"),
    pytest.param(
        "rekognition/faults",
        b'{"operation": "DescribeProjects", "error": "ThrottlingException", "count": 0}',
        id="faults-count-0",
    ),
    pytest.param(
        "rekognition/faults",
        b'{"operation": "DescribeProjects", "error": "ThrottlingException", "count": "two"}',
        id="faults-count-text",
    ),
    pytest.param(
        "rekognition/faults",
        b'{"operation": "DescribeProject", "error": "ThrottlingException"}',
        id="faults-unknown-operation",
    ),
    pytest.param(
        "rekognition/faults",
        b'{"operation": "DescribeProjects", "error": "NoSuchThingException"}',
        id="faults-unmodelled-error",
    ),
    pytest.param("rekognition/training-failures", b'{"versionName": "v1"}', id="training-no-message"),
    pytest.param("rekognition/start-failures", b'{"message": "m"}', id="start-no-version"),
    pytest.param(
        "rekognition/tps",
        b'{"limit": "five"}',
        id="tps-text",
    ),
    pytest.param(
        "rekognition/tps",
        b'{"limit": -1}',
        id="tps-negative",
    ),
    pytest.param("clock/advance", b"{}", id="advance-no-seconds"),
    pytest.param("clock/advance", b'{"seconds": -1}', id="advance-backwards"),
    pytest.param("clock/advance", b'{"seconds": "soon"}', id="advance-text"),
]


@pytest.mark.parametrize(("path", "body"), BAD_BODIES)
def test_a_bad_control_body_is_refused_with_400(shared: Shared, path: str, body: bytes) -> None:
    # GIVEN the emulator with no faults, at a known time
    before = shared.clock.now()
    # WHEN a malformed control request is posted
    answer = control(shared.cloud, path, raw=body)
    # THEN it is refused with 400 and changes nothing: time stands, and calls pass
    assert answer[0] == 400, answer
    assert "error" in answer[1]
    assert shared.clock.now() == before
    shared.once.describe_projects()


NON_FINITE = [
    pytest.param(
        "clock/advance",
        b'{"seconds": NaN}',
        id="advance-nan",
    ),
    pytest.param(
        "clock/advance",
        b'{"seconds": "inf"}',
        id="advance-infinite",
    ),
]


@pytest.mark.parametrize(("path", "body"), NON_FINITE)
def test_a_non_finite_advance_is_refused_with_400(
    cloud: LocalCloud, clock: ManualClock, path: str, body: bytes
) -> None:
    # GIVEN the emulator at a known time
    before = clock.now()
    # WHEN the clock is told to advance by a non-finite amount
    answer = control(cloud, path, raw=body)
    # THEN it is refused with 400 and time stands
    assert answer[0] == 400, answer
    assert clock.now() == before


@pytest.mark.parametrize("path", ["nope", "rekognition/nope", "clock/rewind", "rekognition"])
def test_an_unknown_control_is_404(shared: Shared, path: str) -> None:
    # GIVEN the control endpoints WHEN an unknown one is posted to THEN it answers 404, naming it
    answer = control(shared.cloud, path, {})
    assert answer[0] == 404
    assert path in answer[1]["error"]
