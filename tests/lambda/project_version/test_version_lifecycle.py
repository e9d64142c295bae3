"""The model version's phases (train, adopt, tag, describe, delete) against the offline Rekognition emulator.

Every call goes through a plain boto3 client of the local cloud; the clock moves only when a test says so.
For speed the module shares one local cloud (the fixtures below shadow the function-scoped ones of
``tests/localcloud/conftest.py``, built the same way): each test works in a project and under a version
name of its own, so what other tests leave behind never meets it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ParamValidationError,
    ReadTimeoutError,
)
from resource_properties import OWNER_TAG, VersionSpec, parse
from version_lifecycle import (
    NotOurs,
    QuotaExceeded,
    attributes,
    delete_step,
    find_version,
    is_transient,
    owner_value,
    same_owner,
    start_training,
    sync_tags,
    tags_of,
)

from localcloud.clock import ManualClock
from localcloud.gateway.server import CREDENTIALS, LocalCloud
from localcloud.rekognition.service import Quotas
from localcloud.samples.shapes import shapes_dataset
from localcloud.testing.clients import error_code
from localcloud.testing.clouds import POLLS, started_cloud
from localcloud.testing.data import DATA_BUCKET, OUTPUT_BUCKET, Uploaded

DURATIONS = POLLS.durations

STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/models/0f1e2d3c-1111-2222-3333-444455556666"
OTHER_STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/other/9a8b7c6d-1111-2222-3333-444455556666"
LOGICAL_ID = "ShapesModel"
# Letters, digits, spaces and _.:/=+-@ (the Rekognition tag-value rule), 0-256 characters.
TAG_VALUE = re.compile(r"[A-Za-z0-9 _.:/=+\-@]{0,256}")


class Recording:
    """A client proxy that records each API call (name and arguments) before making it."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(**kwargs: Any) -> Any:
            self.calls.append((name, kwargs))
            return method(**kwargs)

        return call

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def properties(
    dataset: Uploaded, project_arn: str, *, name: str, tags: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:provider",
        "ProjectArn": project_arn,
        "VersionName": name,
        "OutputConfig": {"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "models/"},
        "TrainingData": dataset.training,
        "TestingData": dataset.testing,
        "Tags": {"team": "vision"} if tags is None else tags,
    }


def owner_of(spec: VersionSpec, stack: str = STACK, logical_id: str = LOGICAL_ID) -> str:
    return owner_value(stack, logical_id, spec.fingerprint)


def versions(rekognition: Any, project_arn: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = rekognition.describe_project_versions(ProjectArn=project_arn)[
        "ProjectVersionDescriptions"
    ]
    return listed


def status_of(rekognition: Any, project_arn: str, name: str) -> str:
    version = find_version(rekognition, project_arn, name)
    assert version is not None
    return str(version["Status"])


_unique = itertools.count()
_leftovers: set[str] = set()


@pytest.fixture(scope="module")
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture(scope="module")
def cloud(clock: ManualClock) -> Iterator[LocalCloud]:
    # Tests leave versions training and running: the account limits would be the subject of other tests.
    quotas = Quotas(concurrent_trainings=1000, running_models=1000)
    with started_cloud(POLLS, clock=clock, quotas=quotas) as local_cloud:
        yield local_cloud


@pytest.fixture(scope="module")
def rekognition(cloud: LocalCloud) -> Any:
    return cloud.client("rekognition")


@pytest.fixture(scope="module")
def dataset(cloud: LocalCloud) -> Uploaded:
    s3 = cloud.client("s3")
    s3.create_bucket(Bucket=DATA_BUCKET)
    s3.create_bucket(Bucket=OUTPUT_BUCKET)
    objects = shapes_dataset(bucket=DATA_BUCKET, images_per_label=5)
    for key, body in objects.items():
        s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)
    return Uploaded(DATA_BUCKET, "manifests/train.manifest", "manifests/test.manifest", sorted(objects))


@pytest.fixture
def project_arn(rekognition: Any, cloud: LocalCloud) -> Iterator[str]:
    """A project of this test's own; the faults it plans are cleared after it."""
    arn: str = rekognition.create_project(ProjectName=f"shapes-{next(_unique)}")["ProjectArn"]
    yield arn
    # A version left training would really train when a later test moves the shared clock: make it
    # fail at once instead (a planned failure skips reading the images). Names are unique per test.
    _leftovers.update(
        version["ProjectVersionArn"].split("/version/")[1].split("/")[0]
        for version in versions(rekognition, arn)
        if version["Status"] == "TRAINING_IN_PROGRESS"
    )
    faults = cloud.service.faults
    faults.clear()
    for leftover in _leftovers:
        faults.fail_training(leftover, "abandoned by the test")


@pytest.fixture
def name() -> str:
    """A version name of this test's own (the emulator's planned training failures go by name)."""
    return f"v{next(_unique)}"


@pytest.fixture
def spec(dataset: Uploaded, project_arn: str, name: str) -> VersionSpec:
    return parse(properties(dataset, project_arn, name=name))


# -- start_training -----------------------------------------------------------------------------------


def test_start_training_creates_a_version_tagged_with_its_owner(
    rekognition: Any, spec: VersionSpec, project_arn: str
) -> None:
    # GIVEN a parsed spec with a user tag and the owner of a stack's resource
    owner = owner_of(spec)
    # WHEN training starts
    arn = start_training(rekognition, spec, owner)
    # THEN one version of that name is training, created from the spec's request
    (version,) = versions(rekognition, project_arn)
    assert version["ProjectVersionArn"] == arn
    assert arn.startswith(f"{project_arn.rsplit('/', 1)[0]}/version/{spec.version_name}/")
    assert version["Status"] == "TRAINING_IN_PROGRESS"
    assert version["OutputConfig"] == {"S3Bucket": OUTPUT_BUCKET, "S3KeyPrefix": "models/"}
    # AND it carries the user's tags plus the ownership tag
    assert tags_of(rekognition, arn) == {"team": "vision", OWNER_TAG: owner}


@pytest.mark.parametrize("elapsed", [0, DURATIONS.training], ids=["while training", "after training"])
def test_start_training_again_with_the_same_owner_adopts_the_version(
    rekognition: Any, spec: VersionSpec, project_arn: str, clock: ManualClock, elapsed: float
) -> None:
    # GIVEN a version this resource already started (a Lambda retry of the same request)
    first = start_training(rekognition, spec, owner_of(spec))
    clock.advance(elapsed)
    # WHEN training is started again for the same owner
    second = start_training(rekognition, spec, owner_of(spec))
    # THEN the existing version is adopted: same ARN, still only one version
    assert second == first
    assert [v["ProjectVersionArn"] for v in versions(rekognition, project_arn)] == [first]


@pytest.mark.parametrize(
    "existing_tags",
    [
        pytest.param(lambda spec: {OWNER_TAG: owner_of(spec, stack=OTHER_STACK)}, id="another stack"),
        pytest.param(lambda spec: {OWNER_TAG: owner_of(spec, logical_id="Other")}, id="another resource"),
        pytest.param(lambda spec: {"team": "someone-else"}, id="no owner tag"),
    ],
)
def test_start_training_refuses_a_version_it_did_not_create(
    rekognition: Any,
    spec: VersionSpec,
    project_arn: str,
    dataset: Uploaded,
    existing_tags: Callable[[VersionSpec], dict[str, str]],
) -> None:
    # GIVEN a version of the same name that someone else created
    tags = existing_tags(spec)
    existing = rekognition.create_project_version(**spec.request, VersionName=spec.version_name, Tags=tags)[
        "ProjectVersionArn"
    ]
    before = versions(rekognition, project_arn)
    # WHEN this resource starts training under that name
    with pytest.raises(NotOurs) as caught:
        start_training(rekognition, spec, owner_of(spec))
    # THEN the error names the version and says it is left untouched
    message = str(caught.value)
    assert spec.version_name in message and existing in message
    assert "left untouched" in message
    # AND the existing version and its tags are unchanged, and no other version was made
    assert versions(rekognition, project_arn) == before
    assert tags_of(rekognition, existing) == tags


def test_start_training_does_not_adopt_a_version_trained_from_other_data(
    rekognition: Any, dataset: Uploaded, project_arn: str, name: str
) -> None:
    # GIVEN a version this resource started from the training manifest with AutoCreate testing data,
    # left behind (e.g. a timed-out replacement the rollback could not delete)
    old = parse(properties(dataset, project_arn, name=name) | {"TestingData": {"AutoCreate": "true"}})
    existing = start_training(rekognition, old, owner_of(old))
    # WHEN the same resource now asks for that name trained from other testing data
    new = parse(properties(dataset, project_arn, name=name))
    assert new.fingerprint != old.fingerprint
    # THEN it refuses instead of reporting the old model as the one asked for
    with pytest.raises((RuntimeError, ValueError)):
        start_training(rekognition, new, owner_of(new))
    assert [v["ProjectVersionArn"] for v in versions(rekognition, project_arn)] == [existing]


def test_start_training_passes_on_other_service_errors(
    rekognition: Any, spec: VersionSpec, cloud: LocalCloud
) -> None:
    # GIVEN the caller may not train in the project
    cloud.service.faults.fail_next("CreateProjectVersion", "AccessDeniedException")
    # WHEN training starts THEN the service's error reaches the caller unchanged
    with pytest.raises(ClientError) as caught:
        start_training(rekognition, spec, owner_of(spec))
    assert error_code(caught) == "AccessDeniedException"


def test_start_training_names_a_quota_that_waiting_does_not_free(
    rekognition: Any, spec: VersionSpec, cloud: LocalCloud
) -> None:
    # GIVEN the project is at its model-version quota
    cloud.service.faults.fail_next(
        "CreateProjectVersion", "ServiceQuotaExceededException", message="The project has 100 versions."
    )
    # WHEN training starts THEN it fails for good, saying which answer and what to do
    with pytest.raises(QuotaExceeded, match=r"ServiceQuotaExceededException \(The project has 100 versions"):
        start_training(rekognition, spec, owner_of(spec))


# -- find_version ---------------------------------------------------------------------------------------


def test_find_version_describes_a_known_version(
    rekognition: Any, spec: VersionSpec, project_arn: str
) -> None:
    # GIVEN a started version WHEN it is looked up by name THEN its description is returned
    arn = start_training(rekognition, spec, owner_of(spec))
    version = find_version(rekognition, project_arn, spec.version_name)
    assert version is not None and version["ProjectVersionArn"] == arn


@pytest.mark.parametrize(
    ("project_state", "name"),
    [
        ("existing", "unknown"),
        ("deleting", "v1"),
        ("deleted", "v1"),
        ("never created", "v1"),
    ],
)
def test_find_version_returns_none_when_version_or_project_is_gone(
    rekognition: Any, clock: ManualClock, project_state: str, name: str
) -> None:
    # GIVEN a project that exists, is being deleted, was deleted or never existed
    project_name = f"gone-{next(_unique)}"
    project = rekognition.create_project(ProjectName=project_name)["ProjectArn"]
    if project_state in ("deleting", "deleted"):
        rekognition.delete_project(ProjectArn=project)
    if project_state == "deleted":
        clock.advance(DURATIONS.project_deleting)
    if project_state == "never created":
        project = project.replace(f"/{project_name}/", "/never/")
    # WHEN a version is looked up THEN there is none (and no error)
    assert find_version(rekognition, project, name) is None


def test_find_version_passes_on_other_errors(rekognition: Any, project_arn: str, cloud: LocalCloud) -> None:
    # GIVEN the service refuses access
    cloud.service.faults.fail_next("DescribeProjectVersions", "AccessDeniedException")
    # WHEN a version is looked up THEN the error is not mistaken for "gone"
    with pytest.raises(ClientError) as caught:
        find_version(rekognition, project_arn, "v1")
    assert error_code(caught) == "AccessDeniedException"


# -- sync_tags -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("initial", "desired", "untagged", "tagged"),
    [
        pytest.param({"team": "vision"}, {"team": "vision", "env": "prod"}, None, {"env": "prod"}, id="add"),
        pytest.param({"team": "vision"}, {"team": "ml"}, None, {"team": "ml"}, id="change"),
        pytest.param({"team": "vision", "env": "dev"}, {"env": "dev"}, ["team"], None, id="remove"),
        pytest.param({"team": "vision"}, {}, ["team"], None, id="remove all"),
        pytest.param(
            {"team": "vision", "old": "x", "same": "s"},
            {"team": "ml", "new": "y", "same": "s"},
            ["old"],
            {"team": "ml", "new": "y"},
            id="add change remove",
        ),
        pytest.param(
            {"team": "vision", "env": "dev"}, {"env": "dev", "team": "vision"}, None, None, id="same"
        ),
        pytest.param({}, {}, None, None, id="none"),
    ],
)
def test_sync_tags_makes_only_the_needed_calls_and_keeps_the_owner_tag(
    rekognition: Any,
    dataset: Uploaded,
    project_arn: str,
    name: str,
    initial: dict[str, str],
    desired: dict[str, str],
    untagged: list[str] | None,
    tagged: dict[str, str] | None,
) -> None:
    # GIVEN a version with the owner tag and some user tags
    spec = parse(properties(dataset, project_arn, name=name, tags=initial))
    owner = owner_of(spec)
    arn = start_training(rekognition, spec, owner)
    recording = Recording(rekognition)
    # WHEN its tags are synchronised with the desired user tags
    sync_tags(recording, arn, desired)
    # THEN only the removed keys are untagged and only new or changed tags are set; nothing when unchanged
    expected_calls: list[tuple[str, dict[str, Any]]] = [("list_tags_for_resource", {"ResourceArn": arn})]
    if untagged is not None:
        expected_calls.append(("untag_resource", {"ResourceArn": arn, "TagKeys": untagged}))
    if tagged is not None:
        expected_calls.append(("tag_resource", {"ResourceArn": arn, "Tags": tagged}))
    assert recording.calls == expected_calls
    # AND the version ends with exactly the desired tags plus the untouched ownership tag
    assert tags_of(rekognition, arn) == {**desired, OWNER_TAG: owner}


