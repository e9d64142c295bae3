"""What the local cloud holds of the kinds a model-version stack creates (and must not leak).

``inventory`` is the machine-readable view behind ``python -m localcloud status --json`` (its keys and
entries are documented in the README and kept stable); ``leftovers`` is the leak check after a destroy.
"""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from ..gateway.server import LocalCloud

Inventory = dict[str, list[dict[str, Any]]]
# Statuses in which a model version uses inference units (and costs money) until stopped.
SERVING_STATUSES = frozenset({"STARTING", "RUNNING", "STOPPING"})


def _pages(client: Any, operation: str, key: str, **request: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in client.get_paginator(operation).paginate(**request):
        items += page[key]
    return items


def _projects_and_versions(cloud: LocalCloud) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rekognition = cloud.client("rekognition")
    projects, versions = [], []
    for project in _pages(rekognition, "describe_projects", "ProjectDescriptions"):
        name = project["ProjectArn"].split(":project/", 1)[1].split("/", 1)[0]
        projects.append({"name": name, "arn": project["ProjectArn"], "status": project["Status"]})
        if project["Status"] == "DELETING":
            continue
        described = _pages(
            rekognition,
            "describe_project_versions",
            "ProjectVersionDescriptions",
            ProjectArn=project["ProjectArn"],
        )
        versions += [
            {
                "project": name,
                "name": version["ProjectVersionArn"].split("/version/", 1)[1].split("/", 1)[0],
                "arn": version["ProjectVersionArn"],
                "status": version["Status"],
                # As DescribeProjectVersions reports them (None when it reports none, e.g. never started).
                "min_inference_units": version.get("MinInferenceUnits"),
                "max_inference_units": version.get("MaxInferenceUnits"),
            }
            for version in described
        ]
    return projects, versions


def _rules(cloud: LocalCloud) -> list[dict[str, Any]]:
    events = cloud.client("events")
    rules = []
    for bus in events.list_event_buses()["EventBuses"]:
        for rule in _pages(events, "list_rules", "Rules", EventBusName=bus["Name"]):
            rules.append(
                {
                    "name": rule["Name"],
                    "arn": rule["Arn"],
                    "event_bus": bus["Name"],
                    "state": rule.get("State", ""),
                    "schedule": rule.get("ScheduleExpression", ""),
                }
            )
    return rules


def _permissions(lambda_client: Any, function_name: str) -> list[dict[str, Any]]:
    try:
        policy = json.loads(lambda_client.get_policy(FunctionName=function_name)["Policy"])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return []  # a function without a resource policy
        raise
    permissions = []
    for statement in policy.get("Statement", []):
        principal = statement.get("Principal", "")
        condition = statement.get("Condition", {})
        permissions.append(
            {
                "function": function_name,
                "statement_id": statement.get("Sid", ""),
                "principal": principal.get("Service", principal)
                if isinstance(principal, dict)
                else principal,
                "action": statement.get("Action", ""),
                "source_arn": condition.get("ArnLike", {}).get("AWS:SourceArn", ""),
            }
        )
    return permissions


def inventory(cloud: LocalCloud) -> Inventory:
    """Everything a stack of ours creates and could leak once destroyed, looked up in the local cloud.

    Entries the service has accepted to delete (status ``DELETING``) are listed with that status: they
    are on their way out. A project being deleted lists no versions.
    """
    projects, versions = _projects_and_versions(cloud)
    lambda_client = cloud.client("lambda")
    functions = _pages(lambda_client, "list_functions", "Functions")
    return {
        "projects": projects,
        "model_versions": versions,
        "eventbridge_rules": _rules(cloud),
        "lambda_functions": [{"name": f["FunctionName"], "arn": f["FunctionArn"]} for f in functions],
        "lambda_permissions": [
            permission for f in functions for permission in _permissions(lambda_client, f["FunctionName"])
        ],
        "s3_buckets": [{"name": b["Name"]} for b in cloud.client("s3").list_buckets()["Buckets"]],
    }


def leftovers(found: Inventory) -> Inventory:
    """What a destroyed stack of ours must not leave: projects and model versions not being deleted,
    polling rules, Lambda functions and their permissions (S3 buckets are not counted: datasets stay)."""
    return {
        "projects": [p for p in found["projects"] if p["status"] != "DELETING"],
        "model_versions": [v for v in found["model_versions"] if v["status"] != "DELETING"],
        "eventbridge_rules": found["eventbridge_rules"],
        "lambda_functions": found["lambda_functions"],
        "lambda_permissions": found["lambda_permissions"],
    }


_TITLES = {
    "projects": "projects",
    "model_versions": "model versions",
    "eventbridge_rules": "EventBridge rules",
    "lambda_functions": "Lambda functions",
    "lambda_permissions": "Lambda permissions",
    "s3_buckets": "S3 buckets",
}


def _describe(kind: str, entry: dict[str, Any]) -> str:
    if kind == "projects":
        return f"{entry['name']}  {entry['status']}"
    if kind == "model_versions":
        return f"{entry['project']}/{entry['name']}  {entry['status']}  {entry['arn']}"
    if kind == "eventbridge_rules":
        return f"{entry['name']}  {entry['state']}  {entry['schedule']}".rstrip()
    if kind == "lambda_permissions":
        return f"{entry['function']}  {entry['statement_id']}  {entry['principal']}"
    return str(entry["name"])


def _inference_units(entry: dict[str, Any]) -> str:
    """A model version's inference units in words; without a maximum the service does not auto-scale."""
    low, high = entry.get("min_inference_units"), entry.get("max_inference_units")
    if low is None:
        return "inference units not reported" if high is None else f"up to {high} inference units"
    if high is None or high == low:
        return f"{low} inference unit{'s' * (low != 1)}"
    return f"{low} to {high} inference units (auto scaling)"


def inventory_lines(found: Inventory) -> list[str]:
    """A heading per kind with its count, then one indented line per entry."""
    lines = []
    for kind, entries in found.items():
        lines.append(f"  {_TITLES.get(kind, kind)}: {len(entries)}")
        lines += [f"    {_describe(kind, entry)}" for entry in entries]
    running = [v for v in found.get("model_versions", []) if v["status"] in SERVING_STATUSES]
    if running:
        lines.append(f"  running models: {len(running)}")
        lines += [f"    {v['arn']}  {v['status']}  {_inference_units(v)}" for v in running]
    return lines
