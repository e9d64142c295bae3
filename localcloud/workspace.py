"""The local cloud's state directory (``.localcloud/`` by default), shared by successive commands.

It holds the cloud itself (``cloud.pickle``: moto's services and the emulator's records), and per
deployed stack a record of what is deployed (``stacks/<name>/deployment.json``, CloudFormation's view:
physical ids, attributes, resolved properties, outputs, status) with a copy of the cloud assembly it was
deployed from (``stacks/<name>/assembly``), because later deletes run the provider's code as deployed,
not whatever ``cdk.out`` holds by then. One command at a time: a lock file refuses a second.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .deploy.engine import Deployment, Resource

DEFAULT_STATE_DIR = Path(".localcloud")


class WorkspaceBusy(Exception):
    pass


class Workspace:
    def __init__(self, root: Path = DEFAULT_STATE_DIR) -> None:
        self.root = root

    @property
    def snapshot_file(self) -> Path:
        return self.root / "cloud.pickle"

    @contextmanager
    def locked(self) -> Iterator[Workspace]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise WorkspaceBusy(f"another local cloud command is using {self.root}") from error
            try:
                yield self
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- deployed stacks ---------------------------------------------------------------------------

    def _stack_dir(self, stack_name: str) -> Path:
        return self.root / "stacks" / stack_name

    def stack_names(self) -> list[str]:
        stacks = self.root / "stacks"
        if not stacks.is_dir():
            return []
        return sorted(p.name for p in stacks.iterdir() if (p / "deployment.json").is_file())

    def load(self, stack_name: str) -> Deployment | None:
        record = self._stack_dir(stack_name) / "deployment.json"
        if not record.is_file():
            return None
        return _decode(json.loads(record.read_text()), self._stack_dir(stack_name) / "assembly")

    def save(self, deployment: Deployment) -> Deployment:
        """Record ``deployment`` and keep its cloud assembly; returns it pointing at the kept copy."""
        folder = self._stack_dir(deployment.stack_name)
        kept = folder / "assembly"
        if deployment.assembly_dir.resolve() != kept.resolve():
            incoming = folder / "assembly.incoming"
            shutil.rmtree(incoming, ignore_errors=True)
            shutil.copytree(deployment.assembly_dir, incoming)
            shutil.rmtree(kept, ignore_errors=True)
            os.replace(incoming, kept)
            deployment.assembly_dir = kept
        record = folder / "deployment.json"
        partial = record.with_name(record.name + ".partial")
        partial.write_text(json.dumps(_encode(deployment), indent=1, sort_keys=True))
        os.replace(partial, record)
        return deployment

    def forget(self, stack_name: str) -> None:
        shutil.rmtree(self._stack_dir(stack_name), ignore_errors=True)


def _encode(deployment: Deployment) -> dict[str, Any]:
    encoded = asdict(deployment)
    del encoded["assembly_dir"]  # always the kept copy next to the record
    return encoded


def _decode(data: dict[str, Any], assembly_dir: Path) -> Deployment:
    resources = {lid: Resource(**resource) for lid, resource in data.pop("resources").items()}
    return Deployment(**data, assembly_dir=assembly_dir, resources=resources)