# -- attributes -----------------------------------------------------------------------------------------


def test_attributes_of_a_trained_version_are_strings(
    rekognition: Any, spec: VersionSpec, project_arn: str, clock: ManualClock
) -> None:
    # GIVEN a version that finished training
    arn = start_training(rekognition, spec, owner_of(spec))
    clock.advance(DURATIONS.training)
    version = find_version(rekognition, project_arn, spec.version_name)
    assert version is not None
    # WHEN its Fn::GetAtt attributes are read
    values = attributes(version)
    # THEN all seven are there, as strings, with the service's values
    assert set(values) == {
        "Arn",
        "VersionName",
        "Status",
        "F1Score",
        "EvaluationSummaryBucket",
        "EvaluationSummaryKey",
        "BillableTrainingTimeInSeconds",
    }
    assert all(isinstance(value, str) for value in values.values())
    summary = version["EvaluationResult"]["Summary"]["S3Object"]
    assert values == {
        "Arn": arn,
        "VersionName": spec.version_name,
        "Status": "TRAINING_COMPLETED",
        "F1Score": str(version["EvaluationResult"]["F1Score"]),
        "EvaluationSummaryBucket": OUTPUT_BUCKET,
        "EvaluationSummaryKey": summary["Name"],
        "BillableTrainingTimeInSeconds": str(int(DURATIONS.training)),
    }
    assert summary["Name"].startswith("models/")
    assert 0.0 <= float(values["F1Score"]) <= 1.0


