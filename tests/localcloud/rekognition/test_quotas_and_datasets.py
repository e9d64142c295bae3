"""Account quotas, what a training request may contain, and training from a project's datasets.

The training and running-model quotas are tested on a fresh local cloud per test, at their defaults.
Everything else shares one module cloud (each test in projects of its own) whose training and
running-model quotas are raised, so that those tests cannot block each other.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from localcloud.clock import ManualClock
from localcloud.gateway.server import CREDENTIALS, LocalCloud
from localcloud.rekognition.service import Quotas
from localcloud.samples.shapes import shapes_dataset
from localcloud.testing.clients import error_code
from localcloud.testing.clouds import PROPORTIONAL, started_cloud
from localcloud.testing.data import manifest_asset

DURATIONS = PROPORTIONAL.durations

DATA_BUCKET = "quota-data"
OUTPUT_BUCKET = "quota-output"
TINY = "tiny/"  # two labels, one training and one testing image each: trains fast
FULL = "full/"  # three labels, eight training and two testing images each
TRAIN_MANIFEST = "manifests/train.manifest"
TEST_MANIFEST = "manifests/test.manifest"

_projects = itertools.count()


def s3_object(key: str, bucket: str = DATA_BUCKET) -> dict[str, Any]:
    return {"S3Object": {"Bucket": bucket, "Name": key}}


def rekognition_client(cloud: LocalCloud) -> Any:
    """A plain boto3 client, except that it does not retry: botocore counts LimitExceededException
    as throttling and would back off and retry each refusal several times before raising it."""
    return boto3.session.Session().client(
        "rekognition",
        region_name="us-east-1",
        endpoint_url=cloud.endpoint_url,
        config=Config(retries={"total_max_attempts": 1}),
        **CREDENTIALS,
    )


def upload(s3: Any, *, full: bool) -> None:
    s3.create_bucket(Bucket=DATA_BUCKET)
    s3.create_bucket(Bucket=OUTPUT_BUCKET)
    objects = shapes_dataset(bucket=DATA_BUCKET, prefix=TINY, images_per_label=2, labels=("circle", "square"))
    if full:
        objects.update(shapes_dataset(bucket=DATA_BUCKET, prefix=FULL, images_per_label=10))
    for key, body in objects.items():
        s3.put_object(Bucket=DATA_BUCKET, Key=key, Body=body)


class Account:
    """One local cloud's Custom Labels, driven through boto3 (and the clock)."""

    def __init__(self, cloud: LocalCloud, clock: ManualClock, rekognition: Any) -> None:
        self.cloud, self.clock, self.rekognition = cloud, clock, rekognition
        self._project_of: dict[str, str] = {}  # version ARN -> project ARN

    def project(self) -> str:
        arn: str = self.rekognition.create_project(ProjectName=f"quota-{next(_projects)}")["ProjectArn"]
        return arn

    def create_version(self, project_arn: str, name: str = "v1", prefix: str = TINY, **extra: Any) -> str:
        arguments: dict[str, Any] = {
            "OutputConfig": {"S3Bucket": OUTPUT_BUCKET},
            "TrainingData": manifest_asset(DATA_BUCKET, prefix + TRAIN_MANIFEST),
            "TestingData": manifest_asset(DATA_BUCKET, prefix + TEST_MANIFEST),
            **extra,
        }
        arn: str = self.rekognition.create_project_version(
            ProjectArn=project_arn, VersionName=name, **{k: v for k, v in arguments.items() if v is not None}
        )["ProjectVersionArn"]
        self._project_of[arn] = project_arn
        return arn

    def describe(self, version_arn: str) -> dict[str, Any]:
        response = self.rekognition.describe_project_versions(
            ProjectArn=self._project_of[version_arn], VersionNames=[version_arn.split("/")[-2]]
        )
        (version,) = response["ProjectVersionDescriptions"]
        return dict(version)

    def status(self, version_arn: str) -> str:
        return str(self.describe(version_arn)["Status"])

    def trained(self) -> str:
        """A new version of a new project, TRAINING_COMPLETED."""
        arn = self.create_version(self.project())
        self.clock.advance(DURATIONS.training)
        assert self.status(arn) == "TRAINING_COMPLETED"
        return arn

    def refused(self, call: Any, **arguments: Any) -> str:
        with pytest.raises(ClientError) as caught:
            call(**arguments)
        return error_code(caught)


