"""SSM parameters: ``AWS::SSM::Parameter`` (the bootstrap stack's ``/cdk-bootstrap/<qualifier>/version``)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from .common import (
    Context,
    Provisioned,
    ProvisionError,
    _changed,
    _deleting,
    _failing_as,
    _ResourceType,
    _retag,
    _tag_list,
    _tags,
    generated_name,
)

# The properties PutParameter takes as they are (Tags aside: PutParameter refuses them with Overwrite).
_PUT = ("Type", "Value", "Description", "Tier", "AllowedPattern", "DataType", "Policies")


class Parameter(_ResourceType):
    label = "SSM parameter"
    supported = frozenset({*_PUT, "Name", "Tags"})
    replaced_by = frozenset({"Name"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        # CloudFormation names an unnamed parameter CFN-<logical id>-<random>.
        name = str(properties.get("Name") or generated_name("CFN", logical_id, 2048))
        self._check_pattern(name, properties)
        request = self._request(name, properties)
        if tags := _tags(properties):
            request["Tags"] = _tag_list(tags)
        with _failing_as(self.label, name):
            # Without Overwrite, a parameter of that name already there fails the create, as it should.
            ctx.client("ssm").put_parameter(**request)
        return Provisioned(name, self._attributes(properties))

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        ssm = ctx.client("ssm")
        self._check_pattern(physical_id, new)
        with _failing_as(self.label, physical_id):
            if _changed(old, new, *_PUT):
                request = self._request(physical_id, new)
                if "Description" in old and "Description" not in new:
                    request["Description"] = ""  # Overwrite keeps a description it is not given
                ssm.put_parameter(**request, Overwrite=True)
            _retag(
                old,
                new,
                lambda tags: ssm.add_tags_to_resource(
                    ResourceType="Parameter", ResourceId=physical_id, Tags=_tag_list(tags)
                ),
                lambda keys: ssm.remove_tags_from_resource(
                    ResourceType="Parameter", ResourceId=physical_id, TagKeys=keys
                ),
            )
        return Provisioned(physical_id, self._attributes(new))

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        with _deleting(self.label, physical_id, "ParameterNotFound"):
            ctx.client("ssm").delete_parameter(Name=physical_id)

    def _check_pattern(self, name: str, properties: Mapping[str, Any]) -> None:
        """SSM refuses a value its AllowedPattern does not match; moto does not check, so it is done here."""
        pattern, value = properties.get("AllowedPattern"), str(properties.get("Value", ""))
        if not pattern:
            return
        try:
            matched = re.search(str(pattern), value)
        except re.error as error:
            raise ProvisionError(
                f"{self.label} {name}: ValidationException AllowedPattern: {error}"
            ) from error
        if matched is None:
            raise ProvisionError(
                f"{self.label} {name}: ParameterPatternMismatchException Parameter value, {value}, "
                f"failed to satisfy constraint specified in AllowedPattern: {pattern}."
            )

    @staticmethod
    def _request(name: str, properties: Mapping[str, Any]) -> dict[str, Any]:
        return {"Name": name, **{k: str(properties[k]) for k in _PUT if k in properties}}

    @staticmethod
    def _attributes(properties: Mapping[str, Any]) -> dict[str, Any]:
        """``Type`` and ``Value`` as just written, so a GetAtt needs no read that could race an update."""
        return {"Type": str(properties.get("Type", "")), "Value": str(properties.get("Value", ""))}
