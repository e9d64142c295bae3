"""The emulator's reach into the rest of the cloud: S3 objects and KMS keys, behind small seams.

By default they are boto3 clients made lazily against one endpoint (the local cloud's own moto), so
the emulator reads manifests and writes evaluation results exactly where a user uploaded them.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

_MISSING = {"NoSuchKey", "NoSuchBucket", "404", "NotFound", "NoSuchVersion"}


class ObjectStore(Protocol):
    def read(self, bucket: str, key: str, version: str | None) -> bytes:
        """The object's bytes; KeyError when it does not exist, PermissionError when unreadable."""
        ...

    def write(self, bucket: str, key: str, body: bytes) -> None: ...

    def bucket_exists(self, bucket: str) -> bool: ...


class KeyStore(Protocol):
    def key_exists(self, region: str, key_id: str) -> bool: ...


class Boto3Backends:
    """ObjectStore and KeyStore over boto3 clients pointed at ``endpoint_url``."""

    def __init__(self, endpoint_url: str, *, region: str = "us-east-1") -> None:
        self._endpoint_url = endpoint_url
        self._region = region
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def _client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self._region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = boto3.session.Session().client(
                    service,
                    region_name=key[1],
                    endpoint_url=self._endpoint_url,
                    aws_access_key_id="localcloud",
                    aws_secret_access_key="localcloud",
                    config=Config(retries={"mode": "standard", "max_attempts": 2}),
                )
            return self._clients[key]

    def read(self, bucket: str, key: str, version: str | None) -> bytes:
        arguments: dict[str, str] = {"Bucket": bucket, "Key": key}
        if version is not None:
            arguments["VersionId"] = version
        try:
            body: bytes = self._client("s3").get_object(**arguments)["Body"].read()
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in _MISSING:
                raise KeyError(f"s3://{bucket}/{key}") from error
            raise PermissionError(f"s3://{bucket}/{key}: {code}") from error
        return body

    def write(self, bucket: str, key: str, body: bytes) -> None:
        self._client("s3").put_object(Bucket=bucket, Key=key, Body=body)

    def bucket_exists(self, bucket: str) -> bool:
        try:
            self._client("s3").head_bucket(Bucket=bucket)
        except ClientError:
            return False
        return True

    def key_exists(self, region: str, key_id: str) -> bool:
        try:
            self._client("kms", region).describe_key(KeyId=key_id)
        except ClientError:
            return False
        return True