@pytest.fixture
def account(cloud: LocalCloud, clock: ManualClock, s3: Any) -> Account:
    """A fresh local cloud at the default quotas (the conftest fixtures), with the tiny sample."""
    upload(s3, full=False)
    return Account(cloud, clock, rekognition_client(cloud))


@pytest.fixture(scope="module")
def roomy() -> Iterator[Account]:
    """The module's shared local cloud: raised training and running-model quotas."""
    clock = ManualClock()
    quotas = Quotas(concurrent_trainings=1000, running_models=1000)
    with started_cloud(PROPORTIONAL, clock=clock, quotas=quotas) as cloud:
        upload(cloud.client("s3"), full=True)
        yield Account(cloud, clock, rekognition_client(cloud))


# -- account quotas (defaults) ---------------------------------------------------------------------


@pytest.mark.parametrize("first_ends", ["completes", "fails"])
def test_third_concurrent_training_waits_for_a_free_slot(account: Account, first_ends: str) -> None:
    # GIVEN two versions training at once (the account's quota), the first to finish at t + training
    if first_ends == "fails":
        account.cloud.service.faults.fail_training("first", "The manifest file is empty.")
    first = account.create_version(account.project(), name="first")
    account.clock.advance(1)
    account.create_version(account.project(), name="second")
    third_project = account.project()
    # WHEN a third training is asked for THEN it is over the limit
    assert account.refused(account.create_version, project_arn=third_project) == "LimitExceededException"
    # AND still one second before the first training ends
    account.clock.advance(DURATIONS.training - 2)
    assert account.refused(account.create_version, project_arn=third_project) == "LimitExceededException"
    # WHEN the first training ends (either way) THEN a third training is accepted
    account.clock.advance(1)
    assert account.status(first) == ("TRAINING_COMPLETED" if first_ends == "completes" else "TRAINING_FAILED")
    third = account.create_version(third_project)
    assert account.status(third) == "TRAINING_IN_PROGRESS"


def test_sydney_trains_one_version_at_a_time_where_other_regions_train_two(account: Account) -> None:
    # GIVEN an account's Custom Labels in Asia Pacific (Sydney), beside us-east-1
    sydney = Account(
        account.cloud, account.clock, account.cloud.client("rekognition", region="ap-southeast-2")
    )
    # WHEN one version trains there
    sydney.create_version(sydney.project(), name="first")
    # THEN a second one there is over the limit, while us-east-1 still trains two
    assert sydney.refused(sydney.create_version, project_arn=sydney.project()) == "LimitExceededException"
    account.create_version(account.project(), name="a")
    account.create_version(account.project(), name="b")


def test_third_running_model_waits_for_one_to_stop(account: Account) -> None:
    # GIVEN three trained versions (trained two at a time)
    first, second = account.trained(), account.trained()
    third = account.trained()
    start = account.rekognition.start_project_version
    # WHEN two are starting and the third is started THEN it is over the limit
    start(ProjectVersionArn=first, MinInferenceUnits=1)
    start(ProjectVersionArn=second, MinInferenceUnits=1)
    assert account.refused(start, ProjectVersionArn=third, MinInferenceUnits=1) == "LimitExceededException"
    # AND while one is running and one starting (the second was stopped once it ran, then started again)
    account.clock.advance(DURATIONS.starting)
    account.rekognition.stop_project_version(ProjectVersionArn=second)
    account.clock.advance(DURATIONS.stopping)
    start(ProjectVersionArn=second, MinInferenceUnits=1)
    assert (account.status(first), account.status(second)) == ("RUNNING", "STARTING")
    assert account.refused(start, ProjectVersionArn=third, MinInferenceUnits=1) == "LimitExceededException"
    # AND while both are running
    account.clock.advance(DURATIONS.starting)
    assert (account.status(first), account.status(second)) == ("RUNNING", "RUNNING")
    assert account.refused(start, ProjectVersionArn=third, MinInferenceUnits=1) == "LimitExceededException"
    assert account.status(third) == "TRAINING_COMPLETED"
    # WHEN one of them has stopped THEN the third starts
    account.rekognition.stop_project_version(ProjectVersionArn=first)
    account.clock.advance(DURATIONS.stopping)
    assert start(ProjectVersionArn=third, MinInferenceUnits=1)["Status"] == "STARTING"


