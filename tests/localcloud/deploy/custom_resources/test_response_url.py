"""The local HTTPS server standing in for CloudFormation's pre-signed S3 ResponseURL
(``localcloud.deploy.custom_resources.response_url``): its throw-away certificate, the URLs it hands out,
what it accepts and refuses, and a handler process answering it."""

from __future__ import annotations

import datetime
import http.client
import ipaddress
import json
import ssl
import threading
import time
import urllib.parse
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from localcloud.deploy.custom_resources.response_url import CertificatePair, ResponseServer
from localcloud.deploy.lambda_runtime import FunctionConfig, invoke
from tests.localcloud.deploy.handlers import cfn_event, quiet_env, write_handler

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
def responder(tmp_path: Path) -> FunctionConfig:
    return FunctionConfig(
        code_dir=write_handler(tmp_path / "responder", RESPONDER),
        function_name="responder",
        timeout_seconds=30,
    )


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
