"""Acknowledge the rule findings this library causes on purpose, with the reason.

Scoped wildcards such as ``rule/<prefix>-*`` or ``project/<p>/version/*`` are the narrowest grant the
services allow, so the library records why (CDK's ``Validations.acknowledge``, which cdk-nag reads)
instead of leaving every user to rediscover it. Findings are named the way rule packs name them: the
resolved value with ``<LogicalId>`` / ``<LogicalId.Attr>`` / ``<AWS::Pseudo>`` for references.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations

from constructs import IConstruct

AWS_SOLUTIONS = "AwsSolutions"


def _render(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Join":
            return str(argument[0]).join(_render(part) for part in argument[1])
    raise ValueError(f"cannot name a finding for {value!r}")


def acknowledge_wildcard(scope: IConstruct, resource_arn: str, reason: str) -> None:
    """Acknowledge the AwsSolutions-IAM5 finding for one wildcard resource of ``scope``'s policy."""
    finding = _render(Stack.of(scope).resolve(resource_arn))
    acknowledge(scope, f"{AWS_SOLUTIONS}-IAM5[Resource::{finding}]", reason)


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{AWS_SOLUTIONS}::{rule}", reason=reason))
