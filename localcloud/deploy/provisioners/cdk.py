"""The CDK's own bookkeeping resource, which provisions nothing: ``AWS::CDK::Metadata``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import Context, Provisioned, _ResourceType


class Metadata(_ResourceType):
    """``AWS::CDK::Metadata`` records which constructs made the stack; there is nothing to provision."""

    label = "CDK metadata"
    supported = frozenset({"Analytics"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        return Provisioned("metadata", {})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        return Provisioned(physical_id, {})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        return None