def test_attributes_of_a_training_version_leave_out_what_is_not_known_yet(
    rekognition: Any, spec: VersionSpec, project_arn: str
) -> None:
    # GIVEN a version still training WHEN its attributes are read
    arn = start_training(rekognition, spec, owner_of(spec))
    version = find_version(rekognition, project_arn, spec.version_name)
    assert version is not None
    # THEN only what exists is given (no "None" strings)
    assert attributes(version) == {
        "Arn": arn,
        "VersionName": spec.version_name,
        "Status": "TRAINING_IN_PROGRESS",
    }


# -- delete_step ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    advance: float  # seconds the clock moves before this step
    action: str | None  # the one call besides DescribeProjectVersions, if any
    gone: bool
    status: str = ""
    why: str = ""  # a fragment of DeleteProgress.why while waiting


def train(rekognition: Any, arn: str, clock: ManualClock, cloud: LocalCloud) -> None:
    clock.advance(DURATIONS.training)


def fail_training(rekognition: Any, arn: str, clock: ManualClock, cloud: LocalCloud) -> None:
    name = arn.split("/version/")[1].split("/")[0]
    cloud.service.faults.fail_training(name, "The manifest file has too few labels.")
    clock.advance(DURATIONS.training)


def start(rekognition: Any, arn: str, clock: ManualClock, cloud: LocalCloud) -> None:
    train(rekognition, arn, clock, cloud)
    rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)


