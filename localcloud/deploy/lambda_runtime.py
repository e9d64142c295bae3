"""Invoke a Python Lambda handler from its code folder, in a fresh process each time (a cold start).

The child process is as close to the Lambda Python runtime as a laptop allows:

- ``sys.path`` is the code folder first, then ``extra_sys_path`` (think layers), then the standard library
  and site-packages; this repository, the caller's working directory and editable installs are hidden,
  so the handler sees only its bundle and installed libraries. The working directory is the code folder.
- the Lambda environment variables are set on top of ``base_env`` (or ``os.environ``), then the
  function's own ``environment``; the keys Lambda reserves are refused there, as CreateFunction would.
- the root logger gets one handler writing to stdout in the runtime's format (without it, crhelper's logs
  vanish); its level stays WARNING unless the handler changes it, as in Lambda.
- the context has the usual fields, ``get_remaining_time_in_millis()`` counts down from the function's
  timeout, and the handler is cut off at the timeout ("Task timed out after N.00 seconds").
- only loopback network is reachable: any other connect fails at once (no stray calls to real AWS, no
  waiting on the instance metadata service).
- with a ``clock`` (the local cloud's scaled clock), ``time.time()`` in the handler reads that clock: the
  handler's deadlines and timestamps run as fast as the emulator's phases. The execution timeout stays in
  real seconds (a process cannot start faster).
- after the handler returns, the process ends at once, as a frozen Lambda sandbox would stop running:
  leftover threads (crhelper's timeout timer, for one) never get to act.

The result (or the error, shaped as Lambda reports it) travels through a file of its own, so nothing the
handler prints can corrupt it. This module imports only the standard library: it is also the child's
script.
"""

from __future__ import annotations

import contextlib
import datetime
import importlib
import ipaddress
import json
import logging
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

# Keys Lambda sets itself and refuses in a function's configuration.
RESERVED_ENVIRONMENT = frozenset(
    {
        "_HANDLER",
        "_X_AMZN_TRACE_ID",
        "AWS_DEFAULT_REGION",
        "AWS_REGION",
        "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION",
        "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME",
        "AWS_LAMBDA_LOG_STREAM_NAME",
        "AWS_ACCESS_KEY",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT",
        "LAMBDA_RUNTIME_DIR",
        "TZ",
    }
)
# Beyond the function timeout, time allowed for interpreter start and the handler module's import (Lambda's
# init phase has its own 10 s limit); past it the parent kills the whole process group.
INIT_ALLOWANCE_SECONDS = 10.0
_KILL_GRACE_SECONDS = 2.0
_TIMEOUT_EXIT_CODE = 124
# This repository (when running from a checkout, not from an installed wheel), hidden from the handler.
_CHECKOUT = Path(__file__).resolve().parents[2]
_REPOSITORY = _CHECKOUT if (_CHECKOUT / "pyproject.toml").is_file() else None


@dataclass(frozen=True)
class FunctionConfig:
    code_dir: Path
    function_name: str
    handler: str = "index.handler"
    timeout_seconds: int = 300
    environment: Mapping[str, str] = field(default_factory=dict)
    memory_mb: int = 256
    region: str = "us-east-1"
    account: str = "123456789012"

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"


@dataclass(frozen=True)
class Invocation:
    request_id: str
    exit_code: int
    error: dict[str, Any] | None
    result: Any
    stdout: str
    stderr: str
    duration_seconds: float

    @property
    def timed_out(self) -> bool:
        return self.error is not None and self.error.get("errorType") == "Sandbox.Timedout"


def lambda_environment(
    config: FunctionConfig, *, base_env: Mapping[str, str] | None = None, log_stream_name: str = ""
) -> dict[str, str]:
    """The environment the handler process starts with."""
    reserved = sorted(RESERVED_ENVIRONMENT.intersection(config.environment))
    if reserved:
        raise ValueError(
            "Lambda was unable to configure your environment variables because the environment variables "
            f"you have provided contains reserved keys that are currently not supported for modification. "
            f"Reserved keys used in this request: {', '.join(reserved)}"
        )
    environment = dict(os.environ if base_env is None else base_env)
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    environment.update(
        {
            "_HANDLER": config.handler,
            "AWS_REGION": config.region,
            "AWS_DEFAULT_REGION": config.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": config.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_LAMBDA_LOG_GROUP_NAME": config.log_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": log_stream_name,
            "LAMBDA_TASK_ROOT": str(Path(config.code_dir).resolve()),
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
        }
    )
    environment.update(config.environment)
    return environment


