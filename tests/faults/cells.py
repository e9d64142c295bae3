"""The fault matrix: every cell a fault, where it strikes, and what must come of it.

Rows: each Rekognition call the provider makes (the watcher's included) under five faults; the
provider's process dying or timing out; CloudFormation's own surprises; changes made by hand between
deploys; bad input that only the handler can see (tokens are not checked at synth).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from . import scenarios
from .scenarios import Expect, lifecycle
from .stack import Stack, World
from .verdict import Verdict

THIRTY_MINUTES = 1800


def nothing(world: World) -> None:
    """No fault armed: the cell's trouble comes from its input or from a hand."""


@dataclass(frozen=True)
class Cell:
    group: str
    fault: str
    run: Callable[[World], Verdict]
    smoke: bool = False  # also run by `make test` (the whole matrix: `make faults`)
    function_timeout: int = 120

    @property
    def id(self) -> str:
        return f"{self.group}: {self.fault}"


# -- Rekognition calls ---------------------------------------------------------------------------------

# (operation, phase of the life where the provider makes it, what it is for)
CALLS = [
    ("CreateProjectVersion", "create", "create"),
    ("DescribeProjectVersions", "create", "training poll"),
    ("DescribeProjectVersions", "watch", "watcher"),
    ("DescribeProjectVersions", "serve", "serving step"),
    ("StartProjectVersion", "serve", "start"),
    ("ListTagsForResource", "retag", "retag"),
    ("TagResource", "retag", "retag"),
    ("UntagResource", "retag", "retag"),
    ("StopProjectVersion", "destroy", "destroy"),
    ("DeleteProjectVersion", "destroy", "destroy"),
]


def throttled_once(operation: str, world: World) -> None:
    world.cloud.service.faults.fail_next(operation, "ThrottlingException")


def throttled_for_30_minutes(operation: str, world: World) -> None:
    world.cloud.service.faults.fail_until(
        operation, "ThrottlingException", world.clock.now() + THIRTY_MINUTES
    )


def internal_error_once(operation: str, world: World) -> None:
    world.cloud.service.faults.fail_next(operation, "InternalServerError")


def access_denied(operation: str, world: World) -> None:
    """The role lacks the permission until someone fixes it (the retried destroy runs without it)."""
    world.cloud.service.faults.fail_next(operation, "AccessDeniedException", count=10_000)


def answer_lost(operation: str, world: World) -> None:
    """The call takes effect, then the connection drops: the caller cannot tell that it did."""
    world.cloud.service.faults.lose_next_answers(operation, "InternalServerError")


FAULTS: list[tuple[str, Callable[[str, World], None], Expect]] = [
    ("one throttle", throttled_once, "ok"),
    ("throttled for 30 min", throttled_for_30_minutes, "ok"),
    ("one InternalServerError", internal_error_once, "ok"),
    ("AccessDenied", access_denied, "fails"),
    ("answer lost after success", answer_lost, "ok"),
]


def call_cells() -> list[Cell]:
    cells = []
    for operation, phase, purpose in CALLS:
        for fault, arm, expect in FAULTS:
            waits = 43200 if phase == "watch" else None
            run = partial(
                lifecycle,
                arm=partial(arm, operation),
                phase=phase,
                expect=expect,
                reason_has="AccessDenied" if expect == "fails" else "",
                wait_seconds=waits,
            )
            smoke = (operation, fault) in {
                ("CreateProjectVersion", "answer lost after success"),
                ("DeleteProjectVersion", "AccessDenied"),
            }
            cells.append(Cell(f"{operation} ({purpose})", fault, run, smoke=smoke))
    return cells


# -- the provider's process ----------------------------------------------------------------------------


def killed_after(operation: str, skip: int = 0) -> Callable[[World], None]:
    def arm(world: World) -> None:
        world.cloud.service.faults.interrupt_after(operation, world.cfn.kill_running, skip=skip)

    return arm


def hangs_after(operation: str, seconds: float, skip: int = 0) -> Callable[[World], None]:
    def arm(world: World) -> None:
        world.cloud.service.faults.interrupt_after(operation, partial(time.sleep, seconds), skip=skip)

    return arm


