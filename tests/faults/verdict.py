"""What a fault cell left behind, and what is wrong with it.

After every cell: each CloudFormation request that was not cancelled got exactly one accepted answer,
within its ServiceTimeout, a FAILED one with a readable Reason; no credential of a ResponseURL in any
log, Reason, Data or physical id; and once the stack is destroyed (retried once the fault is gone, as
a user would), no model version, running model, polling rule or Lambda permission is left.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from localcloud.deploy.scheduled_rules import lambda_permissions
from tests.provider_function import FUNCTION_NAME

from .stack import SERVICE_TIMEOUT, Request, World

READABLE_REASON_MAX = 1100  # the handler keeps 1000 characters and says it truncated


@dataclass
class Verdict:
    outcome: str
    left: str
    problems: list[str] = field(default_factory=list)


def inventory(world: World) -> list[str]:
    """Everything the cloud still holds of the stack: versions (with status), rules, permissions."""
    held = []
    try:
        described = world.rekognition.describe_project_versions(ProjectArn=world.project_arn)
        versions = described["ProjectVersionDescriptions"]
    except ClientError as error:
        if error.response["Error"]["Code"] != "ResourceNotFoundException":
            raise
        versions = []  # the project is gone, and its versions with it
    held += [f"version {v['ProjectVersionArn'].split('/')[3]} {v['Status']}" for v in versions]
    held += [f"rule {r['Name']}" for r in world.cloud.client("events").list_rules()["Rules"]]
    held += [
        f"permission {p['Sid']}" for p in lambda_permissions(world.cloud.client("lambda"), FUNCTION_NAME)
    ]
    return held


def check_requests(world: World, requests: list[Request], *, unanswered_allowed: bool) -> list[str]:
    problems = []
    secrets = world.responses.secret_fragments
    for request in requests:
        if request.cancelled:
            continue
        name = f"{request.label} ({request.event['RequestId'][:8]})"
        accepted = [r for r in world.responses.responses(request.event["RequestId"]) if not r.failed]
        if request.outcome is None:
            if not unanswered_allowed:
                problems.append(f"{name}: never answered")
            continue
        if len(accepted) != 1:
            problems.append(f"{name}: {len(accepted)} accepted answers")
        if request.waited > SERVICE_TIMEOUT:
            problems.append(f"{name}: answered after {request.waited:.0f} s, past ServiceTimeout")
        if request.status == "FAILED":
            problems += reason_problems(name, request.outcome.reason)
        answers = "".join(r.raw.decode(errors="replace") for r in accepted)
        if any(secret in answers for secret in secrets):
            problems.append(f"{name}: a ResponseURL credential in its answer")
    return problems


def leaks(world: World) -> list[str]:
    """Any ResponseURL credential in what the provider wrote (every invocation's output, the cancelled
    and the drained ones too) or in a watcher's schedule (polls must carry the URL to answer; the
    watcher never answers CloudFormation, so its input must not)."""
    secrets = world.responses.secret_fragments
    problems = []
    output = "".join(i.stdout + i.stderr for i in world.cfn.history)
    if any(secret in output for secret in secrets):
        problems.append("a ResponseURL credential in the provider's output")
    watchers = [json.dumps(t) for t in world.watcher_inputs]
    if any(secret in text for text in watchers for secret in secrets):
        problems.append("a ResponseURL credential in a watcher's schedule")
    return problems


def reason_problems(name: str, reason: str) -> list[str]:
    if not reason.strip():
        return [f"{name}: FAILED without a Reason"]
    if "Traceback" in reason or len(reason) > READABLE_REASON_MAX:
        return [f"{name}: unreadable Reason {reason[:80]!r}"]
    return []


def outcome_of(requests: list[Request]) -> str:
    """The requests in a few words: "Create version SUCCESS, ..." with the first FAILED Reason."""
    parts = [f"{r.label} {r.status}" for r in requests]
    failed = next((r for r in requests if r.status == "FAILED" and r.outcome), None)
    text = ", ".join(parts)
    if failed is not None and failed.outcome is not None:
        text += f' ("{failed.outcome.reason[:90]}")'
    return text


def describe(held: list[str]) -> str:
    return "; ".join(held) if held else "nothing"
