"""The one seam through which the handler reaches AWS: boto3 clients, made on first use.

Clients honour the standard endpoint settings (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), so
tests and the local cloud point the unmodified handler at moto and the Rekognition emulator. Throttling
and transient errors are retried inside each call by botocore's standard retry mode.
"""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config

RETRIES = Config(
    retries={"mode": "standard", "total_max_attempts": 5},
    connect_timeout=5,
    read_timeout=30,
)


@functools.cache
def client(service: str) -> Any:
    return boto3.client(service, config=RETRIES)


def rekognition() -> Any:
    return client("rekognition")


def events() -> Any:
    return client("events")


def lambda_() -> Any:
    return client("lambda")
