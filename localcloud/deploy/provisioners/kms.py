"""KMS keys and their aliases: ``AWS::KMS::Key`` and ``AWS::KMS::Alias``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import (
    Context,
    Provisioned,
    ProvisionError,
    _changed,
    _deleting,
    _document,
    _failing_as,
    _flag,
    _number,
    _quietly,
    _ResourceType,
    _retag,
    _tags,
    partition,
)


def _kms_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"TagKey": k, "TagValue": v} for k, v in tags.items()]


class Key(_ResourceType):
    label = "KMS key"
    supported = frozenset(
        {
            "Description",
            "Enabled",
            "EnableKeyRotation",
            "RotationPeriodInDays",
            "KeyPolicy",
            "KeySpec",
            "KeyUsage",
            "MultiRegion",
            "Origin",
            "PendingWindowInDays",
            "Tags",
        }
    )
    replaced_by = frozenset({"KeySpec", "KeyUsage", "MultiRegion", "Origin"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        kms = ctx.client("kms")
        request: dict[str, Any] = {
            k: properties[k] for k in ("Description", "KeySpec", "KeyUsage", "Origin") if k in properties
        }
        if "KeyPolicy" in properties:
            request["Policy"] = _document(properties["KeyPolicy"])
        if "MultiRegion" in properties:
            request["MultiRegion"] = _flag(properties["MultiRegion"])
        if tags := _tags(properties):
            request["Tags"] = _kms_tags(tags)
        with _failing_as(self.label, logical_id):
            key_id = str(kms.create_key(**request)["KeyMetadata"]["KeyId"])
        try:
            self._settle(kms, key_id, {}, properties)
        except ProvisionError:
            _quietly(lambda: kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7))
            raise
        return Provisioned(key_id, self._attributes(ctx, key_id))

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        kms = ctx.client("kms")
        with _failing_as(self.label, physical_id):
            if _changed(old, new, "Description"):
                kms.update_key_description(KeyId=physical_id, Description=str(new.get("Description", "")))
            if _changed(old, new, "KeyPolicy") and "KeyPolicy" in new:
                kms.put_key_policy(
                    KeyId=physical_id, PolicyName="default", Policy=_document(new["KeyPolicy"])
                )
            _retag(
                old,
                new,
                lambda tags: kms.tag_resource(KeyId=physical_id, Tags=_kms_tags(tags)),
                lambda keys: kms.untag_resource(KeyId=physical_id, TagKeys=keys),
            )
        self._settle(kms, physical_id, old, new)
        return Provisioned(physical_id, self._attributes(ctx, physical_id))

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """Keys are never deleted at once: they are scheduled, with a window of 7 to 30 days (default 30)."""
        window = min(30, max(7, _number(properties.get("PendingWindowInDays", 30))))
        # KMSInvalidStateException: already pending deletion, which is where delete leads anyway.
        with _deleting(self.label, physical_id, "NotFoundException", "KMSInvalidStateException"):
            ctx.client("kms").schedule_key_deletion(KeyId=physical_id, PendingWindowInDays=window)

    def _settle(self, kms: Any, key_id: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        """Rotation and enablement, which CreateKey does not take."""
        with _failing_as(self.label, key_id):
            if _changed(old, new, "EnableKeyRotation", "RotationPeriodInDays"):
                if _flag(new.get("EnableKeyRotation", False)):
                    period = new.get("RotationPeriodInDays")
                    extra = {"RotationPeriodInDays": _number(period)} if period is not None else {}
                    kms.enable_key_rotation(KeyId=key_id, **extra)
                elif old:
                    kms.disable_key_rotation(KeyId=key_id)
            if _changed(old, new, "Enabled"):
                if _flag(new.get("Enabled", True)):
                    kms.enable_key(KeyId=key_id)
                else:
                    kms.disable_key(KeyId=key_id)

    @staticmethod
    def _attributes(ctx: Context, key_id: str) -> dict[str, Any]:
        arn = f"arn:{partition(ctx.region)}:kms:{ctx.region}:{ctx.account}:key/{key_id}"
        return {"Arn": arn, "KeyId": key_id}


class Alias(_ResourceType):
    """``AWS::KMS::Alias``: a name for a key, moved to another key in place; its Ref is the alias name."""

    label = "KMS alias"
    supported = frozenset({"AliasName", "TargetKeyId"})
    replaced_by = frozenset({"AliasName"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        name = str(properties["AliasName"])
        with _failing_as(self.label, name):
            ctx.client("kms").create_alias(AliasName=name, TargetKeyId=str(properties["TargetKeyId"]))
        return Provisioned(name, {})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        if _changed(old, new, "TargetKeyId"):
            with _failing_as(self.label, physical_id):
                ctx.client("kms").update_alias(AliasName=physical_id, TargetKeyId=str(new["TargetKeyId"]))
        return Provisioned(physical_id, {})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        with _deleting(self.label, physical_id, "NotFoundException"):
            ctx.client("kms").delete_alias(AliasName=physical_id)
