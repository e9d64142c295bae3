"""CloudFormation's custom-resource protocol against a provider Lambda bundled in ``cdk.out``.

Events are sent exactly as CloudFormation sends them (string scalars, a fresh RequestId, a pre-signed
style HTTPS ResponseURL); the function runs in its own process from its asset folder with its
template environment; crhelper's EventBridge polling rules are fired on their schedule and
ServiceTimeout runs out, both on the local cloud's clock; a crashed invocation is retried like Lambda's
asynchronous invoke.
"""

from __future__ import annotations

import math
import secrets
import string
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ...clock import Clock, SystemClock, handler_time
from ..cfn_response import ResponseServer
from ..lambda_runtime import FunctionConfig, invoke
from ..scheduled_rules import ScheduledTarget, scheduled_targets, targets_of_rule

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


class CustomResourceRunner:
    def __init__(
        self,
        *,
        responses: ResponseServer,
        events_client: Any,
        base_env: Mapping[str, str],
        stack_id: str,
        progress: Callable[[str], None] = lambda _: None,
        counts: Counter[str] | None = None,
        clock: Clock | None = None,
        cancelled: Callable[[], bool] = lambda: False,
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
        timeout = float(properties.get("ServiceTimeout", DEFAULT_SERVICE_TIMEOUT))
        deadline = self.clock.now() + timeout
        self._invoke(function, event)

        def settled() -> bool:
            return self._answered(request_id) or (request_type != "Delete" and self.cancelled())

        rules: set[str] = set()  # this request's polling rules, once found
        while not self._answered(request_id):
            if request_type != "Delete" and self.cancelled():
                what = "creation" if request_type == "Create" else "update"
                raise CustomResourceFailed(f"Resource {what} cancelled", physical_id)
            mine = self._polls(function, request_id, rules)
            rules = {t.rule_name for t in mine} or rules
            # EventBridge fires the rule one interval later (crhelper makes one rule a request)
            due = min([self.clock.now() + t.interval_seconds for t in mine] or [math.inf])
            if not self.clock.sleep_until(min(due, deadline), until=settled):
                continue
            if self.clock.now() >= deadline:
                raise CustomResourceFailed(
                    f"CloudFormation did not receive a response from your Custom Resource within the "
                    f"ServiceTimeout of {int(timeout)} seconds",
                    physical_id,
                )
            for target in mine:
                self.progress(logical_id)
                self._invoke(function, target.input)
        (answer,) = [r for r in self.responses.responses(request_id) if not r.failed][:1]
        body = answer.body
        if body.get("Status") != "SUCCESS":
            raise CustomResourceFailed(str(body.get("Reason", "")), body.get("PhysicalResourceId"))
        return Answer(str(body["PhysicalResourceId"]), dict(body.get("Data", {})))

    def _polls(self, function: ProviderFunction, request_id: str, known: set[str]) -> list[ScheduledTarget]:
        """The scheduled targets polling this request: read from its known rules (two calls each),
        else found among all rules."""
        targets = [t for name in sorted(known) for t in targets_of_rule(self.events_client, name)]
        if not targets:
            targets = scheduled_targets(self.events_client)
        return [t for t in targets if t.target_arn == function.arn and t.input.get("RequestId") == request_id]

    def _answered(self, request_id: str) -> bool:
        return any(not r.failed for r in self.responses.responses(request_id))

    def invoke_async(self, function: ProviderFunction, event: Mapping[str, Any]) -> None:
        """An asynchronous invocation (as EventBridge makes one), retried by "Lambda" after a crash."""
        self._invoke(function, event)

    def _invoke(self, function: ProviderFunction, event: Mapping[str, Any]) -> None:
        kind = "Poll" if event.get("CrHelperPoll") else str(event.get("RequestType", "Scheduled"))
        for _ in range(1 + LAMBDA_RETRIES):
            with _COUNTING:
                self.counts[kind] += 1
            with self.clock.working():
                done = invoke(function.config, event, base_env=self.base_env, clock=handler_time(self.clock))
            if done.error is None:
                return


def function_config(
    *, code_dir: Path, name: str, properties: Mapping[str, Any], region: str, account: str
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
    )
