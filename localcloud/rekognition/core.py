"""The state every Custom Labels operation works on, and the look-ups they share."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..clock import Clock, SystemClock
from .backends import KeyStore, ObjectStore
from .calls import CallLog
from .errors import ServiceError, not_found
from .faults import Faults
from .state import DatasetRecord, ProjectRecord, VersionRecord, epoch_ms

DEFAULT_ACCOUNT = "123456789012"
PAGE_SIZE = 100

Params = dict[str, Any]
Handler = Callable[[str, Params], dict[str, Any]]


def creation_order(arn: str) -> int:
    """ARNs end in strictly increasing epoch milliseconds: sorting on them is sorting by creation."""
    return int(arn.rsplit("/", 1)[1])


@dataclass(frozen=True)
class Durations:
    """How long each asynchronous phase takes, in seconds."""

    training: float = 3.0
    starting: float = 2.0
    stopping: float = 1.0
    deleting: float = 1.0
    dataset: float = 1.0
    project_deleting: float = 1.0

    @staticmethod
    def uniform(seconds: float) -> Durations:
        return Durations(seconds, seconds, seconds, seconds, seconds, seconds)


@dataclass(frozen=True)
class Quotas:
    """The account's Custom Labels quotas (AWS General Reference defaults)."""

    concurrent_trainings: int = 2
    # Regions that train fewer at once (the General Reference: Asia Pacific (Sydney) trains one).
    concurrent_trainings_in: tuple[tuple[str, int], ...] = (("ap-southeast-2", 1),)
    running_models: int = 2
    inference_units: int = 5
    projects: int = 100
    versions_per_project: int = 100
    tags: int = 200


@dataclass(frozen=True)
class Records:
    """The service's whole state: plain data, so it pickles (phases resume by the wall clock)."""

    projects: dict[str, ProjectRecord]
    versions: dict[str, VersionRecord]
    tags: dict[str, dict[str, str]]
    last_ms: int


def trainings_allowed(quotas: Quotas, region: str) -> int:
    """How many versions ``region`` trains at once for one account."""
    return dict(quotas.concurrent_trainings_in).get(region, quotas.concurrent_trainings)


class ServiceCore:
    """One account's Custom Labels records, in every region. Thread-safe: one lock around all state."""

    def __init__(
        self,
        *,
        objects: ObjectStore,
        keys: KeyStore,
        clock: Clock | None = None,
        durations: Durations | None = None,
        quotas: Quotas | None = None,
        account: str = DEFAULT_ACCOUNT,
    ) -> None:
        self.objects = objects
        self.keys = keys
        self.clock: Clock = clock or SystemClock()
        self.durations = durations or Durations()
        self.quotas = quotas or Quotas()
        self.account = account
        self.faults = Faults()
        self.calls = CallLog()
        self._lock = threading.RLock()
        self._projects: dict[str, ProjectRecord] = {}
        self._versions: dict[str, VersionRecord] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self._last_ms = 0

    # -- state across processes ---------------------------------------------------------------------

    def records(self) -> Records:
        """Every project, dataset, version and tag, for a local cloud that outlives its process."""
        with self._lock:
            return Records(dict(self._projects), dict(self._versions), dict(self._tags), self._last_ms)

    def restore(self, records: Records) -> None:
        with self._lock:
            self._projects, self._versions = dict(records.projects), dict(records.versions)
            self._tags, self._last_ms = dict(records.tags), records.last_ms

    # -- helpers ------------------------------------------------------------------------------------

    def _new_ms(self, now: float) -> int:
        """Epoch milliseconds, strictly increasing so ARNs made in the same millisecond differ."""
        self._last_ms = max(epoch_ms(now), self._last_ms + 1)
        return self._last_ms

    def _arn_prefix(self, region: str) -> str:
        return f"arn:aws:rekognition:{region}:{self.account}:project"

    @staticmethod
    def _in_region(arn: str, region: str) -> bool:
        """A regional service: an ARN of another region names nothing here."""
        parts = arn.split(":")
        return len(parts) > 3 and parts[3] == region

    def _project(self, arn: str, region: str) -> ProjectRecord:
        project = self._projects.get(arn) if self._in_region(arn, region) else None
        if project is None or project.status == "DELETING":
            raise not_found(f"The project {arn} does not exist.")
        return project

    def _version(self, arn: str, region: str) -> VersionRecord:
        version = self._versions.get(arn) if self._in_region(arn, region) else None
        if version is None:
            raise not_found(f"The model version {arn} does not exist.")
        return version

    def _dataset_by_arn(self, arn: str, region: str) -> DatasetRecord:
        for project in self._projects.values() if self._in_region(arn, region) else ():
            for dataset in project.datasets.values():
                if dataset.arn == arn:
                    return dataset
        raise not_found(f"The dataset {arn} does not exist.")

    def _versions_of(self, project: ProjectRecord) -> list[VersionRecord]:
        return [v for v in self._versions.values() if v.project is project]

    @staticmethod
    def _page(member: str, items: Sequence[Any], params: Params, scope: Any) -> dict[str, Any]:
        """``{member: one page of items}`` and a ``NextToken`` when more follow; a token only serves the
        query (``scope``) it came from."""
        # The token names its query by a digest: the query itself (ten VersionNames of 255 characters)
        # would make a token longer than the 1024 characters the API accepts back.
        scope = hashlib.sha256(json.dumps(scope, sort_keys=True).encode()).hexdigest()[:16]
        start = 0
        token = params.get("NextToken")
        if token:
            try:
                decoded = json.loads(base64.b64decode(token, validate=True))
                start = int(decoded["offset"])
                if decoded["scope"] != scope or start < 0:
                    raise ValueError(token)
            except (ValueError, KeyError, TypeError, binascii.Error) as error:
                raise ServiceError("InvalidPaginationTokenException", "Invalid pagination token.") from error
        size = int(params.get("MaxResults") or PAGE_SIZE)
        end = start + size
        page: dict[str, Any] = {member: list(items[start:end])}
        if end < len(items):
            page["NextToken"] = base64.b64encode(
                json.dumps({"offset": end, "scope": scope}).encode()
            ).decode()
        return page
