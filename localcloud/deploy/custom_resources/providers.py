"""Custom resources' provider functions as deployed, the runners that invoke them, and EventBridge firing
their schedules (the training watcher) while a stack deploys.

A provider's code is the stack's cloud assembly's (the in-process deploy) or, for stacks deployed through
the CloudFormation API, the package Lambda holds.
"""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ...gateway.server import LocalCloud
from ..deployed_functions import local_cloud_environment
from ..deployment import Deployment
from ..packages import function_code_dir
from ..provisioners import ProvisionError
from ..scheduler import EVENTBRIDGE_WRITES, firing_schedules
from .response_url import ResponseServer
from .runner import CustomResourceRunner, ProviderFunction, function_config


class Providers:
    def __init__(
        self,
        *,
        cloud: LocalCloud,
        responses: ResponseServer,
        cert_file: Path,
        region: str,
        progress: Callable[[str, str], None],
        watched: Callable[[dict[str, Any]], None],
        counts: Counter[str],
        cancelled: Callable[[str], bool],
        lock: threading.RLock,
    ) -> None:
        self.cloud, self.responses, self.cert_file = cloud, responses, cert_file
        self.region, self.account = region, cloud.service.account
        self.progress, self.watched, self.counts = progress, watched, counts
        self.cancelled = cancelled  # by stack id: its operation failed, its requests stop
        self._lock = lock  # the engine's: other operations add resources meanwhile

    def find(
        self, properties: Mapping[str, Any], *deployments: Deployment
    ) -> tuple[CustomResourceRunner, ProviderFunction]:
        """The provider a ServiceToken names, with its code as deployed (the first deployment holding it)."""
        token = str(properties.get("ServiceToken", ""))
        for deployment in deployments:
            with self._lock:  # other operations add resources meanwhile
                resources = list(deployment.resources.values())
            for resource in resources:
                if resource.type != "AWS::Lambda::Function" or resource.attributes.get("Arn") != token:
                    continue
                code_dir = function_code_dir(
                    deployment.assembly_dir,
                    resource.properties,
                    account=self.account,
                    region=self.region,
                    name=resource.physical_id,
                )
                if code_dir is None:
                    raise ProvisionError(
                        f"the code of {resource.logical_id} is not in {deployment.assembly_dir}"
                    )
                role = str(resource.properties.get("Role", ""))
                config = function_config(
                    code_dir=code_dir,
                    name=resource.physical_id,
                    properties=resource.properties,
                    region=self.region,
                    account=self.account,
                    # Lambda runs a function as its execution role, in a session named after it
                    credentials=(
                        self.cloud.role_credentials(role, resource.physical_id)
                        if role.startswith("arn:")
                        else {}
                    ),
                )
                return self._runner(deployment), ProviderFunction(config, token)
        raise ProvisionError(f"the ServiceToken {token} is not a function of this stack")

    def schedules(self, deployments: tuple[Deployment, ...]) -> contextlib.AbstractContextManager[None]:
        """EventBridge firing the stack's own schedules (the training watcher) while it deploys."""

        def invoke(function_arn: str, event: dict[str, Any]) -> bool:
            try:
                runner, function = self.find({"ServiceToken": function_arn}, *deployments)
            except ProvisionError:
                return False  # not a function of this stack
            self.watched(event)
            runner.invoke_async(function, event)
            return True

        return firing_schedules(
            self.cloud.client("events", region=self.region),
            invoke,
            clock=self.cloud.service.clock,
            changes=lambda: self.cloud.call_count(*EVENTBRIDGE_WRITES),
        )

    def _runner(self, deployment: Deployment) -> CustomResourceRunner:
        runner = CustomResourceRunner(
            responses=self.responses,
            events_client=self.cloud.client("events", region=self.region),
            base_env={
                **local_cloud_environment(self.cloud.endpoint_url),
                "SSL_CERT_FILE": str(self.cert_file),
            },
            stack_id=deployment.stack_id,
            progress=self.progress,
            counts=self.counts,
            clock=self.cloud.service.clock,
            cancelled=lambda: self.cancelled(deployment.stack_id),
        )
        return runner
