"""Print what a synthesized app declares: stacks, resources and every model version's request."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..deploy.assembly import StackArtifact, read_assembly

PROJECT_VERSION = "Custom::RekognitionProjectVersion"


def _short(value: Any) -> str:
    """A template value as a reader wants it: literals as is, references by name."""
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{argument[0]}.{argument[1]}>"
        if function == "Fn::Join":
            return str(argument[0]).join(_short(part) for part in argument[1])
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _manifests(data: dict[str, Any] | None) -> str:
    if data is None:
        return "the project's datasets"
    if data.get("AutoCreate"):
        return "split from the training data (AutoCreate)"
    objects = [asset["GroundTruthManifest"]["S3Object"] for asset in data.get("Assets", [])]
    return ", ".join(f"s3://{_short(o['Bucket'])}/{_short(o['Name'])}" for o in objects)


def describe_stack(stack: StackArtifact) -> list[str]:
    lines = [f"Stack {stack.stack_name}"]
    counts = Counter(resource["Type"] for resource in stack.resources.values())
    lines += [f"  {count:3d} x {resource_type}" for resource_type, count in sorted(counts.items())]
    for logical_id, resource in stack.resources_of_type(PROJECT_VERSION).items():
        props = resource["Properties"]
        output = props.get("OutputConfig", {})
        output_uri = f"s3://{_short(output.get('S3Bucket'))}/{_short(output.get('S3KeyPrefix', ''))}"
        lines += [
            f"  Model version {logical_id} ({resource.get('DeletionPolicy', 'Delete')} on stack delete)",
            f"    project         {_short(props['ProjectArn'])}",
            f"    version name    {_short(props['VersionName'])}",
            f"    training data   {_manifests(props.get('TrainingData'))}",
            f"    testing data    {_manifests(props.get('TestingData'))}",
            f"    output          {output_uri}",
            f"    KMS key         {_short(props.get('KmsKeyId', 'AWS owned'))}",
            f"    tags            {_short(props.get('Tags', {}))}",
            f"    service timeout {props.get('ServiceTimeout', '3600')} s",
            f"    provider        {_short(props['ServiceToken'])}",
        ]
    return lines


def show(assembly_dir: Path) -> str:
    stacks = read_assembly(assembly_dir)
    if not stacks:
        raise SystemExit(f"no stacks in {assembly_dir}")
    return "\n".join(line for stack in stacks for line in describe_stack(stack))