def run(rekognition: Any, arn: str, clock: ManualClock, cloud: LocalCloud) -> None:
    start(rekognition, arn, clock, cloud)
    clock.advance(DURATIONS.starting)


def stop(rekognition: Any, arn: str, clock: ManualClock, cloud: LocalCloud) -> None:
    run(rekognition, arn, clock, cloud)
    rekognition.stop_project_version(ProjectVersionArn=arn)
    clock.advance(DURATIONS.stopping)


DELETE = "delete_project_version"
STOP = "stop_project_version"
DELETED = [Step(0, None, False, "DELETING", "deleting"), Step(DURATIONS.deleting, None, True)]
Setup = Callable[[Any, str, ManualClock, LocalCloud], None]


@pytest.mark.parametrize(
    ("setup", "status", "steps"),
    [
        pytest.param(
            None,
            "TRAINING_IN_PROGRESS",
            [
                Step(0, None, False, "TRAINING_IN_PROGRESS", "training"),
                Step(DURATIONS.training - 1, None, False, "TRAINING_IN_PROGRESS", "training"),
                Step(1, DELETE, False, "TRAINING_COMPLETED"),
                *DELETED,
            ],
            id="TRAINING_IN_PROGRESS",
        ),
        pytest.param(
            train,
            "TRAINING_COMPLETED",
            [
                Step(0, DELETE, False, "TRAINING_COMPLETED"),
                Step(DURATIONS.deleting - 1, None, False, "DELETING", "deleting"),
                Step(1, None, True),
            ],
            id="TRAINING_COMPLETED",
        ),
        pytest.param(fail_training, "TRAINING_FAILED", [Step(0, DELETE, False, "TRAINING_FAILED"), *DELETED]),
        pytest.param(
            run,
            "RUNNING",
            [
                Step(0, STOP, False, "RUNNING", "running"),
                Step(0, None, False, "STOPPING", "stopping"),
                Step(DURATIONS.stopping - 1, None, False, "STOPPING", "stopping"),
                Step(1, DELETE, False, "STOPPED"),
                *DELETED,
            ],
            id="RUNNING",
        ),
        pytest.param(
            start,
            "STARTING",
            [  # stopping is documented for running models: it waits for RUNNING, then stops
                Step(0, None, False, "STARTING", "starting"),
                Step(DURATIONS.starting, STOP, False, "RUNNING", "running"),
                Step(DURATIONS.stopping, DELETE, False, "STOPPED"),
                *DELETED,
            ],
            id="STARTING",
        ),
        pytest.param(stop, "STOPPED", [Step(0, DELETE, False, "STOPPED"), *DELETED], id="STOPPED"),
    ],
)
def test_delete_step_walks_each_status_to_gone(
    rekognition: Any,
    spec: VersionSpec,
    project_arn: str,
    clock: ManualClock,
    cloud: LocalCloud,
    setup: Setup | None,
    status: str,
    steps: list[Step],
) -> None:
    # GIVEN a version in the status under test
    arn = start_training(rekognition, spec, owner_of(spec))
    if setup is not None:
        setup(rekognition, arn, clock, cloud)
    assert status_of(rekognition, project_arn, spec.version_name) == status
    for number, step in enumerate(steps):
        clock.advance(step.advance)
        recording = Recording(rekognition)
        # WHEN one delete step runs
        progress = delete_step(recording, project_arn, arn)
        # THEN it makes at most one call besides the Describe, the one this status needs
        expected = [
            ("describe_project_versions", {"ProjectArn": project_arn, "VersionNames": [spec.version_name]})
        ]
        if step.action is not None:
            expected.append((step.action, {"ProjectVersionArn": arn}))
        assert recording.calls == expected, f"step {number}"
        # AND it reports gone only when the version is, and otherwise why it waits
        assert progress.gone is step.gone, f"step {number}"
        if not step.gone:
            assert progress.status == step.status, f"step {number}"
            assert step.why.lower() in progress.why.lower(), f"step {number}: {progress.why}"
    assert versions(rekognition, project_arn) == []


