"""The one mapping from CloudFormation resource type to its provisioner, and the look-ups on it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .cdk import Metadata
from .common import Provisioner, _ResourceType, _tag_list
from .ecr import Repository
from .eventbridge import EventRule
from .iam import ManagedPolicy, Policy, Role
from .kms import Alias, Key
from .lambda_ import Function, Permission
from .logs import LogGroup
from .rekognition import Project
from .s3 import Bucket, BucketPolicy
from .ssm import Parameter

PROVISIONERS: dict[str, Provisioner] = {
    "AWS::S3::Bucket": Bucket(),
    "AWS::S3::BucketPolicy": BucketPolicy(),
    "AWS::KMS::Key": Key(),
    "AWS::KMS::Alias": Alias(),
    "AWS::IAM::Role": Role(),
    "AWS::IAM::Policy": Policy(),
    "AWS::IAM::ManagedPolicy": ManagedPolicy(),
    "AWS::Lambda::Function": Function(),
    "AWS::Lambda::Permission": Permission(),
    "AWS::Logs::LogGroup": LogGroup(),
    "AWS::Events::Rule": EventRule(),
    "AWS::Rekognition::Project": Project(),
    "AWS::ECR::Repository": Repository(),
    "AWS::SSM::Parameter": Parameter(),
    "AWS::CDK::Metadata": Metadata(),
}


def provisioner_for(resource_type: str) -> Provisioner | None:
    return PROVISIONERS.get(resource_type)


def ignored_properties(resource_type: str, properties: Mapping[str, Any]) -> list[str]:
    """The properties of a resource the local cloud does not act on, for the engine to report."""
    provisioner = PROVISIONERS.get(resource_type)
    if not isinstance(provisioner, _ResourceType):
        return []
    return sorted(set(properties) - provisioner.supported)


def with_stack_tags(
    resource_type: str, properties: dict[str, Any], stack_tags: Mapping[str, str]
) -> dict[str, Any]:
    """The properties with the stack's tags added, as CloudFormation propagates them to every resource
    that takes tags (never to custom resources); the resource's own value of a key wins."""
    if not stack_tags or not takes_tags(resource_type):
        return properties
    own = properties.get("Tags") or []
    if isinstance(own, Mapping):
        return {**properties, "Tags": {**stack_tags, **own}}
    keys = {tag["Key"] for tag in own}
    added = _tag_list({key: value for key, value in stack_tags.items() if key not in keys})
    return {**properties, "Tags": [*own, *added]}


def takes_tags(resource_type: str) -> bool:
    provisioner = PROVISIONERS.get(resource_type)
    return isinstance(provisioner, _ResourceType) and "Tags" in provisioner.supported
