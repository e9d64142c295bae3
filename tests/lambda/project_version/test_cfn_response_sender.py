"""The one response to CloudFormation: a body that fits 4096 bytes, PUT over HTTPS and retried until accepted.

The ResponseURL is a pre-signed S3 URL, a credential: nothing logged may contain its query string. The PUT
goes to a real local HTTPS server with a self-signed certificate the sender is told to trust.
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cfn_response_sender
import pytest
from cfn_response_sender import ResponseNotDelivered, fit, put
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SECRET = "secret123"
QUERY = f"X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Expires=7200&X-Amz-Signature={SECRET}"
PATH = "/arn%3Aaws%3Acloudformation%3Aus-east-1%3A123456789012%3Astack/models/id%7CModel%7Crequest-1"
MAX_BODY = 4096
VERSION_ARN = "arn:aws:rekognition:us-east-1:123456789012:project/shapes/version/v1/1750000000000"
STACK_ID = "arn:aws:cloudformation:us-east-1:123456789012:stack/models/0f1e2d3c-1111-2222-3333-444455556666"
ATTRIBUTES = (
    "Arn",
    "VersionName",
    "Status",
    "F1Score",
    "EvaluationSummaryBucket",
    "EvaluationSummaryKey",
    "BillableTrainingTimeInSeconds",
)


def response_body(
    reason: str = "", data: dict[str, str] | None = None, status: str = "FAILED"
) -> dict[str, Any]:
    """A response as the handler sends it."""
    return {
        "Status": status,
        "Reason": reason,
        "PhysicalResourceId": VERSION_ARN,
        "StackId": STACK_ID,
        "RequestId": "5d7b3a8e-6c2f-4e0a-9f1d-2b3c4d5e6f70",
        "LogicalResourceId": "ShapesModel",
        "Data": data or {},
        "NoEcho": False,
    }


# -- fit -----------------------------------------------------------------------------------------------


def numbered(length: int) -> str:
    """Text whose every position is distinct enough that a cut anywhere but the end shows."""
    text = "Training failed: The manifest file has too few labels. " + "".join(
        f"[{i:05d}]" for i in range(length // 7 + 1)
    )
    return text[:length]


@pytest.mark.parametrize(
    "reason",
    [
        pytest.param(numbered(10_000), id="10,000 ASCII chars"),
        pytest.param(numbered(1_500), id="1,500 ASCII chars"),
        pytest.param('"quoted\\path" ' * 800, id="chars JSON escapes to two bytes"),
        pytest.param(
            "Обучение модели не удалось: слишком мало меток. " * 210,
            id="10,080 Cyrillic chars",
        ),
        pytest.param(
            "模型训练失败" * 1700,
            id="10,200 CJK chars",
        ),
    ],
)
def test_fit_keeps_the_beginning_of_a_long_reason(reason: str) -> None:
    # GIVEN a FAILED response with a Reason too long for CloudFormation
    body = response_body(reason)
    # WHEN it is fitted
    payload = fit(body)
    # THEN the JSON is at most 4096 bytes
    assert len(payload) <= MAX_BODY
    sent = json.loads(payload)
    # AND the Reason keeps its beginning (where the cause is) and says it was cut
    assert sent["Reason"].startswith(reason[:200])
    assert "truncated" in sent["Reason"]
    assert len(sent["Reason"]) < len(reason)
    # AND everything else is unchanged
    assert {k: v for k, v in sent.items() if k != "Reason"} == {
        k: v for k, v in body.items() if k != "Reason"
    }


@pytest.mark.parametrize("value_length", [100, 300, 420])
def test_fit_makes_room_for_a_large_data_map(value_length: int) -> None:
    # GIVEN a response whose seven Data values are long, and a long Reason
    data = {name: chr(ord("a") + i) * value_length for i, name in enumerate(ATTRIBUTES)}
    body = response_body(numbered(10_000), data)
    # WHEN it is fitted
    payload = fit(body)
    # THEN it fits, the Data map is intact, and the Reason still starts as it did
    assert len(payload) <= MAX_BODY
    sent = json.loads(payload)
    assert sent["Data"] == data
    assert sent["Reason"].startswith(numbered(200))
    assert "truncated" in sent["Reason"]


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(response_body("", {"Arn": "arn", "F1Score": "0.93"}, status="SUCCESS"), id="SUCCESS"),
        pytest.param(response_body("VersionName 'my model' does not match the pattern"), id="short FAILED"),
        pytest.param(response_body(numbered(900)), id="900-char Reason"),
        pytest.param(response_body("Modèle échoué"), id="short non-ASCII Reason"),
    ],
)
def test_fit_leaves_a_short_body_unchanged(body: dict[str, Any]) -> None:
    # GIVEN a response well inside the limits WHEN it is fitted THEN it is exactly its JSON
    payload = fit(body)
    assert json.loads(payload) == body
    assert payload == json.dumps(body).encode()


# -- put: a local HTTPS ResponseURL ---------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class ResponseServer(http.server.HTTPServer):
    """Answers each PUT with the next planned status (then ``default``) and records it."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), PutHandler)
        self.socket = context.wrap_socket(self.socket, server_side=True)
        self.planned: list[int] = []
        self.default = 200
        self.received: list[Received] = []

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.server_address[1]}{PATH}?{QUERY}"


