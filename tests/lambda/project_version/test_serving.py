"""The deployed-model step (``Custom::RekognitionProjectVersionAttributes``): F1 gate, start, units, stop.

Each scenario drives the real handler through CloudFormation's protocol against the emulator, then
checks what the emulator holds: which versions run, with which inference units.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation, Outcome
from localcloud.testing.data import Uploaded
from tests.provider_function import versions

# Each test plays CloudFormation's requests through the provider function's processes.
pytestmark = pytest.mark.scenario

MODEL_TYPE = "Custom::RekognitionProjectVersionAttributes"


@pytest.fixture
def trained(cfn: CloudFormation, properties: dict[str, Any]) -> str:
    created = cfn.send(cfn.event("Create", "Classifier", properties))
    assert created.status == "SUCCESS", created.reason
    return created.physical_id


@pytest.fixture
def imperfect(cfn: CloudFormation, cloud: LocalCloud, properties: dict[str, Any], dataset: Uploaded) -> str:
    """A version tested on a manifest where two images of different labels swapped places: its F1
    scores are below 1."""
    s3 = cloud.client("s3")
    lines = [
        json.loads(line)
        for line in s3.get_object(Bucket=dataset.bucket, Key=dataset.test_key)["Body"].read().splitlines()
    ]
    first = lines[0]
    other = next(line for line in lines if _label(line) != _label(first))
    first["source-ref"], other["source-ref"] = other["source-ref"], first["source-ref"]
    key = "manifests/test-swapped.manifest"
    s3.put_object(Bucket=dataset.bucket, Key=key, Body="\n".join(json.dumps(line) for line in lines).encode())
    swapped = {**properties, "VersionName": "Imperfect", "TestingData": dataset.asset(key)}
    created = cfn.send(cfn.event("Create", "Imperfect", swapped))
    assert created.status == "SUCCESS", created.reason
    return created.physical_id


def _label(line: dict[str, Any]) -> str:
    return next(str(v["class-name"]) for k, v in line.items() if k.endswith("-metadata"))


def model_event(
    cfn: CloudFormation,
    request: str,
    properties: dict[str, Any],
    *,
    physical_id: str | None = None,
    old: dict[str, Any] | None = None,
) -> dict[str, Any]:
    event = cfn.event(
        request, "ClassifierAttributes", properties, physical_id=physical_id, old_properties=old
    )
    event["ResourceType"] = MODEL_TYPE
    return event


def deployed(project_arn: str, arn: str, **extra: Any) -> dict[str, Any]:
    """The step's properties for the version ``arn`` made by the resource ``Classifier`` (by default)."""
    logical_id = extra.pop("VersionLogicalId", arn.split("/")[3].split("-")[0])
    return {"ProjectArn": project_arn, "VersionArn": arn, "VersionLogicalId": logical_id, **extra}


def described(cloud: LocalCloud, project_arn: str, arn: str) -> dict[str, Any]:
    versions = cloud.client("rekognition").describe_project_versions(ProjectArn=project_arn)
    (version,) = [v for v in versions["ProjectVersionDescriptions"] if v["ProjectVersionArn"] == arn]
    return dict(version)


def running(cloud: LocalCloud, project_arn: str) -> dict[str, tuple[int, int | None]]:
    """ARN -> (min, max) inference units of every RUNNING version of the project."""
    versions = cloud.client("rekognition").describe_project_versions(ProjectArn=project_arn)
    return {
        v["ProjectVersionArn"]: (v["MinInferenceUnits"], v.get("MaxInferenceUnits"))
        for v in versions["ProjectVersionDescriptions"]
        if v["Status"] == "RUNNING"
    }


def summary_scores(cloud: LocalCloud, version: dict[str, Any]) -> dict[str, float]:
    where = version["EvaluationResult"]["Summary"]["S3Object"]
    body = cloud.client("s3").get_object(Bucket=where["Bucket"], Key=where["Name"])["Body"].read()
    return {e["Label"]: e["Metrics"]["F1Score"] for e in json.loads(body)["LabelEvaluationResults"]}


