"""Stacks, change sets and resources as CloudFormation's Describe and List operations show them.

Members without a value are left out, as the service leaves them out (the XML serializer drops None).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .records import STACK_TYPE, ChangeSet, Stack


def change_set_description(stack: Stack, change_set: ChangeSet) -> dict[str, Any]:
    """DescribeChangeSet without its (paged) Changes."""
    return {
        "ChangeSetName": change_set.name,
        "ChangeSetId": change_set.id,
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "Description": change_set.description,
        "Parameters": change_set.parameters,
        "CreationTime": change_set.created,
        "ExecutionStatus": change_set.execution_status,
        "Status": change_set.status,
        "StatusReason": change_set.status_reason,
        "NotificationARNs": [],
        "Capabilities": change_set.capabilities,
        "Tags": change_set.tags,
        "IncludeNestedStacks": False,
    }


def change_set_summary(stack: Stack, change_set: ChangeSet) -> dict[str, Any]:
    return {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "ChangeSetId": change_set.id,
        "ChangeSetName": change_set.name,
        "ExecutionStatus": change_set.execution_status,
        "Status": change_set.status,
        "StatusReason": change_set.status_reason,
        "CreationTime": change_set.created,
        "Description": change_set.description,
    }


def _output_value(value: Any) -> str:
    """Outputs are strings; a list (a Fn::Split, a comma-list parameter) is joined as CloudFormation does."""
    if isinstance(value, list):
        return ",".join(map(str, value))
    return str(value)


def _outputs(stack: Stack) -> list[dict[str, Any]] | None:
    if stack.deployment is None or not stack.deployment.outputs:
        return None
    declared = stack.deployment.template.get("Outputs") or {}
    return [
        {
            "OutputKey": key,
            "OutputValue": _output_value(value),
            "Description": (declared.get(key) or {}).get("Description"),
        }
        for key, value in stack.deployment.outputs.items()
    ]


def stack_description(stack: Stack) -> dict[str, Any]:
    """One of DescribeStacks' Stacks."""
    return {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "ChangeSetId": stack.change_set_id,
        "Description": stack.description,
        "Parameters": stack.parameters,
        "CreationTime": stack.created,
        "DeletionTime": stack.deleted,
        "LastUpdatedTime": stack.last_updated,
        "StackStatus": stack.status,
        "StackStatusReason": stack.status_reason,
        "DisableRollback": False,
        "NotificationARNs": [],
        "Capabilities": stack.capabilities,
        "Outputs": _outputs(stack),
        "RoleARN": stack.role_arn,
        "Tags": stack.tags,
        "EnableTerminationProtection": stack.termination_protection,
        "DriftInformation": {"StackDriftStatus": "NOT_CHECKED"},
    }


def stack_summary(stack: Stack) -> dict[str, Any]:
    """One of ListStacks' StackSummaries."""
    return {
        "StackId": stack.stack_id,
        "StackName": stack.name,
        "CreationTime": stack.created,
        "LastUpdatedTime": stack.last_updated,
        "DeletionTime": stack.deleted,
        "StackStatus": stack.status,
        "StackStatusReason": stack.status_reason,
    }


def stack_resources(stack: Stack) -> Iterator[dict[str, Any]]:
    """Each deployed resource with the status and time of its latest event."""
    latest: dict[str, dict[str, Any]] = {}
    for event in stack.events:
        if event["ResourceType"] != STACK_TYPE or event["LogicalResourceId"] != stack.name:
            latest[event["LogicalResourceId"]] = event
    for logical_id, resource in (stack.deployment.resources if stack.deployment else {}).items():
        event = latest.get(logical_id, {})
        yield {
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": resource.physical_id,
            "ResourceType": resource.type,
            "Timestamp": event.get("Timestamp", stack.created),
            "ResourceStatus": event.get("ResourceStatus", "CREATE_COMPLETE"),
            "DriftInformation": {"StackResourceDriftStatus": "NOT_CHECKED"},
        }