SHORT_TIMEOUT = 3
PROCESS_CELLS = [
    Cell(
        "process",
        "killed after CreateProjectVersion, before answering (Lambda retries)",
        partial(lifecycle, arm=killed_after("CreateProjectVersion"), phase="create", expect="ok"),
        smoke=True,
    ),
    Cell(
        "process",
        "killed mid-poll (after DescribeProjectVersions)",
        partial(lifecycle, arm=killed_after("DescribeProjectVersions", skip=2), phase="create", expect="ok"),
    ),
    Cell(
        "process",
        "killed while starting (after StartProjectVersion)",
        partial(lifecycle, arm=killed_after("StartProjectVersion"), phase="serve", expect="ok"),
    ),
    Cell(
        "process",
        "killed while stopping (after StopProjectVersion)",
        partial(lifecycle, arm=killed_after("StopProjectVersion"), phase="destroy", expect="ok"),
    ),
    Cell(
        "process",
        "killed while deleting (after DeleteProjectVersion)",
        partial(lifecycle, arm=killed_after("DeleteProjectVersion"), phase="destroy", expect="ok"),
    ),
    Cell(
        "process",
        "timed out during a poll",
        partial(
            lifecycle,
            arm=hangs_after("DescribeProjectVersions", SHORT_TIMEOUT + 1, skip=2),
            phase="create",
            expect="ok",
        ),
        function_timeout=SHORT_TIMEOUT,
    ),
]


# -- CloudFormation ------------------------------------------------------------------------------------


def response_url_failing(count: int) -> Callable[[World], None]:
    def arm(world: World) -> None:
        world.responses.fail_next(count, status=500)

    return arm


CLOUDFORMATION_CELLS = [
    Cell("CloudFormation", "the same event delivered twice", scenarios.delivered_twice),
    Cell(
        "CloudFormation",
        "ResponseURL fails twice, then accepts",
        partial(lifecycle, arm=response_url_failing(2), phase="create", expect="ok"),
    ),
    Cell(
        "CloudFormation",
        "ResponseURL never accepts (CloudFormation times out, rolls back)",
        partial(
            lifecycle, arm=response_url_failing(15), phase="create", expect="fails", unanswered_allowed=True
        ),
    ),
    Cell(
        "CloudFormation", "rollback by another resource after our Create", scenarios.rolled_back_after_create
    ),
    Cell(
        "CloudFormation",
        "rollback by another resource while ours trains",
        scenarios.cancelled_while_training,
        smoke=True,
    ),
    Cell("CloudFormation", "rollback or stack delete while ours starts", scenarios.cancelled_while_starting),
    Cell("CloudFormation", "failed Update, then the rollback Update", scenarios.failed_update_rolled_back),
    Cell(
        "CloudFormation",
        "Delete of a resource whose Create never answered",
        scenarios.create_never_answered,
        smoke=True,
    ),
    Cell("CloudFormation", "stack delete during training", scenarios.stack_deleted_while_training),
    Cell("CloudFormation", "stack delete during a rollover", scenarios.cancelled_rollover),
    Cell(
        "CloudFormation",
        "the long-training wait times out",
        partial(
            lifecycle,
            arm=nothing,
            phase="create",
            expect="fails",
            wait_seconds=600,
            reason_has="training_timeout",
        ),
    ),
]


# -- by hand, between deploys --------------------------------------------------------------------------


def stop_by_hand(world: World, stack: Stack) -> None:
    world.rekognition.stop_project_version(ProjectVersionArn=stack.physical["Classifier"])
    world.clock.advance(300)


def delete_by_hand(world: World, stack: Stack) -> None:
    stop_by_hand(world, stack)
    world.rekognition.delete_project_version(ProjectVersionArn=stack.physical["Classifier"])
    world.clock.advance(300)


def start_by_hand(world: World, stack: Stack) -> None:
    world.rekognition.start_project_version(
        ProjectVersionArn=stack.physical["Classifier"], MinInferenceUnits=1
    )
    world.clock.advance(300)


def edit_tags_by_hand(world: World, stack: Stack) -> None:
    world.rekognition.tag_resource(
        ResourceArn=stack.physical["Classifier"], Tags={"team": "hand", "extra": "x"}
    )


def edit_owner_tag_by_hand(world: World, stack: Stack) -> None:
    tag = "cdk-rekognition-custom-labels:owner"
    world.rekognition.tag_resource(ResourceArn=stack.physical["Classifier"], Tags={tag: "someone/else"})


def delete_polling_rule_by_hand(world: World) -> None:
    """Once the Create polls, its rule is deleted by hand (the permission with it)."""

    def remove() -> None:
        for target in world.cfn.targets():
            events = world.cloud.client("events")
            events.remove_targets(Rule=target.rule_name, Ids=["1"])
            events.delete_rule(Name=target.rule_name)

    world.cloud.service.faults.interrupt_after("DescribeProjectVersions", remove, skip=1)


def delete_project_by_hand(world: World, stack: Stack) -> None:
    delete_by_hand(world, stack)
    world.rekognition.delete_project(ProjectArn=world.project_arn)
    world.clock.advance(300)


def by_hand(fault: str, between: Callable[[World, Stack], None], **options: Any) -> Cell:
    """Someone changes something by hand between the deploy and the next update."""
    options.setdefault("expect", "ok")
    smoke = bool(options.pop("smoke", False))
    run = partial(lifecycle, arm=nothing, phase="", between=between, **options)
    return Cell("by hand", fault, run, smoke=smoke)


