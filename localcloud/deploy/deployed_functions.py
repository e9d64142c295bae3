"""The Lambda functions of deployed stacks: found by name, run as deployed against the local cloud.

A function is named as ``aws lambda invoke`` takes it (its physical id, the function name, or its ARN),
as ``<StackName>/<LogicalId>``, by its CDK construct path (``<StackName>/<ConstructId>``, what ``cdk``
shows, from the template's ``aws:cdk:path`` metadata), or by its logical id alone when only one deployed
stack holds that id. It
runs from its code asset in the stack's kept cloud assembly, with its template environment as resolved
at deploy time, its timeout and memory, the local cloud's endpoint and credentials (so its boto3 calls
reach the local cloud) and the local cloud's clock, as the deploy engine runs a provider function.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..gateway.server import CREDENTIALS
from .custom_resources.runner import function_config
from .deployment import Deployment
from .lambda_runtime import FunctionConfig
from .packages import function_code_dir
from .provisioners import ProvisionError

FUNCTION_TYPE = "AWS::Lambda::Function"


class NoSuchFunction(LookupError):
    """No deployed function has that name, or its logical id alone names functions of several stacks."""


class NotRunnable(Exception):
    """A deployed function the local Lambda runtime cannot run (not Python, or no code asset)."""


@dataclass(frozen=True)
class DeployedFunction:
    stack_name: str
    logical_id: str
    physical_id: str  # the function's name
    arn: str
    properties: dict[str, Any]  # as deployed: intrinsics resolved
    assembly_dir: Path | None  # the stack's kept cloud assembly; None: its code is the package Lambda holds
    cdk_path: str = ""  # the construct path CDK recorded in the template, without its "/Resource"

    @property
    def path(self) -> str:
        return f"{self.stack_name}/{self.logical_id}"

    def config(self, *, region: str, account: str) -> FunctionConfig:
        """How the local Lambda runtime runs it: region and account are those of its ARN when it has one."""
        runtime = str(self.properties.get("Runtime", ""))
        if not runtime.startswith("python"):
            raise NotRunnable(
                f"{self.path} is a {runtime or 'container image'} function: the local Lambda runtime runs "
                "Python handlers only"
            )
        arn_parts = self.arn.split(":")
        if len(arn_parts) >= 7 and arn_parts[2] == "lambda":
            region, account = arn_parts[3], arn_parts[4]
        try:
            code_dir = function_code_dir(
                self.assembly_dir, self.properties, account=account, region=region, name=self.physical_id
            )
        except ProvisionError as error:
            raise NotRunnable(str(error)) from error
        if code_dir is None:
            raise NotRunnable(
                f"the code of {self.path} is not a code asset in {self.assembly_dir} (inline code is not run)"
            )
        return function_config(
            code_dir=code_dir,
            name=self.physical_id,
            properties=self.properties,
            region=region,
            account=account,
        )


def deployed_functions(deployments: Iterable[Deployment]) -> list[DeployedFunction]:
    """Every ``AWS::Lambda::Function`` the deployments hold, by stack and logical id."""
    return sorted(
        (
            DeployedFunction(
                deployment.stack_name,
                resource.logical_id,
                resource.physical_id,
                str(resource.attributes.get("Arn", "")),
                resource.properties,
                deployment.assembly_dir,
                _cdk_path(deployment.template, resource.logical_id),
            )
            for deployment in deployments
            for resource in deployment.resources.values()
            if resource.type == FUNCTION_TYPE
        ),
        key=lambda function: function.path,
    )


def _cdk_path(template: dict[str, Any], logical_id: str) -> str:
    definition = template.get("Resources", {}).get(logical_id, {})
    return str(definition.get("Metadata", {}).get("aws:cdk:path", "")).removesuffix("/Resource")


def find_function(functions: list[DeployedFunction], name: str, *, where: str) -> DeployedFunction:
    """The function ``name`` names: its physical id or ARN, ``<StackName>/<LogicalId>``, its construct
    path, or a logical id only one stack holds. ``where`` (the state directory) is for the error."""
    exact = [f for f in functions if name in (f.physical_id, f.arn, f.path)]
    exact = exact or [f for f in functions if f.cdk_path and name.removesuffix("/Resource") == f.cdk_path]
    if exact:
        return exact[0]
    by_logical_id = [f for f in functions if f.logical_id == name]
    if len(by_logical_id) == 1:
        return by_logical_id[0]
    if by_logical_id:
        held = ", ".join(f.path for f in by_logical_id)
        raise NoSuchFunction(
            f"{name}: more than one deployed stack holds it ({held}): name it as Stack/{name}"
        )
    there = ", ".join(f"{f.path} ({f.physical_id})" for f in functions) or "none"
    raise NoSuchFunction(f"{name}: no such function is deployed in {where} (deployed: {there})")


def local_cloud_environment(endpoint_url: str) -> dict[str, str]:
    """The environment a function's process starts from: the local cloud's endpoint and credentials."""
    return {
        "PATH": "/usr/bin:/bin",
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }
