"""A change set's ``Changes``: what executing it adds, modifies (in place or by replacement) and removes.

As CloudFormation computes them before anything runs: from the deployed template against the new one,
property by property (``Static``), and for resources that only refer to something being replaced
(``Dynamic``, their replacement ``Conditional`` when the referring property needs one).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..deploy.intrinsics import references
from ..deploy.provisioners import provisioner_for, takes_tags
from ..deploy.provisioners.common import _ResourceType

_RESOURCE_ATTRIBUTES = ("DeletionPolicy", "UpdateReplacePolicy", "Condition", "DependsOn", "Metadata")


def _replaced_by(resource_type: str) -> frozenset[str] | None:
    """The properties whose change replaces a resource of this type; None when only its handler knows
    (custom resources: the provider decides by answering a new physical id)."""
    provisioner = provisioner_for(resource_type)
    if isinstance(provisioner, _ResourceType):
        return provisioner.replaced_by
    return None


def _recreation(resource_type: str, name: str) -> str:
    replaced_by = _replaced_by(resource_type)
    if replaced_by is None:
        return "Conditionally"
    return "Always" if name in replaced_by else "Never"


def _replacement(recreations: list[str]) -> str:
    if "Always" in recreations:
        return "True"
    return "Conditional" if "Conditionally" in recreations else "False"


def _detail(attribute: str, name: str | None, recreation: str, **extra: str) -> dict[str, Any]:
    target: dict[str, Any] = {"Attribute": attribute, "RequiresRecreation": recreation}
    if name is not None:
        target["Name"] = name
    return {"Target": target, "Evaluation": "Static", "ChangeSource": "DirectModification", **extra}


def _static_details(
    resource_type: str, old: Mapping[str, Any], new: Mapping[str, Any]
) -> list[dict[str, Any]]:
    before, after = old.get("Properties") or {}, new.get("Properties") or {}
    details = []
    for name in sorted(set(before) | set(after)):
        if before.get(name) != after.get(name):
            attribute = "Tags" if name == "Tags" else "Properties"
            details.append(_detail(attribute, name, _recreation(resource_type, name)))
    for attribute in _RESOURCE_ATTRIBUTES:
        if old.get(attribute) != new.get(attribute):
            details.append(_detail(attribute, None, "Never"))
    return details


def _referring_details(
    resource_type: str, definition: Mapping[str, Any], replaced: set[str], parameters: set[str]
) -> list[dict[str, Any]]:
    """Properties that refer to a parameter given a new value (known now: ``Static``) or to a resource
    being replaced (its new physical id is not known yet: ``Dynamic``, recreation at most conditional)."""
    details = []
    for name, value in sorted((definition.get("Properties") or {}).items()):
        referred = references(value)
        recreation = _recreation(resource_type, name)
        for parameter in sorted(referred & parameters):
            details.append(
                {
                    "Target": {"Attribute": "Properties", "Name": name, "RequiresRecreation": recreation},
                    "Evaluation": "Static",
                    "ChangeSource": "ParameterReference",
                    "CausingEntity": parameter,
                }
            )
        for cause in sorted(referred & replaced):
            details.append(
                {
                    "Target": {
                        "Attribute": "Properties",
                        "Name": name,
                        "RequiresRecreation": "Conditionally" if recreation == "Always" else recreation,
                    },
                    "Evaluation": "Dynamic",
                    "ChangeSource": "ResourceReference",
                    "CausingEntity": cause,
                }
            )
    return details


def _change(action: str, logical_id: str, resource_type: str, **fields: Any) -> dict[str, Any]:
    change = {"Action": action, "LogicalResourceId": logical_id, "ResourceType": resource_type}
    change.update((name, value) for name, value in fields.items() if value is not None)
    return {"Type": "Resource", "ResourceChange": change}


def compute_changes(
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any],
    physical_ids: Mapping[str, str],
    *,
    changed_parameters: set[str] | None = None,
    stack_tags_changed: bool = False,
) -> list[dict[str, Any]]:
    """``old`` is the deployed template (None for a new stack); ``physical_ids`` what is deployed;
    ``changed_parameters`` the parameters whose value is not the deployed one; new stack tags modify
    every resource that takes tags (CloudFormation propagates them)."""
    parameters = changed_parameters or set()
    before: Mapping[str, Any] = (old or {}).get("Resources") or {}
    after: Mapping[str, Any] = new.get("Resources") or {}
    changes: list[dict[str, Any]] = []
    modified: dict[str, dict[str, Any]] = {}
    replaced: set[str] = set()
    for logical_id, definition in after.items():
        resource_type = str(definition.get("Type", ""))
        if logical_id not in before:
            changes.append(_change("Add", logical_id, resource_type, Scope=[], Details=[]))
            continue
        previous = before[logical_id]
        if previous == definition:
            continue
        if previous.get("Type") != resource_type:
            details = [_detail("Properties", None, "Always")]
        else:
            details = _static_details(resource_type, previous, definition)
        replacement = _replacement([d["Target"]["RequiresRecreation"] for d in details])
        if replacement == "True":
            replaced.add(logical_id)
        modified[logical_id] = {"details": details, "replacement": replacement}
    for logical_id, definition in after.items():  # unchanged, but refers to something that changes
        if logical_id in before and logical_id not in modified and (replaced or parameters):
            resource_type = str(definition.get("Type", ""))
            details = _referring_details(resource_type, definition, replaced, parameters)
            if details:
                recreations = [d["Target"]["RequiresRecreation"] for d in details]
                modified[logical_id] = {"details": details, "replacement": _replacement(recreations)}
    for logical_id, definition in after.items():
        resource_type = str(definition.get("Type", ""))
        if stack_tags_changed and logical_id in before and takes_tags(resource_type):
            change = modified.setdefault(logical_id, {"details": [], "replacement": "False"})
            change["details"].append(_detail("Tags", None, "Never"))
    for logical_id, change in modified.items():
        definition = after[logical_id]
        details = change["details"]
        scope = sorted({d["Target"]["Attribute"] for d in details})
        changes.append(
            _change(
                "Modify",
                logical_id,
                str(definition.get("Type", "")),
                PhysicalResourceId=physical_ids.get(logical_id),
                Replacement=change["replacement"],
                Scope=scope,
                Details=details,
            )
        )
    for logical_id, definition in before.items():
        if logical_id not in after:
            changes.append(
                _change(
                    "Remove",
                    logical_id,
                    str(definition.get("Type", "")),
                    PhysicalResourceId=physical_ids.get(logical_id),
                    Scope=[],
                    Details=[],
                )
            )
    return changes
