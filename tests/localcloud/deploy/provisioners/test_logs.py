"""``AWS::Logs::LogGroup`` (``logs.py``): Ref and the ``:*``-ended Arn CloudFormation gives, retention
set and dropped in place, a new name meaning replacement, and deletes that may be repeated."""

from __future__ import annotations

from localcloud.deploy.provisioners import Provisioned, provisioner_for

from .context import ACCOUNT, REGION, LocalContext


def test_log_group_create_update_delete(ctx: LocalContext) -> None:
    logs = ctx.client("logs")
    group = provisioner_for("AWS::Logs::LogGroup")
    assert group is not None
    old = {
        "LogGroupName": "/aws/lambda/RekCL-1",
        "RetentionInDays": 365,
        "Tags": [{"Key": "app", "Value": "demo"}],
    }
    # WHEN it is created THEN Ref is its name and Arn ends in ":*", as CloudFormation's does
    made = group.create(ctx, "Logs", old)
    assert made == Provisioned(
        "/aws/lambda/RekCL-1", {"Arn": f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/RekCL-1:*"}
    )
    (described,) = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/RekCL-1")["logGroups"]
    assert described["retentionInDays"] == 365
    # WHEN retention is dropped THEN the group keeps its events forever; a new name would replace it
    new = {"LogGroupName": "/aws/lambda/RekCL-1", "Tags": [{"Key": "app", "Value": "demo"}]}
    assert not group.needs_replacement(old, new)
    assert group.needs_replacement(old, {**new, "LogGroupName": "/aws/lambda/RekCL-2"})
    group.update(ctx, "Logs", made.physical_id, old, new)
    (described,) = logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/RekCL-1")["logGroups"]
    assert "retentionInDays" not in described
    # WHEN it is deleted, twice THEN it is gone
    group.delete(ctx, made.physical_id, new)
    group.delete(ctx, made.physical_id, new)
    assert logs.describe_log_groups(logGroupNamePrefix="/aws/lambda/RekCL-1")["logGroups"] == []