def invoke(
    config: FunctionConfig,
    event: Mapping[str, Any],
    *,
    base_env: Mapping[str, str] | None = None,
    extra_sys_path: Sequence[Path] = (),
    clock: tuple[float, float] | None = None,
    on_start: Callable[[int], None] | None = None,
) -> Invocation:
    """Run ``config.handler`` on ``event`` in a new process and report it as Lambda would.

    ``clock`` is (local time now, scale): the handler's ``time.time()`` starts there and runs ``scale``
    times faster than real time. ``on_start`` is told the process id (its process group), e.g. for a fault
    test to kill the sandbox mid-call.
    """
    code_dir = Path(config.code_dir).resolve()
    if not code_dir.is_dir():
        raise FileNotFoundError(f"no code folder {code_dir}")
    request_id = str(uuid.uuid4())
    log_stream = f"{datetime.datetime.now(datetime.UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    environment = lambda_environment(config, base_env=base_env, log_stream_name=log_stream)
    payload = json.dumps(dict(event)).encode()
    with tempfile.TemporaryDirectory(prefix="lambda-invoke-") as scratch:
        result_file = Path(scratch) / "result.json"
        setup = {
            "request_id": request_id,
            "handler": config.handler,
            "code_dir": str(code_dir),
            "extra_sys_path": [str(Path(path).resolve()) for path in extra_sys_path],
            "hide": sorted(
                {str(path) for path in (_REPOSITORY, Path.cwd().resolve()) if path} - {str(code_dir)}
            ),
            "timeout_seconds": config.timeout_seconds,
            "function_name": config.function_name,
            "function_arn": config.function_arn,
            "log_group_name": config.log_group_name,
            "log_stream_name": log_stream,
            "clock": list(clock) if clock else None,
        }
        # -I: no PYTHON* variables, no script folder or working directory on sys.path; -B: no __pycache__
        # in the code folder.
        command = [sys.executable, "-I", "-B", "-X", "utf8", str(Path(__file__).resolve())]
        command += [str(result_file), json.dumps(setup)]
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=code_dir,
            env=environment,
            start_new_session=True,  # its own process group, so anything it starts dies with it
        )
        if on_start is not None:
            on_start(process.pid)
        killed = False
        try:
            out, err = process.communicate(
                payload, timeout=config.timeout_seconds + INIT_ALLOWANCE_SECONDS + _KILL_GRACE_SECONDS
            )
        except subprocess.TimeoutExpired:
            killed = True
            _kill_group(process.pid)
            out, err = process.communicate()
        duration = time.monotonic() - started
        _kill_group(process.pid)  # stray children of a handler that returned
        report: dict[str, Any] = {}
        if result_file.exists():
            report = json.loads(result_file.read_text(encoding="utf-8"))
    error: dict[str, Any] | None = report.get("error")
    if killed and not report:
        error = _timeout_error(request_id, config.timeout_seconds)
    elif not report:
        exit_status = (
            f"signal: {signal.Signals(-process.returncode).name}"
            if process.returncode < 0
            else f"exit status {process.returncode}"
        )
        error = {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {exit_status}",
        }
    return Invocation(
        request_id=request_id,
        exit_code=process.returncode,
        error=error,
        result=report.get("result"),
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace"),
        duration_seconds=duration,
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def _timeout_error(request_id: str, timeout_seconds: float) -> dict[str, Any]:
    return {
        "errorType": "Sandbox.Timedout",
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds",
    }


# ---------------------------------------------------------------------------------------------------------
# The child: everything below runs in the fresh process.


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
        error = _timeout_error(request_id, timeout)
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


if __name__ == "__main__":
    _child_main(sys.argv[1], sys.argv[2])