@pytest.mark.parametrize("case", ["unknown name", "unknown project", "recreated under the same name"])
def test_delete_step_reports_an_unknown_arn_as_gone(
    rekognition: Any, spec: VersionSpec, project_arn: str, clock: ManualClock, case: str
) -> None:
    # GIVEN an ARN that names no existing version (or a version since replaced by a namesake)
    prefix = project_arn.rsplit("/", 1)[0]
    arn = f"{prefix}/version/never/1750000000000"
    project = project_arn
    if case == "unknown project":
        project = re.sub(r"project/[^/]+/", "project/nowhere/", project_arn)
        arn = re.sub(r"project/[^/]+/", "project/nowhere/", arn)
    current = None
    if case == "recreated under the same name":
        arn = start_training(rekognition, spec, owner_of(spec))
        clock.advance(DURATIONS.training)
        rekognition.delete_project_version(ProjectVersionArn=arn)
        clock.advance(DURATIONS.deleting)
        current = start_training(rekognition, spec, owner_of(spec))
        assert current != arn
    recording = Recording(rekognition)
    # WHEN a delete step runs for it
    progress = delete_step(recording, project, arn)
    # THEN it is gone, and nothing but the Describe was called (the namesake is left alone)
    assert progress.gone
    assert recording.names == ["describe_project_versions"]
    if current is not None:
        assert status_of(rekognition, project_arn, spec.version_name) == "TRAINING_IN_PROGRESS"