class PutHandler(http.server.BaseHTTPRequestHandler):
    def do_PUT(self) -> None:
        server = self.server
        assert isinstance(server, ResponseServer)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        server.received.append(Received(self.command, self.path, dict(self.headers.items()), body))
        self.send_response(server.planned.pop(0) if server.planned else server.default)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # quiet: no stderr noise
        return None


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for 127.0.0.1 (CN and IP SAN)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    paths = Certificate(folder / "cert.pem", folder / "key.pem")
    paths.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths.key.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


@pytest.fixture
def server(certificate: Certificate) -> Iterator[ResponseServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificate.cert, certificate.key)
    local = ResponseServer(context)
    thread = threading.Thread(target=local.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield local
    local.shutdown()
    local.server_close()
    thread.join(timeout=5)


@pytest.fixture
def trusted(certificate: Certificate, monkeypatch: pytest.MonkeyPatch) -> None:
    """The sender's default SSL context trusts the local certificate (OpenSSL reads SSL_CERT_FILE)."""
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))


@dataclass
class Sleeps:
    seconds: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)


@pytest.mark.parametrize(
    "body",
    [
        pytest.param(response_body("", {"Arn": "arn:x", "F1Score": "0.93"}, status="SUCCESS"), id="SUCCESS"),
        pytest.param(response_body(numbered(10_000)), id="FAILED with a long Reason"),
    ],
)
def test_put_delivers_the_fitted_json_body(
    server: ResponseServer, trusted: None, body: dict[str, Any]
) -> None:
    # GIVEN a ResponseURL served over HTTPS WHEN the response is put
    put(server.url, body, sleep=Sleeps())
    # THEN exactly one PUT arrived, at the pre-signed path and query, with the fitted JSON body
    (request,) = server.received
    assert request.method == "PUT"
    assert request.path == f"{PATH}?{QUERY}"
    assert request.body == fit(body)
    assert len(request.body) <= MAX_BODY
    assert json.loads(request.body)["Status"] == body["Status"]
    # AND with the headers a pre-signed S3 PUT accepts: an empty Content-Type and the exact length
    headers = {key.lower(): value for key, value in request.headers.items()}
    assert headers.get("content-type") == ""
    assert headers["content-length"] == str(len(request.body))


@pytest.mark.parametrize(
    ("planned", "attempts"),
    [
        pytest.param([500], 2, id="500 once"),
        pytest.param([503, 502], 3, id="503 then 502"),
        pytest.param([500, 500, 500, 500], 5, id="500 four times"),
    ],
)
def test_put_retries_error_statuses_until_accepted(
    server: ResponseServer, trusted: None, planned: list[int], attempts: int
) -> None:
    # GIVEN CloudFormation's endpoint answers errors a few times, then 200
    server.planned = list(planned)
    sleeps = Sleeps()
    # WHEN the response is put
    put(server.url, response_body("cause"), sleep=sleeps)
    # THEN it was sent until accepted, the same body every time, waiting between attempts
    assert len(server.received) == attempts
    assert {request.body for request in server.received} == {fit(response_body("cause"))}
    assert len(sleeps.seconds) == attempts - 1
    assert all(seconds > 0 for seconds in sleeps.seconds)
    assert sleeps.seconds == sorted(sleeps.seconds)


def test_put_gives_up_after_five_attempts(server: ResponseServer, trusted: None) -> None:
    # GIVEN an endpoint that always answers 500
    server.default = 500
    sleeps = Sleeps()
    # WHEN the response is put THEN it raises ResponseNotDelivered after five attempts
    with pytest.raises(ResponseNotDelivered):
        put(server.url, response_body("cause"), sleep=sleeps)
    assert len(server.received) == 5 == cfn_response_sender.ATTEMPTS
    assert len(sleeps.seconds) == 4


def closed_port_url() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"https://127.0.0.1:{port}{PATH}?{QUERY}"


def accepted(server: ResponseServer) -> str:
    return server.url


def refused_then_accepted(server: ResponseServer) -> str:
    server.planned = [500]
    return server.url


def always_refused(server: ResponseServer) -> str:
    server.default = 500
    return server.url


def nobody_listening(server: ResponseServer) -> str:
    return closed_port_url()


Scenario = Callable[[ResponseServer], str]


@pytest.mark.parametrize(
    ("scenario", "trust", "delivered"),
    [
        pytest.param(accepted, True, True, id="accepted"),
        pytest.param(refused_then_accepted, True, True, id="500 then accepted"),
        pytest.param(always_refused, True, False, id="always 500"),
        pytest.param(nobody_listening, True, False, id="connection refused"),
        pytest.param(accepted, False, False, id="untrusted certificate"),
    ],
)
def test_nothing_logged_contains_the_url_query(
    server: ResponseServer,
    certificate: Certificate,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    scenario: Scenario,
    trust: bool,
    delivered: bool,
) -> None:
    # GIVEN a pre-signed ResponseURL carrying a signature, and every logger at DEBUG
    caplog.set_level(logging.DEBUG)
    if trust:
        monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    else:
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    url = scenario(server)
    # WHEN the response is put (accepted, retried, or never delivered)
    error: ResponseNotDelivered | None = None
    try:
        put(url, response_body("cause"), sleep=Sleeps())
    except ResponseNotDelivered as caught:
        error = caught
    assert (error is None) is delivered
    # THEN something was logged, but no record (message, arguments or traceback) holds the query string
    assert caplog.records
    logged = caplog.text + "".join(f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    for secret in (SECRET, "X-Amz-Signature", QUERY):
        assert secret not in logged
    # AND neither does the error a caller might log
    if error is not None:
        assert SECRET not in f"{error} {error!r} {error.args!r}"
