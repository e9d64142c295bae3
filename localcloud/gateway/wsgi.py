"""One WSGI endpoint for the whole local cloud.

The Custom Labels operations (``X-Amz-Target: RekognitionService.<Op>``) go to our emulator; a call moto
lacks, for any service (Rekognition's other operations among them), gets a 4xx in its protocol that
botocore does not retry, never Flask's HTML 500 or 404. CloudFormation's ``SignalResource`` goes to the
signal board (the stacks the deploy engine deploys are not moto's), its other calls to the handlers plugged
in from above (the CloudFormation API under ``serve``), a few ``/_localcloud/...`` paths steer the
emulator (faults, clock), and everything else goes to moto, so one ``AWS_ENDPOINT_URL`` serves every
boto3 client. Each request is work on the local cloud's clock while it is answered.
"""

from __future__ import annotations

import functools
import io
import json
import logging
import math
import re
import threading
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from xml.sax.saxutils import escape

import botocore.exceptions
import botocore.session

from ..clock import ManualClock
from ..rekognition.errors import ServiceError
from ..rekognition.service import CustomLabelsService
from ..rekognition.validation import modelled_errors, service_model
from .authorization import Authorizer
from .signals import SignalBoard, SignalError

LOG = logging.getLogger(__name__)
TARGET_PREFIX = "RekognitionService"
CONTROL_PREFIX = "/_localcloud/"
UNSUPPORTED = "UnsupportedOperationException"
_NO_ROUTE = b"The requested URL was not found on the server."  # Flask's page when no route matches
_REGION = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_SERVICE = re.compile(r"Credential=[^/]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/")
_CLOUDFORMATION_XMLNS = "http://cloudformation.amazonaws.com/doc/2010-05-15/"

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]
# Answers a CloudFormation call (its form fields), or None to leave it to the next handler.
CloudFormationHandler = Callable[[dict[str, str], StartResponse], list[bytes] | None]


def _json_response(
    start_response: StartResponse, status: int, body: dict[str, Any], content_type: str
) -> list[bytes]:
    payload = json.dumps(body).encode()
    reason = {
        200: "OK",
        400: "Bad Request",
        404: "Not Found",
        405: "Method Not Allowed",
        409: "Conflict",
        500: "Internal Server Error",
    }
    start_response(
        f"{status} {reason.get(status, 'Error')}",
        [
            ("Content-Type", content_type),
            ("Content-Length", str(len(payload))),
            ("x-amzn-RequestId", str(uuid.uuid4())),
        ],
    )
    return [payload]


