"""``AWS::Lambda::Function`` and ``AWS::Lambda::Permission`` (``lambda_.py``): a function's code (the
engine's asset zip, or inline source packaged the same way each time), environment, settings and tags
through create, update and delete; and permissions as statements of the function's policy, replaced on
any change, with the statement ids and Ref CloudFormation gives them."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import pytest

from localcloud.deploy.provisioners import Provisioned, ProvisionError, provisioner_for
from localcloud.gateway.server import LocalCloud

from .context import ACCOUNT, REGION, LocalContext, create, make_role


def test_lambda_function_create_update_delete(ctx: LocalContext) -> None:
    lam = ctx.client("lambda")
    role = make_role(ctx, "fn-role").attributes["Arn"]
    function = provisioner_for("AWS::Lambda::Function")
    assert function is not None
    old = {
        "FunctionName": "handler-fn",
        "Code": {"S3Bucket": "cdk-assets", "S3Key": "one.zip"},
        "Runtime": "python3.14",
        "Handler": "index.handler",
        "Role": role,
        "Environment": {"Variables": {"LOG_LEVEL": "INFO", "RETRIES": 3}},
        "Timeout": 300,
        "MemorySize": "256",
        "Description": "provider",
        "LoggingConfig": {"LogGroup": "/aws/lambda/handler-fn"},
        "Tags": [{"Key": "app", "Value": "demo"}],
    }
    # WHEN it is created THEN Ref is its name, Arn its ARN
    made = function.create(ctx, "Handler", old)
    assert made == Provisioned(
        "handler-fn", {"Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:handler-fn"}
    )
    # AND it runs the engine's zip, with the environment (values as strings) and the settings
    got = lam.get_function(FunctionName="handler-fn")
    configuration = got["Configuration"]
    assert configuration["Environment"]["Variables"] == {"LOG_LEVEL": "INFO", "RETRIES": "3"}
    assert (configuration["Runtime"], configuration["Handler"], configuration["Role"]) == (
        "python3.14",
        "index.handler",
        role,
    )
    assert (configuration["Timeout"], configuration["MemorySize"]) == (300, 256)
    assert got["Tags"] == {"app": "demo"}
    first_code = configuration["CodeSha256"]
    # WHEN the code asset, the environment and the tags change THEN the same function is updated
    new = {
        **old,
        "Code": {"S3Bucket": "cdk-assets", "S3Key": "two.zip"},
        "Environment": {"Variables": {"LOG_LEVEL": "DEBUG"}},
        "Tags": [{"Key": "team", "Value": "vision"}],
    }
    assert not function.needs_replacement(old, new)
    assert function.update(ctx, "Handler", "handler-fn", old, new) == made
    got = lam.get_function(FunctionName="handler-fn")
    assert got["Configuration"]["CodeSha256"] != first_code
    assert got["Configuration"]["Environment"]["Variables"] == {"LOG_LEVEL": "DEBUG"}
    assert got["Tags"] == {"team": "vision"}
    # WHEN it is deleted, twice THEN it is gone
    function.delete(ctx, "handler-fn", new)
    function.delete(ctx, "handler-fn", new)
    assert lam.list_functions()["Functions"] == []


class InlineOnlyContext(LocalContext):
    """For functions whose code is inline: reading a code asset would be a mistake."""

    def asset_zip(self, properties: Mapping[str, Any]) -> bytes:
        raise AssertionError("inline code must not be read from an asset")


def inline_function(ctx: LocalContext, name: str, source: str) -> Provisioned:
    role = make_role(ctx, f"{name}-role").attributes["Arn"]
    return create(
        ctx,
        "AWS::Lambda::Function",
        "Inline",
        {
            "FunctionName": name,
            "Code": {"ZipFile": source},
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": role,
        },
    )


def test_inline_function_code_is_packaged_as_cloudformation_does(cloud: LocalCloud) -> None:
    ctx = InlineOnlyContext(cloud)
    lam = ctx.client("lambda")
    source = "def handler(event, context):\n    return event\n"
    # GIVEN two functions of the same inline source WHEN created (no code asset is read)
    inline_function(ctx, "inline-one", source)
    inline_function(ctx, "inline-two", source)
    # THEN their packages are identical: the zip does not depend on when it was made
    one = lam.get_function(FunctionName="inline-one")["Configuration"]
    two = lam.get_function(FunctionName="inline-two")["Configuration"]
    assert one["CodeSha256"] == two["CodeSha256"] and one["CodeSize"] > 0
    # WHEN the source changes THEN the same function gets a new package
    function = provisioner_for("AWS::Lambda::Function")
    assert function is not None
    old = {"Code": {"ZipFile": source}, "Runtime": "python3.12", "Handler": "index.handler"}
    old["Role"] = one["Role"]
    new = {**old, "Code": {"ZipFile": source.replace("event", "context")}}
    assert not function.needs_replacement(old, new)
    function.update(ctx, "Inline", "inline-one", old, new)
    assert lam.get_function(FunctionName="inline-one")["Configuration"]["CodeSha256"] != one["CodeSha256"]


def policy_statements(lam: Any, function: str) -> list[dict[str, Any]]:
    policy = json.loads(lam.get_policy(FunctionName=function)["Policy"])
    statements: list[dict[str, Any]] = policy["Statement"]
    return statements


def test_lambda_permission_create_replace_delete(ctx: LocalContext) -> None:
    lam = ctx.client("lambda")
    arn = inline_function(ctx, "invoked-fn", "def handler(event, context):\n    return 1\n").attributes["Arn"]
    permission = provisioner_for("AWS::Lambda::Permission")
    assert permission is not None
    rule_arn = f"arn:aws:events:{REGION}:{ACCOUNT}:rule/every-five"
    properties = {
        "FunctionName": arn,
        "Action": "lambda:InvokeFunction",
        "Principal": "events.amazonaws.com",
        "SourceArn": rule_arn,
        "SourceAccount": ACCOUNT,
    }
    # WHEN a permission is created THEN the statement id is generated as CloudFormation does, Ref is
    # "<FunctionName>|<statement id>" (the type's primary identifier) and Fn::GetAtt Id the statement id
    made = permission.create(ctx, "InvokePermission", properties)
    function_name, _, statement_id = made.physical_id.rpartition("|")
    assert function_name == arn
    assert re.fullmatch(r"Example-InvokePermission-[A-Z0-9]{12}", statement_id)
    assert made.attributes == {"Id": statement_id}
    # AND the function's policy allows EventBridge to invoke it, from that rule and account only
    (statement,) = policy_statements(lam, "invoked-fn")
    assert statement["Sid"] == statement_id
    assert statement["Effect"] == "Allow" and statement["Action"] == "lambda:InvokeFunction"
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Condition"]["ArnLike"] == {"AWS:SourceArn": rule_arn}
    assert statement["Condition"]["StringEquals"] == {"AWS:SourceAccount": ACCOUNT}
    # AND a second permission of the same function gets its own statement
    other = permission.create(ctx, "OtherPermission", {**properties, "SourceArn": rule_arn + "-2"})
    assert len(policy_statements(lam, "invoked-fn")) == 2
    # WHEN any property changes THEN it is a replacement (update is never reached with a real change)
    for name, value in [
        ("FunctionName", "invoked-fn"),
        ("Action", "lambda:GetFunction"),
        ("Principal", "s3.amazonaws.com"),
        ("SourceArn", rule_arn + "-3"),
        ("SourceAccount", "210987654321"),
        ("EventSourceToken", "token"),
        ("PrincipalOrgID", "o-abcdefghij"),
        ("FunctionUrlAuthType", "NONE"),
        ("InvokedViaFunctionUrl", True),
    ]:
        assert permission.needs_replacement(properties, {**properties, name: value}), name
    assert permission.update(ctx, "InvokePermission", made.physical_id, properties, properties) == made
    # WHEN it is deleted, twice THEN only its statement is gone
    permission.delete(ctx, made.physical_id, properties)
    permission.delete(ctx, made.physical_id, properties)
    assert [s["Sid"] for s in policy_statements(lam, "invoked-fn")] == [other.attributes["Id"]]
    # AND once the function is gone, deleting the other permission is no error either
    lam.delete_function(FunctionName="invoked-fn")
    permission.delete(ctx, other.physical_id, properties)


def test_lambda_permission_on_a_missing_function_fails_readably(ctx: LocalContext) -> None:
    # GIVEN no function "absent-fn" WHEN a permission on it is created THEN it fails with Lambda's words
    properties = {"FunctionName": "absent-fn", "Action": "lambda:InvokeFunction", "Principal": ACCOUNT}
    with pytest.raises(
        ProvisionError, match=r"^Lambda permission on absent-fn: ResourceNotFoundException Function not found"
    ):
        create(ctx, "AWS::Lambda::Permission", "Permission", properties)
