"""Trainings of many hours: the resource answers once training has started, and the handler's own
schedule (the watcher) releases the stack's chained wait conditions with SignalResource.

"CloudFormation" here is the test driver for the custom resource and a ``WaitChain`` for the wait
conditions, each started (in a thread) once the one before it has completed, as CloudFormation does.
"""

from __future__ import annotations

from typing import Any

import pytest

from localcloud.clock import ManualClock
from localcloud.gateway.server import LocalCloud
from localcloud.testing.cloudformation import CloudFormation, WaitChain
from localcloud.testing.data import manifest_asset
from tests.provider_function import versions

# Each test plays CloudFormation's requests through the provider function's processes.
pytestmark = pytest.mark.scenario


def with_waits(properties: dict[str, Any], *waits: tuple[str, int]) -> dict[str, Any]:
    chain = [{"LogicalId": name, "TimeoutSeconds": seconds} for name, seconds in waits]
    return {**properties, "TrainingWait": {"WaitConditions": chain}}


def watch(cfn: CloudFormation, clock: ManualClock, *, max_polls: int = 30) -> int:
    """Fire the watcher's schedule (advancing the clock a poll interval each time) until it is gone."""
    polls = 0
    while True:
        targets = [t for t in cfn.targets() if "RequestId" not in t.input]
        if not targets:
            return polls
        assert polls < max_polls, "the watcher never finished"
        for target in targets:
            clock.advance(target.interval_seconds)
            cfn.invoke(target.input)
        polls += 1


