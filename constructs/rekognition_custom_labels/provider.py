"""The one provider Lambda per stack that serves every ProjectVersion in it."""

from __future__ import annotations

import hashlib
from pathlib import Path

from aws_cdk import (
    ArnFormat,
    AssetHashType,
    BundlingOptions,
    DockerImage,
    Duration,
    RemovalPolicy,
    Stack,
    Token,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs

from constructs import Construct

from .acknowledgements import acknowledge_wildcard
from .bundling import LocalPythonBundler

PROVIDER_ID = "RekognitionCustomLabelsProvider"
RUNTIME = lambda_.Runtime.PYTHON_3_14

# crhelper's poll runs for at most a few API calls, but Create and Delete may wait for a response PUT.
FUNCTION_TIMEOUT = Duration.minutes(5)


def handler_dir() -> Path:
    """Where the handler's sources are: in the installed package, or in this repository's checkout.

    A wheel carries them as the ``_handler`` data package (mapped from ``lambda/project_version`` by the
    build); an editable install imports the package from ``constructs/`` and finds them in the checkout.
    """
    package = Path(__file__).resolve().parent
    for candidate in (package / "_handler", package.parents[1] / "lambda" / "project_version"):
        if (candidate / "index.py").is_file():
            return candidate
    raise FileNotFoundError(
        f"the provider's handler is missing from {package}: reinstall cdk-rekognition-custom-labels"
    )


def _function_name(stack: Stack) -> str:
    """A short, fixed-prefix, account/region-unique name.

    It doubles as the prefix of the EventBridge rules the handler creates while polling, so the role
    can be scoped to ``rule/<name>-*`` and to ``lambda:AddPermission`` on this function only (a
    generated name would make the function's own ARN a circular reference in its policy).
    """
    seed = stack.node.path if Token.is_unresolved(stack.stack_name) else stack.stack_name
    return "RekCL-" + hashlib.sha256(seed.encode()).hexdigest()[:16]


class ProjectVersionProvider(Construct):
    """Provider Lambda, its role and log group. Use ``ProjectVersionProvider.of(stack)``."""

    def __init__(self, scope: Construct, construct_id: str) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.function_name = _function_name(stack)
        self.rule_prefix = f"{self.function_name}-"

        self.log_group = logs.LogGroup(
            self,
            "LogGroup",
            log_group_name=f"/aws/lambda/{self.function_name}",
            retention=logs.RetentionDays.ONE_YEAR,
            # Named after the function, so a retained group would make the next deploy of this stack
            # fail with "already exists" once the stack is destroyed.
            removal_policy=RemovalPolicy.DESTROY,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Rekognition Custom Labels model versions: train, poll, start, stop, delete",
        )
        function_arn = stack.format_arn(
            service="lambda",
            resource="function",
            resource_name=self.function_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="WriteOwnLogs",
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.log_group.log_group_arn],
            )
        )
        poll_rules_arn = stack.format_arn(
            service="events", resource="rule", resource_name=f"{self.rule_prefix}*"
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="PollRules",
                actions=[
                    "events:PutRule",
                    "events:DescribeRule",
                    "events:PutTargets",
                    "events:ListTargetsByRule",
                    "events:RemoveTargets",
                    "events:DeleteRule",
                ],
                resources=[poll_rules_arn],
            )
        )
        acknowledge_wildcard(
            self,
            poll_rules_arn,
            "crhelper's polling rules get unique names at deploy time; all start with this "
            "function's own name, and only those rules are granted",
        )
        own_stack_arn = stack.format_arn(
            service="cloudformation", resource="stack", resource_name=f"{stack.stack_name}/*"
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="SignalTrainingWaits",
                actions=["cloudformation:SignalResource"],
                resources=[own_stack_arn],
            )
        )
        acknowledge_wildcard(
            self,
            own_stack_arn,
            "signals go to this stack's own wait conditions only; a stack ARN ends in an id "
            "CloudFormation assigns at creation",
        )
        self.role.add_to_policy(
            iam.PolicyStatement(
                sid="PollPermissionOnSelf",
                # GetPolicy: a version that gives up waiting for a training slot counts the others
                actions=["lambda:AddPermission", "lambda:RemovePermission", "lambda:GetPolicy"],
                resources=[function_arn],
            )
        )

        handler_sources = handler_dir()
        self.function = lambda_.Function(
            self,
            "Handler",
            function_name=self.function_name,
            description="Custom::RekognitionProjectVersion provider (crhelper)",
            runtime=RUNTIME,
            handler="index.handler",
            code=lambda_.Code.from_asset(
                str(handler_sources),
                asset_hash_type=AssetHashType.OUTPUT,
                bundling=BundlingOptions(
                    image=DockerImage.from_registry("local-bundling-only"),
                    local=LocalPythonBundler(handler_sources),
                ),
            ),
            role=self.role,
            log_group=self.log_group,
            timeout=FUNCTION_TIMEOUT,
            memory_size=256,
            environment={"LOG_LEVEL": "INFO", "POLL_RULE_PREFIX": self.rule_prefix},
        )
        self.service_token = self.function.function_arn

    @staticmethod
    def of(scope: Construct) -> ProjectVersionProvider:
        """The stack's provider, created on first use (one per stack, shared by every version)."""
        stack = Stack.of(scope)
        existing = stack.node.try_find_child(PROVIDER_ID)
        if isinstance(existing, ProjectVersionProvider):
            return existing
        return ProjectVersionProvider(stack, PROVIDER_ID)
