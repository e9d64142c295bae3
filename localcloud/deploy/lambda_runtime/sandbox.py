"""The Lambda sandbox: the process a handler runs in, and the fork server that starts such processes.

This module imports only the standard library and is run as a script, never imported by the handler's
process under its own name: ``python -I -B -X utf8 sandbox.py RESULT_FILE SETUP`` runs one invocation
(the event on standard input), ``python -I -B -X utf8 sandbox.py --fork-server SOCKET`` is the fork
server.

A cold start of a Python Lambda is mostly spent importing boto3 and loading botocore's service models,
the same work for every invocation. The fork server does it once (for the services the local cloud
serves), then forks one fresh process per invocation: each still starts from nothing of any earlier
invocation (its own process, its own session, its own process group, the handler's module imported
anew), as a cold start does, in about a tenth of the time. botocore's loader is shared through the fork
(sessions made without a data path of their own get the warm one), which changes what is read from disk,
never what the handler sees.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import ipaddress
import json
import locale
import logging
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path
from typing import Any, NoReturn

# What the fork server imports and warms before forking, as the Lambda Python runtime provides them. A
# function that bundles its own copy of one of these starts in a fresh interpreter instead.
PRELOADED_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3")
PRELOADED_SERVICES = (
    "cloudformation",
    "events",
    "iam",
    "kms",
    "lambda",
    "logs",
    "rekognition",
    "s3",
    "ssm",
    "sts",
)
_TIMEOUT_EXIT_CODE = 124


def timeout_error(request_id: str, timeout_seconds: float) -> dict[str, Any]:
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds",
    }


class LambdaContext:
    """The handler's ``context``, with the attributes the Lambda Python runtime provides."""

    def __init__(
        self,
        *,
        function_name: str,
        invoked_function_arn: str,
        aws_request_id: str,
        log_group_name: str,
        log_stream_name: str,
        deadline: float,
    ) -> None:
        self.function_name = function_name
        # Both read from the environment by the real runtime, so both are strings.
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "")
        self.invoked_function_arn = invoked_function_arn
        self.aws_request_id = aws_request_id
        self.log_group_name = log_group_name
        self.log_stream_name = log_stream_name
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


class _RequestIdFilter(logging.Filter):
    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


class _Reporter:
    """Writes the invocation's outcome exactly once, whoever gets there first (handler or timer)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._done = False

    def report(self, outcome: dict[str, Any]) -> bool:
        with self._lock:
            if self._done:
                return False
            self._done = True
            temporary = self._path.with_suffix(".tmp")
            temporary.write_text(json.dumps(outcome), encoding="utf-8")
            os.replace(temporary, self._path)
            return True


def _error(error: BaseException, error_type: str | None = None, message: str | None = None) -> dict[str, Any]:
    return {
        "errorMessage": str(error) if message is None else message,
        "errorType": type(error).__name__ if error_type is None else error_type,
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)),
    }


def _log_error(request_id: str, error: dict[str, Any]) -> None:
    # The runtime logs an unhandled error as one record: "[ERROR] Type: message" and the traceback.
    trace = "".join(error.get("stackTrace", []))
    stamp = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%dT%H:%M:%S.%f}"[:-3] + "Z"
    print(
        f"[ERROR]\t{stamp}\t{request_id}\t{error['errorType']}: {error['errorMessage']}\n"
        f"Traceback (most recent call last):\n{trace}",
        flush=True,
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _loopback_only(event: str, args: tuple[Any, ...]) -> None:
    if event not in ("socket.connect", "socket.sendto", "socket.sendmsg"):
        return
    address = args[1] if len(args) > 1 else None
    host = address[0] if isinstance(address, tuple) and address else None
    if isinstance(host, str) and not _is_loopback(host):
        raise PermissionError(
            f"localcloud Lambda runtime: network access to {host} is blocked (loopback only)"
        )


def _isolate_imports(code_dir: str, extra: list[str], hide: list[str]) -> None:
    hidden = {os.path.realpath(path) for path in hide}
    kept = [path for path in sys.path if path and os.path.realpath(path) not in hidden]
    sys.path[:] = [code_dir, *extra, *kept]

    def editable(finder: Any) -> bool:
        module = getattr(finder, "__module__", "") or type(finder).__module__
        return str(module).startswith("__editable__")

    sys.meta_path[:] = [finder for finder in sys.meta_path if not editable(finder)]
    sys.path_hooks[:] = [hook for hook in sys.path_hooks if not editable(hook)]
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()


def _scale_time(local_now: float, scale: float) -> None:
    """``time.time()`` (and ``time_ns``) read the local cloud's clock from here on."""
    real_time, origin = time.time, time.time()

    def scaled() -> float:
        return local_now + (real_time() - origin) * scale

    time.time = scaled
    time.time_ns = lambda: int(scaled() * 1e9)


