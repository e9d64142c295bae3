"""What one step of a request leaves for the next: the state of its polls, typed, in one place.

crhelper keeps a request's state in ``helper.Data``, a dict of strings it carries into the polling event
(``CrHelperData``: our ``HardenedResource`` puts the target again when a poll changed it) and ALSO sends
as the response's ``Data``, from which ``HardenedResource`` keeps only the ``ATTRIBUTES`` keys (the
``Fn::GetAtt`` values). The steps work on a ``PollState``; ``from_data`` reads the dict and ``save_to``
writes it back, so the string keys are spelt here and nowhere else.

Wire compatibility: the keys are the ones the handler wrote before this module existed (``Arn``,
``Started``, ``Deadline``, ``WaitingSince``, ``WaitingFor``, ``InPlace``, ``Replacing``, ``Abandoned``,
``LookUp``, ``Target``, ``Serving``, ``Gated``, ``StartAsked``, ``Owned`` and the attributes), with the same
values (floats as ``str(float)``, flags as ``"true"`` and read by presence). A poll started by an older
version of the handler in the middle of a deployment is resumed by this one after an upgrade (the rule's
target carries the old Data), and the other way round after a downgrade. Keys it does not know (crhelper's
own ``PhysicalResourceId``) are kept as they came, so reading and writing back an unchanged state gives
the same dict and a poll that learnt nothing does not put its target again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any

TRUE = "true"


class Phase(enum.Enum):
    """Which work a model version's polls do next, besides the request's main work (train, delete).

    The value is the Data key that marks the phase (present: in that phase).
    """

    MAIN = ""  # training (Create), deleting ``target`` (Delete), serving (the attributes resource)
    IN_PLACE_RETRY = "InPlace"  # an in-place Update (tags) was throttled or met a 5xx: try it again
    REPLACING = "Replacing"  # an Update trains a replacement version
    CLEANING_ABANDONED = "Abandoned"  # a rollback deletes the failed update's version ``abandoned``
    LOOKING_UP = "LookUp"  # a Delete does not know yet which version an unanswered Create made


# When the Data holds several phase keys (it never should), the first one here wins: the order in which
# the model version's poll of an Update has always checked them.
PHASE_ORDER = (Phase.IN_PLACE_RETRY, Phase.CLEANING_ABANDONED, Phase.LOOKING_UP, Phase.REPLACING)

# Field -> Data key of the fields that are plain optional strings (the attributes among them).
TEXT_KEYS = {
    "arn": "Arn",
    "waiting_for": "WaitingFor",
    "abandoned": "Abandoned",
    "target": "Target",
    "version_name": "VersionName",
    "status": "Status",
    "f1_score": "F1Score",
    "evaluation_summary_bucket": "EvaluationSummaryBucket",
    "evaluation_summary_key": "EvaluationSummaryKey",
    "billable_training_time_in_seconds": "BillableTrainingTimeInSeconds",
}
# The ``Fn::GetAtt`` attributes among them (``hardened_resource.ATTRIBUTES`` sends exactly these).
ATTRIBUTE_KEYS = (
    "Arn",
    "VersionName",
    "Status",
    "F1Score",
    "EvaluationSummaryBucket",
    "EvaluationSummaryKey",
    "BillableTrainingTimeInSeconds",
)
TIME_KEYS = {
    "started": "Started",
    "deadline": "Deadline",
    "waiting_since": "WaitingSince",
    "failing_since": "FailingSince",
}
FLAG_KEYS = {"serving": "Serving", "gated": "Gated", "start_asked": "StartAsked", "owned": "Owned"}
PHASE_KEYS = frozenset(phase.value for phase in PHASE_ORDER)
KNOWN_KEYS = frozenset({*TEXT_KEYS.values(), *TIME_KEYS.values(), *FLAG_KEYS.values(), *PHASE_KEYS})


@dataclass
class PollState:
    """A request's state between its steps; every field is optional (a first step starts empty)."""

    # The model version the request works on: the one it trains, serves, or made (Data "Arn").
    arn: str | None = None
    # deadlines.start_clock: when the request began and when it gives up (epoch seconds).
    started: float | None = None
    deadline: float | None = None
    # No training slot yet: since when it waits, and what CreateProjectVersion last answered.
    waiting_since: float | None = None
    waiting_for: str | None = None
    # Since when the polls have met only transient errors (the guide: service errors during training
    # surface as InternalServerError), none since.
    failing_since: float | None = None
    phase: Phase = Phase.MAIN
    abandoned: str | None = None  # the failed update's version, while phase is CLEANING_ABANDONED
    target: str | None = None  # the version a Delete deletes (when it is not the physical id)
    # The attributes resource: it started the model before (may stop it), the F1 gate passed, this
    # request asked for a start, the version carries the ownership tag of the stack's version resource.
    serving: bool = False
    gated: bool = False
    start_asked: bool = False
    owned: bool = False
    # The response's attributes besides ``arn`` (strings, as CloudFormation stores them).
    version_name: str | None = None
    status: str | None = None
    f1_score: str | None = None
    evaluation_summary_bucket: str | None = None
    evaluation_summary_key: str | None = None
    billable_training_time_in_seconds: str | None = None
    # Keys of no field (crhelper's ``PhysicalResourceId``), kept as they came.
    extra: dict[str, Any] = field(default_factory=dict)

    @staticmethod
    def from_data(data: dict[str, Any]) -> PollState:
        """The state a ``helper.Data`` (or a poll's ``CrHelperData``) holds, written by this handler or
        by an older one (same keys)."""
        state = PollState(extra={key: value for key, value in data.items() if key not in KNOWN_KEYS})
        for name, key in TEXT_KEYS.items():
            if key in data:
                setattr(state, name, str(data[key]))
        for name, key in TIME_KEYS.items():
            if key in data:
                setattr(state, name, float(data[key]))
        for name, key in FLAG_KEYS.items():
            setattr(state, name, key in data)
        state.phase = next((phase for phase in PHASE_ORDER if phase.value in data), Phase.MAIN)
        return state

    def to_data(self) -> dict[str, Any]:
        """The Data dict of this state: the keys ``from_data`` reads, and the unknown ones kept."""
        if self.phase is Phase.CLEANING_ABANDONED and self.abandoned is None:
            raise ValueError("the CLEANING_ABANDONED phase needs the abandoned version's ARN")
        data: dict[str, Any] = dict(self.extra)
        for name, key in TEXT_KEYS.items():
            if getattr(self, name) is not None:
                data[key] = getattr(self, name)
        for name, key in TIME_KEYS.items():
            if getattr(self, name) is not None:
                data[key] = str(getattr(self, name))
        for name, key in FLAG_KEYS.items():
            if getattr(self, name):
                data[key] = TRUE
        if self.phase not in (Phase.MAIN, Phase.CLEANING_ABANDONED):
            data[self.phase.value] = TRUE  # CLEANING_ABANDONED is the "Abandoned" text key itself
        return data

    def save_to(self, data: dict[str, Any]) -> None:
        """Write the state into ``data`` in place: crhelper's polling event holds that very dict as its
        ``CrHelperData`` (a new dict would leave the next poll the old state)."""
        written = self.to_data()
        data.clear()
        data.update(written)

    def record(self, attributes: dict[str, str]) -> None:
        """Take a version's ``Fn::GetAtt`` values (``version_lifecycle.attributes``); the ones it lacks
        stay as they were."""
        by_key = {key: name for name, key in TEXT_KEYS.items()}
        for key, value in attributes.items():
            setattr(self, by_key[key], value)

    def clean_up(self, abandoned: str) -> None:
        """Enter CLEANING_ABANDONED: the next polls delete the failed update's version ``abandoned``."""
        self.phase = Phase.CLEANING_ABANDONED
        self.abandoned = abandoned

    @property
    def waiting_for_slot(self) -> bool:
        """Training has not started yet: no slot was free (or the call met a transient error)."""
        return self.arn is None and self.waiting_since is not None