OUT_OF_BAND_CELLS = [
    by_hand("version stopped", stop_by_hand, smoke=True),
    by_hand("version deleted", delete_by_hand),
    by_hand("version started (no units in the stack)", start_by_hand, units=False),
    by_hand("tags edited", edit_tags_by_hand),
    by_hand(
        "ownership tag edited (the version is handed over)",
        edit_owner_tag_by_hand,
        expect="fails",
        reason_has="ownership tag",
        handed_over="version Classifier-0123456789ab",
    ),
    Cell(
        "by hand",
        "polling rule deleted",
        partial(
            lifecycle,
            arm=delete_polling_rule_by_hand,
            phase="create",
            expect="fails",
            unanswered_allowed=True,
        ),
    ),
    by_hand("project deleted", delete_project_by_hand, expect="fails", reason_has="project"),
]


# -- bad input at deploy time --------------------------------------------------------------------------

OTHER_BUCKET = "custom-labels-elsewhere"


def bad(
    fault: str,
    reason_has: str,
    *,
    smoke: bool = False,
    version: dict[str, object] | None = None,
    model: dict[str, object] | None = None,
) -> Cell:
    """A property value the handler must refuse, on the version or on its serving step."""
    run = partial(
        lifecycle,
        arm=nothing,
        phase="",
        expect="fails",
        reason_has=reason_has,
        version_extra=version,
        model_extra=model,
    )
    return Cell("bad input", fault, run, smoke=smoke)


def images_in_two_buckets(world: World) -> Verdict:
    """A training manifest whose images are in two buckets (the service wants one per manifest;
    training and testing manifests may each have their own)."""
    s3 = world.cloud.client("s3")
    s3.create_bucket(Bucket=OTHER_BUCKET)
    lines = (
        s3.get_object(Bucket=world.dataset.bucket, Key=world.dataset.train_key)["Body"].read().splitlines()
    )
    first = json.loads(lines[0])
    key = first["source-ref"].split("/", 3)[3]
    body = s3.get_object(Bucket=world.dataset.bucket, Key=key)["Body"].read()
    s3.put_object(Bucket=OTHER_BUCKET, Key=key, Body=body)
    first["source-ref"] = f"s3://{OTHER_BUCKET}/{key}"
    manifest = b"\n".join([json.dumps(first).encode(), *lines[1:]])
    s3.put_object(Bucket=world.dataset.bucket, Key="manifests/two-buckets.manifest", Body=manifest)
    training = world.dataset.asset("manifests/two-buckets.manifest")
    return lifecycle(
        world,
        nothing,
        phase="",
        expect="fails",
        reason_has="multiple S3 buckets",
        version_extra={"TrainingData": training},
    )


BAD_INPUT_CELLS = [
    bad(
        "VersionName with invalid characters", "VersionName", smoke=True, version={"VersionName": "bad name!"}
    ),
    bad("ServiceTimeout out of range", "ServiceTimeout", version={"ServiceTimeout": 99999}),
    bad(
        "200 tags (the ownership tag makes 201)",
        "Tags",
        version={"Tags": {f"k{i}": "v" for i in range(200)}},
    ),
    bad("tag key of 129 characters", "Tags", version={"Tags": {"k" * 129: "v"}}),
    bad("tag value of 257 characters", "Tags", version={"Tags": {"k": "v" * 257}}),
    bad(
        "missing KMS key",
        "KMS",
        version={"KmsKeyId": "arn:aws:kms:us-east-1:123456789012:key/00000000-0000-0000-0000-000000000000"},
    ),
    bad(
        "output bucket in no account",
        "custom-labels-nowhere",
        version={"OutputConfig": {"S3Bucket": "custom-labels-nowhere", "S3KeyPrefix": "Classifier/"}},
    ),
    bad(
        "output prefix too long",
        "S3KeyPrefix",
        version={"OutputConfig": {"S3Bucket": "custom-labels-output", "S3KeyPrefix": "p" * 1025}},
    ),
    Cell("bad input", "a manifest's images in two buckets", images_in_two_buckets),
    bad("MinInferenceUnits 0", "MinInferenceUnits", model={"MinInferenceUnits": 0}),
    bad(
        "MaxInferenceUnits below MinInferenceUnits",
        "MaxInferenceUnits",
        model={"MinInferenceUnits": 2, "MaxInferenceUnits": 1},
    ),
    bad("MinF1Score 1.5", "MinF1Score", model={"MinF1Score": "1.5"}),
]

CELLS = [*call_cells(), *PROCESS_CELLS, *CLOUDFORMATION_CELLS, *OUT_OF_BAND_CELLS, *BAD_INPUT_CELLS]