def _child_main(result_file: str, setup_json: str) -> None:
    setup = json.loads(setup_json)
    request_id: str = setup["request_id"]
    reporter = _Reporter(Path(result_file))
    event = json.loads(sys.stdin.buffer.read())

    _isolate_imports(setup["code_dir"], setup["extra_sys_path"], setup["hide"])
    sys.addaudithook(_loopback_only)
    if setup.get("clock"):
        _scale_time(*setup["clock"])

    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter(
        "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s", "%Y-%m-%dT%H:%M:%S"
    )
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter(request_id))
    logging.getLogger().addHandler(handler)

    def finish(outcome: dict[str, Any], exit_code: int = 0) -> NoReturn:
        if reporter.report(outcome) and "error" in outcome:
            _log_error(request_id, outcome["error"])
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(exit_code)  # a frozen sandbox runs nothing more: no atexit, no lingering threads

    # Init: import the handler module.
    module_name, _, function_name = setup["handler"].rpartition(".")
    if not module_name or not function_name:
        finish(
            {
                "error": {
                    "errorType": "Runtime.MalformedHandlerName",
                    "errorMessage": f"Bad handler '{setup['handler']}': not enough values to unpack",
                }
            }
        )
    module_name = module_name.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except SyntaxError as error:
        finish(
            {"error": _error(error, "Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}'")}
        )
    except ImportError as error:
        message = f"Unable to import module '{module_name}': {error}"
        finish({"error": _error(error, "Runtime.ImportModuleError", message)})
    except Exception as error:
        finish({"error": _error(error)})
    function = getattr(module, function_name, None)
    if not callable(function):
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        finish({"error": {"errorType": "Runtime.HandlerNotFound", "errorMessage": message}})

    # Invoke: the timeout counts from here.
    timeout = float(setup["timeout_seconds"])
    deadline = time.monotonic() + timeout
    context = LambdaContext(
        function_name=setup["function_name"],
        invoked_function_arn=setup["function_arn"],
        aws_request_id=request_id,
        log_group_name=setup["log_group_name"],
        log_stream_name=setup["log_stream_name"],
        deadline=deadline,
    )

    def time_out() -> NoReturn:
        error = timeout_error(request_id, timeout)
        if reporter.report({"error": error}):
            stamp = f"{datetime.datetime.now(datetime.UTC):%Y-%m-%dT%H:%M:%S.%f}"[:-3] + "Z"
            print(f"{stamp} {request_id} Task timed out after {timeout:.2f} seconds", flush=True)
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(_TIMEOUT_EXIT_CODE)

    timer = threading.Timer(timeout, time_out)
    timer.daemon = True
    timer.start()
    try:
        result = function(event, context)
    except Exception as error:
        finish({"error": _error(error)})
    try:
        json.dumps(result)
    except (TypeError, ValueError) as error:
        finish({"error": _error(error, "Runtime.MarshalError", f"Unable to marshal response: {error}")})
    finish({"result": result})


# ---------------------------------------------------------------------------------------------------------
# The fork server.