def test_delete_step_waits_when_the_status_moved_on_under_it(
    rekognition: Any, spec: VersionSpec, project_arn: str, clock: ManualClock, cloud: LocalCloud
) -> None:
    # GIVEN a trained version whose delete is refused as in use (its status changed since the Describe)
    arn = start_training(rekognition, spec, owner_of(spec))
    clock.advance(DURATIONS.training)
    cloud.service.faults.fail_next("DeleteProjectVersion", "ResourceInUseException")
    # WHEN a delete step runs THEN it waits for the next poll instead of failing
    progress = delete_step(rekognition, project_arn, arn)
    assert not progress.gone and progress.status == "TRAINING_COMPLETED"
    # AND the next step deletes it
    assert not delete_step(rekognition, project_arn, arn).gone
    assert status_of(rekognition, project_arn, spec.version_name) == "DELETING"


def test_delete_step_passes_on_other_errors(
    rekognition: Any, spec: VersionSpec, project_arn: str, clock: ManualClock, cloud: LocalCloud
) -> None:
    # GIVEN a trained version the provider may not delete
    arn = start_training(rekognition, spec, owner_of(spec))
    clock.advance(DURATIONS.training)
    cloud.service.faults.fail_next("DeleteProjectVersion", "AccessDeniedException")
    # WHEN a delete step runs THEN the error is raised, not taken for progress
    with pytest.raises(ClientError) as caught:
        delete_step(rekognition, project_arn, arn)
    assert error_code(caught) == "AccessDeniedException"


# -- is_transient --------------------------------------------------------------------------------------


