"""CloudFormation, Lambda and EventBridge around the real handler, for end-to-end tests.

Each invocation runs the handler folder in a fresh process with a Lambda-like context; responses go
to a local HTTPS ResponseURL; crhelper's polling rules are read from moto and fired as EventBridge
would, the emulator's clock moving one poll interval before each firing. The handler's ``time.time()``
reads that same clock.
"""

from __future__ import annotations

import json
import os
import signal
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from localcloud.clock import ManualClock
from localcloud.deploy.cfn_response import ResponseServer
from localcloud.deploy.custom_resources.runner import stringify
from localcloud.deploy.lambda_runtime import FunctionConfig, Invocation, invoke
from localcloud.deploy.scheduled_rules import lambda_permissions, scheduled_targets
from localcloud.gateway.server import LocalCloud

HANDLER_DIR = Path(__file__).resolve().parents[2] / "lambda" / "project_version"
FUNCTION_NAME = "RekCL-0123456789abcdef"
RULE_PREFIX = f"{FUNCTION_NAME}-"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/Example/8d1f6a20-0000-11ef-9a5b-0a1b2c3d4e5f"
RESOURCE_TYPE = "Custom::RekognitionProjectVersion"
LAMBDA_RETRIES = 2  # asynchronous invocations are retried twice after a crash


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


@dataclass
class CloudFormation:
    cloud: LocalCloud
    clock: ManualClock
    responses: ResponseServer
    cert_file: Path
    max_polls: int = 200
    environment: dict[str, str] = field(default_factory=dict)
    before_invocation: Callable[[], None] | None = None  # e.g. arm faults for every invocation
    running_pid: int | None = None  # the invocation in progress, if any
    timeout_seconds: int = 120  # the function's timeout
    lambda_retries: int = LAMBDA_RETRIES  # 0: the event is dropped after a crash
    history: list[Invocation] = field(default_factory=list)  # every invocation, in order

    def __post_init__(self) -> None:
        iam = self.cloud.client("iam")
        role = iam.create_role(RoleName="provider", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        self.cloud.client("lambda").create_function(
            FunctionName=FUNCTION_NAME,
            Runtime="python3.12",
            Role=role,
            Handler="index.handler",
            Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
        )
        self.function = FunctionConfig(
            code_dir=HANDLER_DIR,
            function_name=FUNCTION_NAME,
            timeout_seconds=self.timeout_seconds,
            environment={"POLL_RULE_PREFIX": RULE_PREFIX, "LOG_LEVEL": "INFO", **self.environment},
        )

    def base_env(self) -> dict[str, str]:
        import os

        keep = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT")}
        return {
            **keep,
            "AWS_ENDPOINT_URL": self.cloud.endpoint_url,
            "AWS_ACCESS_KEY_ID": "localcloud",
            "AWS_SECRET_ACCESS_KEY": "localcloud",
            "SSL_CERT_FILE": str(self.cert_file),
        }

    def event(
        self,
        request_type: str,
        logical_id: str,
        properties: Mapping[str, Any],
        *,
        physical_id: str | None = None,
        old_properties: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        request_id = str(uuid.uuid4())
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_NAME}",
            "ResponseURL": self.responses.url_for(request_id),
            "StackId": STACK_ID,
            "RequestId": request_id,
            "ResourceType": RESOURCE_TYPE,
            "LogicalResourceId": logical_id,
            "ResourceProperties": stringify(
                {
                    "ServiceToken": f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION_NAME}",
                    **properties,
                }
            ),
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = stringify(old_properties)
        return event

    def invoke(self, event: Mapping[str, Any]) -> list[Invocation]:
        """One asynchronous invocation, retried by "Lambda" if it crashes."""
        attempts = []
        for _ in range(1 + self.lambda_retries):
            if self.before_invocation is not None:
                self.before_invocation()
            # the handler's time.time() is the emulator's clock, as in the local cloud
            clock = (self.clock.now(), 1.0)
            invocation = invoke(
                self.function, event, base_env=self.base_env(), clock=clock, on_start=self._started
            )
            self.running_pid = None
            attempts.append(invocation)
            self.history.append(invocation)
            if invocation.error is None:
                break
        return attempts

    def _started(self, pid: int) -> None:
        self.running_pid = pid

    def kill_running(self) -> None:
        """The Lambda sandbox dies (out of memory, a host failure): the invocation in progress is killed."""
        pid = self.running_pid
        if pid is not None:
            os.killpg(pid, signal.SIGKILL)

    def send(self, event: dict[str, Any], *, delivered: bool = False) -> Outcome:
        """Deliver a request (unless already ``delivered``) and drive polling until the handler answers."""
        request_id = str(event["RequestId"])
        outcome = Outcome(response={})
        if not delivered:
            outcome.invocations += self.invoke(event)
        while not self.responses.responses(request_id):
            targets = self.targets()
            if not targets or outcome.polls >= self.max_polls:
                raise AssertionError(
                    f"no response after {outcome.polls} polls; rules: {[t.rule_name for t in targets]}\n"
                    + outcome.logs
                )
            for target in targets:
                self.clock.advance(target.interval_seconds)
                outcome.invocations += self.invoke(target.input)
            outcome.polls += 1
        accepted = [r for r in self.responses.responses(request_id) if not r.failed]
        assert len(accepted) == 1, f"expected exactly one accepted response, got {len(accepted)}"
        outcome.response = accepted[0].body
        return outcome

    def targets(self) -> list[Any]:
        return scheduled_targets(self.cloud.client("events"), name_prefix=RULE_PREFIX)

    def leftovers(self) -> dict[str, Any]:
        """Polling rules and Lambda permissions still present (both must be empty after any request)."""
        return {
            "rules": [t.rule_name for t in self.targets()],
            "all_rules": [r["Name"] for r in self.cloud.client("events").list_rules()["Rules"]],
            "permissions": lambda_permissions(self.cloud.client("lambda"), FUNCTION_NAME),
        }

    def versions(self, project_arn: str) -> list[dict[str, Any]]:
        described = self.cloud.client("rekognition").describe_project_versions(ProjectArn=project_arn)
        versions: list[dict[str, Any]] = described["ProjectVersionDescriptions"]
        return versions


def dumps(value: Any) -> str:
    return json.dumps(value, indent=1, default=str)
