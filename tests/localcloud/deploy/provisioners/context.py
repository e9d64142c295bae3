"""What the provisioner tests share: the engine's side of the provisioners' contract on a local cloud
(``LocalContext``) or on none (``OfflineContext``, for provisioners that must reach no service), the
account and region it answers with, creating a resource by its type, and a role for the tests whose
resources need one. The ``ctx`` fixture that makes a ``LocalContext`` is in ``conftest.py``."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from typing import Any

from localcloud.deploy.provisioners import Context, Provisioned, provisioner_for
from localcloud.gateway.server import LocalCloud

ACCOUNT = "123456789012"
REGION = "us-east-1"
TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


class LocalContext:
    """The engine's side of the contract, as small as it gets: clients, names, and a code zip per S3Key."""

    def __init__(self, cloud: LocalCloud, stack_name: str = "Example") -> None:
        self.cloud = cloud
        self.account, self.region, self.stack_name = ACCOUNT, REGION, stack_name
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self.cloud.client(service, region=self.region)
        return self._clients[service]

    def asset_zip(self, properties: Mapping[str, Any]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            key = properties.get("Code", {}).get("S3Key", "inline")
            archive.writestr("index.py", f"# {key}\ndef handler(event, context):\n    return event\n")
        return buffer.getvalue()


class OfflineContext(LocalContext):
    """For provisioners that must not reach any service."""

    def __init__(self) -> None:
        self.account, self.region, self.stack_name = ACCOUNT, REGION, "Example"

    def client(self, service: str) -> Any:
        raise AssertionError(f"no {service} call expected")


def create(ctx: Context, resource_type: str, logical_id: str, properties: Mapping[str, Any]) -> Provisioned:
    provisioner = provisioner_for(resource_type)
    assert provisioner is not None
    return provisioner.create(ctx, logical_id, properties)


def make_role(ctx: LocalContext, name: str) -> Provisioned:
    return create(ctx, "AWS::IAM::Role", "Role", {"RoleName": name, "AssumeRolePolicyDocument": TRUST})