# -- inference units ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "outcome"),
    [
        pytest.param({"MinInferenceUnits": 6}, "LimitExceededException", id="min-6"),
        pytest.param({"MinInferenceUnits": 1, "MaxInferenceUnits": 6}, "LimitExceededException", id="max-6"),
        pytest.param(
            {"MinInferenceUnits": 3, "MaxInferenceUnits": 2}, "InvalidParameterException", id="max<min"
        ),
        pytest.param({"MinInferenceUnits": 6, "MaxInferenceUnits": 5}, "InvalidParameterException", id="6>5"),
        pytest.param({"MinInferenceUnits": 5}, (5, 5), id="min-5"),
        pytest.param({"MinInferenceUnits": 2, "MaxInferenceUnits": 4}, (2, 4), id="2-4"),
        pytest.param({"MinInferenceUnits": 1, "MaxInferenceUnits": 5}, (1, 5), id="1-5"),
    ],
)
def test_inference_units(roomy: Account, units: dict[str, int], outcome: str | tuple[int, int]) -> None:
    # GIVEN a trained version
    arn = roomy.trained()
    start = roomy.rekognition.start_project_version
    if isinstance(outcome, str):
        # WHEN it is started with units out of bounds THEN it is refused with the expected code
        assert roomy.refused(start, ProjectVersionArn=arn, **units) == outcome
        assert roomy.status(arn) == "TRAINING_COMPLETED"
        return
    # WHEN it is started with units in bounds THEN it runs with those units
    assert start(ProjectVersionArn=arn, **units)["Status"] == "STARTING"
    roomy.clock.advance(DURATIONS.starting)
    running = roomy.describe(arn)
    assert (running["Status"], running["MinInferenceUnits"], running["MaxInferenceUnits"]) == (
        "RUNNING",
        *outcome,
    )


# -- KMS keys ------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["key-id", "key-arn", "alias", "alias-arn"])
def test_kms_key_of_the_local_cloud_is_accepted_and_echoed(roomy: Account, form: str) -> None:
    # GIVEN a key (and an alias of it) made in the local cloud's KMS
    kms = roomy.cloud.client("kms")
    key = kms.create_key()["KeyMetadata"]
    alias = f"alias/models-{next(_projects)}"
    kms.create_alias(AliasName=alias, TargetKeyId=key["KeyId"])
    given = {
        "key-id": key["KeyId"],
        "key-arn": key["Arn"],
        "alias": alias,
        "alias-arn": key["Arn"].split(":key/")[0] + ":" + alias,
    }[form]
    # WHEN a version is created with it THEN it is accepted, and described as given
    arn = roomy.create_version(roomy.project(), KmsKeyId=given)
    assert roomy.describe(arn)["KmsKeyId"] == given
    # AND the version trains
    roomy.clock.advance(DURATIONS.training)
    assert roomy.status(arn) == "TRAINING_COMPLETED"


# -- the training request -------------------------------------------------------------------------

