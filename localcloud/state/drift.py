"""Whether the stack records and the saved cloud agree: each recorded resource still exists.

A state directory can be edited by hand (``cloud.pickle`` deleted or restored from an older copy) or a
resource removed through ``serve``; ``status`` then says so instead of showing a stack as complete over
a cloud that no longer holds it. Only the types whose absence can be told from their physical id are
checked; the rest (policies, permissions, metadata) are taken as recorded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ..deploy.deployment import Deployment, Resource
from ..gateway.server import LocalCloud
from .inventory import Inventory

_NOT_FOUND = frozenset(
    {"404", "NoSuchBucket", "NoSuchEntity", "NotFoundException", "ResourceNotFoundException"}
)
Lookup = Callable[[LocalCloud, str], Any]


def _event_rule(cloud: LocalCloud, physical_id: str) -> Any:
    bus, _, name = physical_id.rpartition("|")
    return cloud.client("events").describe_rule(Name=name, **({"EventBusName": bus} if bus else {}))


def _key_in_use(cloud: LocalCloud, key_id: str) -> bool:
    state: str = cloud.client("kms").describe_key(KeyId=key_id)["KeyMetadata"]["KeyState"]
    return state != "PendingDeletion"


def _log_group(cloud: LocalCloud, name: str) -> bool:
    groups = cloud.client("logs").describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return any(group["logGroupName"] == name for group in groups)


# Resource type -> a lookup by physical id that raises a not-found error, or returns False, when absent.
_LOOKUPS: dict[str, Lookup] = {
    "AWS::S3::Bucket": lambda cloud, name: cloud.client("s3").head_bucket(Bucket=name),
    "AWS::KMS::Key": _key_in_use,
    "AWS::IAM::Role": lambda cloud, name: cloud.client("iam").get_role(RoleName=name),
    "AWS::Lambda::Function": lambda cloud, name: cloud.client("lambda").get_function(FunctionName=name),
    "AWS::Logs::LogGroup": _log_group,
    "AWS::Events::Rule": _event_rule,
}
_VERSION_TYPES = ("Custom::RekognitionProjectVersion", "AWS::CloudFormation::CustomResource")


def _exists(cloud: LocalCloud, lookup: Lookup, physical_id: str) -> bool:
    try:
        return lookup(cloud, physical_id) is not False
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") in _NOT_FOUND:
            return False
        raise


def missing_resources(cloud: LocalCloud, deployment: Deployment, found: Inventory) -> list[Resource]:
    """The recorded resources of ``deployment`` that the cloud does not hold (``found`` is its inventory)."""
    projects = {p["name"] for p in found["projects"] if p["status"] != "DELETING"}
    versions = {v["arn"] for v in found["model_versions"] if v["status"] != "DELETING"}
    missing = []
    for resource in deployment.resources.values():
        if resource.type == "AWS::Rekognition::Project":
            present = resource.physical_id in projects
        elif resource.type in _VERSION_TYPES and ":rekognition:" in resource.physical_id:
            present = resource.physical_id in versions
        elif (lookup := _LOOKUPS.get(resource.type)) is not None:
            present = _exists(cloud, lookup, resource.physical_id)
        else:
            continue
        if not present:
            missing.append(resource)
    return missing
