"""How CloudFormation creates, updates and deletes each resource type, done against the local cloud.

Properties arrive resolved (no intrinsics left). Each provisioner makes the same API calls CloudFormation's
resource handler makes, generates the physical names CloudFormation would, and answers with the Ref and
Fn::GetAtt values CloudFormation documents, so the rest of the template resolves exactly as it would in AWS.
"""

from __future__ import annotations

from .common import Context, Provisioned, ProvisionError, generated_name
from .registry import PROVISIONERS, ignored_properties, provisioner_for, takes_tags, with_stack_tags

__all__ = [
    "PROVISIONERS",
    "Context",
    "ProvisionError",
    "Provisioned",
    "generated_name",
    "ignored_properties",
    "provisioner_for",
    "takes_tags",
    "with_stack_tags",
]
