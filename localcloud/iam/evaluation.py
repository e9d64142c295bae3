"""Whether a same-account request by a role session is allowed, decided as AWS decides it.

AWS's "Policy evaluation logic" for a request within one account, restricted to the policy types a
deployed function meets (identity-based and resource-based; no SCPs, permissions boundaries or session
policies):

1. an applicable Deny in any identity-based or resource-based policy denies (explicit deny);
2. otherwise an applicable Allow in an identity-based policy (inline or attached, AWS-managed ones
   included), or in the resource's policy for a principal that names the caller directly (everyone, its
   role, its session), allows;
3. otherwise the request is denied (implicit deny).

A KMS key policy is authoritative (AWS KMS "Key policies"): the key policy's own Allow for the caller
allows; identity-based policies count only if the key policy delegates to IAM, i.e. an applicable
statement of it allows the account (``arn:aws:iam::ACCOUNT:root`` or the bare account id), as the
default key policy's ``kms:*`` for the account root does. In any other resource-based policy an Allow
for the account likewise delegates to the identity-based policies and grants nothing by itself.

Parts of a statement this evaluator cannot decide (an unknown condition operator, a policy variable)
fail closed: such an Allow does not apply, such a Deny does (``truth``). A request naming several
resources is allowed only if every one of them is; a denial names the resource it was denied on.

``Decision.message`` renders AWS's wording, as listed in the IAM User Guide's "Troubleshoot access
denied error messages" (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html)
and "Troubleshoot access denied error messages with authorization ID"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied-authorization-id.html),
e.g. ``User: arn:aws:sts::123456789012:assumed-role/MyRole/session is not authorized to perform:
rekognition:CreateProjectVersion on resource: arn:aws:rekognition:us-east-1:123456789012:project/p/1
because no identity-based policy allows the rekognition:CreateProjectVersion action``. Amazon S3 quotes
the resource ARN in the same sentence (S3 User Guide, "Troubleshoot access denied (403 Forbidden)
errors"): ``message(quote_resource=True)``.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping, Sequence

from .conditions import Context, ContextValue
from .policies import Effect, Policy, PolicyError, PolicyLike, Statement
from .principals import Caller, Named, statement_names
from .truth import Truth, all_of

# The resource of an action that is not authorized against any resource ARN (``Resource: "*"``).
ANY_RESOURCE = "*"


class Reason(enum.Enum):
    """Why a request was allowed or denied; a denial's value is the end of AWS's sentence."""

    ALLOWED_BY_IDENTITY_POLICY = "allowed by an identity-based policy"
    ALLOWED_BY_RESOURCE_POLICY = "allowed by a resource-based policy"
    EXPLICIT_DENY_IN_IDENTITY_POLICY = "with an explicit deny in an identity-based policy"
    EXPLICIT_DENY_IN_RESOURCE_POLICY = "with an explicit deny in a resource-based policy"
    NO_IDENTITY_POLICY_ALLOWS = "because no identity-based policy allows the {action} action"
    # A KMS key policy that neither allows the caller nor delegates to IAM.
    NO_RESOURCE_POLICY_ALLOWS = "because no resource-based policy allows the {action} action"

    @property
    def allows(self) -> bool:
        return self in (Reason.ALLOWED_BY_IDENTITY_POLICY, Reason.ALLOWED_BY_RESOURCE_POLICY)

    @property
    def explicit(self) -> bool:
        return self in (Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY, Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY)


@dataclasses.dataclass(frozen=True)
class Request:
    """A request to authorize: who, what, on which resources, in which context, under which policies.

    ``resources`` are the ARNs the action is authorized against (see ``authorization_reference``), or
    ``("*",)`` for an action that is not resource-scoped. ``context`` holds the request's condition
    keys (``aws:SecureTransport``, ``kms:ViaService``, ``aws:SourceArn`` ...); the caller's own keys
    (``aws:PrincipalArn``, ``aws:PrincipalAccount``, ``aws:PrincipalType``) are filled in unless given.
    ``resource_policy`` is the resource's policy (S3 bucket policy, Lambda function policy, KMS key
    policy) or None; ``key_policy`` says it is a KMS key policy, which decides as described above."""

    caller: Caller
    action: str
    resources: Sequence[str] = (ANY_RESOURCE,)
    context: Mapping[str, ContextValue] = dataclasses.field(default_factory=dict)
    identity_policies: Sequence[PolicyLike] = ()
    resource_policy: PolicyLike | None = None
    key_policy: bool = False

    def full_context(self) -> Context:
        given = {key.lower() for key in self.context}
        own = {
            "aws:PrincipalArn": self.caller.role_arn,
            "aws:PrincipalAccount": self.caller.account,
            "aws:PrincipalType": "AssumedRole",
        }
        return {**{k: v for k, v in own.items() if k.lower() not in given}, **self.context}


@dataclasses.dataclass(frozen=True)
class Decision:
    """The outcome for one request, with what decided it.

    ``statement`` is the statement that allowed or explicitly denied (None for an implicit deny);
    ``undecidable`` is True when that statement only applied because part of it could not be evaluated
    (a Deny failing closed)."""

    reason: Reason
    principal: str
    action: str
    resource: str
    statement: Statement | None = None
    undecidable: bool = False

    @property
    def allowed(self) -> bool:
        return self.reason.allows

    def message(self, *, quote_resource: bool = False) -> str:
        """AWS's sentence for this denial (``quote_resource``: S3's form, the ARN in double quotes)."""
        if self.allowed:
            raise ValueError("an allowed request has no access-denied message")
        resource = f'"{self.resource}"' if quote_resource else self.resource
        because = self.reason.value.format(action=self.action)
        return (
            f"User: {self.principal} is not authorized to perform: {self.action} "
            f"on resource: {resource} {because}"
        )


@dataclasses.dataclass
class _Found:
    """What the policies say about one resource."""

    identity_allow: Statement | None = None
    identity_deny: Statement | None = None
    identity_deny_undecidable: bool = False
    resource_allow: Statement | None = None
    resource_deny: Statement | None = None
    resource_deny_undecidable: bool = False
    delegated: bool = False


def _identity_policy(policy: Policy) -> Policy:
    for statement in policy.statements:
        if statement.names_principals:
            raise PolicyError("an identity-based policy cannot name a Principal")
        if not statement.names_resources:
            raise PolicyError("an identity-based policy statement needs Resource or NotResource")
    return policy


def _resource_policy(policy: Policy) -> Policy:
    for statement in policy.statements:
        if not statement.names_principals:
            raise PolicyError("a resource-based policy statement needs Principal or NotPrincipal")
    return policy


def _look(request: Request, identity: Sequence[Policy], resource_policy: Policy | None, arn: str) -> _Found:
    context = request.full_context()
    found = _Found()
    for policy in identity:
        for statement in policy.statements:
            if not statement.covers_action(request.action):
                continue
            applies = all_of((statement.covers_resource(arn), statement.condition_holds(context)))
            if statement.effect is Effect.DENY and applies is not Truth.FALSE and found.identity_deny is None:
                found.identity_deny = statement
                found.identity_deny_undecidable = applies is Truth.UNKNOWN
            elif statement.effect is Effect.ALLOW and applies is Truth.TRUE and found.identity_allow is None:
                found.identity_allow = statement
    for statement in resource_policy.statements if resource_policy else ():
        named = statement_names(statement, request.caller)
        if named is Named.NOT or not statement.covers_action(request.action):
            continue
        applies = all_of((statement.covers_resource(arn), statement.condition_holds(context)))
        if statement.effect is Effect.DENY and applies is not Truth.FALSE and found.resource_deny is None:
            found.resource_deny = statement
            found.resource_deny_undecidable = applies is Truth.UNKNOWN
        elif statement.effect is Effect.ALLOW and applies is Truth.TRUE:
            if named is Named.DIRECTLY and found.resource_allow is None:
                found.resource_allow = statement
            elif named is Named.BY_ACCOUNT:
                found.delegated = True
    return found


def _decide(request: Request, found: _Found, arn: str) -> Decision:
    def decision(reason: Reason, statement: Statement | None = None, undecidable: bool = False) -> Decision:
        return Decision(reason, request.caller.session_arn, request.action, arn, statement, undecidable)

    if found.identity_deny is not None:
        return decision(
            Reason.EXPLICIT_DENY_IN_IDENTITY_POLICY, found.identity_deny, found.identity_deny_undecidable
        )
    if found.resource_deny is not None:
        return decision(
            Reason.EXPLICIT_DENY_IN_RESOURCE_POLICY, found.resource_deny, found.resource_deny_undecidable
        )
    if request.key_policy:
        if found.resource_allow is not None:
            return decision(Reason.ALLOWED_BY_RESOURCE_POLICY, found.resource_allow)
        if not found.delegated:
            return decision(Reason.NO_RESOURCE_POLICY_ALLOWS)
    if found.identity_allow is not None:
        return decision(Reason.ALLOWED_BY_IDENTITY_POLICY, found.identity_allow)
    if found.resource_allow is not None:
        return decision(Reason.ALLOWED_BY_RESOURCE_POLICY, found.resource_allow)
    return decision(Reason.NO_IDENTITY_POLICY_ALLOWS)


def evaluate(request: Request) -> Decision:
    """Allow or deny ``request``, and why (see the module's docstring for the logic).

    Raises ``PolicyError`` for a document IAM would have refused (an identity-based policy naming a
    Principal or no Resource, a resource-based one naming no Principal, a malformed statement)."""
    identity = [_identity_policy(Policy.parse(document)) for document in request.identity_policies]
    resource_policy = (
        _resource_policy(Policy.parse(request.resource_policy)) if request.resource_policy else None
    )
    if request.key_policy and resource_policy is None:
        resource_policy = Policy(statements=())
    resources = tuple(request.resources) or (ANY_RESOURCE,)
    decisions = [_decide(request, _look(request, identity, resource_policy, arn), arn) for arn in resources]
    explicit = next((d for d in decisions if d.reason.explicit), None)
    denied = next((d for d in decisions if not d.allowed), None)
    return explicit or denied or decisions[0]


def key_policy_delegates_to_iam(key_policy: PolicyLike, account: str, *, partition: str = "aws") -> bool:
    """Whether a KMS key policy enables IAM policies for the whole of KMS on the key: an unconditional
    Allow of ``kms:*`` for the account (its root ARN or id) on ``*``, as CDK's and KMS's default key
    policies have. ``evaluate`` decides delegation per request; this answers it for every request."""
    root = f"arn:{partition}:iam::{account}:root"
    for statement in Policy.parse(key_policy).statements:
        principal = statement.principal
        if (
            statement.effect is Effect.ALLOW
            and principal is not None
            and any(name in (account, root) for name in principal.aws)
            and statement.actions is not None
            and any(action in ("*", "kms:*") for action in statement.actions)
            and statement.resources is not None
            and "*" in statement.resources
            and not statement.condition.clauses
        ):
            return True
    return False