def client_error(code: str, status: int = 400) -> ClientError:
    response: Any = {
        "Error": {"Code": code, "Message": f"{code} happened"},
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "DescribeProjectVersions")


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        pytest.param(client_error("ThrottlingException", 500), True, id="ThrottlingException"),
        pytest.param(
            client_error("ProvisionedThroughputExceededException"), True, id="ProvisionedThroughput"
        ),
        pytest.param(client_error("InternalServerError", 500), True, id="InternalServerError"),
        pytest.param(
            EndpointConnectionError(endpoint_url="https://rekognition.invalid"), True, id="endpoint"
        ),
        pytest.param(
            ConnectTimeoutError(endpoint_url="https://rekognition.invalid"), True, id="connect timeout"
        ),
        pytest.param(ReadTimeoutError(endpoint_url="https://rekognition.invalid"), True, id="read timeout"),
        pytest.param(client_error("ResourceInUseException"), False, id="ResourceInUseException"),
        pytest.param(client_error("ResourceNotFoundException"), False, id="ResourceNotFoundException"),
        pytest.param(client_error("AccessDeniedException"), False, id="AccessDeniedException"),
        pytest.param(client_error("InvalidParameterException"), False, id="InvalidParameterException"),
        pytest.param(client_error("LimitExceededException"), False, id="LimitExceededException"),
        pytest.param(ValueError("not from AWS"), False, id="ValueError"),
        pytest.param(
            ParamValidationError(report="Invalid length for parameter VersionNames[0]"),
            False,
            id="ParamValidationError",
        ),
    ],
)
def test_is_transient(error: Exception, transient: bool) -> None:
    # GIVEN an error from a call WHEN classified THEN only throttling, 5xx and connection trouble retry
    assert is_transient(error) is transient


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerError"])
def test_a_real_transient_service_error_is_transient(project_arn: str, cloud: LocalCloud, code: str) -> None:
    # GIVEN the service answers an error to a client that does not retry by itself
    client = boto3.session.Session().client(
        "rekognition",
        region_name="us-east-1",
        endpoint_url=cloud.endpoint_url,
        config=Config(retries={"total_max_attempts": 1}),
        **CREDENTIALS,
    )
    cloud.service.faults.fail_next("DescribeProjectVersions", code)
    # WHEN a version is looked up THEN the error that comes out of botocore is classified as transient
    with pytest.raises(ClientError) as caught:
        find_version(client, project_arn, "v1")
    assert error_code(caught) == code
    assert is_transient(caught.value)


# -- ownership ------------------------------------------------------------------------------------------

FINGERPRINT = "ab" * 32


@pytest.mark.parametrize(
    "logical_id", ["Model", "A" * 255, "Nested0Model1" * 19], ids=["short", "255 chars", "long nested"]
)
def test_owner_value_is_deterministic_short_and_a_valid_tag_value(logical_id: str) -> None:
    # GIVEN a stack and a logical id (up to CloudFormation's 255 characters)
    # WHEN the owner value is computed twice
    first = owner_value(STACK, logical_id, FINGERPRINT)
    second = owner_value(STACK, logical_id, FINGERPRINT)
    # THEN it is the same, at most 256 characters, and only uses characters tag values allow
    assert first == second
    assert len(first) <= 256
    assert TAG_VALUE.fullmatch(first), first


@pytest.mark.parametrize(
    ("stack", "logical_id", "fingerprint", "same_resource"),
    [
        pytest.param(OTHER_STACK, "Model", FINGERPRINT, False, id="other stack"),
        pytest.param(STACK, "Model2", FINGERPRINT, False, id="other logical id"),
        pytest.param(STACK, "Model", "cd" * 32, True, id="other model"),
    ],
)
def test_owner_value_tells_resources_and_models_apart(
    stack: str, logical_id: str, fingerprint: str, same_resource: bool
) -> None:
    # GIVEN the owner value of one resource and model, and one with a single input changed
    base = owner_value(STACK, "Model", FINGERPRINT)
    other = owner_value(stack, logical_id, fingerprint)
    # WHEN compared THEN they differ, and belong to the same resource only when just the model changed
    assert other != base
    assert same_owner(other, base) is same_resource


@pytest.mark.parametrize(
    ("tag_value", "owner", "expected"),
    [
        pytest.param("r1/m1", "r1/m1", True, id="identical"),
        pytest.param("r1/m1", "r1/m2", True, id="other model, same resource"),
        pytest.param("r1/m1", "r2/m1", False, id="other resource, same model"),
        pytest.param("r1", "r1/m1", True, id="tag without model part"),
        pytest.param(None, "r1/m1", False, id="no tag"),
        pytest.param("", "r1/m1", False, id="empty tag"),
        pytest.param("r1x/m1", "r1/m1", False, id="resource prefix only"),
    ],
)
def test_same_owner_compares_only_the_resource_part(
    tag_value: str | None, owner: str, expected: bool
) -> None:
    # GIVEN an ownership tag value (or none) and this resource's owner value
    # WHEN compared THEN only the part before "/" decides
    assert same_owner(tag_value, owner) is expected
