"""The role sessions of the local cloud: the credentials a deployed function calls AWS with.

Lambda gives a function STS credentials of its execution role (the session is named after the function),
and every request signed with them is the role's. Here an access key id stands for one session: the
gateway reads it from a request's SigV4 ``Credential`` and asks ``caller_of`` whose request it is;
requests signed with any other key (the local cloud's own, used by the CLI, tests and the CDK CLI) are
nobody's session and are not authorized against IAM. Secrets are not checked (SigV4 signatures are not
verified by the local cloud), so the keys only name sessions; they are derived from the session, so the
same function gets the same credentials in every process that serves the cloud.
"""

from __future__ import annotations

import hashlib
import re
import threading
from dataclasses import dataclass

from .principals import Caller

_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>[\w-]+):iam::(?P<account>\d{12}):role(?P<path>/(?:[^/]+/)*)(?P<name>[^/]+)$"
)
KEY_PREFIX = "ASIA"  # STS's temporary access key ids start so


@dataclass(frozen=True)
class Credentials:
    """What Lambda puts in a function's environment."""

    access_key_id: str
    secret_access_key: str
    session_token: str

    def environment(self) -> dict[str, str]:
        """The ``AWS_*`` variables a function process starts with."""
        return {
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }


class Sessions:
    """The sessions issued so far, by access key id (thread-safe: the gateway serves requests in threads)."""

    def __init__(self) -> None:
        self._callers: dict[str, Caller] = {}
        self._lock = threading.Lock()

    def issue(self, role_arn: str, session_name: str) -> Credentials:
        """Credentials of the session ``session_name`` of the role ``role_arn`` (same arguments, same
        credentials)."""
        found = _ROLE_ARN.fullmatch(role_arn)
        if found is None:
            raise ValueError(f"not a role ARN: {role_arn!r}")
        caller = Caller.assumed_role(
            found["account"], found["name"], session_name, path=found["path"], partition=found["partition"]
        )
        digest = hashlib.sha256(f"{role_arn}|{session_name}".encode()).hexdigest().upper()
        key = KEY_PREFIX + digest[:16]
        with self._lock:
            self._callers[key] = caller
        return Credentials(key, digest[16:56], f"localcloud-session-{digest[:32]}")

    def caller_of(self, access_key_id: str) -> Caller | None:
        """The session an access key id stands for; None for any other key."""
        with self._lock:
            return self._callers.get(access_key_id)
