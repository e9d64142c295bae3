"""What every provisioner shares (``common.py``): the physical names CloudFormation generates when a
template gives none, ``<stack>-<logical id>-<12 random>`` trimmed to each service's limit, and that the
services then know each type's resources by those names."""

from __future__ import annotations

import re

from localcloud.deploy.provisioners import generated_name

from .context import TRUST, LocalContext, create


def test_generated_names_have_cloudformations_shape_and_fit_their_limits() -> None:
    # GIVEN a short stack name and logical id WHEN names are generated THEN all three parts survive
    assert re.fullmatch(r"Example-Role-[A-Z0-9]{12}", generated_name("Example", "Role", 64))
    assert re.fullmatch(r"example-bucket-[a-z0-9]{12}", generated_name("Example", "Bucket", 63, lower=True))
    # GIVEN ids too long for the limit THEN the name is exactly the limit, the random suffix kept whole
    long_id = "CustomS3AutoDeleteObjectsCustomResourceProviderRole3B1BD092"
    for long_stack, logical_id, limit in [
        ("S" * 80, long_id, 63),
        ("S" * 80, long_id, 64),
        ("S" * 81, long_id, 128),
        ("S" * 81, "Role", 64),
    ]:
        name = generated_name(long_stack, logical_id, limit)
        assert len(name) == limit
        head, tail, suffix = name.split("-")
        assert long_stack.startswith(head) and logical_id.startswith(tail) and len(suffix) == 12
        assert head and tail
    # AND the longer part is trimmed first: a short logical id is kept whole
    assert generated_name("S" * 81, "Role", 64).split("-")[:2] == ["S" * 46, "Role"]
    # AND two generated names differ
    assert generated_name("Example", "Role", 64) != generated_name("Example", "Role", 64)


def test_generated_physical_names_per_type(ctx: LocalContext) -> None:
    # GIVEN resources without explicit names, on a long stack name
    ctx.stack_name = "A-Very-Long-Stack-Name-For-Testing-Generated-Physical-Names-Here"
    role = create(
        ctx, "AWS::IAM::Role", "ProviderRoleWithAVeryLongLogicalId0123", {"AssumeRolePolicyDocument": TRUST}
    )
    bucket = create(ctx, "AWS::S3::Bucket", "OutputBucket", {})
    group = create(ctx, "AWS::Logs::LogGroup", "Logs", {})
    function = create(
        ctx,
        "AWS::Lambda::Function",
        "Handler",
        {"Role": role.attributes["Arn"], "Runtime": "python3.12", "Handler": "index.handler"},
    )
    # THEN each name is within its service's limit and in its service's alphabet
    assert len(role.physical_id) <= 64 and re.fullmatch(r"[\w+=,.@-]+", role.physical_id)
    assert len(bucket.physical_id) <= 63 and re.fullmatch(r"[a-z0-9][a-z0-9-]*[a-z0-9]", bucket.physical_id)
    assert len(function.physical_id) <= 64
    assert group.physical_id.startswith(ctx.stack_name + "-Logs-")
    # AND the services know them by those names
    assert ctx.client("iam").get_role(RoleName=role.physical_id)["Role"]["Arn"] == role.attributes["Arn"]
    ctx.client("s3").head_bucket(Bucket=bucket.physical_id)
    ctx.client("lambda").get_function(FunctionName=function.physical_id)
