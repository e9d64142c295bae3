"""CloudFormation around one custom-resource provider function, for tests.

The requests go through the deploy engine's own runner (``deploy.custom_resources.runner``): the event as
CloudFormation sends it, the function in a Lambda sandbox with its environment, crhelper's polls and the
function's other schedules fired by EventBridge, retries after a crash, ServiceTimeout. On a local cloud
whose clock is a ``ManualClock``, ``send`` steps it (``ManualClock.stepping``): time moves straight to
each poll, so a request polled for an hour costs no real hour, and between requests it moves only when
the test says so. A test can also deliver an event without waiting (``invoke``), fire one schedule by
hand (``fire``), kill the invocation in flight (``kill_running``), or hold wait conditions the way a
stack does (``WaitChain``).
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..clock import ManualClock
from ..deploy.custom_resources.response_url import ResponseServer
from ..deploy.custom_resources.runner import CustomResourceFailed, CustomResourceRunner, ProviderFunction
from ..deploy.deployed_functions import local_cloud_environment
from ..deploy.lambda_runtime import FunctionConfig, Invocation
from ..deploy.scheduled_rules import ScheduledTarget, lambda_permissions, scheduled_targets
from ..gateway.server import REGION, LocalCloud
from ..gateway.signals import Outcome as SignalOutcome

ACCOUNT = "123456789012"
STACK_ID = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/Example/8d1f6a20-0000-11ef-9a5b-0a1b2c3d4e5f"


class NoAnswer(Exception):
    """Nothing answered before ServiceTimeout: CloudFormation gives up on the request."""


def event_template(request_type: str) -> dict[str, Any]:
    """CloudFormation's request of that type as its documentation shows it (``events/<type>.json``)."""
    text = resources.files(__package__).joinpath("events", f"{request_type.lower()}.json").read_text("utf-8")
    template: dict[str, Any] = json.loads(text)
    return template


@dataclass
class Outcome:
    """What one CloudFormation request produced."""

    response: dict[str, Any]
    invocations: list[Invocation] = field(default_factory=list)
    polls: int = 0

    @property
    def status(self) -> str:
        return str(self.response["Status"])

    @property
    def physical_id(self) -> str:
        return str(self.response["PhysicalResourceId"])

    @property
    def reason(self) -> str:
        return str(self.response.get("Reason", ""))

    @property
    def data(self) -> dict[str, Any]:
        data: dict[str, Any] = self.response.get("Data", {})
        return data

    @property
    def logs(self) -> str:
        return "\n".join(i.stdout + i.stderr for i in self.invocations)