INVALID = "InvalidParameterException"
REFUSED_REQUESTS = [
    pytest.param({"TestingData": None}, INVALID, id="training-without-testing"),
    pytest.param({"TrainingData": None}, INVALID, id="testing-without-training"),
    pytest.param({"TrainingData": None, "TestingData": None}, INVALID, id="neither-and-no-datasets"),
    pytest.param(
        {"TestingData": {**manifest_asset(DATA_BUCKET, TINY + TEST_MANIFEST), "AutoCreate": True}},
        INVALID,
        id="testing-assets-and-autocreate",
    ),
    pytest.param({"TestingData": {"AutoCreate": False}}, INVALID, id="testing-neither-assets-nor-autocreate"),
    pytest.param({"TrainingData": {"Assets": []}}, INVALID, id="training-no-assets"),
    pytest.param(
        {"FeatureConfig": {"ContentModeration": {"ConfidenceThreshold": 50}}},
        INVALID,
        id="feature-config-custom-labels",
    ),
    # A KMS key id that the local KMS does not know.
    pytest.param({"KmsKeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}, INVALID, id="unknown-kms-key"),
    pytest.param({"KmsKeyId": "alias/nothing-here"}, INVALID, id="unknown-kms-alias"),
    # An output bucket that does not exist.
    pytest.param(
        {"OutputConfig": {"S3Bucket": "no-such-bucket"}}, "AccessDeniedException", id="missing-output-bucket"
    ),
]


@pytest.mark.parametrize(("change", "code"), REFUSED_REQUESTS)
def test_a_refused_training_request_makes_no_version(
    roomy: Account, change: dict[str, Any], code: str
) -> None:
    # GIVEN a project without datasets, and a training request changed from a valid one
    project = roomy.project()
    # WHEN it is sent THEN it is refused with the expected code, and no version is made
    assert roomy.refused(roomy.create_version, project_arn=project, **change) == code
    assert roomy.rekognition.describe_project_versions(ProjectArn=project)["ProjectVersionDescriptions"] == []


def test_autocreate_splits_the_training_manifest(roomy: Account) -> None:
    # GIVEN a training manifest and AutoCreate instead of a testing manifest
    arn = roomy.create_version(roomy.project(), prefix=FULL, TestingData={"AutoCreate": True})
    # WHEN training time passes
    roomy.clock.advance(DURATIONS.training)
    version = roomy.describe(arn)
    # THEN the model trained and was evaluated, and the request is echoed
    assert version["Status"] == "TRAINING_COMPLETED"
    assert 0 < version["EvaluationResult"]["F1Score"] <= 1
    assert version["TestingDataResult"]["Input"] == {"AutoCreate": True}


# -- datasets -------------------------------------------------------------------------------------


def create_dataset(account: Account, project: str, dataset_type: str, key: str) -> str:
    arn: str = account.rekognition.create_dataset(
        ProjectArn=project,
        DatasetType=dataset_type,
        DatasetSource={"GroundTruthManifest": s3_object(key)},
    )["DatasetArn"]
    return arn


@pytest.fixture
def with_datasets(roomy: Account) -> str:
    """A project whose TRAIN and TEST datasets are created from the full manifests."""
    project = roomy.project()
    create_dataset(roomy, project, "TRAIN", FULL + TRAIN_MANIFEST)
    create_dataset(roomy, project, "TEST", FULL + TEST_MANIFEST)
    roomy.clock.advance(DURATIONS.dataset)
    return project


def test_datasets_are_created_and_train_a_model(roomy: Account) -> None:
    # GIVEN a project
    project = roomy.project()
    name = project.split("/")[-2]
    # WHEN TRAIN and TEST datasets are created from manifests
    arns = {
        "TRAIN": create_dataset(roomy, project, "TRAIN", FULL + TRAIN_MANIFEST),
        "TEST": create_dataset(roomy, project, "TEST", FULL + TEST_MANIFEST),
    }
    assert arns["TRAIN"].startswith(f"{project.rsplit('/', 1)[0]}/dataset/train/")

    def described(dataset_type: str) -> dict[str, Any]:
        return dict(roomy.rekognition.describe_dataset(DatasetArn=arns[dataset_type])["DatasetDescription"])

    # THEN they are being created, until one second before the dataset duration
    assert {described(t)["Status"] for t in arns} == {"CREATE_IN_PROGRESS"}
    # AND a version cannot yet be trained from them
    assert roomy.refused(roomy.create_version, project_arn=project, TrainingData=None, TestingData=None) == (
        "InvalidParameterException"
    )
    roomy.clock.advance(DURATIONS.dataset - 1)
    assert {described(t)["Status"] for t in arns} == {"CREATE_IN_PROGRESS"}
    # AND at the duration they are complete, with statistics of their manifests
    roomy.clock.advance(1)
    stats = {}
    for dataset_type in arns:
        description = described(dataset_type)
        assert description["Status"] == "CREATE_COMPLETE"
        stats[dataset_type] = description["DatasetStats"]
    assert stats["TRAIN"] == {"LabeledEntries": 24, "TotalEntries": 24, "TotalLabels": 3, "ErrorEntries": 0}
    assert stats["TEST"] == {"LabeledEntries": 6, "TotalEntries": 6, "TotalLabels": 3, "ErrorEntries": 0}
    # AND DescribeProjects lists both datasets of the project
    (listed,) = roomy.rekognition.describe_projects(ProjectNames=[name])["ProjectDescriptions"]
    datasets = {d["DatasetType"]: (d["DatasetArn"], d["Status"]) for d in listed["Datasets"]}
    assert datasets == {t: (arns[t], "CREATE_COMPLETE") for t in arns}
    # WHEN a version is created without TrainingData and TestingData
    version = roomy.create_version(project, TrainingData=None, TestingData=None)
    assert roomy.status(version) == "TRAINING_IN_PROGRESS"
    roomy.clock.advance(DURATIONS.training)
    # THEN it trains from the datasets
    trained = roomy.describe(version)
    assert trained["Status"] == "TRAINING_COMPLETED"
    assert trained["EvaluationResult"]["F1Score"] >= 0.9


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"TestingData": {"AutoCreate": True}},
    ],
    ids=["assets", "autocreate"],
)
def test_manifests_are_refused_when_the_project_has_datasets(
    roomy: Account, with_datasets: str, data: dict[str, Any]
) -> None:
    # GIVEN a project with datasets
    # WHEN a version is created with manifests THEN it is an invalid parameter
    code = roomy.refused(roomy.create_version, project_arn=with_datasets, prefix=FULL, **data)
    assert code == "InvalidParameterException"


