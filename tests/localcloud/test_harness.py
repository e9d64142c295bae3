"""The harness that plays CloudFormation, Lambda and EventBridge around a custom-resource handler.

- ``cfn_response``: a real HTTPS server standing in for the pre-signed S3 ResponseURL;
- ``lambda_runtime``: a handler run from its folder in a fresh process, with a Lambda-like context;
- ``schedules``: the EventBridge rules (crhelper's polling) read back from moto.
"""

from __future__ import annotations

import datetime
import http.client
import io
import ipaddress
import json
import os
import ssl
import textwrap
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from localcloud.deploy.cfn_response import CertificatePair, ResponseServer
from localcloud.deploy.lambda_runtime import FunctionConfig, Invocation, host, invoke
from localcloud.deploy.scheduled_rules import (
    InvalidRuleError,
    lambda_permissions,
    rate_seconds,
    scheduled_targets,
)
from localcloud.gateway.server import LocalCloud

ACCOUNT = "123456789012"
FUNCTION_ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:project-version-handler"

# A crhelper-like responder: one JSON PUT to the ResponseURL over HTTPS, retried on an HTTP error.
RESPONDER = """
import http.client
import json
import logging
import os
import ssl
import urllib.parse

logger = logging.getLogger(__name__)
logger.setLevel(logging.INFO)


def handler(event, context):
    url = urllib.parse.urlsplit(event["ResponseURL"])
    body = json.dumps({
        "Status": "SUCCESS",
        "Reason": "done",
        "PhysicalResourceId": "physical-1",
        "StackId": event["StackId"],
        "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"],
        "Data": {"Answer": "42"},
    })
    statuses = []
    for _ in range(int(event.get("Attempts", 1))):
        connection = http.client.HTTPSConnection(url.netloc, context=ssl.create_default_context(), timeout=5)
        try:
            connection.request(
                "PUT", url.path + "?" + url.query, body=body,
                headers={"content-type": "", "content-length": str(len(body))},
            )
            response = connection.getresponse()
            response.read()
        except ssl.SSLCertVerificationError as error:
            logger.info("certificate rejected: %s", error.verify_message)
            return {"verified": False, "statuses": statuses}
        finally:
            connection.close()
        statuses.append(response.status)
        logger.info("CloudFormation returned status code: %s", response.reason)
        if response.status == 200:
            break
    return {"verified": True, "statuses": statuses}
"""


def write_handler(folder: Path, source: str, name: str = "index.py") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(textwrap.dedent(source))
    return folder


def quiet_env(**extra: str) -> dict[str, str]:
    """A small base environment: nothing from the test process leaks in unless named here."""
    return {"PATH": os.environ.get("PATH", ""), **extra}


def cfn_event(response_url: str, request_id: str, **extra: Any) -> dict[str, Any]:
    return {
        "RequestType": "Create",
        "ServiceToken": FUNCTION_ARN,
        "ResponseURL": response_url,
        "StackId": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/harness/0a1b2c3d",
        "RequestId": request_id,
        "ResourceType": "Custom::Harness",
        "LogicalResourceId": "Harness",
        "ResourceProperties": {"ServiceToken": FUNCTION_ARN, "Size": "1"},
        **extra,
    }