def _warm_botocore() -> None:
    """Import boto3 and load the services' models into one botocore loader, which every session made
    later without a data path of its own uses (botocore otherwise reads them again for each session)."""
    try:
        import boto3.session
        import botocore.loaders
        import botocore.session
    except ImportError:  # an interpreter without boto3: nothing to warm
        return
    loader = botocore.loaders.create_loader()
    original = botocore.session.create_loader

    def shared_loader(search_path_string: str | None = None) -> Any:
        return original(search_path_string) if search_path_string else loader

    botocore.session.create_loader = shared_loader
    warm = boto3.session.Session(
        aws_access_key_id="warm", aws_secret_access_key="warm", region_name="us-east-1"
    )
    for service in PRELOADED_SERVICES:
        with contextlib.suppress(Exception):
            warm.client(service, endpoint_url="http://127.0.0.1:9")


def _receive_line(connection: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(65536)
        if not chunk:
            raise EOFError("the host hung up")
        data += chunk
    return data


def _become(request: dict[str, Any]) -> NoReturn:
    """In the new process: the invocation's standard streams, folder and environment, then the child."""
    for number, path, flags in (
        (0, request["stdin"], os.O_RDONLY),
        (1, request["stdout"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
        (2, request["stderr"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
    ):
        opened = os.open(path, flags, 0o600)
        os.dup2(opened, number)
        os.close(opened)
    sys.stdin = open(0, encoding="utf-8", errors="surrogateescape", closefd=False)  # noqa: SIM115
    sys.stdout = open(1, "w", encoding="utf-8", errors="surrogateescape", closefd=False)  # noqa: SIM115
    sys.stderr = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False)  # noqa: SIM115
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    time.tzset()
    _coerce_c_locale()
    sys.argv = [__file__, *request["argv"]]
    try:
        _child_main(*request["argv"])
    finally:
        os._exit(70)  # _child_main always exits itself


def _coerce_c_locale() -> None:
    """What a starting interpreter does (PEP 538): a C or POSIX character locale, and no LC_ALL, becomes
    C.UTF-8 (in the environment too), so a forked process sees what a started one would."""
    if "LC_ALL" in os.environ:
        return
    try:
        current = locale.setlocale(locale.LC_CTYPE, "")
    except locale.Error:
        current = "C"
    if current not in ("C", "POSIX"):
        return
    for coerced in ("C.UTF-8", "C.utf8", "UTF-8"):
        try:
            locale.setlocale(locale.LC_CTYPE, coerced)
        except locale.Error:
            continue
        os.environ["LC_CTYPE"] = coerced
        return


def _supervise(connection: socket.socket) -> NoReturn:
    """One invocation: fork its process (a session of its own), report its pid, then its exit status."""
    try:
        request = json.loads(_receive_line(connection))
        ready, started = os.pipe()
        pid = os.fork()
        if pid == 0:
            connection.close()
            os.close(ready)
            os.setsid()
            os.write(started, b"!")  # its process group exists: the host may kill it from now on
            os.close(started)
            _become(request)
        os.close(started)
        os.read(ready, 1)
        os.close(ready)
        connection.sendall(json.dumps({"pid": pid}).encode() + b"\n")
        _, status = os.waitpid(pid, 0)
        code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
        connection.sendall(json.dumps({"exit": code}).encode() + b"\n")
    finally:
        os._exit(0)


def _serve_forks(socket_path: str) -> None:
    """Warm up, then fork a supervisor per connection until the host closes our standard input."""
    _warm_botocore()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(socket_path)
    listener.listen(128)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # supervisors are reaped as they exit
    print("ready", flush=True)
    while True:
        readable, _, _ = select.select([listener, sys.stdin], [], [])
        if sys.stdin in readable and not os.read(sys.stdin.fileno(), 1):
            return  # the host is gone
        if listener in readable:
            connection, _ = listener.accept()
            if os.fork() == 0:
                signal.signal(signal.SIGCHLD, signal.SIG_DFL)
                listener.close()
                _supervise(connection)
            connection.close()


if __name__ == "__main__":
    if sys.argv[1] == "--fork-server":
        _serve_forks(sys.argv[2])
    else:
        _child_main(sys.argv[1], sys.argv[2])
