"""The local cloud's state in a file, so that successive commands act on the same cloud.

moto keeps each service's state in per-process backends and the emulator keeps plain records; both are
pickled as they are. Four kinds of object in moto's backends do not pickle by themselves and get a
reducer here: KMS key material (cryptography's private keys, saved as PKCS#8 DER), Lambda's
``WeakValueDictionary`` indexes (saved as plain mappings of the same objects), ``defaultdict``s whose
factory is a lambda making an empty container, possibly an empty ``defaultdict`` in turn (SSM's tags;
saved with an equivalent picklable factory), and ECR's re-entrant lock (saved as a new, released one).
Subclasses of ``defaultdict`` (SSM's parameter store) would pickle without their attributes and fail to
rebuild, so they are saved with them.
"""

from __future__ import annotations

import io
import os
import pickle
import sys
import threading
import weakref
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from moto.backends import ALT_SERVICE_NAMES, get_backend
from moto.core.base_backend import BackendDict

from ..gateway.server import LocalCloud
from ..rekognition.service import Records

# Every moto service the local deploy (the CDK bootstrap stack included), the handler and the emulator
# write to.
MOTO_SERVICES = ("s3", "kms", "iam", "lambda", "events", "logs", "ecr", "ssm")
_PRIVATE_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
)
_RLOCK = type(threading.RLock())


# What every moto BackendDict has; anything else on one is a service-wide index kept beside its backends
# (S3's bucket name -> account, by which CreateBucket knows a name is taken).
_BACKEND_DICT_FIELDS = frozenset(
    {"backend", "service_name", "_use_boto3_regions", "_additional_regions", "_id"}
)


# The stack records beside the snapshot describe what is in it, so recovery starts the whole state afresh.
_RECOVERY = (
    "It is left as it is. To start afresh with an empty local cloud, delete its state directory "
    "(everything deployed there is forgotten), or restore the file from a copy."
)


class SnapshotError(ValueError):
    pass


@dataclass(frozen=True)
class Snapshot:
    moto: dict[str, list[tuple[str, str, Any]]]  # service -> (account, region, backend)
    moto_indexes: dict[str, dict[str, Any]]  # service -> attribute -> value
    rekognition: Records


def load_private_key(der: bytes) -> Any:
    """Module-level so that pickle can name it when it rebuilds a KMS key."""
    return serialization.load_der_private_key(der, password=None)


def weak_values(items: dict[Any, Any]) -> weakref.WeakValueDictionary[Any, Any]:
    return weakref.WeakValueDictionary(items)


def default_dict(factory: Callable[[], Any], items: dict[Any, Any]) -> defaultdict[Any, Any]:
    return defaultdict(factory, items)


def default_dict_subclass(
    cls: type[defaultdict[Any, Any]],
    factory: Callable[[], Any] | None,
    attributes: dict[str, Any],
    items: dict[Any, Any],
) -> defaultdict[Any, Any]:
    """A ``defaultdict`` subclass rebuilt without its ``__init__``, whose arguments pickle does not know."""
    made = cls.__new__(cls)
    defaultdict.__init__(made, factory)
    made.__dict__.update(attributes)
    made.update(items)
    return made


def _picklable_factory(factory: Any) -> Callable[[], Any] | None:
    """What a lambda factory makes, as a factory pickle can name: an empty container's type, or
    ``partial(defaultdict, <that, one level down>)`` for ``lambda: defaultdict(...)``."""
    if getattr(factory, "__name__", "") != "<lambda>":
        return None
    sample = factory()
    if sample:
        return None
    if type(sample) in (dict, list, set):
        return type(sample)
    if type(sample) is defaultdict:
        inner = sample.default_factory
        made = inner if inner in (dict, list, set) else _picklable_factory(inner)
        return partial(defaultdict, made) if made is not None else None
    return None


class _Pickler(pickle.Pickler):
    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _PRIVATE_KEYS):
            der = obj.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return load_private_key, (der,)
        if isinstance(obj, weakref.WeakValueDictionary):
            return weak_values, (dict(obj.items()),)
        if isinstance(obj, defaultdict) and type(obj) is not defaultdict:
            factory = _picklable_factory(obj.default_factory) or obj.default_factory
            return default_dict_subclass, (type(obj), factory, getattr(obj, "__dict__", {}), dict(obj))
        if isinstance(obj, defaultdict) and (factory := _picklable_factory(obj.default_factory)):
            return default_dict, (factory, dict(obj))
        if isinstance(obj, _RLOCK):  # guards in-process updates only: nothing of it outlives the process
            return threading.RLock, ()
        return NotImplemented


def _backends(service: str) -> BackendDict[Any]:
    backends: BackendDict[Any] = get_backend(service)  # type: ignore[call-overload]
    return backends


def _in_use() -> list[str]:
    """The services this process has loaded: moto imports a service's models on its first request, and
    unpickling a snapshot that holds the service imports them too, so a service not loaded holds nothing.
    Leaving the others out keeps every command from importing them: SSM's models import all of EC2's
    (0.8 s of each command's start), and only a CDK bootstrap writes to SSM."""
    return [s for s in MOTO_SERVICES if f"moto.{ALT_SERVICE_NAMES.get(s, s)}" in sys.modules]


def take(cloud: LocalCloud) -> Snapshot:
    services = _in_use()
    moto = {service: list(_backends(service).iter_backends()) for service in services}
    indexes = {
        service: {k: v for k, v in vars(_backends(service)).items() if k not in _BACKEND_DICT_FIELDS}
        for service in services
    }
    return Snapshot(moto=moto, moto_indexes=indexes, rekognition=cloud.service.records())


def put_back(cloud: LocalCloud, snapshot: Snapshot) -> None:
    """Into a started (so freshly reset) local cloud: the same buckets, keys, roles, rules and models."""
    for service, backends in snapshot.moto.items():
        live = _backends(service)
        for account, region, backend in backends:
            dict.__setitem__(live[account], region, backend)
        for name, value in snapshot.moto_indexes.get(service, {}).items():
            setattr(live, name, value)
    cloud.service.restore(snapshot.rekognition)


def save(cloud: LocalCloud, path: Path) -> None:
    """Written to a temporary file and renamed, so an interrupted save leaves the last good state."""
    buffer = io.BytesIO()
    _Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(take(cloud))
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(buffer.getvalue())
    os.replace(partial, path)


def load(cloud: LocalCloud, path: Path) -> bool:
    """Put the saved state back; False when there is none yet (a new, empty local cloud)."""
    if not path.is_file():
        return False
    try:
        snapshot = pickle.loads(path.read_bytes())
    except Exception as error:  # truncated, corrupt, or from an incompatible moto
        raise SnapshotError(
            f"{path} is not a readable local cloud snapshot ({error!r}). {_RECOVERY}"
        ) from error
    if not isinstance(snapshot, Snapshot):
        raise SnapshotError(f"{path} is not a local cloud snapshot. {_RECOVERY}")
    put_back(cloud, snapshot)
    return True
