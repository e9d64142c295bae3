"""A denial answered as the service answers it: status, headers and body in the service's protocol.

The protocol is the one botocore speaks to the service (its service model's resolved protocol), so the
answer is whatever botocore, and every SDK built on the same models, parses as the service's own error:

- ``json`` (awsJson1_0/1_1: rekognition, kms, events, logs, dynamodb, ...): HTTP 400, body
  ``{"__type": "AccessDeniedException", "Message": ...}`` (AWS's "Common Errors" lists
  AccessDeniedException as a 400);
- ``rest-json`` (lambda, ...): HTTP 403, header ``x-amzn-ErrorType: AccessDeniedException``, body
  ``{"Type": "User", "Message": ...}``;
- ``query`` (iam, sts, cloudformation, ...): HTTP 403, ``<ErrorResponse><Error><Type>Sender</Type>
  <Code>AccessDenied</Code><Message>...</Message></Error><RequestId>...</RequestId></ErrorResponse>``
  in the service's XML namespace;
- ``rest-xml`` (s3): HTTP 403, ``<Error><Code>AccessDenied</Code><Message>...</Message>
  <RequestId>...</RequestId><HostId>...</HostId></Error>``. For a request within one account (the only
  kind here) S3 now says who was denied what and why, the ARN in double quotes, rather than the bare
  "Access Denied" it still sends across accounts (S3 User Guide, "Troubleshoot access denied (403
  Forbidden) errors").

Other protocols (ec2's ``UnauthorizedOperation`` with an encoded message, smithy-rpc-v2-cbor) are not
rendered: ``UnsupportedProtocol``. So are per-service codes that differ from these (SNS's
``AuthorizationError``, SQS's query-compatible ``x-amzn-query-error`` header).
"""

from __future__ import annotations

import functools
import json
import secrets
import uuid
from typing import NamedTuple
from xml.sax.saxutils import escape

from .evaluation import Decision

JSON_CODE = "AccessDeniedException"
XML_CODE = "AccessDenied"


class UnsupportedProtocol(ValueError):
    """A service whose protocol this module does not render denials in."""


class ErrorResponse(NamedTuple):
    status: int
    headers: dict[str, str]
    body: bytes


class _Protocol(NamedTuple):
    name: str
    json_version: str | None
    xml_namespace: str | None


@functools.cache
def _protocol(service: str) -> _Protocol:
    import botocore.loaders
    import botocore.model

    loader = botocore.loaders.create_loader()
    model = botocore.model.ServiceModel(loader.load_service_model(service, "service-2"), service)
    return _Protocol(
        str(model.resolved_protocol),
        model.metadata.get("jsonVersion"),
        model.metadata.get("xmlNamespace"),
    )


def protocol_of(service: str) -> str:
    """The protocol botocore speaks to ``service`` (its botocore name: ``lambda``, ``s3``, ``kms``)."""
    return _protocol(service).name


def new_request_id() -> str:
    return str(uuid.uuid4())


def access_denied(service: str, message: str, *, request_id: str | None = None) -> ErrorResponse:
    """The service's access-denied answer carrying ``message`` (see the module docstring per protocol)."""
    request_id = request_id or new_request_id()
    protocol = _protocol(service)
    if protocol.name == "json":
        content_type = f"application/x-amz-json-{protocol.json_version or '1.1'}"
        body = json.dumps({"__type": JSON_CODE, "Message": message}).encode()
        return ErrorResponse(400, {"Content-Type": content_type, "x-amzn-RequestId": request_id}, body)
    if protocol.name == "rest-json":
        headers = {
            "Content-Type": "application/json",
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": JSON_CODE,
        }
        return ErrorResponse(403, headers, json.dumps({"Type": "User", "Message": message}).encode())
    if protocol.name == "query":
        namespace = f' xmlns="{escape(protocol.xml_namespace)}"' if protocol.xml_namespace else ""
        xml = (
            f"<ErrorResponse{namespace}>"
            f"<Error><Type>Sender</Type><Code>{XML_CODE}</Code><Message>{escape(message)}</Message></Error>"
            f"<RequestId>{escape(request_id)}</RequestId>"
            "</ErrorResponse>"
        )
        return ErrorResponse(403, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, xml.encode())
    if protocol.name == "rest-xml":
        host_id = secrets.token_urlsafe(48)
        xml = (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f"<Error><Code>{XML_CODE}</Code><Message>{escape(message)}</Message>"
            f"<RequestId>{escape(request_id)}</RequestId><HostId>{host_id}</HostId></Error>"
        )
        headers = {"Content-Type": "application/xml", "x-amz-request-id": request_id, "x-amz-id-2": host_id}
        return ErrorResponse(403, headers, xml.encode())
    raise UnsupportedProtocol(f"{service} speaks {protocol.name}: no access-denied rendering for it")


def denial(decision: Decision, service: str, *, request_id: str | None = None) -> ErrorResponse:
    """The answer to a denied request: AWS's sentence for ``decision`` in ``service``'s protocol
    (quoting the resource for S3, as S3 does)."""
    quote = protocol_of(service) == "rest-xml"
    return access_denied(service, decision.message(quote_resource=quote), request_id=request_id)