class CloudFormation:
    """CloudFormation's protocol with one provider function (its code in ``code_dir``) of a local cloud."""

    def __init__(
        self,
        cloud: LocalCloud,
        responses: ResponseServer,
        *,
        cert_file: Path,
        code_dir: Path,
        function_name: str,
        resource_type: str,
        environment: Mapping[str, str] | None = None,
        timeout_seconds: int = 120,
        lambda_retries: int = 2,
        stack_id: str = STACK_ID,
    ) -> None:
        self.cloud, self.responses = cloud, responses
        self.function_name, self.resource_type, self.stack_id = function_name, resource_type, stack_id
        role = cloud.client("iam").create_role(
            RoleName=f"{function_name}-role", AssumeRolePolicyDocument="{}"
        )
        arn = cloud.client("lambda").create_function(  # Lambda's record of it: its permissions live there
            FunctionName=function_name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="index.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )["FunctionArn"]
        config = FunctionConfig(
            code_dir=code_dir,
            function_name=function_name,
            timeout_seconds=timeout_seconds,
            environment=dict(environment or {}),
            region=REGION,
            account=ACCOUNT,
        )
        self.function = ProviderFunction(config, arn)
        self.runner = CustomResourceRunner(
            responses=responses,
            events_client=cloud.client("events"),
            base_env={**local_cloud_environment(cloud.endpoint_url), "SSL_CERT_FILE": str(cert_file)},
            stack_id=stack_id,
            clock=cloud.service.clock,
            lambda_retries=lambda_retries,
        )

    @property
    def history(self) -> list[Invocation]:
        """Every invocation so far, in order."""
        return self.runner.history

    @property
    def lambda_retries(self) -> int:
        return self.runner.lambda_retries

    @lambda_retries.setter
    def lambda_retries(self, retries: int) -> None:
        """How often Lambda retries a crashed asynchronous invocation (0: the event is dropped)."""
        self.runner.lambda_retries = retries

    @property
    def before_invocation(self) -> Callable[[], None] | None:
        return self.runner.before_invocation

    @before_invocation.setter
    def before_invocation(self, hook: Callable[[], None] | None) -> None:
        """Runs before each invocation attempt (a test arms faults there)."""
        self.runner.before_invocation = hook

    def event(
        self,
        request_type: str,
        logical_id: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: Mapping[str, Any] | None = None,
        resource_type: str | None = None,
    ) -> dict[str, Any]:
        """The request CloudFormation sends (its ResourceProperties start with the ServiceToken)."""
        return self.runner.event(
            self.function,
            request_type,
            logical_id,
            resource_type or self.resource_type,
            {"ServiceToken": self.function.arn, **properties},
            physical_id=physical_id,
            old_properties=old_properties,
        )

    def send(self, event: dict[str, Any], *, delivered: bool = False) -> Outcome:
        """Deliver a request (unless already ``delivered``) and let EventBridge fire the function's
        schedules until the request is answered; NoAnswer when ServiceTimeout passes first."""
        start = len(self.runner.history)
        with _stepping(self.cloud):
            try:
                response = self.runner.send(self.function, event, delivered=delivered, fires=lambda _: True)
            except CustomResourceFailed as failed:
                raise NoAnswer(failed.reason) from failed
        accepted = [r for r in self.responses.responses(str(event["RequestId"])) if not r.failed]
        assert len(accepted) == 1, f"expected exactly one accepted response, got {len(accepted)}"
        return Outcome(response.body, self.runner.history[start:], response.polls)

    def invoke(self, event: Mapping[str, Any]) -> list[Invocation]:
        """One asynchronous invocation, retried by Lambda after a crash: every attempt."""
        return self.runner.invoke_async(self.function, event)

    def fire(self, target: ScheduledTarget) -> list[Invocation]:
        """EventBridge fires one schedule: the clock moves one interval, the function runs its input."""
        clock = self.cloud.service.clock
        assert isinstance(clock, ManualClock), "fire() moves a ManualClock"
        clock.advance(target.interval_seconds)
        return self.invoke(target.input)

    def kill_running(self) -> None:
        """The sandbox of the invocation in flight dies (out of memory, a host failure)."""
        self.runner.kill_running()

    def targets(self) -> list[ScheduledTarget]:
        """The function's scheduled targets: polls of requests in progress, and its own schedules."""
        return [
            t for t in scheduled_targets(self.cloud.client("events")) if t.function_name == self.function_name
        ]

    def leftovers(self) -> dict[str, Any]:
        """The function's schedules, all rules and its Lambda permissions (empty after any request)."""
        return {
            "rules": [t.rule_name for t in self.targets()],
            "all_rules": [r["Name"] for r in self.cloud.client("events").list_rules()["Rules"]],
            "permissions": lambda_permissions(self.cloud.client("lambda"), self.function_name),
        }


@dataclass
class WaitChain:
    """A stack's chained wait conditions, held as CloudFormation holds them: each starts once the one
    before it succeeded, and times out after its own Timeout on the cloud's clock."""

    cloud: LocalCloud
    waits: list[tuple[str, int]]  # (logical id, Timeout seconds), in chain order
    stack_name: str = "Example"
    stack_id: str = STACK_ID
    outcomes: dict[str, SignalOutcome] = field(default_factory=dict)
    thread: threading.Thread | None = None

    def start(self) -> WaitChain:
        self.cloud.signals.open_stack(self.stack_name, self.stack_id)

        def hold() -> None:
            for name, seconds in self.waits:
                outcome = self.cloud.signals.wait(self.stack_name, name, count=1, timeout=seconds)
                settled = "CREATE_COMPLETE" if outcome.status == "SUCCESS" else "CREATE_FAILED"
                self.cloud.signals.settle(self.stack_name, name, settled)
                self.outcomes[name] = outcome
                if outcome.status != "SUCCESS":
                    return

        self.thread = threading.Thread(target=hold, daemon=True, name="wait-chain")
        self.thread.start()
        return self

    def join(self) -> dict[str, str]:
        """How each wait that ended ended (SUCCESS, FAILURE or TIMEOUT), once the chain is over: the
        clock runs on (stepping a ManualClock) until the waits still open time out."""
        assert self.thread is not None
        thread = self.thread
        with _stepping(self.cloud):
            self.cloud.service.clock.sleep_until(float("inf"), until=lambda: not thread.is_alive())
        return {name: outcome.status for name, outcome in self.outcomes.items()}


def _stepping(cloud: LocalCloud) -> contextlib.AbstractContextManager[None]:
    """A ManualClock steps to each moment waited for while the block drives the scenario; a clock that runs
    by itself is left alone."""
    clock = cloud.service.clock
    return clock.stepping() if isinstance(clock, ManualClock) else contextlib.nullcontext()
