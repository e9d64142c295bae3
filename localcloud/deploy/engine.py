"""Deploy, update and destroy a synthesized stack in the local cloud, in CloudFormation's order.

Resources are created concurrently, each once what it depends on is complete, and deleted in reverse
(``concurrency``); ordinary types go to moto and the Rekognition emulator through ``provisioners``;
custom resources run their provider Lambda (``providers``) through CloudFormation's protocol. A
failure rolls back the way CloudFormation does, and every step is printed as a CloudFormation-style
event, one line each, in the order they happen.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..gateway.server import LocalCloud
from ..gateway.signals import SignalError
from .assembly import StackArtifact
from .builtins import BUILTINS
from .concurrency import DEFAULT_WORKERS, reverse, run_graph
from .custom_resources.providers import Providers
from .custom_resources.response_url import ResponseServer
from .custom_resources.runner import (
    CustomResourceFailed,
    made_up_id,
)
from .deployment import DeployFailed, Deployment, Resource, StackContext
from .intrinsics import Pseudo, Resolver, TemplateError, dependencies, dependency_order
from .progress import Progress
from .provisioners import Provisioned, ProvisionError, provisioner_for, with_stack_tags
from .stack_events import Printer
from .wait_conditions import wait_condition

CUSTOM = "AWS::CloudFormation::CustomResource"
WAIT_CONDITION = "AWS::CloudFormation::WaitCondition"
Journal = list[tuple[str, "Resource | None", "Resource"]]  # (kind, before, after) in completion order


def is_custom(resource_type: str) -> bool:
    return resource_type.startswith("Custom::") or resource_type == CUSTOM


def provisionable(resource_type: str) -> bool:
    """Whether the engine makes resources of this type (CreateChangeSet refuses the others up front)."""
    return (
        is_custom(resource_type)
        or resource_type == WAIT_CONDITION
        or resource_type in BUILTINS
        or provisioner_for(resource_type) is not None
    )


class Engine:
    def __init__(
        self,
        cloud: LocalCloud,
        responses: ResponseServer,
        *,
        cert_file: Path,
        printer: Printer | None = None,
        region: str = "us-east-1",
        show_progress: bool = True,
        workers: int = DEFAULT_WORKERS,
        published: Callable[[Deployment], object] = lambda _: None,
    ) -> None:
        self.cloud = cloud
        self.responses = responses
        self.cert_file = cert_file
        self.printer = printer or Printer()
        self.region = region
        self.workers = workers
        # told when outputs are the stack's: before an update's cleanup, at a create's end
        self.published = published
        self.account = cloud.service.account
        self._lock = threading.RLock()  # deployments and journals, shared by concurrent operations
        self._in_flight: dict[str, Mapping[str, Any]] = {}
        # Stacks whose create/update failed, with the failure that began it: their in-flight requests stop
        self._failing: dict[str, DeployFailed] = {}
        self.invocations: Counter[str] = Counter()  # provider invocations by kind (Create, Poll, ...)
        self.progress_lines = Progress(
            self.printer, lambda: self._client("rekognition"), cloud.service.clock, enabled=show_progress
        )
        self.providers = Providers(
            cloud=cloud,
            responses=responses,
            cert_file=cert_file,
            region=region,
            progress=self.progress,
            watched=self.progress_lines.watched,
            counts=self.invocations,
            cancelled=lambda stack_id: stack_id in self._failing,
            lock=self._lock,
        )

    # -- entry points -------------------------------------------------------------------------------

    def deploy(
        self,
        stack: StackArtifact,
        previous: Deployment | None = None,
        *,
        parameters: Mapping[str, str] | None = None,
        stack_id: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> Deployment:
        """Create the stack, or update ``previous`` to this template.

        ``parameters`` are the values the template's parameters resolve to (SSM-typed ones resolved
        already); the in-process deploy passes none and stands in for a bootstrapped account. ``tags``
        are the stack's, which every resource that takes tags gets too.
        """
        stack_id = previous.stack_id if previous else stack_id or self._stack_id(stack.stack_name)
        deployment = Deployment(stack.stack_name, stack_id, stack.template, stack.assembly_dir)
        if parameters is not None:
            deployment.parameters = dict(parameters)
        deployment.tags = dict(tags or {})
        if previous:
            deployment.created = previous.created
        verb = "UPDATE" if previous else "CREATE"
        self.cloud.signals.open_stack(stack.stack_name, stack_id)
        self._stack_event(stack, f"{verb}_IN_PROGRESS", "User Initiated")
        resolver = self._resolver(stack, deployment)
        failed_rules = resolver.check_rules()
        if failed_rules:
            self._stack_event(stack, f"{verb}_FAILED", "; ".join(failed_rules))
            raise DeployFailed("; ".join(failed_rules), previous)
        journal: Journal = []
        code = (deployment, previous) if previous is not None else (deployment,)
        with self.providers.schedules(code):
            failure = run_graph(
                dependency_order(stack.template),
                dependencies(stack.template),
                self._working(
                    lambda logical_id: self._apply(stack, deployment, previous, logical_id, journal)
                ),
                workers=self.workers,
            )
        first = self._failing.pop(stack_id, None)
        if failure is not None:
            if not isinstance(failure, DeployFailed):
                raise failure
            failure = first or failure  # the failure that cancelled the others, whichever ended first
            with self.providers.schedules(code):
                failure.remaining = self._roll_back(stack, deployment, previous, journal, verb)
            if failure.remaining is None:  # a create rolled back: the stack is gone
                self.cloud.signals.close_stack(stack.stack_name)
            raise failure
        deployment.outputs = {
            name: self._resolver(stack, deployment).resolve(output["Value"])
            for name, output in stack.template.get("Outputs", {}).items()
        }
        if previous:  # the new outputs are the stack's while the replaced resources are deleted
            deployment.status = "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"
            self._stack_event(stack, deployment.status)
            self.published(deployment)
            replaced = [before for kind, before, _ in journal if kind == "replaced" and before is not None]
            removed = [r for lid, r in previous.resources.items() if lid not in deployment.resources]
            self._delete_all(stack, previous.template, [*replaced, *removed], (deployment, previous))
        else:  # a create's outputs are the stack's as it completes
            self.published(deployment)
        deployment.status = f"{verb}_COMPLETE"
        self._stack_event(stack, deployment.status)
        return deployment

    def destroy(self, deployment: Deployment) -> None:
        """Delete in reverse dependency order; a failure leaves the undeleted resources in ``deployment``."""
        stack = deployment.artifact()
        self._stack_event(stack, "DELETE_IN_PROGRESS", "User Initiated")
        try:
            resources = list(deployment.resources.values())
            with self.providers.schedules((deployment,)):
                self._delete_all(stack, deployment.template, resources, (deployment,), record=deployment)
        except DeployFailed as failure:
            deployment.status = "DELETE_FAILED"
            self._stack_event(stack, deployment.status, str(failure))
            failure.remaining = deployment
            raise
        deployment.status = "DELETE_COMPLETE"
        self.cloud.signals.close_stack(stack.stack_name)
        self._stack_event(stack, deployment.status)

    def _delete_all(
        self,
        stack: StackArtifact,
        template: dict[str, Any],
        resources: list[Resource],
        code: tuple[Deployment, ...],
        *,
        record: Deployment | None = None,
    ) -> None:
        """Delete ``resources`` of ``template`` concurrently, each after those that depend on it; each one
        deleted leaves ``record`` at once, so a failure leaves there exactly what is still there."""
        by_id = {r.logical_id: r for r in resources}

        def delete(logical_id: str) -> None:
            self._delete(stack, by_id[logical_id], *code)
            if record is not None:
                with self._lock:
                    del record.resources[logical_id]

        order = [lid for lid in reversed(dependency_order(template)) if lid in by_id]
        order += [lid for lid in by_id if lid not in order]
        failure = run_graph(
            order, reverse(dependencies(template)), self._working(delete), workers=self.workers
        )
        if failure is not None:
            raise failure

    # -- steps --------------------------------------------------------------------------------------

    def _apply(
        self,
        stack: StackArtifact,
        deployment: Deployment,
        previous: Deployment | None,
        logical_id: str,
        journal: Journal,
    ) -> None:
        definition = stack.template["Resources"][logical_id]
        resolver = self._resolver(stack, deployment)
        if "Condition" in definition and not resolver.condition(definition["Condition"]):
            return
        resource_type = definition["Type"]
        before = previous.resources.get(logical_id) if previous else None
        try:
            properties = with_stack_tags(
                resource_type, resolver.resolve(definition.get("Properties", {})), deployment.tags
            )
        except TemplateError as error:
            self._resource_event(stack, logical_id, resource_type, "CREATE_FAILED", str(error))
            raise DeployFailed(f"{logical_id}: {error}") from error
        policy = str(definition.get("DeletionPolicy", "Delete"))
        if before is not None and before.type == resource_type and before.properties == properties:
            with self._lock:
                deployment.resources[logical_id] = before
            return
        verb = "UPDATE" if before is not None else "CREATE"
        self._resource_event(stack, logical_id, resource_type, f"{verb}_IN_PROGRESS")
        try:
            after, kind = self._provision(
                stack, deployment, logical_id, resource_type, properties, before, definition
            )
        except (ProvisionError, CustomResourceFailed, TemplateError) as error:
            physical = getattr(error, "physical_id", None)
            if verb == "CREATE" and not physical and is_custom(resource_type):
                physical = made_up_id(
                    stack.stack_name, logical_id
                )  # CloudFormation's, for a Create unanswered
            failed_step = DeployFailed(f"{logical_id}: {error}")
            with self._lock:
                self._failing.setdefault(deployment.stack_id, failed_step)
                if verb == "CREATE" and physical:  # CloudFormation deletes what a failed create reported
                    failed = Resource(logical_id, resource_type, str(physical), {}, properties, policy)
                    journal.append(("created", None, failed))
                elif before is not None and is_custom(resource_type):
                    journal.append(("failed-update", before, before))
            self._resource_event(
                stack,
                logical_id,
                resource_type,
                f"{verb}_FAILED",
                str(error),
                physical_id=str(physical or ""),
            )
            raise failed_step from error
        after.deletion_policy = policy
        with self._lock:
            deployment.resources[logical_id] = after
            journal.append((kind, before, after))
        self._resource_event(
            stack, logical_id, resource_type, f"{verb}_COMPLETE", physical_id=after.physical_id
        )

    def _provision(
        self,
        stack: StackArtifact,
        deployment: Deployment,
        logical_id: str,
        resource_type: str,
        properties: dict[str, Any],
        before: Resource | None,
        definition: dict[str, Any],
    ) -> tuple[Resource, str]:
        if resource_type == WAIT_CONDITION:
            if before is not None:
                raise ProvisionError(
                    f"{WAIT_CONDITION} does not support updates: give the new wait a new logical id"
                )
            return self._wait_for_signals(stack, deployment, logical_id, properties, definition), "created"
        if resource_type in BUILTINS:
            BUILTINS[resource_type]("Create" if before is None else "Update", properties, self._client)
            physical = before.physical_id if before else f"{stack.stack_name}-{logical_id}-local"
            return Resource(
                logical_id, resource_type, physical, {}, properties
            ), "updated" if before else "created"
        if is_custom(resource_type):
            runner, function = self.providers.find(properties, deployment)
            self._in_flight[logical_id] = properties
            if before is None:
                answer = runner.request(function, "Create", logical_id, resource_type, properties)
                kind = "created"
            else:
                answer = runner.request(
                    function,
                    "Update",
                    logical_id,
                    resource_type,
                    properties,
                    physical_id=before.physical_id,
                    old_properties=before.properties,
                )
                kind = "replaced" if answer.physical_id != before.physical_id else "updated"
            return Resource(logical_id, resource_type, answer.physical_id, answer.data, properties), kind
        provisioner = provisioner_for(resource_type)
        if provisioner is None:
            raise ProvisionError(f"{resource_type} is not supported by the local cloud")
        context = StackContext(self.cloud, stack, self.account, self.region)
        if before is None:
            made: Provisioned = provisioner.create(context, logical_id, properties)
            kind = "created"
        elif before.type != resource_type or provisioner.needs_replacement(before.properties, properties):
            made = provisioner.create(context, logical_id, properties)
            kind = "replaced"
        else:
            made = provisioner.update(context, logical_id, before.physical_id, before.properties, properties)
            kind = "updated"
        return Resource(logical_id, resource_type, made.physical_id, made.attributes, properties), kind

    def _wait_for_signals(
        self,
        stack: StackArtifact,
        deployment: Deployment,
        logical_id: str,
        properties: dict[str, Any],
        definition: dict[str, Any],
    ) -> Resource:
        """A WaitCondition with a CreationPolicy: complete on its signals (timeouts on the local clock)."""
        try:
            attributes = wait_condition(
                self.cloud.signals,
                stack.stack_name,
                logical_id,
                properties,
                definition,
                on_signal=lambda reason: self._resource_event(
                    stack, logical_id, WAIT_CONDITION, "CREATE_IN_PROGRESS", reason
                ),
            )
        except SignalError as error:
            raise ProvisionError(str(error)) from error
        physical = f"{deployment.stack_id}/{logical_id}"
        return Resource(logical_id, WAIT_CONDITION, physical, attributes, properties)

    def _delete(self, stack: StackArtifact, resource: Resource, *deployments: Deployment) -> None:
        """``deployments`` hold the functions of custom resources, searched in this order."""
        if resource.deletion_policy == "Retain":
            self._resource_event(
                stack, resource.logical_id, resource.type, "DELETE_SKIPPED", physical_id=resource.physical_id
            )
            return
        self._resource_event(
            stack, resource.logical_id, resource.type, "DELETE_IN_PROGRESS", physical_id=resource.physical_id
        )
        try:
            if resource.type in BUILTINS:
                BUILTINS[resource.type]("Delete", resource.properties, self._client)
            elif is_custom(resource.type):
                runner, function = self.providers.find(resource.properties, *deployments)
                self._in_flight[resource.logical_id] = resource.properties
                runner.request(
                    function,
                    "Delete",
                    resource.logical_id,
                    resource.type,
                    resource.properties,
                    physical_id=resource.physical_id,
                )
            else:
                provisioner = provisioner_for(resource.type)
                if provisioner is not None:
                    context = StackContext(self.cloud, stack, self.account, self.region)
                    provisioner.delete(context, resource.physical_id, resource.properties)
        except (ProvisionError, CustomResourceFailed) as error:
            self._resource_event(
                stack,
                resource.logical_id,
                resource.type,
                "DELETE_FAILED",
                str(error),
                physical_id=resource.physical_id,
            )
            raise DeployFailed(f"{resource.logical_id}: {error}") from error
        self._resource_event(
            stack, resource.logical_id, resource.type, "DELETE_COMPLETE", physical_id=resource.physical_id
        )

    def _roll_back(
        self,
        stack: StackArtifact,
        deployment: Deployment,
        previous: Deployment | None,
        journal: list[tuple[str, Resource | None, Resource]],
        verb: str,
    ) -> Deployment | None:
        """Undo in reverse: delete what was created, put updated resources back to their old state.

        Returns what is deployed afterwards: ``previous`` (None after a create) when the rollback
        completes, else ``deployment`` holding every resource the rollback could not undo.
        """
        prefix = "ROLLBACK" if verb == "CREATE" else "UPDATE_ROLLBACK"
        self._stack_event(stack, f"{prefix}_IN_PROGRESS")
        with self._lock:
            if previous is not None:
                for logical_id, resource in previous.resources.items():
                    deployment.resources.setdefault(logical_id, resource)
            entries = {after.logical_id: (kind, before, after) for kind, before, after in journal}
        code = (deployment, previous) if previous is not None else (deployment,)

        def undo(logical_id: str) -> None:
            kind, before, after = entries[logical_id]
            if kind == "created":
                with self._lock:
                    deployment.resources[logical_id] = after
                self._delete(stack, after, *code)
                with self._lock:
                    del deployment.resources[logical_id]
            elif before is not None:
                self._restore(stack, before, after, kind, code)
                with self._lock:
                    deployment.resources[logical_id] = before

        order = [after.logical_id for _, _, after in reversed(journal)]
        failure = run_graph(
            order, reverse(dependencies(stack.template)), self._working(undo), workers=self.workers
        )
        if failure is not None:
            if not isinstance(failure, DeployFailed):
                raise failure
            deployment.status = f"{prefix}_FAILED"
            self._stack_event(stack, deployment.status, str(failure))
            return deployment
        self._stack_event(stack, f"{prefix}_COMPLETE")
        if previous is None:
            return None
        previous.status = f"{prefix}_COMPLETE"
        return previous

    def _restore(
        self,
        stack: StackArtifact,
        before: Resource,
        after: Resource,
        kind: str,
        code: tuple[Deployment, ...],
    ) -> None:
        self._resource_event(
            stack,
            before.logical_id,
            before.type,
            "UPDATE_IN_PROGRESS",
            "(rollback)",
            physical_id=after.physical_id,
        )
        if is_custom(before.type):
            runner, function = self.providers.find(before.properties, *code)
            runner.request(
                function,
                "Update",
                before.logical_id,
                before.type,
                before.properties,
                physical_id=after.physical_id,
                old_properties=after.properties,
            )
            if kind == "replaced":
                self._delete(stack, after, *code)
        elif kind == "replaced":
            self._delete(stack, after, *code)
        else:
            provisioner = provisioner_for(before.type)
            if provisioner is not None:  # back to the old properties, whose code is in the old assembly
                context = StackContext(self.cloud, code[-1].artifact(), self.account, self.region)
                provisioner.update(
                    context, before.logical_id, after.physical_id, after.properties, before.properties
                )
        self._resource_event(
            stack,
            before.logical_id,
            before.type,
            "UPDATE_COMPLETE",
            "(rollback)",
            physical_id=after.physical_id,
        )

    # -- helpers ------------------------------------------------------------------------------------

    def _working(self, step: Callable[[str], None]) -> Callable[[str], None]:
        """``step`` as work on the local clock: local time runs at real time while it runs, except
        while it waits on the clock (for a poll, an answer or signals)."""

        def run(logical_id: str) -> None:
            with self.cloud.service.clock.working():
                step(logical_id)

        return run

    def _client(self, service: str) -> Any:
        return self.cloud.client(service, region=self.region)

    def progress(self, logical_id: str, request_type: str) -> None:
        """At each poll of a custom resource: what its model version is doing (``progress``)."""
        self.progress_lines.poll(logical_id, self._in_flight.get(logical_id, {}), request_type)

    def _resolver(self, stack: StackArtifact, deployment: Deployment) -> Resolver:
        pseudo = Pseudo(
            account=self.account,
            region=self.region,
            stack_name=stack.stack_name,
            stack_id=deployment.stack_id,
        )
        with self._lock:
            resources = dict(deployment.resources)
        return Resolver(
            stack.template,
            pseudo=pseudo,
            parameters=deployment.parameters,
            physical_ids={lid: r.physical_id for lid, r in resources.items()},
            attributes={lid: r.attributes for lid, r in resources.items()},
        )

    def _stack_id(self, stack_name: str) -> str:
        suffix = f"{int(time.time() * 1000):x}"
        return f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{stack_name}/local-{suffix}"

    def _stack_event(self, stack: StackArtifact, status: str, reason: str = "") -> None:
        self.printer.event(stack.stack_name, stack.stack_name, "AWS::CloudFormation::Stack", status, reason)

    def _resource_event(
        self,
        stack: StackArtifact,
        logical_id: str,
        resource_type: str,
        status: str,
        reason: str = "",
        *,
        physical_id: str = "",
    ) -> None:
        self.printer.event(
            stack.stack_name, logical_id, resource_type, status, reason, physical_id=physical_id
        )
