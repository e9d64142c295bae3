"""boto3 clients and errors for tests against a local cloud: the small helpers test modules kept rewriting.

``unchecked_client`` is a client that sends every request as written: botocore's client-side parameter
validation is off, so a test of the emulator's own validation (lengths, patterns, missing members) gets
the service's answer instead of botocore's ``ParamValidationError``, raised before anything is sent.
``error_code`` is the AWS error code of a ``ClientError``, what most assertions about a refusal compare.

Only boto3 and botocore are needed here (the ``localcloud`` extra); pytest is named for typing only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from ..gateway.server import CREDENTIALS, REGION

if TYPE_CHECKING:
    import pytest


class Endpoint(Protocol):
    """Anything served at an endpoint: a ``LocalCloud``, a ``ServedCloud``, or any object like them."""

    @property
    def endpoint_url(self) -> str: ...


def unchecked_client(
    cloud: Endpoint, service: str, region: str = REGION, *, config: Config | None = None
) -> Any:
    """A new boto3 client of ``cloud`` that leaves every check to the service.

    botocore checks required members, types and minimums before it sends a request, so a client made the
    usual way (``LocalCloud.client``) never lets a test see how the emulator answers a malformed one. This
    one has parameter validation off, and otherwise is the same: the local cloud's credentials, ``region``
    (the local cloud's by default), botocore's default retries. ``config`` adds settings (retries,
    timeouts); parameter validation stays off whatever it says.
    """
    unchecked = Config(parameter_validation=False)
    settings = unchecked if config is None else config.merge(unchecked)
    return boto3.session.Session().client(
        service, region_name=region, endpoint_url=cloud.endpoint_url, config=settings, **CREDENTIALS
    )


def error_code(caught: pytest.ExceptionInfo[ClientError] | ClientError) -> str:
    """The AWS error code (``ResourceNotFoundException`` ...) of a botocore ``ClientError``: of the one a
    ``pytest.raises(ClientError)`` block caught, or of the exception itself (from ``except ClientError``).

    A refused call is usually asserted by its code alone; this spares each test the reach into
    ``.value.response["Error"]["Code"]`` (and the ``str`` that types it), whichever of the two it holds.
    """
    error = caught if isinstance(caught, ClientError) else caught.value
    return str(error.response["Error"]["Code"])
