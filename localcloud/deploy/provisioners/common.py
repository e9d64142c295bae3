"""What every provisioner shares: the engine's contract, the result and error types, and helpers."""

from __future__ import annotations

import json
import logging
import secrets
import string
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol

from botocore.exceptions import ClientError, ParamValidationError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Provisioned:
    """What the rest of the template sees of a resource: its Ref value and its Fn::GetAtt values."""

    physical_id: str
    attributes: dict[str, Any]


class ProvisionError(Exception):
    """A failure worded for a CREATE_FAILED / UPDATE_FAILED / DELETE_FAILED event line."""


class Context(Protocol):
    """What a provisioner needs from the deploy engine."""

    @property
    def account(self) -> str: ...

    @property
    def region(self) -> str: ...

    @property
    def stack_name(self) -> str: ...

    def client(self, service: str) -> Any: ...

    def asset_zip(self, properties: Mapping[str, Any]) -> bytes:
        """The Lambda code zip for a function's ``Code`` property (the engine reads it from cdk.out)."""
        ...


class Provisioner(Protocol):
    def create(self, ctx: Context, logical_id: str, properties: Mapping[str, Any]) -> Provisioned: ...

    def update(
        self,
        ctx: Context,
        logical_id: str,
        physical_id: str,
        old: Mapping[str, Any],
        new: Mapping[str, Any],
    ) -> Provisioned: ...

    def needs_replacement(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool: ...

    def delete(self, ctx: Context, physical_id: str, properties: Mapping[str, Any]) -> None: ...


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "Error"))


def _message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", "")) or str(error)


@contextmanager
def _failing_as(label: str, name: str) -> Iterator[None]:
    """Turn a service error into the line CloudFormation would print: ``S3 bucket foo: Code message``."""
    try:
        yield
    except ClientError as error:
        raise ProvisionError(f"{label} {name}: {_code(error)} {_message(error)}") from error
    except ParamValidationError as error:  # botocore refused it before any call, as CloudFormation would
        raise ProvisionError(f"{label} {name}: Properties validation failed: {error}") from error


def _gone(error: ClientError, *codes: str) -> bool:
    """Whether a delete found nothing to delete: deletes are idempotent, as CloudFormation's are."""
    return _code(error) in codes


def _quietly(action: Any) -> None:
    """Best-effort clean-up of a half-made resource, so a failed create leaves nothing behind."""
    try:
        action()
    except ClientError as error:
        log.debug("clean-up after a failed create: %s", error)


@contextmanager
def _deleting(label: str, name: str, *gone: str) -> Iterator[None]:
    """A delete: an error with a ``gone`` code found nothing to delete, which is success; any other is
    worded by ``_failing_as``."""
    with _failing_as(label, name):
        try:
            yield
        except ClientError as error:
            if not _gone(error, *gone):
                raise


def _ignoring_missing(action: Any, *gone: str) -> None:
    """``action``, unless what it acts on is gone (IAM's NoSuchEntity unless other codes are given)."""
    try:
        action()
    except ClientError as error:
        if not _gone(error, *(gone or ("NoSuchEntity",))):
            raise


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def generated_name(stack_name: str, logical_id: str, limit: int, *, lower: bool = False) -> str:
    """A physical name the way CloudFormation makes one: ``<stack>-<logicalid>-<12 random>``, within limit.

    When too long, the longer of stack name and logical id is trimmed first, so both stay recognisable.
    """
    alphabet = (string.ascii_lowercase if lower else string.ascii_uppercase) + string.digits
    suffix = "".join(secrets.choice(alphabet) for _ in range(12))
    head, tail = stack_name, logical_id
    budget = limit - len(suffix) - 2
    while len(head) + len(tail) > budget:
        if len(head) >= len(tail):
            head = head[:-1]
        else:
            tail = tail[:-1]
    name = f"{head}-{tail}-{suffix}"
    return name.lower() if lower else name


def _flag(value: Any) -> bool:
    """CloudFormation accepts booleans as JSON booleans or as "true"/"false" strings."""
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _number(value: Any) -> int:
    """CloudFormation accepts numbers as JSON numbers or as strings."""
    return int(value)


def _document(value: Any) -> str:
    """A policy document as IAM/S3/KMS take it: JSON text (templates give it as an object)."""
    return value if isinstance(value, str) else json.dumps(value)


def _tags(properties: Mapping[str, Any]) -> dict[str, str]:
    """CloudFormation's ``Tags`` list of ``{Key, Value}`` (or a map, as some types take it) as a dict."""
    tags = properties.get("Tags") or []
    if isinstance(tags, Mapping):
        return {str(k): str(v) for k, v in tags.items()}
    return {str(tag["Key"]): str(tag["Value"]) for tag in tags}


def _tag_list(tags: Mapping[str, str]) -> list[dict[str, str]]:
    """Tags as most APIs take them: a list of ``{Key, Value}``."""
    return [{"Key": key, "Value": value} for key, value in tags.items()]


def _retag(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    tag: Callable[[dict[str, str]], object],
    untag: Callable[[list[str]], object],
) -> None:
    """From ``old``'s tags to ``new``'s through the service's own pair of calls: ``tag`` the keys set or
    changed, ``untag`` the keys dropped; neither is called with nothing to do."""
    before, after = _tags(old), _tags(new)
    if changed := {k: v for k, v in after.items() if before.get(k) != v}:
        tag(changed)
    if removed := sorted(set(before) - set(after)):
        untag(removed)


def _changed(old: Mapping[str, Any], new: Mapping[str, Any], *names: str) -> bool:
    return any(old.get(name) != new.get(name) for name in names)


class _ResourceType:
    """Shared by the provisioners: the properties they act on and those whose change means replacement."""

    label: ClassVar[str]
    supported: ClassVar[frozenset[str]]
    replaced_by: ClassVar[frozenset[str]] = frozenset()

    def needs_replacement(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
        """CloudFormation's "Update requires: Replacement" properties of this type."""
        return _changed(old, new, *self.replaced_by)
