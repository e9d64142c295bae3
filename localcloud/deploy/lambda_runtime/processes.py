"""Starting a sandbox process: forked from the warm fork server, or (when it cannot be) spawned afresh.

Either way the process runs ``sandbox.py``'s child with the invocation's environment, working folder and
session, its standard input and output in files of the invocation's scratch folder; the host waits for
its exit status with a time limit and may kill its process group meanwhile.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

SANDBOX_SCRIPT = Path(__file__).resolve().with_name("sandbox.py")
_BYTECODE: tempfile.TemporaryDirectory[str] | None = None
_BYTECODE_CREATING = threading.Lock()


def _interpreter() -> list[str]:
    """The sandbox's command line. -I: no PYTHON* variables, no script folder or working directory on
    sys.path. -X pycache_prefix: the bytecode compiled from a function's code goes to a folder of this
    process's own (removed at its exit), never into the code folder. Without a cache every cold start
    compiles every module of the function again (a third of a poll's time for the provider, whose asset,
    like a Lambda zip, holds no bytecode); a compiled module is used only while its source is unchanged.
    """
    global _BYTECODE
    with _BYTECODE_CREATING:
        if _BYTECODE is None:
            _BYTECODE = tempfile.TemporaryDirectory(prefix="lambda-bytecode-")
    return [sys.executable, "-I", "-X", f"pycache_prefix={_BYTECODE.name}", "-X", "utf8", str(SANDBOX_SCRIPT)]


@dataclass(frozen=True)
class Sandbox:
    """An invocation's scratch folder: the event in, the result and the standard streams out."""

    folder: Path

    @property
    def payload(self) -> Path:
        return self.folder / "event.json"

    @property
    def result(self) -> Path:
        return self.folder / "result.json"

    @property
    def stdout(self) -> Path:
        return self.folder / "stdout"

    @property
    def stderr(self) -> Path:
        return self.folder / "stderr"

    def output(self) -> tuple[str, str]:
        return tuple(  # type: ignore[return-value]
            path.read_bytes().decode("utf-8", errors="replace") if path.exists() else ""
            for path in (self.stdout, self.stderr)
        )


class Process(Protocol):
    pid: int

    def wait(self, timeout: float | None) -> int | None:
        """The exit status (negative: the signal that ended it), or None when ``timeout`` passed first."""
        ...


class Start(Protocol):
    def __call__(self, files: Sandbox, argv: list[str], env: dict[str, str], cwd: Path) -> Process: ...


class _Spawned:
    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process, self.pid = process, process.pid

    def wait(self, timeout: float | None) -> int | None:
        try:
            return self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None


def spawn(files: Sandbox, argv: list[str], env: dict[str, str], cwd: Path) -> Process:
    """A fresh interpreter: the plain cold start."""
    with files.payload.open("rb") as stdin, files.stdout.open("wb") as out, files.stderr.open("wb") as err:
        process = subprocess.Popen(
            [*_interpreter(), *argv],
            stdin=stdin,
            stdout=out,
            stderr=err,
            cwd=cwd,
            env=env,
            start_new_session=True,  # its own process group, so anything it starts dies with it
        )
    return _Spawned(process)


class _Forked:
    def __init__(self, connection: socket.socket, pid: int, lines: _Lines) -> None:
        self._connection, self.pid, self._lines = connection, pid, lines
        self._exit: int | None = None

    def wait(self, timeout: float | None) -> int | None:
        if self._exit is None:
            self._connection.settimeout(timeout)
            try:
                self._exit = int(self._lines.next()["exit"])
            except TimeoutError:
                return None
            self._connection.close()
        return self._exit


class _Lines:
    """JSON lines from a socket."""

    def __init__(self, connection: socket.socket) -> None:
        self._connection, self._buffer = connection, b""

    def next(self) -> dict[str, int]:
        while b"\n" not in self._buffer:
            chunk = self._connection.recv(4096)
            if not chunk:
                raise ConnectionError("the fork server's supervisor hung up")
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        answer: dict[str, int] = json.loads(line)
        return answer


class ForkServer:
    """``sandbox.py --fork-server``, started once per host process and ended with it."""

    def __init__(self) -> None:
        self._folder = tempfile.TemporaryDirectory(prefix="lambda-forks-")
        self._socket = str(Path(self._folder.name) / "socket")
        self._server = subprocess.Popen(
            [*_interpreter(), "--fork-server", self._socket],
            stdin=subprocess.PIPE,  # closed by the host (or its death): the server ends
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            start_new_session=True,
        )
        assert self._server.stdout is not None
        if self._server.stdout.readline() != b"ready\n":
            raise OSError("the Lambda fork server did not start")

    def alive(self) -> bool:
        return self._server.poll() is None

    def start(self, files: Sandbox, argv: list[str], env: dict[str, str], cwd: Path) -> Process:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        connection.connect(self._socket)
        request = {
            "argv": argv,
            "env": env,
            "cwd": str(cwd),
            "stdin": str(files.payload),
            "stdout": str(files.stdout),
            "stderr": str(files.stderr),
        }
        connection.sendall(json.dumps(request).encode() + b"\n")
        lines = _Lines(connection)
        return _Forked(connection, int(lines.next()["pid"]), lines)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            if self._server.stdin is not None:
                self._server.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self._server.wait(5)
        self._folder.cleanup()


_SERVER: ForkServer | None = None
_STARTING = threading.Lock()


def warm_up_soon() -> None:
    """Start this process's fork server in a thread of its own, for a caller about to invoke functions
    after other work: the warm-up (importing boto3 and loading botocore's models, about a second of CPU)
    then overlaps that work (a ``cdk synth``, mostly waiting for Node) instead of delaying the first
    invocation, which waits for it only if it is not ready yet."""
    threading.Thread(target=fork_server, daemon=True, name="lambda-fork-server").start()


def fork_server() -> ForkServer:
    """This process's fork server, started on first use (and again if it died)."""
    global _SERVER
    with _STARTING:
        if _SERVER is None or not _SERVER.alive():
            _SERVER = ForkServer()
            atexit.register(_SERVER.close)
        return _SERVER
