"""What the local cloud holds of the kinds a model-version stack creates (and must not leak)."""

from __future__ import annotations

from typing import Any

from .server import LocalCloud


def inventory(cloud: LocalCloud) -> dict[str, list[Any]]:
    """Everything a stack of ours creates and could leak once destroyed, looked up in the local cloud."""
    rekognition = cloud.client("rekognition")
    projects = [
        p for p in rekognition.describe_projects()["ProjectDescriptions"] if p["Status"] != "DELETING"
    ]
    versions = [
        v
        for p in projects
        for v in rekognition.describe_project_versions(ProjectArn=p["ProjectArn"])[
            "ProjectVersionDescriptions"
        ]
        if v["Status"] != "DELETING"  # accepted for deletion: on its way out, not left behind
    ]
    functions = cloud.client("lambda").list_functions()["Functions"]
    return {
        "projects": [p["ProjectArn"] for p in projects],
        "model versions": [v["ProjectVersionArn"] for v in versions],
        "running models": [
            v["ProjectVersionArn"] for v in versions if v["Status"] in ("RUNNING", "STARTING")
        ],
        "EventBridge rules": [r["Name"] for r in cloud.client("events").list_rules()["Rules"]],
        "Lambda functions and their permissions": [f["FunctionName"] for f in functions],
    }


def inventory_lines(found: dict[str, list[Any]]) -> list[str]:
    """One line a kind: how many, and which."""
    return [f"  {what:<40} {len(items)}" + (f"  {items}" if items else "") for what, items in found.items()]
