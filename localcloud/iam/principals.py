"""Who is calling (a role session) and whether a resource-based policy's Principal names it.

A deployed function calls AWS as ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION``, a session of the
role ``arn:aws:iam::ACCOUNT:role/PATH/ROLE``. In a resource-based policy (AWS's "IAM JSON policy
elements: Principal"):

- ``"*"`` and ``{"AWS": "*"}`` name everyone, the session included;
- the role's ARN names every session of the role, the session's ARN that session;
- the account (its id or ``arn:aws:iam::ACCOUNT:root``) names the account as a whole: an Allow for it
  delegates to the account's identity-based policies and grants nothing by itself, a Deny for it
  covers every principal of the account;
- ``{"Service": ...}``, federated and canonical-user principals never name a role session.
"""

from __future__ import annotations

import dataclasses
import enum
import re

from .policies import Principal, Statement

_SESSION_ARN = re.compile(
    r"arn:(?P<partition>[^:]+):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/(?P<session>.+)"
)
_ROLE_ARN = re.compile(r"arn:(?P<partition>[^:]+):iam::(?P<account>\d{12}):role/(?:.*/)?(?P<role>[^/]+)")


@dataclasses.dataclass(frozen=True)
class Caller:
    """A role session: the identity every request of a deployed function is made with."""

    session_arn: str
    role_arn: str

    def __post_init__(self) -> None:
        session, role = _SESSION_ARN.fullmatch(self.session_arn), _ROLE_ARN.fullmatch(self.role_arn)
        if session is None:
            raise ValueError(f"not a role session ARN: {self.session_arn!r}")
        if role is None:
            raise ValueError(f"not a role ARN: {self.role_arn!r}")
        if (session["partition"], session["account"], session["role"]) != (
            role["partition"],
            role["account"],
            role["role"],
        ):
            raise ValueError(f"{self.session_arn} is not a session of {self.role_arn}")

    @classmethod
    def assumed_role(
        cls, account: str, role_name: str, session_name: str, *, path: str = "/", partition: str = "aws"
    ) -> Caller:
        """The session ``session_name`` of the role ``path + role_name`` in ``account``."""
        return cls(
            session_arn=f"arn:{partition}:sts::{account}:assumed-role/{role_name}/{session_name}",
            role_arn=f"arn:{partition}:iam::{account}:role{path}{role_name}",
        )

    @property
    def account(self) -> str:
        return self.session_arn.split(":")[4]

    @property
    def partition(self) -> str:
        return self.session_arn.split(":")[1]

    @property
    def account_root_arn(self) -> str:
        return f"arn:{self.partition}:iam::{self.account}:root"


class Named(enum.Enum):
    """How a Principal element names the caller."""

    NOT = "not named"
    DIRECTLY = "named directly"  # everyone, its role, or its session
    BY_ACCOUNT = "named by its account"


def names(principal: Principal, caller: Caller) -> Named:
    """How ``principal`` names ``caller`` (the most direct way wins)."""
    if principal.anyone or any(name in (caller.role_arn, caller.session_arn) for name in principal.aws):
        return Named.DIRECTLY
    if any(name in (caller.account, caller.account_root_arn) for name in principal.aws):
        return Named.BY_ACCOUNT
    return Named.NOT


def statement_names(statement: Statement, caller: Caller) -> Named:
    """How a resource-based policy's statement names ``caller`` through Principal or NotPrincipal.

    NotPrincipal names everyone it does not list, directly (a caller it lists by role, session or
    account is not named)."""
    if statement.principal is not None:
        return names(statement.principal, caller)
    if statement.not_principal is not None:
        listed = names(statement.not_principal, caller) is not Named.NOT
        return Named.NOT if listed else Named.DIRECTLY
    return Named.NOT
