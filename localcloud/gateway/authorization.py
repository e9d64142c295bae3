"""IAM enforced at the local cloud's one endpoint, for the requests of deployed functions.

A request signed with a role session's access key (``iam.Sessions``: what the Lambda runtime gives a
function) is authorized as AWS authorizes it: ``iam.requests`` names its action and resources, the
role's identity policies (inline and attached, AWS-managed ones included) and the resource's policy
(S3 bucket policy, KMS key policy, Lambda function policy) come from moto's backends, ``iam.evaluate``
decides, and a denial is answered in the service's protocol with AWS's wording. Requests signed with any
other key (the local cloud's own: the CLI, tests, the CDK CLI) are not checked, nor is a request this
module cannot map to an action (it is logged, so that a gap shows instead of a false denial).

Requests are evaluated as AWS sees an SDK's: over TLS (``aws:SecureTransport`` true), although the local
endpoint is plain HTTP on loopback, so that CDK's ``enforceSSL`` bucket policies behave as in AWS.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import urllib.parse
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from moto.backends import get_backend

from ..iam import Caller, ErrorResponse, Request, denial, evaluate
from ..iam.managed_policies import aws_managed_policy
from ..iam.requests import HttpRequest, Target, operation_of, target_of
from ..iam.sessions import Sessions

LOG = logging.getLogger(__name__)
_CREDENTIAL = re.compile(r"Credential=([^/]+)/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/")


class Authorizer:
    """Decides each request of a role session; ``enforce`` False lets everything through."""

    def __init__(self, sessions: Sessions, *, enforce: bool) -> None:
        self.sessions = sessions
        self.enforce = enforce
        # What was decided, for tests and diagnostics: (session ARN, action, "allowed" | "denied" |
        # "unmapped") -> how many times.
        self.decisions: Counter[tuple[str, str, str]] = Counter()
        self._counting = threading.Lock()

    def check(self, environ: dict[str, Any]) -> ErrorResponse | None:
        """The denial to answer ``environ`` with, or None to serve it (its body is left readable)."""
        if not self.enforce:
            return None
        signed = _CREDENTIAL.search(environ.get("HTTP_AUTHORIZATION", ""))
        if signed is None:
            return None
        caller = self.sessions.caller_of(signed.group(1))
        if caller is None:
            return None
        region, service = signed.group(2), signed.group(3)
        request = _http_request(environ, service=service, region=region, account=caller.account)
        target = target_of(request)
        if target is None:
            self._count(caller, operation_of(request) or request.path, "unmapped")
            LOG.warning(
                "IAM: cannot tell the action of %s %s (%s): allowed", request.method, request.path, service
            )
            return None
        decision = evaluate(_authorization(caller, target, region))
        self._count(caller, target.action, "allowed" if decision.allowed else "denied")
        if decision.allowed:
            return None
        LOG.info("IAM denied: %s", decision.message())
        return denial(decision, service)

    def _count(self, caller: Caller, action: str, outcome: str) -> None:
        with self._counting:
            self.decisions[(caller.session_arn, action, outcome)] += 1


def _http_request(environ: dict[str, Any], *, service: str, region: str, account: str) -> HttpRequest:
    """The request as ``iam.requests`` reads it; the body is put back for the service to read."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    headers = {
        key[5:].replace("_", "-").lower(): str(value)
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    if environ.get("CONTENT_TYPE"):
        headers["content-type"] = str(environ["CONTENT_TYPE"])
    return HttpRequest(
        method=str(environ.get("REQUEST_METHOD", "GET")),
        path=str(environ.get("RAW_URI") or environ.get("PATH_INFO", "/")).split("?", 1)[0],
        query=str(environ.get("QUERY_STRING", "")),
        headers=headers,
        body=body,
        host=headers.get("host", ""),
        service=service,
        region=region,
        account=account,
        secure=True,
    )


def _authorization(caller: Caller, target: Target, region: str) -> Request:
    """The IAM request: the caller's identity policies and the target resource's policy, from moto."""
    resource_policy: Any = None
    key_policy = False
    resources: Sequence[str] = target.resources
    if target.kms_key_id is not None:
        key_arn, resource_policy = _key(caller.account, region, target.kms_key_id)
        key_policy = True
        if key_arn is not None:
            resources = [key_arn]
    elif target.bucket is not None:
        resource_policy = _bucket_policy(caller.account, target.bucket)
    elif target.function is not None:
        resource_policy = _function_policy(caller.account, region, target.function)
    return Request(
        caller=caller,
        action=target.action,
        resources=tuple(resources),
        context=dict(target.context),
        identity_policies=_identity_policies(caller),
        resource_policy=resource_policy,
        key_policy=key_policy,
    )


def _identity_policies(caller: Caller) -> list[Mapping[str, Any]]:
    iam = get_backend("iam")[caller.account]["global"]
    try:
        role = iam.get_role_by_arn(caller.role_arn)
    except Exception:  # moto's NotFoundException: a deleted role allows nothing
        return []
    documents: list[Mapping[str, Any]] = [_document(text) for text in role.policies.values()]
    for arn, policy in role.managed_policies.items():
        document = getattr(_default_version(policy), "document", None)
        if document:
            documents.append(_document(document))
        else:
            managed = aws_managed_policy(arn)
            if managed is not None:
                documents.append(managed)
    return documents


def _default_version(policy: Any) -> Any:
    for version in getattr(policy, "versions", []):
        if getattr(version, "is_default", False):
            return version
    return None


def _key(account: str, region: str, key_id: str) -> tuple[str | None, Any]:
    """The key's ARN and policy; (None, None) for a key moto does not know (the service answers that)."""
    kms = get_backend("kms")[account][region]
    try:
        key = kms.keys[kms.any_id_to_key_id(key_id)]
    except Exception:
        return None, None
    return str(key.arn), _statements(key.policy)


def _bucket_policy(account: str, bucket: str) -> Any:
    s3 = get_backend("s3")[account]["global"]
    try:
        policy = s3.get_bucket(bucket).policy
    except Exception:
        return None
    return _statements(policy)


def _function_policy(account: str, region: str, function: str) -> Any:
    lambda_ = get_backend("lambda")[account][region]
    try:
        # a name, or an ARN arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]
        name = function.split(":")[6] if function.startswith("arn:") else function
        return _statements(lambda_.get_policy(name))
    except Exception:
        return None


def _statements(text: str | bytes | None) -> Mapping[str, Any] | None:
    """A resource policy that has statements; None for none (moto answers an empty Lambda policy so)."""
    if not text:
        return None
    document = _document(text)
    return document if document.get("Statement") else None


def _document(text: str | bytes | Mapping[str, Any]) -> Mapping[str, Any]:
    if isinstance(text, Mapping):
        return text
    raw = text.decode() if isinstance(text, bytes) else text
    try:
        parsed: Mapping[str, Any] = json.loads(raw)
    except json.JSONDecodeError:  # moto keeps some documents URL-encoded, as IAM's API returns them
        parsed = json.loads(urllib.parse.unquote(raw))
    return parsed
