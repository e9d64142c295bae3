"""What CloudFormation keeps of a stack beyond its deployed resources, saved beside the engine's record.

A stack's ``Deployment`` (resources, outputs, the template as deployed) is the deploy engine's record in
the workspace; ``stacks/<name>/cloudformation.json`` adds what the API shows: the template as it was
sent, parameters, tags, capabilities, termination protection, change sets and events. A stack the
in-process deploy made has no such file and is described from its deployment alone.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ..deploy.deployment import Deployment
from ..state.workspace import Workspace
from .query import QueryError
from .templates import parse_template

RECORD_FILE = "cloudformation.json"
STACK_TYPE = "AWS::CloudFormation::Stack"


def in_progress(status: str) -> bool:
    """An operation runs (REVIEW_IN_PROGRESS waits for the user, not for us)."""
    return status.endswith("_IN_PROGRESS") and status != "REVIEW_IN_PROGRESS"


@dataclass
class ChangeSet:
    name: str
    id: str
    stack_id: str
    stack_name: str
    change_set_type: str  # CREATE or UPDATE
    template_body: str
    template: dict[str, Any]
    parameters: list[dict[str, str]]  # as DescribeChangeSet shows them
    resolved: dict[str, str]  # as the template sees them
    capabilities: list[str]
    tags: list[dict[str, str]]
    changes: list[dict[str, Any]]
    description: str | None = None
    role_arn: str | None = None
    status: str = "CREATE_COMPLETE"
    status_reason: str | None = None
    execution_status: str = "AVAILABLE"
    created: float = field(default_factory=time.time)


@dataclass
class Stack:
    name: str
    stack_id: str
    status: str
    created: float = field(default_factory=time.time)
    status_reason: str | None = None
    last_updated: float | None = None
    deleted: float | None = None
    template_body: str | None = None  # None: the in-process deploy's, described from its deployment
    parameters: list[dict[str, str]] = field(default_factory=list)
    capabilities: list[str] = field(default_factory=list)
    tags: list[dict[str, str]] = field(default_factory=list)
    description: str | None = None
    role_arn: str | None = None
    termination_protection: bool = False
    change_set_id: str | None = None  # the one last executed
    request_token: str | None = None  # the ClientRequestToken of the operation its events belong to
    events: list[dict[str, Any]] = field(default_factory=list)  # oldest first
    change_sets: dict[str, ChangeSet] = field(default_factory=dict)
    deployment: Deployment | None = None  # the engine's record; not part of this file

    @classmethod
    def from_deployment(cls, deployment: Deployment) -> Stack:
        parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in deployment.parameters.items()]
        declared = deployment.template.get("Parameters") or {}
        return cls(
            name=deployment.stack_name,
            stack_id=deployment.stack_id,
            status=deployment.status,
            created=deployment.created,
            parameters=[p for p in parameters if p["ParameterKey"] in declared],
            description=deployment.template.get("Description"),
            deployment=deployment,
        )

    @property
    def template_text(self) -> str:
        if self.template_body is not None:
            return self.template_body
        return json.dumps(self.deployment.template if self.deployment else {})

    def add_event(
        self,
        logical_id: str,
        resource_type: str,
        status: str,
        reason: str = "",
        physical_id: str = "",
    ) -> None:
        """An event of this stack; a stack-level one is also the stack's status."""
        is_stack = resource_type == STACK_TYPE and logical_id == self.name
        event: dict[str, Any] = {
            "StackId": self.stack_id,
            "EventId": str(uuid.uuid4()),
            "StackName": self.name,
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": self.stack_id if is_stack else physical_id,
            "ResourceType": resource_type,
            "Timestamp": time.time(),
            "ResourceStatus": status,
        }
        if reason:
            event["ResourceStatusReason"] = reason
        if self.request_token:
            event["ClientRequestToken"] = self.request_token
        self.events.append(event)
        if is_stack:
            self.status, self.status_reason = status, reason or None


def save(workspace: Workspace, stack: Stack) -> None:
    """Written atomically; the deployment is the workspace's own record."""
    folder = workspace.root / "stacks" / stack.name
    folder.mkdir(parents=True, exist_ok=True)
    data = asdict(stack)
    del data["deployment"]
    record = folder / RECORD_FILE
    partial = record.with_name(record.name + ".partial")
    partial.write_text(json.dumps(data, indent=1, sort_keys=True))
    os.replace(partial, record)


def load_all(workspace: Workspace) -> list[Stack]:
    """Every stack the workspace holds: those with a record, and those the in-process deploy made."""
    folder = workspace.root / "stacks"
    stacks = []
    for directory in sorted(folder.iterdir()) if folder.is_dir() else []:
        deployment = workspace.load(directory.name)
        record = directory / RECORD_FILE
        stack = _read(record, deployment) if record.is_file() else None
        if stack is None and deployment is not None:
            stack = Stack.from_deployment(deployment)
        if stack is not None:
            stacks.append(stack)
    return stacks


def _read(record: Path, deployment: Deployment | None) -> Stack | None:
    """The record, unless the in-process deploy has since deployed the stack anew (another stack id:
    the record is stale) or updated it (its template, status and parameters are the deployment's); a
    stack recorded in progress was interrupted."""
    data = json.loads(record.read_text())
    change_sets = {k: ChangeSet(**v) for k, v in data.pop("change_sets").items()}
    stack = Stack(**data, change_sets=change_sets, deployment=deployment)
    if deployment is not None and deployment.stack_id != stack.stack_id:
        return None
    if in_progress(stack.status):
        _end_interrupted(stack)
    elif deployment is not None:
        stack.status = deployment.status
        if _template(stack.template_body) != deployment.template:
            fresh = Stack.from_deployment(deployment)
            stack.template_body, stack.parameters = None, fresh.parameters
    return stack


def _end_interrupted(stack: Stack) -> None:
    """An operation the local cloud stopped in (killed, not stopped: a stop waits for it) never ends by
    itself: its stack is failed, so that it can be deleted, never left in progress."""
    failed = "DELETE_FAILED" if stack.status.startswith("DELETE") else "UPDATE_ROLLBACK_FAILED"
    if stack.status.startswith(("CREATE", "ROLLBACK")):
        failed = "ROLLBACK_FAILED"
    for change_set in stack.change_sets.values():
        if change_set.execution_status == "EXECUTE_IN_PROGRESS":
            change_set.execution_status = "EXECUTE_FAILED"
    reason = f"The local cloud stopped while the stack was in {stack.status}; what it did is unknown."
    stack.add_event(stack.name, STACK_TYPE, failed, reason)


def _template(body: str | None) -> Any:
    try:
        return parse_template(body) if body is not None else None
    except QueryError:
        return None
