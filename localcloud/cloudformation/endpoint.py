"""CloudFormation's query protocol in front of ``CloudFormationApi``: a form in, an XML document out."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from ..deploy.engine import Engine
from ..state.workspace import Workspace
from .api import CloudFormationApi
from .errors import service_model
from .query import QueryError, parse_request, serialize_error, serialize_response

LOG = logging.getLogger(__name__)
StartResponse = Callable[..., Any]
UNSUPPORTED = "UnsupportedOperationException"


class CloudFormationEndpoint:
    """Called by the local cloud's WSGI app with a CloudFormation request's decoded form."""

    def __init__(self, api: CloudFormationApi) -> None:
        self.api = api
        self.model = service_model()

    def __call__(self, form: dict[str, str], start_response: StartResponse) -> list[bytes]:
        request_id = str(uuid.uuid4())
        action = form.get("Action", "")
        try:
            if action not in self.model.operation_names:
                raise QueryError("InvalidAction", f"Could not find operation {action} for version 2010-05-15")
            if action not in self.api.operations:
                raise QueryError(UNSUPPORTED, f"The local cloud does not implement CloudFormation {action}")
            operation = self.model.operation_model(action)
            result = self.api.handle(action, parse_request(form, operation))
            body = serialize_response(operation, result, request_id)
            status = "200 OK"
        except QueryError as error:
            body = serialize_error(error.code, error.message, request_id, sender=error.sender)
            status = f"{error.status} {'Not Found' if error.status == 404 else 'Bad Request'}"
        except Exception as error:  # the service's own 500, never a dropped connection
            LOG.exception("CloudFormation %s failed", action)
            body = serialize_error(
                "InternalFailure", f"Internal error of the local cloud: {error!r}", request_id, sender=False
            )
            status = "500 Internal Server Error"
        start_response(
            status,
            [
                ("Content-Type", "text/xml"),
                ("Content-Length", str(len(body))),
                ("x-amzn-RequestId", request_id),
            ],
        )
        return [body]


@contextlib.contextmanager
def serving_cloudformation(engine: Engine, workspace: Workspace) -> Iterator[CloudFormationApi]:
    """CloudFormation's API on the engine's local cloud, the engine's events kept for it; on exit the
    operations in flight finish first (the stack never stays in progress in the saved cloud)."""
    api = CloudFormationApi(engine, workspace)
    engine.printer.record = api.record_event
    engine.published = api.published
    endpoint = CloudFormationEndpoint(api)
    engine.cloud.cloudformation_handlers.append(endpoint)
    try:
        yield api
    finally:
        if api.in_flight():
            print(f"Waiting for {api.in_flight()} stack operation(s) in progress to end...", flush=True)
        api.wait_idle()
        engine.cloud.cloudformation_handlers.remove(endpoint)
