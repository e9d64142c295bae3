"""The request state the handler's steps share: typed in ``PollState``, carried in crhelper's Data.

The Data dict is what the polling rule's target carries from poll to poll and what the response's
``Data`` is cut from, so its keys and values are the wire format: the ones the handler wrote before
``PollState`` existed (a poll started by the old handler is resumed by the new one).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import cfn_response_sender
import deadlines
import pytest
from hardened_resource import ATTRIBUTES, HardenedResource
from poll_state import ATTRIBUTE_KEYS, Phase, PollState

ARN = (
    "arn:aws:rekognition:us-east-1:123456789012:project/Shapes/version/Classifier-0123456789ab/1700000000000"
)
OLD_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/Shapes/version/Classifier-old/1690000000000"
ATTRIBUTE_VALUES = {
    "Arn": ARN,
    "VersionName": "Classifier-0123456789ab",
    "Status": "TRAINING_COMPLETED",
    "F1Score": "0.912",
    "EvaluationSummaryBucket": "outputs",
    "EvaluationSummaryKey": "Classifier/EvaluationResultSummary-Shapes-Classifier.json",
    "BillableTrainingTimeInSeconds": "1820",
}
CLOCK = {"Started": "1764547200.123456", "Deadline": "1764550440.123456"}

# Data as the handler wrote it before PollState, one dict per kind of request state (crhelper adds the
# first step's PhysicalResourceId before it starts polling).
OLD_HANDLERS_DATA = {
    "create-training": {**CLOCK, "Arn": ARN, "PhysicalResourceId": ARN},
    "create-waiting-for-slot": {
        **CLOCK,
        "WaitingSince": "1764547201.5",
        "WaitingFor": "LimitExceededException (too many trainings)",
        "PhysicalResourceId": "",
    },
    "create-trained": {**CLOCK, **ATTRIBUTE_VALUES},
    "create-handed-over": {
        **CLOCK,
        "Arn": ARN,
        "VersionName": "Classifier-0123456789ab",
        "Status": "TRAINING_IN_PROGRESS",
    },
    "update-in-place-retry": {**CLOCK, "InPlace": "true", "PhysicalResourceId": ARN},
    "update-replacing": {**CLOCK, "Replacing": "true", "Arn": ARN, "PhysicalResourceId": ARN},
    "update-cleaning-abandoned": {
        **CLOCK,
        **ATTRIBUTE_VALUES,
        "Abandoned": OLD_ARN,
        "PhysicalResourceId": ARN,
    },
    "delete-looking-up": {**CLOCK, "LookUp": "true", "PhysicalResourceId": "not-created:Classifier"},
    "delete-target": {**CLOCK, "Target": ARN, "PhysicalResourceId": "not-created:Classifier"},
    "attributes-serving": {
        **CLOCK,
        **ATTRIBUTE_VALUES,
        "Serving": "true",
        "Gated": "true",
        "StartAsked": "true",
        "Owned": "true",
        "PhysicalResourceId": ARN,
    },
}


@pytest.mark.parametrize("data", OLD_HANDLERS_DATA.values(), ids=OLD_HANDLERS_DATA.keys())
def test_the_old_handlers_data_reads_and_writes_back_unchanged(data: dict[str, Any]) -> None:
    # GIVEN Data a poll of the old handler carries
    # WHEN it is read as a PollState and written back
    # THEN it is the same dict: the same keys, the same strings (so a poll that learnt nothing does not
    # put its rule's target again, and an old handler could read it back)
    assert PollState.from_data(dict(data)).to_data() == data


def test_the_old_keys_are_read_into_typed_fields() -> None:
    # GIVEN the old handler's Data of an update that cleans up after a failed one, and of a served model
    cleaning = PollState.from_data(OLD_HANDLERS_DATA["update-cleaning-abandoned"])
    serving = PollState.from_data(OLD_HANDLERS_DATA["attributes-serving"])
    waiting = PollState.from_data(OLD_HANDLERS_DATA["create-waiting-for-slot"])
    # THEN the fields hold them typed
    assert (cleaning.phase, cleaning.abandoned, cleaning.arn) == (Phase.CLEANING_ABANDONED, OLD_ARN, ARN)
    assert (cleaning.started, cleaning.deadline) == (1764547200.123456, 1764550440.123456)
    assert (cleaning.f1_score, cleaning.billable_training_time_in_seconds) == ("0.912", "1820")
    assert (serving.serving, serving.gated, serving.start_asked, serving.owned) == (True, True, True, True)
    assert (waiting.waiting_since, waiting.waiting_for_slot) == (1764547201.5, True)
    assert waiting.extra == {"PhysicalResourceId": ""}
    assert PollState.from_data(OLD_HANDLERS_DATA["update-in-place-retry"]).phase is Phase.IN_PLACE_RETRY
    assert PollState.from_data(OLD_HANDLERS_DATA["update-replacing"]).phase is Phase.REPLACING
    assert PollState.from_data(OLD_HANDLERS_DATA["delete-looking-up"]).phase is Phase.LOOKING_UP
    assert PollState.from_data(OLD_HANDLERS_DATA["delete-target"]).target == ARN
    assert PollState.from_data({}) == PollState()


def full_state(phase: Phase) -> PollState:
    """A state with every field set (abandoned only in the phase that has one)."""
    return PollState(
        arn=ARN,
        started=1764547200.25,
        deadline=1764550440.25,
        waiting_since=1764547230.5,
        waiting_for="ThrottlingException",
        failing_since=1764547290.75,
        phase=phase,
        abandoned=OLD_ARN if phase is Phase.CLEANING_ABANDONED else None,
        target=ARN,
        serving=True,
        gated=True,
        start_asked=True,
        owned=True,
        version_name="Classifier-0123456789ab",
        status="RUNNING",
        f1_score="0.5",
        evaluation_summary_bucket="outputs",
        evaluation_summary_key="summary.json",
        billable_training_time_in_seconds="60",
        extra={"PhysicalResourceId": ARN},
    )


@pytest.mark.parametrize("phase", list(Phase), ids=[phase.name for phase in Phase])
def test_every_state_round_trips(phase: Phase) -> None:
    # GIVEN a state with every field set, in each phase, and an empty one in that phase
    for state in (full_state(phase), PollState(phase=phase, abandoned=full_state(phase).abandoned)):
        # THEN reading what it writes gives it back
        assert PollState.from_data(state.to_data()) == state


def test_every_field_is_written() -> None:
    # GIVEN the empty state and, for each field but the phase, a state that differs in that field only
    empty = PollState().to_data()
    full = full_state(Phase.MAIN)
    for field in dataclasses.fields(PollState):
        if field.name in ("phase", "abandoned"):
            continue
        one = dataclasses.replace(PollState(), **{field.name: getattr(full, field.name)})
        # THEN it writes other Data
        assert one.to_data() != empty, field.name
    # AND each phase writes Data of its own
    phases = [PollState(phase=phase, abandoned=full_state(phase).abandoned).to_data() for phase in Phase]
    assert phases[0] == empty
    assert len({tuple(sorted(data.items())) for data in phases}) == len(Phase)


def test_the_clean_up_phase_needs_its_version() -> None:
    with pytest.raises(ValueError, match="abandoned"):
        PollState(phase=Phase.CLEANING_ABANDONED).to_data()


def test_save_to_writes_into_the_dict_crhelpers_polling_event_holds() -> None:
    # GIVEN the Data dict of a poll (crhelper's event holds this very object as CrHelperData)
    data = dict(OLD_HANDLERS_DATA["create-waiting-for-slot"])
    event = {"CrHelperData": data}
    state = PollState.from_data(data)
    # WHEN the poll got its slot
    state.arn, state.waiting_for = ARN, None
    state.save_to(data)
    # THEN the event's Data is the new state, keys no longer set gone
    assert event["CrHelperData"] is data
    assert "WaitingFor" not in data
    assert data["Arn"] == ARN
    assert data["PhysicalResourceId"] == ""


def test_the_clock_writes_what_the_old_handler_wrote() -> None:
    # GIVEN a clock started at a known time
    state = PollState()
    deadlines.start_clock(state, 3600, now=1764547200.123456)
    margin = deadlines.POLL_INTERVAL_MINUTES * 60 + deadlines.DEADLINE_SLACK_SECONDS
    # THEN its Data are str(float), as before
    assert state.to_data() == {
        "Started": str(1764547200.123456),
        "Deadline": str(1764547200.123456 + 3600 - margin),
    }
    assert not deadlines.out_of_time(state, now=1764547200.123456 + 3600 - margin - 1)
    assert deadlines.out_of_time(state, now=1764547200.123456 + 3600 - margin)
    assert not deadlines.out_of_time(PollState(), now=1e12)


def test_record_takes_a_versions_attributes_and_keeps_the_others() -> None:
    state = PollState(version_name="kept", status="TRAINING_IN_PROGRESS")
    state.record({"Arn": ARN, "Status": "TRAINING_COMPLETED"})
    assert (state.arn, state.version_name, state.status) == (ARN, "kept", "TRAINING_COMPLETED")


def test_the_response_carries_the_same_attributes(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the attributes resource's state as a serving model leaves it (flags, clock, attributes)
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(cfn_response_sender, "put", lambda url, body: sent.append(body))
    resource = HardenedResource(rule_prefix="RekCL-poll-")
    resource.Data = PollState.from_data(OLD_HANDLERS_DATA["attributes-serving"]).to_data()
    resource.Status, resource.PhysicalResourceId = "SUCCESS", ARN
    # WHEN the helper answers
    resource._send()
    # THEN the response's Data is the attributes, nothing of the state
    assert ATTRIBUTES == ATTRIBUTE_KEYS
    assert [body["Data"] for body in sent] == [ATTRIBUTE_VALUES]


def test_a_create_that_times_out_after_making_its_version_answers_with_that_version(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a Create whose step has made its version (recorded in its live state, not yet in Data)
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(cfn_response_sender, "put", lambda url, body: sent.append(body))
    resource = HardenedResource(rule_prefix="RekCL-poll-")
    resource._event = {"RequestType": "Create", "LogicalResourceId": "Classifier"}
    resource.live_state = PollState()
    resource.live_state.arn = ARN
    # WHEN crhelper's timer fires while the step still runs
    resource._timeout()
    # THEN the FAILED answer names the version, so the rollback's Delete removes it
    assert [(body["Status"], body["PhysicalResourceId"]) for body in sent] == [("FAILED", ARN)]


def test_a_create_that_times_out_before_making_a_version_answers_with_an_id_of_its_own() -> None:
    resource = HardenedResource(rule_prefix="RekCL-poll-")
    resource._event = {"RequestType": "Create", "LogicalResourceId": "Classifier"}
    resource.live_state = PollState()
    resource.live_state.save_to(resource.Data)
    assert resource._fallback_physical_id(resource._event) == "not-created:Classifier"
