"""What CreateChangeSet refuses before anything runs, in CloudFormation's words."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..deploy.engine import provisionable
from ..deploy.intrinsics import Pseudo, Resolver, TemplateError
from .errors import modelled, validation

_NAMING_PROPERTIES = ("RoleName", "ManagedPolicyName", "UserName", "GroupName")


def check_types(template: Mapping[str, Any]) -> None:
    """A type the engine cannot provision is refused now, by name, rather than failing mid-deploy."""
    unknown = sorted(
        {
            str(resource.get("Type")) if isinstance(resource, Mapping) else repr(resource)
            for resource in template["Resources"].values()
            if not isinstance(resource, Mapping) or not provisionable(str(resource.get("Type", "")))
        }
    )
    if unknown:
        raise validation(
            f"Template format error: Unrecognized resource types: [{','.join(unknown)}] "
            "(the local cloud does not provision them)"
        )


def check_capabilities(template: Mapping[str, Any], capabilities: list[Any]) -> None:
    """IAM resources need CAPABILITY_IAM; IAM resources with custom names CAPABILITY_NAMED_IAM."""
    resources = [r for r in template["Resources"].values() if isinstance(r, Mapping)]
    iam = [r for r in resources if str(r.get("Type", "")).startswith("AWS::IAM::")]
    named = any(any(key in (r.get("Properties") or {}) for key in _NAMING_PROPERTIES) for r in iam)
    needed = "CAPABILITY_NAMED_IAM" if named else "CAPABILITY_IAM" if iam else None
    if needed and needed not in capabilities and "CAPABILITY_NAMED_IAM" not in capabilities:
        raise modelled("InsufficientCapabilitiesException", f"Requires capabilities : [{needed}]")


def check_rules(template: Mapping[str, Any], parameters: Mapping[str, str], pseudo: Pseudo) -> None:
    """The template's Rules (the CDK's bootstrap-version check) against the parameters given."""
    try:
        failed = Resolver(template, pseudo=pseudo, parameters=parameters).check_rules()
    except TemplateError as error:
        raise validation(f"Template error: {error}") from error
    if failed:
        raise validation("; ".join(failed))
