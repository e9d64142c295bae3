"""AWS-managed policies' documents (``AWSLambdaBasicExecutionRole`` ...), from moto's maintained copy.

A CDK function's role attaches ``arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole``;
its document is AWS's, not the stack's, so evaluation needs it from elsewhere. moto ships the documents
of every AWS-managed policy (``moto.iam.aws_managed_policies``, refreshed with moto's releases) whether
or not its IAM backend was told to load them; they are read from there, once per process, on first use
(the data is a few megabytes of JSON).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

_PREFIX = ":iam::aws:policy"


@functools.cache
def _catalogue() -> Mapping[str, Mapping[str, Any]]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    parsed: dict[str, Mapping[str, Any]] = json.loads(aws_managed_policies_data)
    return parsed


def is_aws_managed(policy_arn: str) -> bool:
    """Whether ``policy_arn`` names an AWS-managed policy (``arn:PARTITION:iam::aws:policy/...``)."""
    return policy_arn.startswith("arn:") and _PREFIX + "/" in policy_arn


def aws_managed_policy(policy_arn: str) -> Mapping[str, Any] | None:
    """The default version's document of the AWS-managed policy ``policy_arn``, or None when it is not
    one moto knows (or not an AWS-managed policy's ARN at all). The path must match too: it is
    ``.../policy/service-role/AWSLambdaBasicExecutionRole``, never ``.../policy/AWSLambdaBasicExecutionRole``.
    """
    if not is_aws_managed(policy_arn):
        return None
    path_and_name = policy_arn.split(_PREFIX, 1)[1]
    path, _, name = path_and_name.rpartition("/")
    entry = _catalogue().get(name)
    if entry is None or entry.get("Path", "/") != path + "/":
        return None
    document: Mapping[str, Any] = entry["Document"]
    return document
