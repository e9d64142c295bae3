"""A client of the served model while another command deploys: does the service ever go away?

The probe calls DetectCustomLabels, over and over, on the model version ARN that the stack outputs at
that moment (its saved record, which a deploy updates as soon as an update's outputs are the stack's),
at the endpoint of the command that holds the local cloud. Calls answered with an error count as
failures; calls that find no local cloud (before the deploy serves it, after it ends) do not reach the
model and are counted apart.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from ..gateway.server import REGION
from ..state.workspace import Workspace

ONE_TRY = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2, read_timeout=10)


@dataclass
class ProbeReport:
    calls: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (version ARN, error code)
    versions: list[str] = field(default_factory=list)  # ARNs called, in the order first called
    unreachable: int = 0  # attempts while no command served the local cloud

    def lines(self) -> list[str]:
        lines = [f"DetectCustomLabels calls during the deploy: {self.calls}, failed: {len(self.failures)}"]
        lines += [f"  on {arn}" for arn in self.versions]
        lines += [f"  FAILED on {arn}: {code}" for arn, code in self.failures[:10]]
        return lines


class Probe:
    def __init__(self, workspace: Workspace, stack_name: str, output: str, image: bytes) -> None:
        self.workspace, self.stack_name, self.output, self.image = workspace, stack_name, output, image
        self.report = ProbeReport()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rollover-probe", daemon=True)
        self._clients: dict[str, Any] = {}

    def start(self) -> Probe:
        self._thread.start()
        return self

    def stop(self) -> ProbeReport:
        self._done.set()
        self._thread.join()
        return self.report

    def _run(self) -> None:
        while not self._done.wait(0.05):
            endpoint, arn = self.workspace.endpoint(), self._arn()
            if endpoint is None or arn is None:
                self.report.unreachable += 1
                continue
            self._call(endpoint, arn)

    def _arn(self) -> str | None:
        deployment = self.workspace.load(self.stack_name)
        value = deployment.outputs.get(self.output) if deployment is not None else None
        return str(value) if value else None

    def _call(self, endpoint: str, arn: str) -> None:
        try:
            self._client(endpoint).detect_custom_labels(ProjectVersionArn=arn, Image={"Bytes": self.image})
        except (EndpointConnectionError, BotocoreConnectionError):
            self.report.unreachable += 1  # the command serving the cloud has ended
            return
        except ClientError as error:
            self.report.failures.append((arn, str(error.response.get("Error", {}).get("Code", ""))))
        self.report.calls += 1
        if arn not in self.report.versions:
            self.report.versions.append(arn)

    def _client(self, endpoint: str) -> Any:
        if endpoint not in self._clients:
            self._clients[endpoint] = boto3.client(
                "rekognition",
                endpoint_url=endpoint,
                region_name=REGION,
                aws_access_key_id="localcloud",
                aws_secret_access_key="localcloud",
                config=ONE_TRY,
            )
        return self._clients[endpoint]