def no_leftovers(cfn: CloudFormation) -> None:
    leftovers = cfn.leftovers()
    assert leftovers["rules"] == [] and leftovers["permissions"] == [], leftovers


def test_a_model_with_units_is_started_and_answers_once_running(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    # GIVEN a trained version
    # WHEN the deployed-model resource asks for one inference unit
    outcome = cfn.send(model_event(cfn, "Create", deployed(project_arn, trained, MinInferenceUnits=1)))
    # THEN it answers once the model runs, with the version's ARN and RUNNING
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == trained and outcome.data["Arn"] == trained
    assert outcome.data["Status"] == "RUNNING" and outcome.polls >= 1
    assert running(cloud, project_arn) == {trained: (1, 1)}
    no_leftovers(cfn)


def test_without_units_the_model_is_not_started(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    outcome = cfn.send(model_event(cfn, "Create", deployed(project_arn, trained)))
    assert outcome.status == "SUCCESS" and outcome.polls == 0
    assert outcome.data["Status"] == "TRAINING_COMPLETED" and running(cloud, project_arn) == {}


def test_a_unit_change_restarts_the_same_version_with_the_new_units(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    # GIVEN a model running with one unit
    one = deployed(project_arn, trained, MinInferenceUnits=1)
    assert cfn.send(model_event(cfn, "Create", one)).status == "SUCCESS"
    # WHEN the units change to 2..3 (auto scaling)
    scaled = deployed(project_arn, trained, MinInferenceUnits=2, MaxInferenceUnits=3)
    outcome = cfn.send(model_event(cfn, "Update", scaled, physical_id=trained, old=one))
    # THEN the same version runs with the new units (stopped, then started: no new version)
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == trained and outcome.data["Status"] == "RUNNING"
    assert running(cloud, project_arn) == {trained: (2, 3)}
    assert len(versions(cfn.cloud, project_arn)) == 1
    no_leftovers(cfn)


def test_removing_the_units_stops_the_model(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    one = deployed(project_arn, trained, MinInferenceUnits=1)
    assert cfn.send(model_event(cfn, "Create", one)).status == "SUCCESS"
    outcome = cfn.send(
        model_event(cfn, "Update", deployed(project_arn, trained), physical_id=trained, old=one)
    )
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.data["Status"] == "STOPPED" and running(cloud, project_arn) == {}
    assert described(cloud, project_arn, trained)["Status"] == "STOPPED"


def test_a_model_started_by_someone_else_is_not_stopped_by_a_resource_without_units(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    # GIVEN a resource that never asked for units, and the model started by hand
    plain = deployed(project_arn, trained)
    assert cfn.send(model_event(cfn, "Create", plain)).status == "SUCCESS"
    cloud.client("rekognition").start_project_version(ProjectVersionArn=trained, MinInferenceUnits=1)
    # WHEN it is updated (a gate-free, unit-free change) and deleted
    assert cfn.send(model_event(cfn, "Update", plain, physical_id=trained, old=plain)).status == "SUCCESS"
    assert cfn.send(model_event(cfn, "Delete", plain, physical_id=trained)).status == "SUCCESS"
    # THEN the model it did not start keeps its state
    assert described(cloud, project_arn, trained)["Status"] in ("STARTING", "RUNNING")


def test_delete_stops_the_model_it_started(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    one = deployed(project_arn, trained, MinInferenceUnits=1)
    assert cfn.send(model_event(cfn, "Create", one)).status == "SUCCESS"
    outcome = cfn.send(model_event(cfn, "Delete", one, physical_id=trained))
    assert outcome.status == "SUCCESS", outcome.reason
    assert described(cloud, project_arn, trained)["Status"] == "STOPPED"
    no_leftovers(cfn)


def test_a_gate_the_model_passes_lets_it_start(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    scores = summary_scores(cloud, described(cloud, project_arn, trained))
    worst = min(scores, key=lambda label: scores[label])
    gated = deployed(
        project_arn, trained, MinInferenceUnits=1, MinF1Score=0.1, MinLabelF1Scores={worst: scores[worst]}
    )
    outcome = cfn.send(model_event(cfn, "Create", gated))
    assert outcome.status == "SUCCESS", outcome.reason
    assert running(cloud, project_arn) == {trained: (1, 1)}


def test_a_model_below_the_gate_fails_with_the_numbers_and_is_never_started(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, imperfect: str
) -> None:
    # GIVEN a model whose worst label scores below 1 (the gate asks a little more of it)
    trained = imperfect
    version = described(cloud, project_arn, trained)
    scores = summary_scores(cloud, version)
    worst = min(scores, key=lambda label: scores[label])
    assert scores[worst] < 1, "the test dataset must give a label below a perfect score"
    gated = deployed(project_arn, trained, MinInferenceUnits=1, MinLabelF1Scores={worst: 1})
    # WHEN the deployed-model resource is created
    outcome = cfn.send(model_event(cfn, "Create", gated))
    # THEN it fails quoting the label's score, the worst labels and the summary's location
    assert outcome.status == "FAILED"
    where = version["EvaluationResult"]["Summary"]["S3Object"]
    assert f"label {worst!r} F1 {scores[worst]:g} < 1" in outcome.reason
    assert "Worst labels: " in outcome.reason and f"s3://{where['Bucket']}/{where['Name']}" in outcome.reason
    assert "not started" in outcome.reason
    # AND the model was never started
    assert described(cloud, project_arn, trained)["Status"] == "TRAINING_COMPLETED"
    assert cloud.service.calls.count("StartProjectVersion") == 0
    no_leftovers(cfn)


def test_the_overall_gate_quotes_the_overall_score(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, imperfect: str
) -> None:
    trained = imperfect
    version = described(cloud, project_arn, trained)
    f1 = version["EvaluationResult"]["F1Score"]
    assert f1 < 1
    outcome = cfn.send(model_event(cfn, "Create", deployed(project_arn, trained, MinF1Score=1)))
    assert outcome.status == "FAILED" and f"F1 {f1:g} < 1 overall" in outcome.reason


def test_a_label_the_summary_does_not_know_fails_the_gate_listing_the_labels(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    outcome = cfn.send(
        model_event(cfn, "Create", deployed(project_arn, trained, MinLabelF1Scores={"hexagon": 0.5}))
    )
    scores = summary_scores(cloud, described(cloud, project_arn, trained))
    assert outcome.status == "FAILED"
    assert "label 'hexagon' is not in the evaluation summary" in outcome.reason
    assert all(label in outcome.reason for label in scores)


def test_a_gate_only_change_rechecks_the_running_model_without_touching_it(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, imperfect: str
) -> None:
    trained = imperfect
    # GIVEN a running, gated model
    loose = deployed(project_arn, trained, MinInferenceUnits=1, MinF1Score=0.1)
    assert cfn.send(model_event(cfn, "Create", loose)).status == "SUCCESS"
    starts = cloud.service.calls.count("StartProjectVersion")
    # WHEN the gate tightens beyond the model, then loosens again
    strict = {**loose, "MinF1Score": 1}
    failed = cfn.send(model_event(cfn, "Update", strict, physical_id=trained, old=loose))
    passed = cfn.send(model_event(cfn, "Update", loose, physical_id=trained, old=strict))
    # THEN the strict gate fails, the loose one passes, and the model ran throughout, never restarted
    assert failed.status == "FAILED" and "below its F1 gate" in failed.reason
    assert passed.status == "SUCCESS" and passed.polls == 0
    assert running(cloud, project_arn) == {trained: (1, 1)}
    assert cloud.service.calls.count("StartProjectVersion") == starts
    assert cloud.service.calls.count("StopProjectVersion") == 0


def test_a_start_beyond_the_running_model_quota_fails_at_once_naming_the_running_models(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, properties: dict[str, Any]
) -> None:
    # GIVEN two running models in the project (the account's quota) and a third trained version
    arns = []
    for name in ("A", "B", "C"):
        created = cfn.send(cfn.event("Create", name, {**properties, "VersionName": name}))
        arns.append(created.physical_id)
    rekognition = cloud.client("rekognition")
    for arn in arns[:2]:
        rekognition.start_project_version(ProjectVersionArn=arn, MinInferenceUnits=1)
    # WHEN the third is deployed with units
    event = model_event(cfn, "Create", deployed(project_arn, arns[2], MinInferenceUnits=1))
    outcome = cfn.send(event)
    # THEN it fails without polling, naming the quota and both running versions
    assert outcome.status == "FAILED" and outcome.polls == 0
    assert "at most 2 models at once per account" in outcome.reason
    assert arns[0] in outcome.reason and arns[1] in outcome.reason
    assert described(cloud, project_arn, arns[2])["Status"] == "TRAINING_COMPLETED"
    assert cloud.service.calls.count("StartProjectVersion") == 3  # two by hand, one try
    # AND the pre-signed ResponseURL reached neither the logs nor the response
    assert event["ResponseURL"] not in outcome.logs and event["ResponseURL"] not in str(outcome.response)
    no_leftovers(cfn)


def test_a_start_that_ends_in_failed_answers_failed_with_the_status_message(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    cloud.service.faults.fail_start(trained.split("/")[3], "Not enough capacity in the Availability Zone.")
    outcome: Outcome = cfn.send(
        model_event(cfn, "Create", deployed(project_arn, trained, MinInferenceUnits=1))
    )
    assert outcome.status == "FAILED"
    assert "failed to start: Not enough capacity in the Availability Zone." in outcome.reason
    assert outcome.physical_id == trained  # the rollback's Delete finds it
    no_leftovers(cfn)


def test_a_version_another_resource_created_is_neither_started_nor_stopped(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    # GIVEN properties that point the step at a version which the resource "Other" did not create
    foreign = deployed(project_arn, trained, MinInferenceUnits=1, VersionLogicalId="Other")
    # WHEN it is created THEN it fails saying so, and the version was not started
    outcome = cfn.send(model_event(cfn, "Create", foreign))
    assert outcome.status == "FAILED" and "was not created by Other of this stack" in outcome.reason
    assert cloud.service.calls.count("StartProjectVersion") == 0
    # AND a Delete of such a step leaves the model running when someone else started it
    cloud.client("rekognition").start_project_version(ProjectVersionArn=trained, MinInferenceUnits=1)
    assert cfn.send(model_event(cfn, "Delete", foreign, physical_id=trained)).status == "SUCCESS"
    assert cloud.service.calls.count("StopProjectVersion") == 0
    no_leftovers(cfn)


def test_units_without_the_versions_logical_id_are_refused(
    cfn: CloudFormation, project_arn: str, trained: str
) -> None:
    properties = {"ProjectArn": project_arn, "VersionArn": trained, "MinInferenceUnits": 1}
    outcome = cfn.send(model_event(cfn, "Create", properties))
    assert outcome.status == "FAILED" and "VersionLogicalId" in outcome.reason


def test_throttled_polls_while_starting_just_poll_again(
    cfn: CloudFormation, cloud: LocalCloud, project_arn: str, trained: str
) -> None:
    # GIVEN Rekognition throttling every try the first invocation's Describe makes
    cloud.service.faults.fail_next("DescribeProjectVersions", "ThrottlingException", count=5)
    # WHEN the model is deployed with units
    outcome = cfn.send(model_event(cfn, "Create", deployed(project_arn, trained, MinInferenceUnits=1)))
    # THEN the throttled step was tried again at the next poll, and the model runs
    assert outcome.status == "SUCCESS", outcome.reason
    assert cloud.service.calls.count("DescribeProjectVersions", "ThrottlingException") == 5
    assert running(cloud, project_arn) == {trained: (1, 1)}
