"""IAM policy documents: parsed once, then asked whether each statement applies to a request.

A document's ``Statement`` is one object or a list; a statement has ``Effect`` (Allow or Deny), exactly
one of ``Action``/``NotAction``, ``Resource``/``NotResource`` (required in identity-based policies; a
resource-based policy may leave it out, meaning the resource it is attached to), ``Principal``/
``NotPrincipal`` (resource-based policies only) and an optional ``Condition`` (see ``conditions``).
Every list-or-string element is accepted in both forms. Documents come as objects or as JSON text (IAM
hands inline policies back URL-encoded; that form is accepted too).

What a statement says about a request is three-valued (``truth``): the action either matches or not,
but a Resource or Condition holding a policy variable, or an unknown condition operator, may be UNKNOWN;
the evaluator fails closed on it. Policy variables (``${aws:username}`` ...) are not substituted: out of
scope here.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import urllib.parse
from collections.abc import Mapping

from .conditions import Condition, ConditionError, Context
from .truth import Truth, any_of
from .wildcards import action_matches, resource_matches


class PolicyError(ValueError):
    """A policy document that IAM would refuse (so AWS would never evaluate it)."""


class Effect(enum.Enum):
    ALLOW = "Allow"
    DENY = "Deny"


def _strings(value: object, element: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise PolicyError(f"{element} must be a string or a non-empty list of strings, not {value!r}")


@dataclasses.dataclass(frozen=True)
class Principal:
    """A Principal/NotPrincipal element: ``"*"`` or ``{"AWS": ..., "Service": ..., ...}``.

    ``aws`` holds account ids, account root ARNs, role, user and role-session ARNs (or ``*``);
    ``service`` service principals (``lambda.amazonaws.com``); ``others`` the federated and canonical
    user principals, which no role session ever is."""

    anyone: bool = False
    aws: tuple[str, ...] = ()
    service: tuple[str, ...] = ()
    others: tuple[str, ...] = ()

    @classmethod
    def parse(cls, value: object, element: str = "Principal") -> Principal:
        if value == "*":
            return cls(anyone=True)
        if not isinstance(value, Mapping) or not value:
            raise PolicyError(f'{element} must be "*" or an object of principal types, not {value!r}')
        aws: tuple[str, ...] = ()
        service: tuple[str, ...] = ()
        others: tuple[str, ...] = ()
        for kind, names in value.items():
            listed = _strings(names, f"{element}.{kind}")
            if kind == "AWS":
                aws = listed
            elif kind == "Service":
                service = listed
            elif kind in ("Federated", "CanonicalUser"):
                others = others + listed
            else:
                raise PolicyError(f"{element} has an unknown principal type {kind!r}")
        return cls(anyone="*" in aws, aws=aws, service=service, others=others)


@dataclasses.dataclass(frozen=True)
class Statement:
    """One statement of a policy; ``None`` for an element the statement does not have."""

    effect: Effect
    sid: str | None = None
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principal: Principal | None = None
    not_principal: Principal | None = None
    condition: Condition = dataclasses.field(default_factory=Condition)

    @classmethod
    def parse(cls, raw: object) -> Statement:
        if not isinstance(raw, Mapping):
            raise PolicyError(f"a statement must be an object, not {raw!r}")
        try:
            effect = Effect(raw.get("Effect"))
        except ValueError:
            raise PolicyError(f"Effect must be Allow or Deny, not {raw.get('Effect')!r}") from None
        pairs = (("Action", "NotAction"), ("Resource", "NotResource"), ("Principal", "NotPrincipal"))
        for positive, negative in pairs:
            if positive in raw and negative in raw:
                raise PolicyError(f"a statement has both {positive} and {negative}")
        if "Action" not in raw and "NotAction" not in raw:
            raise PolicyError("a statement needs Action or NotAction")
        sid = raw.get("Sid")

        def optional(element: str) -> tuple[str, ...] | None:
            return _strings(raw[element], element) if element in raw else None

        def principal(element: str) -> Principal | None:
            return Principal.parse(raw[element], element) if element in raw else None

        try:
            condition = Condition.parse(raw.get("Condition"))
        except ConditionError as error:
            raise PolicyError(str(error)) from None
        return cls(
            effect=effect,
            sid=sid if isinstance(sid, str) else None,
            actions=optional("Action"),
            not_actions=optional("NotAction"),
            resources=optional("Resource"),
            not_resources=optional("NotResource"),
            principal=principal("Principal"),
            not_principal=principal("NotPrincipal"),
            condition=condition,
        )

    @property
    def names_resources(self) -> bool:
        return self.resources is not None or self.not_resources is not None

    @property
    def names_principals(self) -> bool:
        return self.principal is not None or self.not_principal is not None

    def covers_action(self, action: str) -> bool:
        """Whether Action lists ``action`` (or NotAction does not), with IAM's wildcards."""
        if self.actions is not None:
            return any(action_matches(pattern, action) for pattern in self.actions)
        assert self.not_actions is not None  # parse() guarantees one of the two
        return not any(action_matches(pattern, action) for pattern in self.not_actions)

    def covers_resource(self, arn: str) -> Truth:
        """Whether Resource lists ``arn`` (or NotResource does not); TRUE when neither is given (a
        resource-based policy's statement is about the resource it is attached to)."""
        if self.resources is not None:
            return any_of(resource_matches(pattern, arn) for pattern in self.resources)
        if self.not_resources is not None:
            return any_of(resource_matches(pattern, arn) for pattern in self.not_resources).negate()
        return Truth.TRUE

    def condition_holds(self, context: Context) -> Truth:
        return self.condition.evaluate(context)


@dataclasses.dataclass(frozen=True)
class Policy:
    """A parsed policy document."""

    statements: tuple[Statement, ...]
    version: str | None = None
    id: str | None = None

    @classmethod
    def parse(cls, document: Mapping[str, object] | str | Policy) -> Policy:
        """Parse a document given as an object, as JSON text, or as URL-encoded JSON text."""
        if isinstance(document, Policy):
            return document
        if isinstance(document, str):
            text = document.strip()
            if not text.startswith("{"):
                text = urllib.parse.unquote(text)
            try:
                document = json.loads(text)
            except ValueError as error:
                raise PolicyError(f"a policy document must be JSON: {error}") from None
        if not isinstance(document, Mapping):
            raise PolicyError(f"a policy document must be an object, not {document!r}")
        raw = document.get("Statement")
        if isinstance(raw, Mapping):
            raw = [raw]
        if not isinstance(raw, list):
            raise PolicyError(f"Statement must be an object or a list of them, not {raw!r}")
        version, policy_id = document.get("Version"), document.get("Id")
        return cls(
            statements=tuple(Statement.parse(statement) for statement in raw),
            version=version if isinstance(version, str) else None,
            id=policy_id if isinstance(policy_id, str) else None,
        )


PolicyLike = Policy | Mapping[str, object] | str
