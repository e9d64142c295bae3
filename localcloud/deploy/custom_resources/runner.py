"""CloudFormation's custom-resource protocol against a provider Lambda bundled in ``cdk.out``.

Events are sent exactly as CloudFormation sends them (string scalars, a fresh RequestId, a pre-signed
style HTTPS ResponseURL); the function runs in its own process from its asset folder with its
template environment; crhelper's EventBridge polling rules are fired on their schedule and
ServiceTimeout runs out, both on the local cloud's clock; a crashed invocation is retried like Lambda's
asynchronous invoke.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import string
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...clock import Clock, SystemClock, handler_time
from ..lambda_runtime import FunctionConfig, Invocation, invoke
from ..scheduled_rules import ScheduledTarget, scheduled_targets, targets_of_rule
from .response_url import ResponseServer

LAMBDA_RETRIES = 2
_COUNTING = threading.Lock()  # runners of concurrent operations share one counter
DEFAULT_SERVICE_TIMEOUT = 3600.0


class CustomResourceFailed(Exception):
    """The provider answered FAILED (or never answered in time)."""

    def __init__(self, reason: str, physical_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.physical_id = physical_id


@dataclass(frozen=True)
class Answer:
    physical_id: str
    data: dict[str, Any]


def made_up_id(stack_name: str, logical_id: str) -> str:
    """The physical id CloudFormation makes up for a custom resource whose Create never answered (it
    timed out or was cancelled): the rollback's Delete carries it."""
    suffix = "".join(secrets.choice(string.ascii_uppercase + string.digits) for _ in range(13))
    return f"{stack_name}-{logical_id}-{suffix}"


