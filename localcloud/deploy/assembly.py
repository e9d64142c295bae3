"""Read a CDK cloud assembly (``cdk.out``): its stacks, their templates and file assets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STACK_ARTIFACT = "aws:cloudformation:stack"


@dataclass(frozen=True)
class StackArtifact:
    name: str
    stack_name: str
    template: dict[str, Any]
    assembly_dir: Path | None  # None: deployed through the CloudFormation API, its code in S3

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        resources: dict[str, dict[str, Any]] = self.template.get("Resources", {})
        return resources

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {k: v for k, v in self.resources.items() if v.get("Type") == resource_type}

    def asset_dir(self, logical_id: str) -> Path | None:
        """The folder a Lambda function's code was bundled into: ``asset.<hash>`` for ``<hash>.zip``."""
        return code_asset_dir(self.assembly_dir, self.resources[logical_id].get("Properties", {}))


def code_asset_dir(assembly_dir: Path | None, function_properties: Mapping[str, Any]) -> Path | None:
    """Where in a cloud assembly the code of a function with these (template) properties is."""
    key = function_properties.get("Code", {}).get("S3Key")
    if assembly_dir is None or not isinstance(key, str) or not key.endswith(".zip"):
        return None
    folder = assembly_dir / f"asset.{key.removesuffix('.zip')}"
    return folder if folder.is_dir() else None


def read_assembly(assembly_dir: Path) -> list[StackArtifact]:
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    stacks = []
    for name, artifact in sorted(manifest.get("artifacts", {}).items()):
        if artifact.get("type") != STACK_ARTIFACT:
            continue
        properties = artifact.get("properties", {})
        template = json.loads((assembly_dir / properties["templateFile"]).read_text())
        stacks.append(
            StackArtifact(
                name=name,
                stack_name=properties.get("stackName", name),
                template=template,
                assembly_dir=assembly_dir,
            )
        )
    return stacks
