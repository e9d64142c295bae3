"""The Lambda runtime (``localcloud.deploy.lambda_runtime``): each invocation a cold start in a fresh
process (forked from the warm fork server or spawned), isolated from this repository, with Lambda's
environment and context, timeouts, errors, logging, and only the loopback network."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from localcloud.deploy.lambda_runtime import FunctionConfig, Invocation, host, invoke
from tests.localcloud.deploy.handlers import quiet_env, write_handler


def test_every_invocation_is_a_fresh_process(tmp_path: Path) -> None:
    # GIVEN a handler that counts its calls in a module global
    code = write_handler(
        tmp_path / "fn",
        """
        import os
        CALLS = 0

        def handler(event, context):
            global CALLS
            CALLS += 1
            return {"pid": os.getpid(), "calls": CALLS}
        """,
    )
    config = FunctionConfig(code_dir=code, function_name="counter", timeout_seconds=10)

    # WHEN it is invoked twice
    first, second = invoke(config, {}, base_env=quiet_env()), invoke(config, {}, base_env=quiet_env())

    # THEN each call ran cold, in a process of its own
    assert first.result["calls"] == second.result["calls"] == 1
    assert len({first.result["pid"], second.result["pid"], os.getpid()}) == 3
    assert first.request_id != second.request_id
    assert first.exit_code == second.exit_code == 0


def test_bytecode_is_cached_outside_the_code_folder_and_follows_the_source(tmp_path: Path) -> None:
    # GIVEN a handler whose answer comes from a module beside it
    code = write_handler(
        tmp_path / "fn",
        """
        import helper

        def handler(event, context):
            return {"value": helper.VALUE, "cached": helper.__cached__}
        """,
    )
    write_handler(code, "VALUE = 1\n", name="helper.py")
    config = FunctionConfig(code_dir=code, function_name="cached", timeout_seconds=10)

    # WHEN it is invoked twice
    first, second = invoke(config, {}, base_env=quiet_env()), invoke(config, {}, base_env=quiet_env())

    # THEN the second cold start read the bytecode the first one compiled, kept outside the code folder
    assert first.result == second.result, (first.stdout, second.stdout)
    cached = Path(first.result["cached"])
    assert first.result["value"] == 1 and cached.is_file() and code not in cached.parents
    assert [path for path in code.rglob("*") if path.suffix == ".pyc" or path.name == "__pycache__"] == []

    # WHEN the module's source changes (its modification time moved on, as an edit or a new asset does)
    write_handler(code, "VALUE = 2\n", name="helper.py")
    later = (code / "helper.py").stat().st_mtime + 10
    os.utime(code / "helper.py", (later, later))
    # THEN the next invocation runs the new source
    assert invoke(config, {}, base_env=quiet_env()).result["value"] == 2


def test_a_process_forked_from_the_warm_fork_server_is_a_cold_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a handler reporting what its process looks like from inside
    code = write_handler(
        tmp_path / "probe",
        """
        import os
        import sys
        import time

        import boto3

        FIRST = "boto3" in sys.modules and boto3.DEFAULT_SESSION is None

        def handler(event, context):
            return {
                "event": event,
                "environment": sorted(os.environ),
                "cwd": os.getcwd(),
                "path": sys.path,
                "own_group": os.getpgid(0) == os.getpid(),
                "session_fresh": FIRST,
                "flags": [sys.flags.isolated, sys.flags.dont_write_bytecode, sys.flags.utf8_mode],
                "zone": time.tzname,
                "encoding": sys.stdout.encoding,
            }
        """,
    )
    config = FunctionConfig(code_dir=code, function_name="probe", timeout_seconds=10)
    event = {"RequestType": "Create", "text": "é"}
    # WHEN it is invoked through the fork server, and in a fresh interpreter
    forked = invoke(config, event, base_env=quiet_env())
    monkeypatch.setattr(host, "bundles_preloaded", lambda code_path: True)
    spawned = invoke(config, event, base_env=quiet_env())
    # THEN both processes saw the same event, environment, paths, flags and time zone
    assert forked.error is None and spawned.error is None, (forked.stdout, spawned.stdout)
    assert forked.result == spawned.result
    assert forked.result["own_group"] and forked.result["session_fresh"]


def test_a_single_invocation_runs_in_a_fresh_interpreter_not_a_fork(tmp_path: Path) -> None:
    # GIVEN a handler reporting its parent process
    code = write_handler(
        tmp_path / "parent",
        """
        import os

        def handler(event, context):
            return {"parent": os.getppid()}
        """,
    )
    config = FunctionConfig(code_dir=code, function_name="parent", timeout_seconds=10)
    # WHEN it is invoked as a caller's only invocation, and as one of many
    single = invoke(config, {}, base_env=quiet_env(), single=True)
    forked = invoke(config, {}, base_env=quiet_env())
    # THEN the single one was started by this process itself, the other by the fork server's supervisor
    assert single.result == {"parent": os.getpid()}
    assert forked.result["parent"] != os.getpid()


def test_the_code_folder_comes_first_and_the_repository_is_hidden(tmp_path: Path) -> None:
    # GIVEN a bundle with its own "boto3" and a module a layer also has
    code = write_handler(
        tmp_path / "bundle",
        """
        import importlib.util
        import os
        import sys

        import boto3
        import layer_only
        import shadowed

        def handler(event, context):
            return {
                "boto3": boto3.MARKER,
                "shadowed": shadowed.VALUE,
                "layer_only": layer_only.VALUE,
                "first": sys.path[0],
                "localcloud_visible": importlib.util.find_spec("localcloud") is not None,
                "botocore_visible": importlib.util.find_spec("botocore") is not None,
                "cwd": os.getcwd(),
            }
        """,
    )
    write_handler(code / "boto3", 'MARKER = "bundled"\n', name="__init__.py")
    write_handler(code, 'VALUE = "bundle"\n', name="shadowed.py")
    layer = write_handler(tmp_path / "layer", 'VALUE = "layer"\n', name="shadowed.py")
    write_handler(layer, 'VALUE = "from layer"\n', name="layer_only.py")

    # WHEN it runs with the layer on the path
    invocation = invoke(
        FunctionConfig(code_dir=code, function_name="bundle", timeout_seconds=10),
        {},
        base_env=quiet_env(),
        extra_sys_path=[layer],
    )

    # THEN the bundle wins over site-packages and the layer, and this repository is out of sight
    assert invocation.error is None, invocation.stdout
    assert invocation.result == {
        "boto3": "bundled",
        "shadowed": "bundle",
        "layer_only": "from layer",
        "first": str(code.resolve()),
        "localcloud_visible": False,
        "botocore_visible": True,
        "cwd": str(code.resolve()),
    }


def test_environment_and_context_are_lambdas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a function with its own setting, a base environment, and a variable only the test process has
    monkeypatch.setenv("ONLY_IN_TEST_PROCESS", "leak")
    code = write_handler(
        tmp_path / "fn",
        """
        import os

        NAMES = [
            "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
            "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_LOG_GROUP_NAME", "MY_SETTING", "FROM_BASE",
            "ONLY_IN_TEST_PROCESS",
        ]

        def handler(event, context):
            return {
                "env": {name: os.environ.get(name) for name in NAMES},
                "function_name": context.function_name,
                "function_version": context.function_version,
                "invoked_function_arn": context.invoked_function_arn,
                "memory_limit_in_mb": context.memory_limit_in_mb,
                "aws_request_id": context.aws_request_id,
                "log_group_name": context.log_group_name,
                "log_stream_name": context.log_stream_name,
                "event": event,
            }
        """,
    )
    config = FunctionConfig(
        code_dir=code,
        function_name="settings",
        timeout_seconds=10,
        environment={"MY_SETTING": "on"},
        memory_mb=512,
        region="eu-west-1",
        account="210987654321",
    )

    # WHEN it is invoked
    invocation = invoke(config, {"RequestType": "Create"}, base_env=quiet_env(FROM_BASE="yes"))

    # THEN the environment and the context describe the function, and only the base environment leaks in
    result = invocation.result
    assert result["env"] == {
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_LAMBDA_FUNCTION_NAME": "settings",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/settings",
        "MY_SETTING": "on",
        "FROM_BASE": "yes",
        "ONLY_IN_TEST_PROCESS": None,
    }
    assert result["function_name"] == "settings"
    assert result["function_version"] == "$LATEST"
    assert result["invoked_function_arn"] == "arn:aws:lambda:eu-west-1:210987654321:function:settings"
    assert result["memory_limit_in_mb"] == "512"  # a string, as the Python runtime gives it
    assert result["aws_request_id"] == invocation.request_id
    assert result["log_group_name"] == "/aws/lambda/settings"
    assert "[$LATEST]" in result["log_stream_name"]
    assert result["event"] == {"RequestType": "Create"}


def test_without_base_env_the_test_processs_environment_is_inherited(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a variable in the test process
    monkeypatch.setenv("HARNESS_INHERITED", "from-parent")
    code = write_handler(
        tmp_path / "fn",
        "import os\n\ndef handler(event, context):\n    return os.environ.get('HARNESS_INHERITED')\n",
    )

    # WHEN the handler runs with no base_env
    invocation = invoke(FunctionConfig(code_dir=code, function_name="inherit", timeout_seconds=10), {})

    # THEN it sees it
    assert invocation.result == "from-parent"


def test_reserved_environment_keys_are_refused(tmp_path: Path) -> None:
    # GIVEN a function configuration that sets a key Lambda reserves
    code = write_handler(tmp_path / "fn", "def handler(event, context):\n    return 1\n")
    config = FunctionConfig(code_dir=code, function_name="reserved", environment={"AWS_REGION": "x"})

    # WHEN it is invoked, THEN it is refused as CreateFunction would refuse it
    with pytest.raises(ValueError, match=r"reserved keys.*AWS_REGION"):
        invoke(config, {}, base_env=quiet_env())


def test_remaining_time_counts_down_from_the_timeout(tmp_path: Path) -> None:
    # GIVEN a handler reading the remaining time before and after a short sleep
    code = write_handler(
        tmp_path / "fn",
        """
        import time

        def handler(event, context):
            before = context.get_remaining_time_in_millis()
            time.sleep(0.3)
            return [before, context.get_remaining_time_in_millis()]
        """,
    )

    # WHEN it runs with a 5-second timeout
    invocation = invoke(FunctionConfig(code_dir=code, function_name="clock", timeout_seconds=5), {})

    # THEN it starts just under 5000 ms and drops by the time slept
    before, after = invocation.result
    assert 4000 < before <= 5000
    assert 250 <= before - after < 2000


def test_an_unhandled_exception_is_reported_as_lambda_does(tmp_path: Path) -> None:
    # GIVEN a handler that raises
    code = write_handler(
        tmp_path / "fn",
        """
        def check(size):
            raise ValueError(f"bad size: {size}")

        def handler(event, context):
            check(event["Size"])
        """,
    )

    # WHEN it is invoked
    invocation = invoke(
        FunctionConfig(code_dir=code, function_name="raiser", timeout_seconds=10), {"Size": 42}
    )

    # THEN the error carries the type, message and stack, and is logged; the process itself exited cleanly
    assert invocation.result is None
    assert invocation.error is not None
    assert invocation.error["errorType"] == "ValueError"
    assert invocation.error["errorMessage"] == "bad size: 42"
    assert any("index.py" in line and "check" in line for line in invocation.error["stackTrace"])
    assert "[ERROR]" in invocation.stdout and "ValueError: bad size: 42" in invocation.stdout
    assert invocation.exit_code == 0


@pytest.mark.parametrize(
    ("handler", "error_type", "message"),
    [
        ("missing.handler", "Runtime.ImportModuleError", "Unable to import module 'missing'"),
        ("index.absent", "Runtime.HandlerNotFound", "Handler 'absent' missing on module 'index'"),
        ("index.unserializable", "Runtime.MarshalError", "Unable to marshal response"),
    ],
)
def test_init_and_marshalling_errors_use_the_runtimes_error_types(
    tmp_path: Path, handler: str, error_type: str, message: str
) -> None:
    # GIVEN a function whose handler cannot be found or returns something that is not JSON
    code = write_handler(tmp_path / "fn", "def unserializable(event, context):\n    return {1, 2}\n")

    # WHEN it is invoked
    config = FunctionConfig(code_dir=code, function_name="broken", handler=handler, timeout_seconds=10)
    invocation = invoke(config, {})

    # THEN the error is the one the Lambda runtime reports
    assert invocation.error is not None
    assert invocation.error["errorType"] == error_type
    assert message in invocation.error["errorMessage"]


def test_a_handler_running_past_its_timeout_is_killed(tmp_path: Path) -> None:
    # GIVEN a handler that sleeps far longer than its 1-second timeout
    code = write_handler(
        tmp_path / "fn",
        "import time\n\ndef handler(event, context):\n    time.sleep(60)\n    return 'finished'\n",
    )

    # WHEN it is invoked
    invocation = invoke(FunctionConfig(code_dir=code, function_name="sleeper", timeout_seconds=1), {})

    # THEN it is cut off at the timeout and reported like Lambda reports it
    assert invocation.timed_out
    assert invocation.result is None
    assert invocation.error is not None
    assert "Task timed out after 1.00 seconds" in invocation.error["errorMessage"]
    assert "Task timed out after 1.00 seconds" in invocation.stdout
    assert invocation.duration_seconds < 5


def test_lingering_threads_do_not_outlive_the_handler(tmp_path: Path) -> None:
    # GIVEN a handler that leaves a non-daemon timer behind (as crhelper's timeout timer can)
    code = write_handler(
        tmp_path / "fn",
        """
        import threading

        def handler(event, context):
            threading.Timer(30, print, args=("the timer fired",)).start()
            return "returned"
        """,
    )

    # WHEN it is invoked
    invocation = invoke(FunctionConfig(code_dir=code, function_name="timer", timeout_seconds=60), {})

    # THEN the invocation ends when the handler returns, and the timer never fires
    assert invocation.result == "returned"
    assert invocation.duration_seconds < 5
    assert "the timer fired" not in invocation.stdout


def test_logging_goes_to_stdout_and_never_mixes_with_the_result(tmp_path: Path) -> None:
    # GIVEN a handler that logs at INFO and DEBUG and prints noise
    code = write_handler(
        tmp_path / "fn",
        """
        import logging

        logger = logging.getLogger("handler")
        logger.setLevel(logging.INFO)

        def handler(event, context):
            logger.info("creating %s", event["Name"])
            logger.debug("debug detail")
            logging.getLogger("other").info("root level stays WARNING")
            print('{"not": "the result"}')
            return {"ok": True}
        """,
    )

    # WHEN it is invoked
    invocation = invoke(
        FunctionConfig(code_dir=code, function_name="logger", timeout_seconds=10), {"Name": "x"}
    )

    # THEN the INFO record is in stdout with the request id, the result is the return value
    info = [line for line in invocation.stdout.splitlines() if "creating x" in line]
    assert len(info) == 1
    assert info[0].startswith("[INFO]\t") and invocation.request_id in info[0]
    assert "debug detail" not in invocation.stdout
    assert "root level stays WARNING" not in invocation.stdout
    assert '{"not": "the result"}' in invocation.stdout
    assert invocation.result == {"ok": True}


def test_only_loopback_network_is_reachable(tmp_path: Path) -> None:
    # GIVEN a handler that tries to reach an outside address (TEST-NET-1) and the loopback
    code = write_handler(
        tmp_path / "fn",
        """
        import socket

        def handler(event, context):
            try:
                socket.create_connection(("192.0.2.1", 443), timeout=10)
            except OSError as error:
                outside = f"{type(error).__name__}: {error}"
            listener = socket.create_server(("127.0.0.1", 0))
            socket.create_connection(listener.getsockname(), timeout=5).close()
            return outside
        """,
    )

    # WHEN it is invoked
    started = time.monotonic()
    invocation: Invocation = invoke(
        FunctionConfig(code_dir=code, function_name="net", timeout_seconds=30), {}
    )

    # THEN the outside connection fails at once and the loopback one works
    assert invocation.error is None, invocation.stdout
    assert invocation.result.startswith("PermissionError") and "loopback only" in invocation.result
    assert time.monotonic() - started < 5