def test_create_answers_once_training_started_and_the_watcher_releases_every_wait(
    cfn: CloudFormation, cloud: LocalCloud, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN a version whose stack waits on two chained 12-hour wait conditions
    waits = [("Wait1", 43200), ("Wait2", 43200)]
    timed, chain = with_waits(properties, *waits), WaitChain(cloud, waits)
    # WHEN CloudFormation creates it
    outcome = cfn.send(cfn.event("Create", "Classifier", timed))
    # THEN it answered at once with the training version (no poll of its own), and a watcher is scheduled
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.polls == 0 and outcome.data["Status"] == "TRAINING_IN_PROGRESS"
    (version,) = versions(cfn.cloud, properties["ProjectArn"])
    assert version["ProjectVersionArn"] == outcome.physical_id and version["Status"] == "TRAINING_IN_PROGRESS"
    # WHEN CloudFormation waits on the chain and the watcher polls
    chain.start()
    polls = watch(cfn, clock)
    # THEN once training completed (three one-minute polls), both waits were released in order
    assert chain.join() == {"Wait1": "SUCCESS", "Wait2": "SUCCESS"}
    assert [h[1:] for h in cloud.signals.heard()] == [
        ("Wait1", "training-completed", "SUCCESS"),
        ("Wait2", "training-completed", "SUCCESS"),
    ]
    assert polls == 3
    # AND the watcher's schedule and permission are gone, as are the create's
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def attributes_of(cfn: CloudFormation, properties: dict[str, Any], version_arn: str) -> Any:
    """Create ``Custom::RekognitionProjectVersionAttributes``, as the stack does once its waits are over."""
    attributes = {"ProjectArn": properties["ProjectArn"], "VersionArn": version_arn}
    event = cfn.event("Create", "ClassifierAttributes", attributes)
    event["ResourceType"] = "Custom::RekognitionProjectVersionAttributes"
    return cfn.send(event)


def test_a_failed_training_ends_the_waits_and_the_attributes_say_why(
    cfn: CloudFormation, cloud: LocalCloud, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN a training the service will fail on its data: a training manifest that is not JSON lines
    bucket = properties["TrainingData"]["Assets"][0]["GroundTruthManifest"]["S3Object"]["Bucket"]
    cloud.client("s3").put_object(Bucket=bucket, Key="manifests/broken.manifest", Body=b"not json\n")
    properties = {**properties, "TrainingData": manifest_asset(bucket, "manifests/broken.manifest")}
    waits = [("Wait1", 43200), ("Wait2", 43200)]
    timed, chain = with_waits(properties, *waits), WaitChain(cloud, waits)
    created = cfn.send(cfn.event("Create", "Classifier", timed))
    assert created.status == "SUCCESS"
    # WHEN the chain waits and the watcher polls
    chain.start()
    watch(cfn, clock)
    # THEN every wait was released with an id (SignalResource carries no Reason); nothing polls any more
    assert chain.join() == {"Wait1": "SUCCESS", "Wait2": "SUCCESS"}
    assert [h[2] for h in cloud.signals.heard()] == ["training-failed", "training-failed"]
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []
    # WHEN the next resource reads the version
    outcome = attributes_of(cfn, properties, created.physical_id)
    # THEN it fails with the service's message, the manifests trained from and the validation results
    (version,) = versions(cloud, properties["ProjectArn"])
    assert outcome.status == "FAILED" and version["Status"] == "TRAINING_FAILED"
    assert outcome.reason.startswith(version["StatusMessage"])
    assert f"s3://{bucket}/manifests/broken.manifest (training)" in outcome.reason
    summary = version["ManifestSummary"]["S3Object"]
    assert f"s3://{summary['Bucket']}/{summary['Name']}" in outcome.reason
    assert summary["Name"].endswith("manifest_summary.json")


def test_a_wait_about_to_end_is_renewed_by_the_next_one(
    cfn: CloudFormation, cloud: LocalCloud, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN a first wait shorter than the training (200 s: within the renewal margin from the start)
    waits = [("Wait1", 200), ("Wait2", 43200)]
    timed, chain = with_waits(properties, *waits), WaitChain(cloud, waits)
    assert cfn.send(cfn.event("Create", "Classifier", timed)).status == "SUCCESS"
    # WHEN the chain waits and the watcher polls
    chain.start()
    watch(cfn, clock)
    # THEN the first wait was released to let the second hold, and the second at the end of training
    assert chain.join() == {"Wait1": "SUCCESS", "Wait2": "SUCCESS"}
    assert [h[2] for h in cloud.signals.heard()] == ["training-continues-1", "training-completed"]


def test_a_training_longer_than_the_waits_ends_them_at_the_deadline_and_the_attributes_say_so(
    cfn: CloudFormation, cloud: LocalCloud, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN one wait of 240 s (the deadline is a margin before its end: past at the first poll) and a
    # 180-s training
    timed, chain = with_waits(properties, ("Wait1", 240)), WaitChain(cloud, [("Wait1", 240)])
    created = cfn.send(cfn.event("Create", "Classifier", timed))
    assert created.status == "SUCCESS"
    # WHEN the chain waits and the watcher polls
    chain.start()
    polls = watch(cfn, clock)
    # THEN the wait was released at the first poll, its id saying why, and nothing polls any more
    assert chain.join() == {"Wait1": "SUCCESS"} and polls == 1
    assert [h[2] for h in cloud.signals.heard()] == ["training-timeout"]
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []
    # WHEN the next resource reads the version, still training
    outcome = attributes_of(cfn, properties, created.physical_id)
    # THEN it fails saying the stack stopped waiting for it
    assert outcome.status == "FAILED"
    assert "was still training when the stack stopped waiting for it" in outcome.reason
    assert "training_timeout" in outcome.reason


def test_deleting_the_version_removes_its_watcher(
    cfn: CloudFormation, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN a training version with its watcher
    timed = with_waits(properties, ("Wait1", 43200))
    created = cfn.send(cfn.event("Create", "Classifier", timed))
    assert [t for t in cfn.targets() if "RequestId" not in t.input]
    # WHEN the resource is deleted (training ends during the delete's polls)
    deleted = cfn.send(cfn.event("Delete", "Classifier", timed, physical_id=created.physical_id))
    # THEN the version is gone and nothing polls or watches any more
    assert deleted.status == "SUCCESS", deleted.reason
    assert versions(cfn.cloud, properties["ProjectArn"]) == []
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_the_watcher_stops_when_its_stack_is_gone(
    cfn: CloudFormation, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN a watcher whose stack does not exist (nobody opened it on the signal board)
    timed = with_waits(properties, ("Wait1", 43200))
    assert cfn.send(cfn.event("Create", "Classifier", timed)).status == "SUCCESS"
    # WHEN it polls until training ends and it tries to signal
    watch(cfn, clock)
    # THEN it removed its schedule and permission
    assert cfn.leftovers()["rules"] == [] and cfn.leftovers()["permissions"] == []


def test_attributes_are_read_once_training_completed(
    cfn: CloudFormation, clock: ManualClock, properties: dict[str, Any]
) -> None:
    # GIVEN a trained version
    created = cfn.send(cfn.event("Create", "Classifier", properties))
    attributes = {"ProjectArn": properties["ProjectArn"], "VersionArn": created.physical_id}
    # WHEN the attributes resource is created
    event = cfn.event("Create", "ClassifierAttributes", attributes)
    event["ResourceType"] = "Custom::RekognitionProjectVersionAttributes"
    outcome = cfn.send(event)
    # THEN it answers at once with the trained version's attributes
    assert outcome.status == "SUCCESS", outcome.reason
    assert outcome.physical_id == created.physical_id
    assert outcome.data["Status"] == "TRAINING_COMPLETED" and float(outcome.data["F1Score"]) > 0
    assert outcome.data["EvaluationSummaryKey"] and outcome.polls == 0
