"""CloudWatch Logs log groups: ``AWS::Logs::LogGroup``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import (
    Context,
    Provisioned,
    ProvisionError,
    _changed,
    _deleting,
    _failing_as,
    _number,
    _quietly,
    _ResourceType,
    _retag,
    _tags,
    generated_name,
    partition,
)


class LogGroup(_ResourceType):
    label = "Log group"
    supported = frozenset({"LogGroupName", "RetentionInDays", "KmsKeyId", "LogGroupClass", "Tags"})
    replaced_by = frozenset({"LogGroupName", "LogGroupClass"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        logs = ctx.client("logs")
        name = str(properties.get("LogGroupName") or generated_name(ctx.stack_name, logical_id, 512))
        request: dict[str, Any] = {"logGroupName": name}
        if "KmsKeyId" in properties:
            request["kmsKeyId"] = str(properties["KmsKeyId"])
        if "LogGroupClass" in properties:
            request["logGroupClass"] = str(properties["LogGroupClass"])
        if tags := _tags(properties):
            request["tags"] = tags
        with _failing_as(self.label, name):
            logs.create_log_group(**request)
        try:
            self._retention(logs, name, {}, properties)
        except ProvisionError:
            _quietly(lambda: logs.delete_log_group(logGroupName=name))
            raise
        return Provisioned(name, {"Arn": f"{self._arn(ctx, name)}:*"})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        logs = ctx.client("logs")
        arn = self._arn(ctx, physical_id)
        self._retention(logs, physical_id, old, new)
        with _failing_as(self.label, physical_id):
            if _changed(old, new, "KmsKeyId"):
                if new.get("KmsKeyId"):
                    logs.associate_kms_key(logGroupName=physical_id, kmsKeyId=str(new["KmsKeyId"]))
                else:
                    logs.disassociate_kms_key(logGroupName=physical_id)
            _retag(
                old,
                new,
                lambda tags: logs.tag_resource(resourceArn=arn, tags=tags),
                lambda keys: logs.untag_resource(resourceArn=arn, tagKeys=keys),
            )
        return Provisioned(physical_id, {"Arn": f"{arn}:*"})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        with _deleting(self.label, physical_id, "ResourceNotFoundException"):
            ctx.client("logs").delete_log_group(logGroupName=physical_id)

    def _retention(self, logs: Any, name: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        if not _changed(old, new, "RetentionInDays"):
            return
        with _failing_as(self.label, name):
            if new.get("RetentionInDays") is not None:
                logs.put_retention_policy(logGroupName=name, retentionInDays=_number(new["RetentionInDays"]))
            else:
                logs.delete_retention_policy(logGroupName=name)

    @staticmethod
    def _arn(ctx: Context, name: str) -> str:
        """The log group's ARN as the Logs API takes it; CloudFormation's ``Arn`` adds ``:*``."""
        return f"arn:{partition(ctx.region)}:logs:{ctx.region}:{ctx.account}:log-group:{name}"