def _xml_response(start_response: StartResponse, status: int, body: str) -> list[bytes]:
    payload = body.encode()
    start_response(
        f"{status} {'OK' if status == 200 else 'Bad Request'}",
        [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


def _protocol_error(
    environ: dict[str, Any], start_response: StartResponse, status: int, code: str, message: str
) -> list[bytes]:
    """An error as botocore parses it for the request's protocol: JSON for JSON calls, XML otherwise."""
    signed = _SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
    protocol = _protocol(signed.group(1)) if signed else ""
    if environ.get("HTTP_X_AMZ_TARGET") or protocol in ("json", "rest-json"):
        return _json_response(
            start_response, status, {"__type": code, "message": message}, "application/x-amz-json-1.1"
        )
    body = (
        f"<ErrorResponse><Error><Type>{'Sender' if status < 500 else 'Receiver'}</Type><Code>{code}</Code>"
        f"<Message>{escape(message)}</Message></Error><RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    payload = body.encode()
    start_response(
        f"{status} {'Bad Request' if status < 500 else 'Internal Server Error'}",
        [("Content-Type", "text/xml"), ("Content-Length", str(len(payload)))],
    )
    return [payload]


@functools.cache
def _protocol(signing_name: str) -> str:
    """The wire protocol (json, rest-json, query, rest-xml, ec2) of the service a request was signed for."""
    try:
        return str(botocore.session.get_session().get_service_model(signing_name).protocol)
    except botocore.exceptions.UnknownServiceError:
        return ""


def _read_json(environ: dict[str, Any]) -> Any:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    return json.loads(raw or b"{}")


class LocalCloudApp:
    """Routes Custom Labels calls to ``service`` and the rest to ``fallback`` (moto)."""

    def __init__(
        self,
        service: CustomLabelsService,
        fallback: WSGIApp,
        signals: SignalBoard,
        authorizer: Authorizer | None = None,
    ) -> None:
        self.service = service
        self.authorizer = authorizer
        self.fallback = fallback
        self.signals = signals
        # CloudFormation's form-encoded calls, tried in order; what none of them answers is moto's
        self.cloudformation: list[CloudFormationHandler] = []
        self._counting = threading.Lock()
        self._calls: Counter[str] = Counter()  # by X-Amz-Target, for whoever watches a service change

    def call_count(self, *targets: str) -> int:
        """How many calls of these ``X-Amz-Target`` operations were answered so far."""
        with self._counting:
            return sum(self._calls[target] for target in targets)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        with self.service.clock.working():
            try:
                return self._route(environ, start_response)
            finally:
                target = environ.get("HTTP_X_AMZ_TARGET")
                if target:
                    with self._counting:
                        self._calls[target] += 1

    def _route(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(CONTROL_PREFIX):
            return self._control(path[len(CONTROL_PREFIX) :], environ, start_response)
        denied = self.authorizer.check(environ) if self.authorizer is not None else None
        if denied is not None:
            start_response(
                f"{denied.status} Forbidden",
                [*denied.headers.items(), ("Content-Length", str(len(denied.body)))],
            )
            return [denied.body]
        prefix, _, operation = environ.get("HTTP_X_AMZ_TARGET", "").partition(".")
        if prefix == TARGET_PREFIX and operation in self.service.operations:
            return self._rekognition(operation, environ, start_response)
        if prefix == TARGET_PREFIX and operation not in service_model().operation_names:
            unknown = {"__type": "UnknownOperationException", "Message": f"Unknown operation {operation}."}
            return _json_response(start_response, 400, unknown, "application/x-amz-json-1.1")
        service = _SERVICE.search(environ.get("HTTP_AUTHORIZATION", ""))
        if service and service.group(1) == "cloudformation" and environ.get("REQUEST_METHOD") == "POST":
            length = int(environ.get("CONTENT_LENGTH") or 0)
            raw = environ["wsgi.input"].read(length) if length else b""
            form = {
                k: v[-1]
                for k, v in urllib.parse.parse_qs(
                    raw.decode("utf-8", "replace"), keep_blank_values=True
                ).items()
            }
            if form.get("Action") == "SignalResource":
                return self._signal_resource(form, start_response)
            for handler in list(self.cloudformation):
                answer = handler(form, start_response)
                if answer is not None:
                    return answer
            environ["wsgi.input"] = io.BytesIO(raw)  # every other CloudFormation call is moto's
        try:
            return self._moto(environ, start_response)
        except NotImplementedError as error:
            call = environ.get("HTTP_X_AMZ_TARGET") or "this call"
            message = f"The local cloud does not implement {call}: {error}"
            return _protocol_error(environ, start_response, 400, UNSUPPORTED, message)
        except Exception as error:  # a fault in moto: the service's own 500, never an HTML page
            LOG.exception("moto failed")
            message = f"Internal error in the local cloud: {error!r}"
            return _protocol_error(environ, start_response, 500, "InternalFailure", message)

    def _moto(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        """moto's answer, except Flask's HTML 404 for a path no moto route serves (a call moto lacks)."""
        answered: list[tuple[str, list[tuple[str, str]]]] = []

        def hold(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Callable[[bytes], None]:
            answered.append((status, headers))
            return lambda data: None  # Flask never writes through this

        body = self.fallback(environ, hold)
        status, headers = answered[-1]
        content_type = next((value for name, value in headers if name.lower() == "content-type"), "")
        if status.startswith("404") and content_type.startswith("text/html"):
            page = b"".join(body)
            if hasattr(body, "close"):
                body.close()
            if _NO_ROUTE not in page:  # moto's own 404 (a HEAD of a missing bucket, say)
                start_response(status, headers)
                return [page]
            call = f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}"
            message = f"The local cloud does not implement this call: {call}"
            return _protocol_error(environ, start_response, 400, UNSUPPORTED, message)
        start_response(status, headers)
        return body

    def _signal_resource(self, form: dict[str, str], start_response: StartResponse) -> list[bytes]:
        request_id = str(uuid.uuid4())
        try:
            self.signals.signal(
                form.get("StackName", ""),
                form.get("LogicalResourceId", ""),
                form.get("UniqueId", ""),
                form.get("Status", ""),
            )
        except SignalError as error:
            body = (
                f'<ErrorResponse xmlns="{_CLOUDFORMATION_XMLNS}"><Error><Type>Sender</Type>'
                f"<Code>ValidationError</Code><Message>{escape(str(error))}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            )
            return _xml_response(start_response, 400, body)
        body = (
            f'<SignalResourceResponse xmlns="{_CLOUDFORMATION_XMLNS}"><ResponseMetadata>'
            f"<RequestId>{request_id}</RequestId></ResponseMetadata></SignalResourceResponse>"
        )
        return _xml_response(start_response, 200, body)

    def _rekognition(
        self, operation: str, environ: dict[str, Any], start_response: StartResponse
    ) -> list[bytes]:
        content_type = "application/x-amz-json-1.1"
        match = _REGION.search(environ.get("HTTP_AUTHORIZATION", ""))
        region = match.group(1) if match else "us-east-1"
        try:
            params = _read_json(environ)
            if not isinstance(params, dict):
                raise ServiceError("InvalidParameterException", "The request body must be a JSON object.")
            result = self.service.handle(operation, params, region=region)
        except (json.JSONDecodeError, UnicodeDecodeError):
            error = ServiceError("InvalidParameterException", "The request body is not valid JSON.")
            return _json_response(start_response, error.http_status, error.body(), content_type)
        except ServiceError as error:
            return _json_response(start_response, error.http_status, error.body(), content_type)
        except Exception as error:  # the service's own 500, never a dropped connection
            LOG.exception("%s failed", operation)
            failure = ServiceError("InternalServerError", f"Internal server error: {error}")
            return _json_response(start_response, 500, failure.body(), content_type)
        return _json_response(start_response, 200, result, content_type)

    def _control(self, path: str, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        """Test and demo controls: faults, quota, forced failures and (with a manual clock) time."""
        content_type = "application/json"
        if path == "health":
            return _json_response(start_response, 200, {"now": self.service.clock.now()}, content_type)
        control = self._controls().get(path)
        if control is None:
            return _json_response(start_response, 404, {"error": f"no control {path!r}"}, content_type)
        if environ.get("REQUEST_METHOD") != "POST":
            return _json_response(start_response, 405, {"error": "controls take POST"}, content_type)
        try:
            body = _read_json(environ)
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            control(body)
        except (KeyError, ValueError, TypeError, UnicodeDecodeError) as error:
            return _json_response(
                start_response, 400, {"error": f"bad control request: {error!r}"}, content_type
            )
        except _Conflict as error:
            return _json_response(start_response, 409, {"error": str(error)}, content_type)
        return _json_response(start_response, 200, {"ok": True}, content_type)

    def _controls(self) -> dict[str, Callable[[dict[str, Any]], None]]:
        faults = self.service.faults
        return {
            "rekognition/faults": self._plan_fault,
            "rekognition/training-failures": lambda b: faults.fail_training(
                _text(b, "versionName"), _text(b, "message")
            ),
            "rekognition/start-failures": lambda b: faults.fail_start(
                _text(b, "versionName"), _text(b, "message")
            ),
            "rekognition/tps": lambda b: faults.limit_tps(_tps_limit(b.get("limit"))),
            "rekognition/reset-faults": lambda b: faults.clear(),
            "clock/advance": self._advance_clock,
        }

    def _plan_fault(self, body: dict[str, Any]) -> None:
        operation, error = _text(body, "operation"), _text(body, "error")
        if operation not in self.service.operations:
            raise ValueError(f"the emulator does not serve {operation!r}")
        if error not in modelled_errors(operation):
            raise ValueError(f"{operation} does not model the error {error!r}")
        count = body.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool):
            raise TypeError("count must be a whole number")
        message = body.get("message")
        self.service.faults.fail_next(
            operation, error, count=count, message=None if message is None else str(message)
        )

    def _advance_clock(self, body: dict[str, Any]) -> None:
        clock = self.service.clock
        if not isinstance(clock, ManualClock):
            raise _Conflict("the clock is real time")
        seconds = body["seconds"]
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not math.isfinite(seconds):
            raise ValueError("seconds must be a finite number")
        clock.advance(float(seconds))


class _Conflict(Exception):
    """The control exists but does not apply to this local cloud."""


def _text(body: dict[str, Any], member: str) -> str:
    value = body[member]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{member} must be a non-empty string")
    return value


def _tps_limit(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError("limit must be a positive whole number or null")
    return value