def https_request(
    url: str, body: bytes, certificate: CertificatePair, method: str = "PUT"
) -> tuple[int, bytes]:
    split = urllib.parse.urlsplit(url)
    context = ssl.create_default_context(cafile=str(certificate.cert_file))
    connection = http.client.HTTPSConnection(split.netloc, context=context, timeout=5)
    try:
        connection.request(method, f"{split.path}?{split.query}", body=body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture
def server(certificate: CertificatePair) -> Iterator[ResponseServer]:
    with ResponseServer(certificate) as response_server:
        yield response_server


@pytest.fixture
def responder(tmp_path: Path) -> FunctionConfig:
    return FunctionConfig(
        code_dir=write_handler(tmp_path / "responder", RESPONDER),
        function_name="responder",
        timeout_seconds=30,
    )


# --- cfn_response ------------------------------------------------------------------------------------------


def test_certificate_names_loopback_and_lasts_a_day(certificate: CertificatePair) -> None:
    # GIVEN the generated test certificate
    cert = x509.load_pem_x509_certificate(certificate.cert_file.read_bytes())

    # WHEN its names, key and validity are read
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    key = cert.public_key()
    lifetime = cert.not_valid_after_utc - datetime.datetime.now(datetime.UTC)

    # THEN it is an RSA-2048 certificate for 127.0.0.1 and localhost, valid for about one day, key private
    assert names.get_values_for_type(x509.IPAddress) == [ipaddress.IPv4Address("127.0.0.1")]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert cert.subject.rfc4514_string() == "CN=127.0.0.1"
    assert isinstance(key, rsa.RSAPublicKey) and key.key_size == 2048
    assert datetime.timedelta(hours=23) < lifetime <= datetime.timedelta(days=1)
    assert certificate.key_file.stat().st_mode & 0o077 == 0


def test_a_child_process_trusting_the_certificate_through_ssl_cert_file_delivers_its_response(
    server: ResponseServer, certificate: CertificatePair, responder: FunctionConfig
) -> None:
    # GIVEN a handler process whose only trust in the server comes from SSL_CERT_FILE
    url = server.url_for("request-1")
    base_env = quiet_env(SSL_CERT_FILE=str(certificate.cert_file))

    # WHEN it answers a CloudFormation event
    invocation = invoke(responder, cfn_event(url, "request-1"), base_env=base_env)

    # THEN the server got one PUT with the JSON response, and the handler saw a 200
    assert invocation.error is None, invocation.stdout + invocation.stderr
    assert invocation.result == {"verified": True, "statuses": [200]}
    received = server.wait_for("request-1", timeout=5)
    assert received.body["Status"] == "SUCCESS"
    assert received.body["Data"] == {"Answer": "42"}
    assert received.path == "/cfn-responses/request-1"
    assert "X-Amz-Signature=" in received.query
    assert received.size == len(received.raw) == len(json.dumps(received.body))
    assert received.size <= 4096
    assert received.headers["content-type"] == ""
    assert not received.failed
    assert [r.status for r in server.responses("request-1")] == [200]
    # AND the handler's log never shows the pre-signed URL's secrets
    assert not any(secret in invocation.stdout for secret in server.secret_fragments)


def test_without_ssl_cert_file_the_child_rejects_the_certificate(
    server: ResponseServer, responder: FunctionConfig
) -> None:
    # GIVEN a handler process that does not trust the test certificate
    url = server.url_for("request-2")

    # WHEN it tries to answer
    invocation = invoke(responder, cfn_event(url, "request-2"), base_env=quiet_env())

    # THEN certificate verification fails and nothing reaches the server
    assert invocation.result == {"verified": False, "statuses": []}
    assert "certificate rejected" in invocation.stdout
    assert server.responses("request-2") == []


def test_fail_next_answers_500_and_the_handlers_retry_gets_through(
    server: ResponseServer, certificate: CertificatePair, responder: FunctionConfig
) -> None:
    # GIVEN a server told to fail the next PUT
    server.fail_next(1, status=500)
    url = server.url_for("request-3")

    # WHEN a handler that retries on an HTTP error answers
    invocation = invoke(
        responder,
        cfn_event(url, "request-3", Attempts=3),
        base_env=quiet_env(SSL_CERT_FILE=str(certificate.cert_file)),
    )

    # THEN the first PUT got 500 and was recorded as failed, the retry got 200
    assert invocation.result == {"verified": True, "statuses": [500, 200]}
    first, second = server.responses("request-3")
    assert (first.status, first.failed) == (500, True)
    assert (second.status, second.failed) == (200, False)
    assert first.body == second.body
    assert server.wait_for("request-3", timeout=1) == first
    assert server.wait_for("request-3", timeout=1, accepted=True) == second
    assert "Internal Server Error" in invocation.stdout


def test_wait_for_times_out_when_nothing_arrives(server: ResponseServer) -> None:
    # GIVEN a URL handed out but never used
    server.url_for("request-4")

    # WHEN a test waits for its response
    started = time.monotonic()
    with pytest.raises(TimeoutError, match="request-4"):
        server.wait_for("request-4", timeout=0.3)

    # THEN it gave up after the timeout, not before
    assert 0.3 <= time.monotonic() - started < 3


def test_wait_for_wakes_up_when_the_put_arrives(server: ResponseServer, certificate: CertificatePair) -> None:
    # GIVEN a PUT sent from another thread a little later
    url = server.url_for("request-5")
    sender = threading.Timer(0.2, https_request, args=(url, b'{"Status": "SUCCESS"}', certificate))
    sender.start()

    # WHEN a test waits with a generous timeout
    started = time.monotonic()
    received = server.wait_for("request-5", timeout=10)
    sender.join()

    # THEN it returns as soon as the PUT is there
    assert received.body == {"Status": "SUCCESS"}
    assert time.monotonic() - started < 5


def test_urls_look_presigned_and_each_has_its_own_signature(
    server: ResponseServer, certificate: CertificatePair
) -> None:
    # GIVEN two URLs for the same request id
    first = urllib.parse.urlsplit(server.url_for("arn:stack|Logical|id 6"))
    second = urllib.parse.urlsplit(server.url_for("arn:stack|Logical|id 6"))

    # WHEN their queries are read
    query_1, query_2 = urllib.parse.parse_qs(first.query), urllib.parse.parse_qs(second.query)

    # THEN they look like pre-signed S3 URLs with distinct signatures, all listed as secrets
    assert first.scheme == "https" and first.hostname == "127.0.0.1"
    assert first.path == "/cfn-responses/" + urllib.parse.quote("arn:stack|Logical|id 6", safe="")
    assert query_1["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query_1["X-Amz-Credential"][0].endswith("/us-east-1/s3/aws4_request")
    assert query_1["X-Amz-Signature"] != query_2["X-Amz-Signature"]
    secrets = server.secret_fragments
    for query in (query_1, query_2):
        assert query["X-Amz-Signature"][0] in secrets
        assert query["X-Amz-Credential"][0] in secrets

    # AND a PUT to either URL is accepted under the unquoted request id
    status, _ = https_request(second.geturl(), b"{}", certificate)
    assert status == 200
    assert server.responses("arn:stack|Logical|id 6")[0].status == 200


def test_the_server_refuses_other_methods_bad_signatures_and_non_json(
    server: ResponseServer, certificate: CertificatePair
) -> None:
    # GIVEN a valid URL, and one with a tampered signature
    url = server.url_for("request-7")
    tampered = url[:-4] + ("0000" if not url.endswith("0000") else "1111")

    # WHEN a GET, a PUT with the wrong signature and a PUT of non-JSON arrive
    get_status, _ = https_request(url, b"", certificate, method="GET")
    forged_status, forged_body = https_request(tampered, b"{}", certificate)
    garbage_status, _ = https_request(url, b"not json", certificate)

    # THEN they get 405, 403 and 400 and the PUTs are recorded as failed
    assert get_status == 405
    assert forged_status == 403 and b"SignatureDoesNotMatch" in forged_body
    assert garbage_status == 400
    forged, garbage = server.responses("request-7")
    assert forged.failed and forged.status == 403
    assert garbage.failed and garbage.error is not None and "not JSON" in garbage.error
    assert garbage.raw == b"not json" and garbage.body == {}


# --- lambda_runtime ----------------------------------------------------------------------------------------


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


# --- schedules ---------------------------------------------------------------------------------------------


def lambda_target(input_: dict[str, Any] | None = None, target_id: str = "1") -> dict[str, Any]:
    target: dict[str, Any] = {"Id": target_id, "Arn": FUNCTION_ARN}
    if input_ is not None:
        target["Input"] = json.dumps(input_)
    return target


def test_scheduled_targets_reads_enabled_rate_rules_and_their_lambda_targets(cloud: LocalCloud) -> None:
    # GIVEN crhelper-like polling rules, a disabled one, an event-pattern one and one outside the prefix
    events = cloud.client("events")
    poll_event = {"RequestType": "Create", "CrHelperPoll": True, "CrHelperData": {"Key": "v"}}
    events.put_rule(Name="ModelVersionAB12CD34", ScheduleExpression="rate(1 minute)", State="ENABLED")
    events.put_targets(Rule="ModelVersionAB12CD34", Targets=[lambda_target(poll_event)])
    events.put_rule(Name="ModelVersionEF56GH78", ScheduleExpression="rate(5 minutes)", State="ENABLED")
    events.put_targets(
        Rule="ModelVersionEF56GH78",
        Targets=[
            lambda_target({"n": 2}),
            {"Id": "queue", "Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:not-a-function", "Input": "{}"},
        ],
    )
    events.put_rule(Name="ModelVersionOFF00000", ScheduleExpression="rate(1 minute)", State="DISABLED")
    events.put_targets(Rule="ModelVersionOFF00000", Targets=[lambda_target({"n": 3})])
    events.put_rule(Name="ModelVersionPattern", EventPattern=json.dumps({"source": ["aws.s3"]}))
    events.put_targets(Rule="ModelVersionPattern", Targets=[lambda_target({"n": 4})])
    events.put_rule(Name="OtherRule", ScheduleExpression="rate(2 hours)", State="ENABLED")
    events.put_targets(Rule="OtherRule", Targets=[lambda_target()])

    # WHEN the scheduled targets are read, with and without a prefix
    polling = sorted(scheduled_targets(events, name_prefix="ModelVersion"), key=lambda t: t.rule_name)
    everything = scheduled_targets(events)

    # THEN only the enabled rate rules' Lambda targets come back, with their interval and parsed Input
    assert [(t.rule_name, t.schedule, t.interval_seconds) for t in polling] == [
        ("ModelVersionAB12CD34", "rate(1 minute)", 60.0),
        ("ModelVersionEF56GH78", "rate(5 minutes)", 300.0),
    ]
    assert polling[0].input == poll_event
    assert polling[0].target_arn == FUNCTION_ARN
    assert polling[0].function_name == "project-version-handler"
    assert polling[0].rule_arn == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/ModelVersionAB12CD34"
    assert polling[1].input == {"n": 2}
    assert sorted(t.rule_name for t in everything) == [
        "ModelVersionAB12CD34",
        "ModelVersionEF56GH78",
        "OtherRule",
    ]
    # AND a target without Input gets EventBridge's scheduled event
    other = next(t for t in everything if t.rule_name == "OtherRule")
    assert other.interval_seconds == 7200.0
    assert other.input["detail-type"] == "Scheduled Event"
    assert other.input["resources"] == [f"arn:aws:events:us-east-1:{ACCOUNT}:rule/OtherRule"]


def test_rules_eventbridge_would_refuse_are_reported(cloud: LocalCloud) -> None:
    # GIVEN a rule whose name is longer than EventBridge's 64 characters (moto stores it anyway)
    events = cloud.client("events")
    long_name = "A" * 57 + "ABCD1234"
    events.put_rule(Name=long_name, ScheduleExpression="rate(1 minute)", State="ENABLED")

    # WHEN the scheduled targets are read, THEN the harness refuses it as PutRule would have
    with pytest.raises(InvalidRuleError, match="65 characters"):
        scheduled_targets(events)


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(1 hour)", 3600), ("rate(3 days)", 259200)],
)
def test_rate_expressions_are_converted_to_seconds(expression: str, seconds: float) -> None:
    # GIVEN a valid rate expression, WHEN it is parsed, THEN the interval is right
    assert rate_seconds(expression) == seconds


@pytest.mark.parametrize(
    "expression",
    ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(1 second)", "cron(0 * * * ? *)"],
)
def test_invalid_rate_expressions_are_refused(expression: str) -> None:
    # GIVEN an expression EventBridge refuses as a rate, WHEN it is parsed, THEN it is refused
    with pytest.raises(InvalidRuleError):
        rate_seconds(expression)


def test_lambda_permissions_lists_statements_and_is_empty_without_a_policy(cloud: LocalCloud) -> None:
    # GIVEN a function in moto, with no resource policy yet
    iam, lambda_client = cloud.client("iam"), cloud.client("lambda")
    role = iam.create_role(RoleName="handler-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.py", "def handler(event, context):\n    return None\n")
    lambda_client.create_function(
        FunctionName="project-version-handler",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    assert lambda_permissions(lambda_client, "project-version-handler") == []

    # WHEN crhelper-style polling adds a permission for its rule
    rule_arn = f"arn:aws:events:us-east-1:{ACCOUNT}:rule/ModelVersionAB12CD34"
    lambda_client.add_permission(
        FunctionName="project-version-handler",
        StatementId="ModelVersionQW12ER34",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=rule_arn,
    )
    statements = lambda_permissions(lambda_client, "project-version-handler")

    # THEN the statement is listed, and removing it empties the list again
    assert len(statements) == 1
    assert statements[0]["Sid"] == "ModelVersionQW12ER34"
    assert statements[0]["Principal"] == {"Service": "events.amazonaws.com"}
    assert statements[0]["Condition"]["ArnLike"]["AWS:SourceArn"] == rule_arn
    lambda_client.remove_permission(
        FunctionName="project-version-handler", StatementId="ModelVersionQW12ER34"
    )
    assert lambda_permissions(lambda_client, "project-version-handler") == []


# --- all three together, around crhelper itself ------------------------------------------------------------

CRHELPER_POLLING = """
from crhelper import CfnResource

helper = CfnResource(json_logging=False, log_level="INFO", boto_level="CRITICAL", polling_interval=1)


@helper.create
def create(event, context):
    helper.Data["Started"] = "yes"


@helper.poll_create
def poll_create(event, context):
    return "physical-from-poll"


def handler(event, context):
    helper(event, context)
"""


def test_crhelper_polling_runs_end_to_end_through_the_harness(
    cloud: LocalCloud, server: ResponseServer, certificate: CertificatePair, tmp_path: Path
) -> None:
    # GIVEN a crhelper handler with polling, deployed as a function moto knows about
    iam, lambda_client, events = cloud.client("iam"), cloud.client("lambda"), cloud.client("events")
    role = iam.create_role(RoleName="crhelper-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("index.py", CRHELPER_POLLING)
    lambda_client.create_function(
        FunctionName="crhelper-fn",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="index.handler",
        Code={"ZipFile": archive.getvalue()},
    )
    config = FunctionConfig(
        code_dir=write_handler(tmp_path / "crhelper", CRHELPER_POLLING), function_name="crhelper-fn"
    )
    base_env = quiet_env(
        SSL_CERT_FILE=str(certificate.cert_file),
        AWS_ENDPOINT_URL=cloud.endpoint_url,
        AWS_ACCESS_KEY_ID="localcloud",
        AWS_SECRET_ACCESS_KEY="localcloud",
    )
    event = cfn_event(server.url_for("request-e2e"), "request-e2e")

    # WHEN CloudFormation sends Create: crhelper starts polling instead of answering
    first = invoke(config, event, base_env=base_env)
    assert first.error is None, first.stdout + first.stderr
    assert server.responses("request-e2e") == []
    (scheduled,) = scheduled_targets(events, name_prefix="Harness")
    (permission,) = lambda_permissions(lambda_client, "crhelper-fn")

    # AND the schedule fires once, as EventBridge would
    second = invoke(config, scheduled.input, base_env=base_env)

    # THEN the rule and permission crhelper made are the ones read back, and the poll answered CloudFormation
    assert scheduled.interval_seconds == 60.0
    assert scheduled.function_name == "crhelper-fn"
    assert scheduled.input["CrHelperPoll"] is True
    assert scheduled.input["CrHelperRule"] == scheduled.rule_arn
    assert permission["Sid"] == scheduled.input["CrHelperPermission"]
    assert second.error is None, second.stdout + second.stderr
    response = server.wait_for("request-e2e", timeout=5)
    assert response.body["Status"] == "SUCCESS"
    assert response.body["PhysicalResourceId"] == "physical-from-poll"
    assert response.body["Data"] == {"Started": "yes"}
    # AND the polling is cleaned up, and no log line gave away the pre-signed URL
    assert events.list_rules(NamePrefix="Harness")["Rules"] == []
    assert lambda_permissions(lambda_client, "crhelper-fn") == []
    logs = first.stdout + first.stderr + second.stdout + second.stderr
    assert not any(secret in logs for secret in server.secret_fragments)