def stringify(value: Any) -> Any:
    """Every scalar as a string, as CloudFormation passes ResourceProperties."""
    if isinstance(value, Mapping):
        return {key: stringify(item) for key, item in value.items()}
    if isinstance(value, list):
        return [stringify(item) for item in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class ProviderFunction:
    config: FunctionConfig
    arn: str


@dataclass(frozen=True)
class Response:
    """What came back for one request: the answer CloudFormation accepted, and how many polls it took."""

    body: dict[str, Any]
    polls: int


class CustomResourceRunner:
    """Sends CloudFormation's requests to provider functions and waits for their answers.

    ``before_invocation`` runs before each invocation attempt (tests arm faults there); ``history`` keeps
    every invocation in order; ``lambda_retries`` is how often Lambda retries a crashed asynchronous
    invocation (twice, as documented).
    """

    def __init__(
        self,
        *,
        responses: ResponseServer,
        events_client: Any,
        base_env: Mapping[str, str],
        stack_id: str,
        progress: Callable[[str, str], None] = lambda logical_id, request_type: None,
        counts: Counter[str] | None = None,
        clock: Clock | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        lambda_retries: int = LAMBDA_RETRIES,
        before_invocation: Callable[[], None] | None = None,
    ) -> None:
        self.responses = responses
        self.events_client = events_client
        self.base_env = dict(base_env)
        self.stack_id = stack_id
        self.progress = progress
        self.counts: Counter[str] = counts if counts is not None else Counter()
        self.clock: Clock = clock or SystemClock()  # the local cloud's: polls, ServiceTimeout, handler time
        # True once another resource of the stack failed: CloudFormation stops waiting for a Create or
        # Update in progress ("Resource creation cancelled") and rolls back
        self.cancelled = cancelled
        self.lambda_retries = lambda_retries
        self.before_invocation = before_invocation
        self.history: list[Invocation] = []
        self._running: set[int] = set()  # process groups of the invocations in flight

    def event(
        self,
        function: ProviderFunction,
        request_type: str,
        logical_id: str,
        resource_type: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The request as CloudFormation sends it: string scalars, a fresh RequestId and ResponseURL."""
        request_id = str(uuid.uuid4())
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": function.arn,
            "ResponseURL": self.responses.url_for(request_id),
            "StackId": self.stack_id,
            "RequestId": request_id,
            "ResourceType": resource_type,
            "LogicalResourceId": logical_id,
            "ResourceProperties": stringify(properties),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = stringify(old_properties)
        return event

    def request(
        self,
        function: ProviderFunction,
        request_type: str,
        logical_id: str,
        resource_type: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: Mapping[str, Any] | None = None,
    ) -> Answer:
        """Send a request and wait for its answer: the physical id and Data, or CustomResourceFailed."""
        event = self.event(
            function,
            request_type,
            logical_id,
            resource_type,
            properties,
            physical_id=physical_id,
            old_properties=old_properties,
        )
        body = self.send(function, event).body
        if body.get("Status") != "SUCCESS":
            raise CustomResourceFailed(str(body.get("Reason", "")), body.get("PhysicalResourceId"))
        return Answer(str(body["PhysicalResourceId"]), dict(body.get("Data", {})))

    def send(
        self,
        function: ProviderFunction,
        event: Mapping[str, Any],
        *,
        delivered: bool = False,
        fires: Callable[[ScheduledTarget], bool] | None = None,
    ) -> Response:
        """Deliver ``event`` (unless it was ``delivered`` already), fire its polls until it is answered and
        return the answer; CustomResourceFailed when ServiceTimeout passes first or another resource's
        failure cancels it (a Create or an Update).

        EventBridge fires each of the function's rules that ``fires`` selects (by default this request's
        own polls: the others are their runners' and the scheduler's) one interval after it appeared and
        one interval after each firing, in the order they fall due.
        """
        request_id, request_type = str(event["RequestId"]), str(event["RequestType"])
        physical_id = event.get("PhysicalResourceId")
        properties = event.get("ResourceProperties", {})
        timeout = float(properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT))
        deadline = self.clock.now() + timeout
        own = fires is None
        if not delivered:
            self.invoke_async(function, event)

        def settled() -> bool:
            return self._answered(request_id) or (request_type != "Delete" and self.cancelled())

        rules: set[str] = set()  # this request's polling rules, once found
        due: dict[str, float] = {}  # rule name -> when it fires next
        polls = 0
        while not self._answered(request_id):
            if request_type != "Delete" and self.cancelled():
                what = "creation" if request_type == "Create" else "update"
                raise CustomResourceFailed(f"Resource {what} cancelled", physical_id)
            targets = self._scheduled(function, request_id, rules if own else None)
            targets = [t for t in targets if (fires or bool)(t)]
            rules = {t.rule_name for t in targets} or rules
            now = self.clock.now()
            due = {t.rule_name: due.get(t.rule_name, now + t.interval_seconds) for t in targets}
            if not self.clock.sleep_until(min([*due.values(), deadline]), until=settled):
                continue
            now = self.clock.now()
            # What fell due by then fires, the earliest first.
            for target in sorted(targets, key=lambda t: due[t.rule_name]):
                if due[target.rule_name] > now:
                    continue
                if target.input.get("RequestId") == request_id:
                    self.progress(str(event["LogicalResourceId"]), request_type)
                    polls += 1
                self.invoke_async(function, target.input)
                due[target.rule_name] = self.clock.now() + target.interval_seconds
            if now >= deadline and not self._answered(request_id):
                raise CustomResourceFailed(
                    f"CloudFormation did not receive a response from your Custom Resource within the "
                    f"ServiceTimeout of {int(timeout)} seconds",
                    physical_id,
                )
        (answer,) = [r for r in self.responses.responses(request_id) if not r.failed][:1]
        return Response(answer.body, polls)

    def _scheduled(
        self, function: ProviderFunction, request_id: str, known: set[str] | None
    ) -> list[ScheduledTarget]:
        """The function's scheduled targets; with ``known`` (this request's rules, once found) only this
        request's polls, read from those rules (two calls each)."""
        if known is None:
            return [t for t in scheduled_targets(self.events_client) if t.target_arn == function.arn]
        targets = [t for name in sorted(known) for t in targets_of_rule(self.events_client, name)]
        if not targets:
            targets = scheduled_targets(self.events_client)
        return [t for t in targets if t.target_arn == function.arn and t.input.get("RequestId") == request_id]

    def _answered(self, request_id: str) -> bool:
        return any(not r.failed for r in self.responses.responses(request_id))

    def invoke_async(self, function: ProviderFunction, event: Mapping[str, Any]) -> list[Invocation]:
        """An asynchronous invocation (as EventBridge makes one), retried by Lambda after a crash: every
        attempt, in order."""
        kind = "Poll" if event.get("CrHelperPoll") else str(event.get("RequestType", "Scheduled"))
        attempts = []
        for _ in range(1 + self.lambda_retries):
            with _COUNTING:
                self.counts[kind] += 1
            if self.before_invocation is not None:
                self.before_invocation()
            with self.clock.working():
                attempt = invoke(
                    function.config,
                    event,
                    base_env=self.base_env,
                    clock=handler_time(self.clock),
                    on_start=self._running.add,
                )
            self._running.discard(attempt.pid)
            attempts.append(attempt)
            with _COUNTING:
                self.history.append(attempt)
            if attempt.error is None:
                break
        return attempts

    def kill_running(self) -> None:
        """The sandboxes of the invocations in flight die (out of memory, a host failure)."""
        for pid in list(self._running):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)


def function_config(
    *,
    code_dir: Path,
    name: str,
    properties: Mapping[str, Any],
    region: str,
    account: str,
    credentials: Mapping[str, str] | None = None,
) -> FunctionConfig:
    environment = properties.get("Environment", {}).get("Variables", {})
    return FunctionConfig(
        code_dir=code_dir,
        handler=str(properties.get("Handler", "index.handler")),
        function_name=name,
        timeout_seconds=int(properties.get("Timeout", 3)),
        environment={str(k): str(v) for k, v in environment.items()},
        memory_mb=int(properties.get("MemorySize", 128)),
        region=region,
        account=account,
        credentials=dict(credentials or {}),
    )