@pytest.mark.parametrize("ready", [False, True], ids=["in-progress", "complete"])
def test_second_dataset_of_a_type_already_exists(roomy: Account, ready: bool) -> None:
    # GIVEN a project with a TRAIN dataset (being created, or created)
    project = roomy.project()
    create_dataset(roomy, project, "TRAIN", FULL + TRAIN_MANIFEST)
    if ready:
        roomy.clock.advance(DURATIONS.dataset)
    # WHEN a second TRAIN dataset is created THEN it already exists
    code = roomy.refused(
        create_dataset, account=roomy, project=project, dataset_type="TRAIN", key=TINY + TRAIN_MANIFEST
    )
    assert code == "ResourceAlreadyExistsException"
    # AND the project still lists one dataset
    (listed,) = roomy.rekognition.describe_projects(ProjectNames=[project.split("/")[-2]])[
        "ProjectDescriptions"
    ]
    assert [d["DatasetType"] for d in listed["Datasets"]] == ["TRAIN"]


@pytest.mark.parametrize(
    ("bucket", "key"),
    [(DATA_BUCKET, "manifests/missing.manifest"), ("no-such-data-bucket", FULL + TRAIN_MANIFEST)],
    ids=["missing-key", "missing-bucket"],
)
def test_dataset_from_a_missing_manifest_is_an_invalid_s3_object(
    roomy: Account, bucket: str, key: str
) -> None:
    # GIVEN a manifest location where there is no object
    project = roomy.project()
    # WHEN a dataset is created from it THEN the S3 object is invalid, and no dataset is made
    code = roomy.refused(
        roomy.rekognition.create_dataset,
        ProjectArn=project,
        DatasetType="TRAIN",
        DatasetSource={"GroundTruthManifest": s3_object(key, bucket)},
    )
    assert code == "InvalidS3ObjectException"
    (listed,) = roomy.rekognition.describe_projects(ProjectNames=[project.split("/")[-2]])[
        "ProjectDescriptions"
    ]
    assert listed["Datasets"] == []
