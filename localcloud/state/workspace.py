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
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from pathlib import Path
from typing import Any

from ..deploy.deployment import Deployment, Resource

DEFAULT_STATE_DIR = Path(".localcloud")


class WorkspaceBusy(Exception):
    pass


class WorkspaceMissing(Exception):
    pass


def _holder_description(holder: dict[str, Any]) -> str:
    since = time.strftime("%H:%M:%S", time.localtime(holder.get("since", 0)))
    return f"pid {holder.get('pid', '?')}: {holder.get('command', 'a local cloud command')}, since {since}"


class Workspace:
    def __init__(self, root: Path = DEFAULT_STATE_DIR) -> None:
        self.root = root
        self._lock_fd: int | None = None

    @property
    def snapshot_file(self) -> Path:
        return self.root / "cloud.pickle"

    @property
    def clock_file(self) -> Path:
        """Where the local cloud's time stood (local and real) when the cloud was last saved."""
        return self.root / "clock.json"

    def clock_anchor(self) -> dict[str, float] | None:
        try:
            anchor = json.loads(self.clock_file.read_text())
            return {"local": float(anchor["local"]), "real": float(anchor["real"])}
        except (OSError, ValueError, KeyError, TypeError):
            return None  # no saved cloud yet (or a damaged file): local time starts at real time

    def save_clock(self, anchor: dict[str, float]) -> None:
        self.clock_file.write_text(json.dumps(anchor))

    @property
    def _lock_file(self) -> Path:
        return self.root / "lock"

    def require(self) -> Workspace:
        """For commands that only read or remove: a mistyped ``--state`` must not become a new cloud."""
        if not self.root.is_dir():
            raise WorkspaceMissing(
                f"no local cloud state in {self.root} (deploy, sample-data or serve create one; "
                "check --state)"
            )
        return self

    @contextmanager
    def locked(self, command: str | None = None) -> Iterator[Workspace]:
        """Held for a whole command; a second command is refused, told which process holds it."""
        self.root.mkdir(parents=True, exist_ok=True)
        # Opened without truncating: the holder's description must survive a refused attempt.
        descriptor = os.open(self._lock_file, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as error:
                raise WorkspaceBusy(self._refusal()) from error
            self._lock_fd = descriptor
            self._write_holder(
                {
                    "pid": os.getpid(),
                    "command": command or " ".join(["python -m localcloud", *sys.argv[1:]]),
                    "since": time.time(),
                }
            )
            try:
                yield self
            finally:
                self._lock_fd = None
                os.ftruncate(descriptor, 0)
                fcntl.flock(descriptor, fcntl.LOCK_UN)
        finally:
            os.close(descriptor)

    def note_endpoint(self, endpoint: str, *, until_stopped: bool = False) -> None:
        """Tell commands refused while this one runs where the same cloud can be reached (``serve``
        serves it ``until_stopped``; others while they run)."""
        self._write_holder({**self._holder(), "endpoint": endpoint, "until_stopped": until_stopped})

    def _write_holder(self, holder: dict[str, Any]) -> None:
        if self._lock_fd is None:
            raise RuntimeError("only the command holding the lock describes itself")
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, json.dumps(holder).encode(), 0)

    def _holder(self) -> dict[str, Any]:
        try:
            holder = json.loads(self._lock_file.read_text() or "{}")
        except (OSError, ValueError):
            return {}
        return holder if isinstance(holder, dict) else {}

    def endpoint(self, *, served: bool = False) -> str | None:
        """Where the command holding the state serves its local cloud meanwhile (serve, deploy);
        ``served``: only where ``serve`` does, which lasts until it is stopped."""
        holder = self._holder() if self._lock_file.is_file() else {}
        if not holder.get("endpoint") or (served and not holder.get("until_stopped")):
            return None
        return str(holder["endpoint"])

    def _refusal(self) -> str:
        holder = self._holder()
        message = f"another local cloud command is using {self.root} ({_holder_description(holder)})"
        if holder.get("endpoint") and not holder.get("until_stopped"):
            return (
                f"{message}; its local cloud answers at {holder['endpoint']} while it runs. Wait for it "
                "to finish, or use another --state."
            )
        if holder.get("endpoint"):
            return (
                f"{message}. It serves this cloud at {holder['endpoint']} until stopped: use that "
                f"endpoint meanwhile, or stop it first (Ctrl-C, or kill -INT {holder.get('pid', '<pid>')})"
            )
        return f"{message}. Wait for it to finish, or use another --state."

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
        folder.mkdir(parents=True, exist_ok=True)
        if deployment.assembly_dir is not None and deployment.assembly_dir.resolve() != kept.resolve():
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

    def forget_deployment(self, stack_name: str) -> None:
        """Nothing of the stack is deployed any more, though the stack itself stays (ROLLBACK_COMPLETE)."""
        (self._stack_dir(stack_name) / "deployment.json").unlink(missing_ok=True)
        shutil.rmtree(self._stack_dir(stack_name) / "assembly", ignore_errors=True)

    def forget(self, stack_name: str) -> None:
        shutil.rmtree(self._stack_dir(stack_name), ignore_errors=True)


def _encode(deployment: Deployment) -> dict[str, Any]:
    encoded = asdict(deployment)
    del encoded["assembly_dir"]  # always the kept copy next to the record
    return encoded


def _decode(data: dict[str, Any], assembly_dir: Path) -> Deployment:
    resources = {lid: Resource(**resource) for lid, resource in data.pop("resources").items()}
    kept = assembly_dir if assembly_dir.is_dir() else None  # none kept: deployed through the API
    return Deployment(**data, assembly_dir=kept, resources=resources)
