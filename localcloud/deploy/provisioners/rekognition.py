"""Custom Labels projects, made in the local Rekognition emulator: ``AWS::Rekognition::Project``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .common import (
    Context,
    Provisioned,
    ProvisionError,
    _deleting,
    _failing_as,
    _ResourceType,
    _retag,
    _tags,
)


class Project(_ResourceType):
    """A Custom Labels project, made through the local cloud's Rekognition emulator. Its Ref is its name."""

    label = "Rekognition project"
    supported = frozenset({"ProjectName", "Tags"})
    replaced_by = frozenset({"ProjectName"})

    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
        name = str(properties["ProjectName"])
        request: dict[str, Any] = {"ProjectName": name}
        if tags := _tags(properties):
            request["Tags"] = tags
        with _failing_as(self.label, name):
            arn = str(ctx.client("rekognition").create_project(**request)["ProjectArn"])
        return Provisioned(name, {"Arn": arn})

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned:
        rekognition = ctx.client("rekognition")
        with _failing_as(self.label, physical_id):
            arn = _project_arn(rekognition, physical_id)
            if arn is None:
                raise ProvisionError(
                    f"{self.label} {physical_id}: ResourceNotFoundException it no longer exists"
                )
            _retag(
                old,
                new,
                lambda tags: rekognition.tag_resource(ResourceArn=arn, Tags=tags),
                lambda keys: rekognition.untag_resource(ResourceArn=arn, TagKeys=keys),
            )
        return Provisioned(physical_id, {"Arn": arn})

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None:
        """DeleteProject answers DELETING and the project goes later; the delete does not wait for that."""
        rekognition = ctx.client("rekognition")
        with _deleting(self.label, physical_id, "ResourceNotFoundException"):
            arn = _project_arn(rekognition, physical_id)
            if arn is not None:
                rekognition.delete_project(ProjectArn=arn)


def _project_arn(rekognition: Any, name: str) -> str | None:
    projects = rekognition.describe_projects(ProjectNames=[name])["ProjectDescriptions"]
    return str(projects[0]["ProjectArn"]) if projects else None
