"""Print what a synthesized app declares: stacks, resources and every model version's request."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from ..deploy.assembly import StackArtifact, read_assembly

PROJECT_VERSION = "Custom::RekognitionProjectVersion"


class NotAnAssembly(Exception):
    """The folder is no cloud assembly of any stack; the message (one line) says why and what to do."""


def assembly_problem(assembly_dir: Path) -> str | None:
    """Why ``assembly_dir`` is not a cloud assembly (one line), or None when it holds a manifest.json."""
    if not assembly_dir.exists():
        return f"{assembly_dir} is not a cloud assembly (no such folder): run cdk synth first"
    if not assembly_dir.is_dir():
        return (
            f"{assembly_dir} is not a cloud assembly (a file, not a folder): name the folder cdk synth "
            "wrote (cdk.out by default)"
        )
    if not (assembly_dir / "manifest.json").is_file():
        return f"{assembly_dir} is not a cloud assembly (no manifest.json): run cdk synth first"
    return None


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
    """What the cloud assembly in ``assembly_dir`` declares; NotAnAssembly when it is none (missing, a
    file, no manifest.json, unreadable, or no stacks)."""
    problem = assembly_problem(assembly_dir)
    if problem:
        raise NotAnAssembly(problem)
    try:
        stacks = read_assembly(assembly_dir)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        reason = f"{type(error).__name__}: {error}".replace("\n", " ")
        raise NotAnAssembly(
            f"{assembly_dir} is not a readable cloud assembly ({reason}): run cdk synth again"
        ) from error
    if not stacks:
        raise NotAnAssembly(f"no stacks in {assembly_dir}")
    return "\n".join(line for stack in stacks for line in describe_stack(stack))
