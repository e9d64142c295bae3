"""Acknowledge the rule findings this library causes on purpose, with the reason.

Scoped wildcards such as ``rule/<prefix>-*`` or ``project/<p>/version/*`` are the narrowest grant the
services allow, so the library records why (CDK's ``Validations.acknowledge``, which cdk-nag reads)
instead of leaving every user to rediscover it. Findings are named the way rule packs name them: the
resolved value with ``<LogicalId>`` / ``<LogicalId.Attr>`` / ``<AWS::Pseudo>`` for references.
"""

from __future__ import annotations

import json
from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations

from constructs import IConstruct

AWS_SOLUTIONS = "AwsSolutions"


def _flatten(value: Any) -> str:
    """A resolved CloudFormation value as one flat string, the way cdk-nag names IAM5 findings."""
    if isinstance(value, str):
        return value.replace("${", "<").replace("}", ">")
    if isinstance(value, dict):
        if "Fn::Join" in value:
            delimiter, items = value["Fn::Join"]
            return str(delimiter).join(_flatten(item) for item in items)
        if "Fn::Sub" in value:
            return _flatten(value["Fn::Sub"])
        if "Fn::GetAtt" in value:
            resource, attribute = value["Fn::GetAtt"]
            return f"<{_flatten(resource)}.{_flatten(attribute)}>"
        if "Fn::ImportValue" in value:
            return _flatten(value["Fn::ImportValue"])
        if "Ref" in value:
            return f"<{_flatten(value['Ref'])}>"
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def acknowledge_wildcard(scope: IConstruct, resource_arn: str, reason: str) -> None:
    """Acknowledge the AwsSolutions-IAM5 finding for one wildcard resource of ``scope``'s policy."""
    finding = _flatten(Stack.of(scope).resolve(resource_arn))
    acknowledge(scope, f"{AWS_SOLUTIONS}-IAM5[Resource::{finding}]", reason)


def acknowledge(scope: IConstruct, rule: str, reason: str) -> None:
    """Acknowledge the AwsSolutions finding ``rule`` on ``scope``, with the reason."""
    Validations.of(scope).acknowledge(Acknowledgment(id=f"{AWS_SOLUTIONS}::{rule}", reason=reason))
