"""The host's side of the Lambda runtime: a function's configuration, its environment, one invocation."""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import signal
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .processes import Sandbox, fork_server, spawn
from .sandbox import PRELOADED_PACKAGES, timeout_error

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
# This repository (when running from a checkout, not from an installed wheel), hidden from the handler.
_CHECKOUT = Path(__file__).resolve().parents[3]
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
    # The execution role's session credentials (``AWS_ACCESS_KEY_ID`` ...), as Lambda sets them; empty:
    # the base environment's.
    credentials: Mapping[str, str] = field(default_factory=dict)

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"


@dataclass(frozen=True)
class Invocation:
    request_id: str
    pid: int  # the sandbox process (and its process group)
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
    environment.update(config.credentials)
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
    single: bool = False,
) -> Invocation:
    """Run ``config.handler`` on ``event`` in a new process and report it as Lambda would.

    ``clock`` is (local time now, scale): the handler's ``time.time()`` starts there and runs ``scale``
    times faster than real time. ``on_start`` is told the process id (its process group), e.g. for a fault
    test to kill the sandbox mid-call. ``single``: the caller's only invocation, run in a fresh interpreter
    (a plain cold start costs less than warming the fork server for one fork).
    """
    code_dir = Path(config.code_dir).resolve()
    if not code_dir.is_dir():
        raise FileNotFoundError(f"no code folder {code_dir}")
    request_id = str(uuid.uuid4())
    log_stream = f"{datetime.datetime.now(datetime.UTC):%Y/%m/%d}/[$LATEST]{uuid.uuid4().hex}"
    environment = lambda_environment(config, base_env=base_env, log_stream_name=log_stream)
    code_path = [code_dir, *(Path(path).resolve() for path in extra_sys_path)]
    with tempfile.TemporaryDirectory(prefix="lambda-invoke-") as scratch:
        files = Sandbox(Path(scratch))
        files.payload.write_bytes(json.dumps(dict(event)).encode())
        setup = {
            "request_id": request_id,
            "handler": config.handler,
            "code_dir": str(code_dir),
            "extra_sys_path": [str(path) for path in code_path[1:]],
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
        limit = config.timeout_seconds + INIT_ALLOWANCE_SECONDS + _KILL_GRACE_SECONDS
        start = spawn if single or bundles_preloaded(code_path) else fork_server().start
        started = time.monotonic()
        process = start(files, [str(files.result), json.dumps(setup)], environment, code_dir)
        if on_start is not None:
            on_start(process.pid)
        exit_code = process.wait(limit)
        killed = exit_code is None
        if killed:
            _kill_group(process.pid)
            exit_code = process.wait(None)
        duration = time.monotonic() - started
        _kill_group(process.pid)  # stray children of a handler that returned
        report: dict[str, Any] = json.loads(files.result.read_text("utf-8")) if files.result.exists() else {}
        out, err = files.output()
    assert exit_code is not None
    error: dict[str, Any] | None = report.get("error")
    if killed and not report:
        error = timeout_error(request_id, config.timeout_seconds)
    elif not report:
        exit_status = (
            f"signal: {signal.Signals(-exit_code).name}" if exit_code < 0 else f"exit status {exit_code}"
        )
        error = {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {exit_status}",
        }
    return Invocation(
        request_id=request_id,
        pid=process.pid,
        exit_code=exit_code,
        error=error,
        result=report.get("result"),
        stdout=out,
        stderr=err,
        duration_seconds=duration,
    )


def bundles_preloaded(code_path: Sequence[Path]) -> bool:
    """Whether the function brings its own copy of a library the fork server has loaded already (its
    copy must win, as in Lambda, so it starts in a fresh interpreter)."""
    return any(
        (folder / name / "__init__.py").is_file() or (folder / f"{name}.py").is_file()
        for folder in code_path
        for name in PRELOADED_PACKAGES
    )


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
