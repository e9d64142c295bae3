"""The one seam through which the handler reaches AWS: boto3 clients, made on first use.

Clients honour the standard endpoint settings (``AWS_ENDPOINT_URL``, ``AWS_ENDPOINT_URL_<SERVICE>``), so
tests and the local cloud point the unmodified handler at moto and the Rekognition emulator. Throttling
and transient errors are retried inside each call by botocore's standard retry mode, except by the
client that starts trainings and models: botocore would also retry the quotas' LimitExceededException,
for seconds and five calls, where a training slot takes many minutes to free (the handler waits for it
instead, one CreateProjectVersion per poll) and a running model never frees its slot by itself.
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


SINGLE_ATTEMPT = RETRIES.merge(Config(retries={"mode": "standard", "total_max_attempts": 1}))


@functools.cache
def client(service: str) -> Any:
    return boto3.client(service, config=RETRIES)


@functools.cache
def single_attempt_client(service: str) -> Any:
    return boto3.client(service, config=SINGLE_ATTEMPT)


def rekognition() -> Any:
    return client("rekognition")


def rekognition_once() -> Any:
    """For CreateProjectVersion and StartProjectVersion: each call is tried once (the caller decides
    what to retry)."""
    return single_attempt_client("rekognition")


def s3() -> Any:
    return client("s3")


def kms() -> Any:
    return client("kms")


def events() -> Any:
    return client("events")


def cloudformation() -> Any:
    return client("cloudformation")


def lambda_() -> Any:
    return client("lambda")
