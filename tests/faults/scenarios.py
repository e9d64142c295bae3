"""How a fault cell runs: a whole stack life (deploy, retag, destroy) with the fault armed at one phase,
or a CloudFormation sequence of its own (cancellations, rollbacks); then the verdict."""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from localcloud.deploy.custom_resources.runner import made_up_id

from .stack import MODEL, VERSION, Stack, World
from .verdict import Verdict, check_requests, describe, inventory, leaks, outcome_of

Expect = Literal["ok", "fails"]
Arm = Callable[[World], None]


def finish(
    world: World,
    stack: Stack,
    *,
    expect: Expect,
    reason_has: str = "",
    unanswered_allowed: bool = False,
    handed_over: str = "",
) -> Verdict:
    """Let leftover schedules run out, look at what is left, retry the destroy (the fault gone) if
    anything is, and judge. ``handed_over``: what someone else took over by hand, and keeps."""
    stack.drain()
    world.cloud.service.faults.clear()  # the fault has done what it could; now look (and retry) without it
    left = inventory(world)

    def ours(items: list[str]) -> list[str]:
        return [item for item in items if not (handed_over and item.startswith(handed_over))]

    retried = bool(ours(left) or stack.physical)
    if retried:
        stack.destroy(phase=None)
        stack.drain()
    final = ours(inventory(world))
    problems = check_requests(world, stack.requests, unanswered_allowed=unanswered_allowed) + leaks(world)
    if final:
        problems.append(f"left after a retried destroy: {describe(final)}")
    statuses = [r.status for r in stack.requests if not r.cancelled]
    if expect == "ok" and (retried or any(s != "SUCCESS" for s in statuses)):
        problems.append("expected every request to succeed and nothing to be left")
    if expect == "fails":
        reasons = [r.outcome.reason for r in stack.requests if r.outcome and r.status == "FAILED"]
        if not reasons and not stack.notes and "NO ANSWER" not in statuses:
            problems.append("expected a failure, everything succeeded")
        elif reason_has and not any(reason_has in text for text in [*reasons, *stack.notes]):
            problems.append(f"no Reason mentions {reason_has!r}: {reasons or stack.notes}")
    outcome = outcome_of(stack.requests)
    if stack.notes:
        outcome += "; " + "; ".join(stack.notes)
    left_text = describe(left)
    if handed_over:
        left_text += f" (kept by its new owner: {handed_over})"
    elif retried:
        left_text += " -> retried destroy: " + describe(final)
    return Verdict(outcome, left_text, problems)


def lifecycle(
    world: World,
    arm: Arm,
    *,
    phase: str,
    expect: Expect,
    reason_has: str = "",
    units: bool = True,
    wait_seconds: int | None = None,
    between: Callable[[World, Stack], None] | None = None,
    unanswered_allowed: bool = False,
    version_extra: dict[str, object] | None = None,
    model_extra: dict[str, object] | None = None,
    handed_over: str = "",
) -> Verdict:
    """Deploy, (something done by hand,) retag, destroy: with ``arm`` run at ``phase``."""
    stack = Stack(
        world,
        arm=lambda now: arm(world) if now == phase else None,
        units=units,
        wait_seconds=wait_seconds,
        version_extra=dict(version_extra or {}),
        model_extra=dict(model_extra or {}),
    )
    if stack.deploy():
        if between is not None:
            between(world, stack)
        stack.retag()
        stack.destroy()
    return finish(
        world,
        stack,
        expect=expect,
        reason_has=reason_has,
        unanswered_allowed=unanswered_allowed,
        handed_over=handed_over,
    )


# -- CloudFormation's own sequences ------------------------------------------------------------------


def delivered_twice(world: World) -> Verdict:
    """The same Create event delivered twice (at-least-once delivery), then the rest of a life."""
    stack = Stack(world)
    stack.properties[VERSION] = world.version_properties()
    event = stack.event("Create", VERSION, stack.properties[VERSION])
    world.cfn.invoke(event)
    stack.settle_create(stack.send(event))
    if stack.requests[-1].status == "SUCCESS" and stack.create_model().status == "SUCCESS":
        stack.retag()
    stack.destroy()
    return finish(world, stack, expect="ok")


def cancelled_while_training(world: World) -> Verdict:
    """Another resource fails while ours trains: CloudFormation stops waiting and deletes ours under an
    id of its own making."""
    stack = Stack(world)
    stack.properties[VERSION] = world.version_properties()
    stack.begin(stack.event("Create", VERSION, stack.properties[VERSION]), polls=3)
    stack.physical[VERSION] = made_up_id("Example", VERSION)
    stack.destroy(phase=None)
    return finish(world, stack, expect="ok")


def cancelled_while_starting(world: World) -> Verdict:
    """The rollback (or stack delete) comes while the serving step starts the model."""
    stack = Stack(world)
    if stack.create_version().status == "SUCCESS":
        properties = world.model_properties(stack.physical[VERSION])
        stack.properties[MODEL] = properties
        stack.begin(stack.event("Create", MODEL, properties), polls=1)
        stack.physical[MODEL] = made_up_id("Example", MODEL)
    stack.destroy(phase=None)
    return finish(world, stack, expect="ok")


def rolled_back_after_create(world: World) -> Verdict:
    """Ours created, then another resource fails: the rollback deletes ours."""
    stack = Stack(world)
    stack.create_version()
    stack.destroy(phase=None)
    return finish(world, stack, expect="ok")


def failed_update_rolled_back(world: World) -> Verdict:
    """A replacing update whose training fails, the rollback update, then a destroy."""
    stack = Stack(world)
    if stack.deploy():
        old = stack.properties[VERSION]
        new = {**old, "VersionName": "Classifier-ba9876543210", "VersionDescription": "retrained"}
        world.cloud.service.faults.fail_training(new["VersionName"], "The manifest file has too few labels.")
        physical = stack.physical[VERSION]
        update = stack.send(stack.event("Update", VERSION, new, physical_id=physical, old=old))
        if update.status == "FAILED":
            stack.send(stack.event("Update", VERSION, old, physical_id=physical, old=new))
        stack.destroy()
    return finish(world, stack, expect="fails", reason_has="too few labels")


def cancelled_rollover(world: World) -> Verdict:
    """A stack delete during a rollover: the replacing update is cancelled while it trains, the rollback
    update returns to the serving version, then everything is deleted."""
    stack = Stack(world)
    if stack.deploy():
        old = stack.properties[VERSION]
        new = {**old, "VersionName": "Classifier-ba9876543210", "VersionDescription": "retrained"}
        physical = stack.physical[VERSION]
        stack.begin(stack.event("Update", VERSION, new, physical_id=physical, old=old), polls=2)
        stack.send(stack.event("Update", VERSION, old, physical_id=physical, old=new))
        stack.destroy()
    return finish(world, stack, expect="ok")


def create_never_answered(world: World) -> Verdict:
    """The first invocation dies after CreateProjectVersion and Lambda does not retry (retries used up):
    CloudFormation hears nothing, times out, and deletes an id of its own making."""
    world.cfn.lambda_retries = 0
    world.cloud.service.faults.interrupt_after("CreateProjectVersion", world.cfn.kill_running)
    stack = Stack(world)
    stack.create_version()
    world.cfn.lambda_retries = 2
    stack.destroy(phase=None)
    return finish(world, stack, expect="fails", unanswered_allowed=True)


def stack_deleted_while_training(world: World) -> Verdict:
    """A long training held by a wait condition: the stack is deleted while it trains."""
    stack = Stack(world, wait_seconds=43200)
    stack.create_version()
    stack.destroy(phase=None)
    return finish(world, stack, expect="ok")
