"""The CloudFormation operations the CDK CLI and the AWS CLI use, answered from the local deploy engine.

Stacks are the workspace's (the same records ``python -m localcloud deploy`` keeps); a change set is
computed when created, and executing it (or deleting a stack) runs the engine in the background while
the stack moves through CloudFormation's statuses, every engine event kept for DescribeStackEvents.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from ..deploy.assembly import StackArtifact
from ..deploy.deployment import DeployFailed, Deployment
from ..deploy.engine import Engine
from ..deploy.intrinsics import Pseudo
from ..deploy.stack_events import StackEvent
from ..state.workspace import Workspace
from . import records
from .changes import compute_changes
from .checks import check_capabilities, check_rules, check_types
from .descriptions import (
    change_set_description,
    change_set_summary,
    stack_description,
    stack_resources,
    stack_summary,
)
from .errors import modelled, no_change_set, no_stack, validation
from .query import QueryError
from .records import STACK_TYPE, ChangeSet, Stack, in_progress
from .templates import parse_template, resolve_parameters, template_text

LOG = logging.getLogger(__name__)
NO_CHANGES = (
    "The submitted information didn't contain changes. Submit different information to create a change set."
)
_PAGE = 100
_NOT_UPDATABLE = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "DELETE_FAILED"})  # delete them first

Operation = Callable[[dict[str, Any]], dict[str, Any]]


def _page(items: list[Any], token: str | None) -> tuple[list[Any], str | None]:
    start = int(token) if token and token.isdigit() else 0
    end = start + _PAGE
    return items[start:end], (str(end) if end < len(items) else None)


class CloudFormationApi:
    """``handle(action, params)`` answers one call; ``wait_idle`` waits for operations in flight."""

    def __init__(self, engine: Engine, workspace: Workspace) -> None:
        self.engine = engine
        self.workspace = workspace
        self.account, self.region = engine.account, engine.region
        self._lock = threading.RLock()
        self._stacks = {stack.name: stack for stack in records.load_all(workspace)}
        self._deleted: dict[str, Stack] = {}  # by stack id: DescribeStacks still answers for them
        self._operations: set[threading.Thread] = set()
        self.operations: dict[str, Operation] = {
            "CreateChangeSet": self.create_change_set,
            "DescribeChangeSet": self.describe_change_set,
            "ExecuteChangeSet": self.execute_change_set,
            "DeleteChangeSet": self.delete_change_set,
            "ListChangeSets": self.list_change_sets,
            "DescribeStacks": self.describe_stacks,
            "ListStacks": self.list_stacks,
            "GetTemplate": self.get_template,
            "DescribeStackEvents": self.describe_stack_events,
            "ListStackResources": self.list_stack_resources,
            "DescribeStackResources": self.describe_stack_resources,
            "DeleteStack": self.delete_stack,
            "UpdateTerminationProtection": self.update_termination_protection,
            "CreateStack": self.create_stack,
            "UpdateStack": self.update_stack,
        }

    def handle(self, action: str, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            return self.operations[action](params)

    # -- the engine's side ------------------------------------------------------------------------

    def record_event(self, event: StackEvent) -> None:
        """Every engine event, kept on the live stack of that name (the in-process deploy has none)."""
        with self._lock:
            stack = self._stacks.get(event.stack_name)
            if stack is not None and stack.status != "DELETE_COMPLETE":
                stack.add_event(  # stamped now, under the lock: recorded order is chronological order
                    event.logical_id, event.resource_type, event.status, event.reason, event.physical_id
                )

    def published(self, deployment: Deployment) -> None:
        """The deployment whose outputs are the stack's: an update's before its cleanup
        (UPDATE_COMPLETE_CLEANUP_IN_PROGRESS), a create's before its CREATE_COMPLETE."""
        with self._lock:
            self.workspace.save(deployment)
            stack = self._stacks.get(deployment.stack_name)
            if stack is not None:
                stack.deployment = deployment

    def in_flight(self) -> int:
        return len(self._operations)

    def wait_idle(self) -> None:
        for thread in list(self._operations):
            thread.join()

    # -- look-ups -----------------------------------------------------------------------------------

    def _stack(self, name_or_id: str, *, deleted: bool = False) -> Stack:
        for stack in self._stacks.values():
            if name_or_id in (stack.name, stack.stack_id):
                return stack
        if deleted and name_or_id in self._deleted:
            return self._deleted[name_or_id]
        raise no_stack(name_or_id)

    def _change_set(self, params: Mapping[str, Any]) -> tuple[Stack, ChangeSet]:
        name = str(params.get("ChangeSetName", ""))
        stack_name = params.get("StackName")
        if not stack_name and not name.startswith("arn:"):
            raise validation("StackName must be specified if ChangeSetName is not specified as an ARN.")
        for stack in self._stacks.values():
            if stack_name and stack_name not in (stack.name, stack.stack_id):
                continue
            for change_set in stack.change_sets.values():
                if name in (change_set.name, change_set.id):
                    return stack, change_set
        raise no_change_set(name)

    def _arn(self, kind: str, name: str) -> str:
        return f"arn:aws:cloudformation:{self.region}:{self.account}:{kind}/{name}/{uuid.uuid4()}"

    # -- change sets --------------------------------------------------------------------------------

    def create_stack(self, params: dict[str, Any]) -> dict[str, Any]:
        """A change set made and executed at once, without the REVIEW_IN_PROGRESS step."""
        made = self.create_change_set(
            {**params, "ChangeSetName": f"create-stack-{uuid.uuid4()}", "ChangeSetType": "CREATE"},
            review=False,
        )
        stack = self._stack(made["StackId"])
        stack.termination_protection = bool(params.get("EnableTerminationProtection"))
        self.execute_change_set(
            {"ChangeSetName": made["Id"], "ClientRequestToken": params.get("ClientRequestToken")}
        )
        return {"StackId": made["StackId"]}

    def update_stack(self, params: dict[str, Any]) -> dict[str, Any]:
        made = self.create_change_set(
            {**params, "ChangeSetName": f"update-stack-{uuid.uuid4()}", "ChangeSetType": "UPDATE"}
        )
        stack, change_set = self._change_set({"ChangeSetName": made["Id"]})
        if change_set.status == "FAILED":
            del stack.change_sets[change_set.id]
            raise validation("No updates are to be performed.")
        self.execute_change_set(
            {"ChangeSetName": made["Id"], "ClientRequestToken": params.get("ClientRequestToken")}
        )
        return {"StackId": made["StackId"]}

    def create_change_set(self, params: dict[str, Any], *, review: bool = True) -> dict[str, Any]:
        name, kind = str(params["StackName"]), str(params.get("ChangeSetType") or "UPDATE")
        change_set_name = str(params["ChangeSetName"])
        existing = self._stacks.get(name)
        if kind == "IMPORT":
            raise validation("The local cloud does not import resources (ChangeSetType IMPORT).")
        if kind == "CREATE" and existing is not None and existing.status != "REVIEW_IN_PROGRESS":
            raise modelled("AlreadyExistsException", f"Stack [{name}] already exists")
        if kind == "UPDATE" and (existing is None or existing.status == "REVIEW_IN_PROGRESS"):
            raise validation(f"Stack [{name}] does not exist")
        if existing is not None and (in_progress(existing.status) or existing.status in _NOT_UPDATABLE):
            raise validation(
                f"Stack:{existing.stack_id} is in {existing.status} state and can not be updated."
            )
        if existing is not None and change_set_name in {c.name for c in existing.change_sets.values()}:
            raise modelled("AlreadyExistsException", f"ChangeSet {change_set_name} already exists")
        deployed = existing.deployment if existing is not None else None
        previous_body = existing.template_text if existing is not None and deployed is not None else None
        body = template_text(params, self.engine.cloud.client("s3", region=self.region), previous_body)
        template = parse_template(body)
        check_types(template)
        check_capabilities(template, params.get("Capabilities") or [])
        previous = {p["ParameterKey"]: p["ParameterValue"] for p in (existing.parameters if existing else [])}
        parameters = resolve_parameters(
            template,
            params.get("Parameters") or [],
            previous,
            self.engine.cloud.client("ssm", region=self.region),
        )
        stack_id = existing.stack_id if existing is not None else self._arn("stack", name)
        pseudo = Pseudo(account=self.account, region=self.region, stack_name=name, stack_id=stack_id)
        check_rules(template, parameters.resolved, pseudo)
        stack = existing
        if stack is None:  # only a change set that is made makes its stack
            stack = Stack(name=name, stack_id=stack_id, status="REVIEW_IN_PROGRESS")
            if review:
                stack.add_event(name, STACK_TYPE, "REVIEW_IN_PROGRESS", "User Initiated")
            self._stacks[name] = stack
        tags = [{"Key": str(t["Key"]), "Value": str(t["Value"])} for t in params.get("Tags") or []]
        change_set = ChangeSet(
            name=change_set_name,
            id=self._arn("changeSet", change_set_name),
            stack_id=stack.stack_id,
            stack_name=name,
            change_set_type=kind,
            template_body=body,
            template=template,
            parameters=parameters.declared,
            resolved=parameters.resolved,
            capabilities=[str(c) for c in params.get("Capabilities") or []],
            tags=tags,
            changes=compute_changes(
                deployed.template if deployed else None,
                template,
                {lid: r.physical_id for lid, r in (deployed.resources if deployed else {}).items()},
                changed_parameters={
                    key
                    for key, value in parameters.resolved.items()
                    if deployed is not None and deployed.parameters.get(key) != value
                },
                stack_tags_changed=deployed is not None and tags != stack.tags,
            ),
            description=params.get("Description"),
            role_arn=params.get("RoleARN"),
        )
        unchanged = (
            deployed is not None
            and template == deployed.template
            and parameters.resolved == deployed.parameters
            and tags == stack.tags
        )
        if unchanged:
            change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
            change_set.status_reason = NO_CHANGES
        stack.change_sets[change_set.id] = change_set
        records.save(self.workspace, stack)
        return {"Id": change_set.id, "StackId": stack.stack_id}

    def describe_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        stack, change_set = self._change_set(params)
        changes, token = _page(change_set.changes, params.get("NextToken"))
        return {**change_set_description(stack, change_set), "Changes": changes, "NextToken": token}

    def list_change_sets(self, params: dict[str, Any]) -> dict[str, Any]:
        stack = self._stack(str(params["StackName"]))
        summaries = [change_set_summary(stack, c) for c in stack.change_sets.values()]
        page, token = _page(summaries, params.get("NextToken"))
        return {"Summaries": page, "NextToken": token}

    def delete_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        """A change set of an existing stack that is not there is already deleted (the CDK CLI relies on
        this: it deletes its change set by name before every deploy)."""
        try:
            stack, change_set = self._change_set(params)
        except QueryError as error:
            if error.code != "ChangeSetNotFound" or not params.get("StackName"):
                raise
            self._stack(str(params["StackName"]))
            return {}
        if change_set.execution_status == "EXECUTE_IN_PROGRESS":
            raise modelled(
                "InvalidChangeSetStatusException",
                f"Cannot delete ChangeSet in status {change_set.execution_status}",
            )
        del stack.change_sets[change_set.id]
        records.save(self.workspace, stack)
        return {}

    def execute_change_set(self, params: dict[str, Any]) -> dict[str, Any]:
        stack, change_set = self._change_set(params)
        if change_set.execution_status != "AVAILABLE":
            raise modelled(
                "InvalidChangeSetStatusException",
                f"ChangeSet [{change_set.id}] cannot be executed in its current execution status of "
                f"[{change_set.execution_status}]",
            )
        if in_progress(stack.status):
            raise validation(f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated.")
        change_set.execution_status = "EXECUTE_IN_PROGRESS"
        stack.status = "CREATE_IN_PROGRESS" if stack.deployment is None else "UPDATE_IN_PROGRESS"  # its event
        stack.request_token = params.get("ClientRequestToken")
        before = _described(stack)
        _describe(
            stack,
            {
                "template_body": change_set.template_body,
                "parameters": change_set.parameters,
                "capabilities": change_set.capabilities,
                "tags": change_set.tags,
                "description": change_set.template.get("Description"),  # not the change set's own
                "role_arn": change_set.role_arn,
                "change_set_id": change_set.id,
            },
        )
        records.save(self.workspace, stack)
        self._start(lambda: self._execute(stack, change_set, before))
        return {}

    def _execute(self, stack: Stack, change_set: ChangeSet, before: dict[str, Any]) -> None:
        """Deploy the change set; a failure puts back what the stack was described with before it."""
        artifact = StackArtifact(stack.name, stack.name, change_set.template, None)
        previous = stack.deployment
        try:
            deployment = self.engine.deploy(
                artifact,
                previous,
                parameters=change_set.resolved,
                stack_id=stack.stack_id,
                tags={tag["Key"]: tag["Value"] for tag in change_set.tags},
            )
        except DeployFailed as failure:
            with self._lock:
                change_set.execution_status = "EXECUTE_FAILED"
                _describe(stack, before)
                self._settle_failure(stack, failure.remaining)
            return
        except Exception as error:  # a fault of the local cloud: the stack must not stay in progress
            LOG.exception("executing %s failed", change_set.name)
            with self._lock:
                change_set.execution_status = "EXECUTE_FAILED"
                _describe(stack, before)
                stack.add_event(
                    stack.name,
                    STACK_TYPE,
                    f"{'UPDATE_ROLLBACK' if previous else 'ROLLBACK'}_FAILED",
                    f"Internal error of the local cloud: {error!r}",
                )
                records.save(self.workspace, stack)
            return
        with self._lock:
            stack.deployment = self.workspace.save(deployment)
            if previous is not None:
                stack.last_updated = time.time()
            stack.change_sets.clear()  # executing a change set deletes the stack's change sets
            records.save(self.workspace, stack)

    def _settle_failure(self, stack: Stack, remaining: Deployment | None) -> None:
        if remaining is None:  # a create rolled back: the stack stays, empty, in ROLLBACK_COMPLETE
            self.workspace.forget_deployment(stack.name)
        else:
            self.workspace.save(remaining)
        stack.deployment = remaining
        stack.change_sets.clear()
        records.save(self.workspace, stack)

    def _start(self, work: Callable[[], None]) -> None:
        def run() -> None:
            try:
                work()
            finally:
                self._operations.discard(thread)

        thread = threading.Thread(target=run, name="cloudformation-operation", daemon=True)
        self._operations.add(thread)
        thread.start()

    # -- stacks ---------------------------------------------------------------------------------------

    def describe_stacks(self, params: dict[str, Any]) -> dict[str, Any]:
        name = params.get("StackName")
        stacks = [self._stack(str(name), deleted=True)] if name else list(self._stacks.values())
        page, token = _page([stack_description(s) for s in stacks], params.get("NextToken"))
        return {"Stacks": page, "NextToken": token}

    def list_stacks(self, params: dict[str, Any]) -> dict[str, Any]:
        wanted = set(params.get("StackStatusFilter") or [])
        stacks = [*self._stacks.values(), *self._deleted.values()]
        summaries = [stack_summary(s) for s in stacks if not wanted or s.status in wanted]
        page, token = _page(summaries, params.get("NextToken"))
        return {"StackSummaries": page, "NextToken": token}

    def get_template(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("ChangeSetName"):
            _, change_set = self._change_set(params)
            body = change_set.template_body
        else:
            body = self._stack(str(params.get("StackName", "")), deleted=True).template_text
        return {"TemplateBody": body, "StagesAvailable": ["Original", "Processed"]}

    def describe_stack_events(self, params: dict[str, Any]) -> dict[str, Any]:
        name = str(params.get("StackName", ""))
        try:
            stack = self._stack(name, deleted=True)
        except QueryError as error:  # this operation words it so (the CDK CLI tolerates it after a destroy)
            raise validation(f"Stack [{name}] does not exist") from error
        page, token = _page(list(reversed(stack.events)), params.get("NextToken"))
        return {"StackEvents": page, "NextToken": token}

    def list_stack_resources(self, params: dict[str, Any]) -> dict[str, Any]:
        stack = self._stack(str(params["StackName"]))
        summaries = [
            {**{k: v for k, v in r.items() if k != "Timestamp"}, "LastUpdatedTimestamp": r["Timestamp"]}
            for r in stack_resources(stack)
        ]
        page, token = _page(summaries, params.get("NextToken"))
        return {"StackResourceSummaries": page, "NextToken": token}

    def describe_stack_resources(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("StackName"):
            raise validation("StackName must be specified (PhysicalResourceId alone is not supported).")
        stack = self._stack(str(params["StackName"]), deleted=True)
        wanted = params.get("LogicalResourceId")
        return {
            "StackResources": [
                {**r, "StackName": stack.name, "StackId": stack.stack_id}
                for r in stack_resources(stack)
                if not wanted or r["LogicalResourceId"] == wanted
            ]
        }

    def update_termination_protection(self, params: dict[str, Any]) -> dict[str, Any]:
        stack = self._stack(str(params["StackName"]))
        stack.termination_protection = bool(params["EnableTerminationProtection"])
        records.save(self.workspace, stack)
        return {"StackId": stack.stack_id}

    def delete_stack(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            stack = self._stack(str(params["StackName"]))
        except QueryError:
            return {}  # deleting a stack that does not exist succeeds
        if stack.termination_protection:
            raise validation(f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled")
        if stack.status == "DELETE_IN_PROGRESS":
            return {}
        if in_progress(stack.status):
            raise validation(f"Stack [{stack.name}] is in {stack.status} state and can not be deleted.")
        stack.request_token = params.get("ClientRequestToken")
        if stack.deployment is None:
            stack.add_event(stack.name, STACK_TYPE, "DELETE_IN_PROGRESS", "User Initiated")
        else:
            stack.status = "DELETE_IN_PROGRESS"  # the engine's first event says so too
        records.save(self.workspace, stack)
        self._start(lambda: self._delete(stack))
        return {}

    def _delete(self, stack: Stack) -> None:
        if stack.deployment is not None:
            try:
                self.engine.destroy(stack.deployment)
            except DeployFailed as failure:
                with self._lock:
                    self.workspace.save(stack.deployment)
                    if stack.status != "DELETE_FAILED":
                        stack.add_event(stack.name, STACK_TYPE, "DELETE_FAILED", str(failure))
                    records.save(self.workspace, stack)
                return
        with self._lock:
            if stack.status != "DELETE_COMPLETE":
                stack.add_event(stack.name, STACK_TYPE, "DELETE_COMPLETE")
            stack.deleted, stack.deployment = time.time(), None
            stack.change_sets.clear()
            self._stacks.pop(stack.name, None)
            self._deleted[stack.stack_id] = stack
            self.workspace.forget(stack.name)


# What DescribeStacks and GetTemplate show of a stack besides its status and outputs. An executed change
# set sets them as its operation begins (CloudFormation describes an update's new parameters and tags
# while it runs, and at its UPDATE_COMPLETE); a failed operation puts the previous ones back.
_DESCRIBED = (
    "template_body",
    "parameters",
    "capabilities",
    "tags",
    "description",
    "role_arn",
    "change_set_id",
)


def _described(stack: Stack) -> dict[str, Any]:
    return {name: getattr(stack, name) for name in _DESCRIBED}


def _describe(stack: Stack, described: dict[str, Any]) -> None:
    for name, value in described.items():
        setattr(stack, name, value)
