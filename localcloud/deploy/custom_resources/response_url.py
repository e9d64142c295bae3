"""A local stand-in for CloudFormation's pre-signed S3 ResponseURL: a real HTTPS server on loopback.

Custom-resource handlers answer CloudFormation with one JSON ``PUT`` to ``ResponseURL``. crhelper sends it
with ``http.client.HTTPSConnection`` (HTTPS only), so the stand-in speaks TLS with a throw-away
certificate; a handler process trusts it through ``SSL_CERT_FILE`` and nothing else.

Every ``PUT`` is recorded, including the ones the server refused, so tests can check what a handler sent,
how often, and how big it was (CloudFormation rejects response bodies over 4096 bytes).
"""

from __future__ import annotations

import datetime
import http.server
import ipaddress
import json
import secrets
import ssl
import string
import threading
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from ...gateway.background import BackgroundServer

RESPONSE_PATH = "/cfn-responses/"
MAX_RESPONSE_BYTES = 4096  # CloudFormation's limit on a custom-resource response body
_REGION = "us-east-1"


@dataclass(frozen=True)
class CertificatePair:
    cert_file: Path
    key_file: Path


def make_test_certificate(folder: Path) -> CertificatePair:
    """A self-signed RSA-2048 certificate for 127.0.0.1 and localhost, valid for one day.

    Point a client's ``SSL_CERT_FILE`` at ``cert_file`` to make Python's default SSL context trust it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    key_id = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))  # tolerate a little clock skew
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(key_id, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(key_id), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_file = folder / "response-server.crt"
    key_file = folder / "response-server.key"
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_file.touch(mode=0o600)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        )
    )
    return CertificatePair(cert_file=cert_file, key_file=key_file)


@dataclass(frozen=True)
class Received:
    """One ``PUT`` as the server saw it, and how it answered.

    ``body`` is the parsed JSON object, {} when the body was not one. ``headers`` has lower-case names.
    ``status`` is the answer: 200, or the status ordered with :meth:`ResponseServer.fail_next`, 403 for a
    signature the server never handed out for that request id, 400 for a body that is not a JSON object
    (``error`` says why). ``failed`` is true for anything but 200.
    """

    path: str
    query: str
    body: dict[str, Any]
    raw: bytes
    headers: dict[str, str]
    request_id: str = ""
    status: int = 200
    error: str | None = None

    @property
    def size(self) -> int:
        """Length of the body in bytes (CloudFormation accepts at most 4096)."""
        return len(self.raw)

    @property
    def failed(self) -> bool:
        return self.status != 200


@dataclass
class _State:
    condition: threading.Condition = field(default_factory=threading.Condition)
    received: list[Received] = field(default_factory=list)
    signatures: dict[str, set[str]] = field(default_factory=dict)  # request id -> signatures handed out
    secrets: set[str] = field(default_factory=set)
    failures: list[int] = field(default_factory=list)  # statuses for the next PUTs


class _TLSServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext, state: _State) -> None:
        self.tls = context
        self.state = state
        super().__init__(("127.0.0.1", 0), _Handler)

    def finish_request(self, request: Any, client_address: Any) -> None:
        # The TLS handshake runs in the request's own thread: a client that stalls or rejects the
        # certificate never blocks the accept loop.
        request.settimeout(10)
        try:
            tls_socket = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ssl.SSLError):
            return
        try:
            super().finish_request(tls_socket, client_address)
        finally:
            tls_socket.close()

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client hanging up mid-request is not the server's problem


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _TLSServer
    protocol_version = "HTTP/1.1"
    server_version = "AmazonS3"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the request line holds the pre-signed query: never print it

    def _answer(self, status: int, code: str = "", message: str = "") -> None:
        body = b""
        if code:
            body = (
                f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code>'
                f"<Message>{message}</Message><RequestId>{uuid.uuid4().hex[:16].upper()}</RequestId></Error>"
            ).encode()
        self.send_response(status)
        self.send_header("x-amz-request-id", uuid.uuid4().hex[:16].upper())
        if status == 200:
            self.send_header("ETag", f'"{uuid.uuid4().hex}"')
        if body:
            self.send_header("Content-Type", "application/xml")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _not_allowed(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._answer(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")

    do_GET = do_POST = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def do_HEAD(self) -> None:
        self.send_response(405)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:
        length_header = self.headers.get("Content-Length")
        if length_header is None:
            self.close_connection = True
            self._answer(411, "MissingContentLength", "You must provide the Content-Length HTTP header.")
            return
        raw = self.rfile.read(int(length_header))
        split = urllib.parse.urlsplit(self.path)
        request_id = ""
        if split.path.startswith(RESPONSE_PATH):
            request_id = urllib.parse.unquote(split.path[len(RESPONSE_PATH) :])
        query = urllib.parse.parse_qs(split.query)
        signature = (query.get("X-Amz-Signature") or [""])[0]
        headers = {name.lower(): value for name, value in self.headers.items()}
        state = self.server.state

        body: dict[str, Any] = {}
        invalid = ""
        try:
            parsed = json.loads(raw)
        except ValueError as error:
            invalid = f"body is not JSON: {error}"
        else:
            if isinstance(parsed, dict):
                body = parsed
            else:
                invalid = "body is not a JSON object"
        with state.condition:
            forced = state.failures.pop(0) if state.failures else None
            known = signature in state.signatures.get(request_id, set())
        status, code, message = 200, "", ""
        if forced is not None:  # S3 is having a bad moment: nothing else is checked
            status, code, message = forced, "InternalError", "Failure ordered by the test (fail_next)."
        elif not known:
            status, code = 403, "SignatureDoesNotMatch"
            message = "The request signature we calculated does not match the signature you provided."
        elif invalid:
            status, code, message = 400, "InvalidResponse", invalid
        record = Received(
            path=split.path,
            query=split.query,
            body=body,
            raw=raw,
            headers=headers,
            request_id=request_id,
            status=status,
            error=message or None,
        )
        with state.condition:
            state.received.append(record)
            state.condition.notify_all()
        self._answer(status, code, message)


class ResponseServer(BackgroundServer):
    """``with ResponseServer(make_test_certificate(tmp)) as server: url = server.url_for(request_id)``."""

    def __init__(self, certificate: CertificatePair) -> None:
        self._certificate = certificate
        self._state = _State()
        self._server: _TLSServer | None = None

    def start(self) -> ResponseServer:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self._certificate.cert_file, self._certificate.key_file)
        self._server = _TLSServer(context, self._state)
        self._serve(self._server, "cfn-response-server")
        return self

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the response server is not started")
        port: int = self._server.server_address[1]
        return port

    def url_for(self, request_id: str) -> str:
        """A fresh pre-signed-looking URL for ``request_id``; each call has its own signature."""
        now = datetime.datetime.now(datetime.UTC)
        access_key = "ASIA" + "".join(
            secrets.choice(string.ascii_uppercase + string.digits) for _ in range(16)
        )
        credential = f"{access_key}/{now:%Y%m%d}/{_REGION}/s3/aws4_request"
        signature = secrets.token_hex(32)
        query = urllib.parse.urlencode(
            [
                ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
                ("X-Amz-Date", f"{now:%Y%m%dT%H%M%SZ}"),
                ("X-Amz-SignedHeaders", "host"),
                ("X-Amz-Expires", "7200"),
                ("X-Amz-Credential", credential),
                ("X-Amz-Signature", signature),
            ]
        )
        with self._state.condition:
            self._state.signatures.setdefault(request_id, set()).add(signature)
            self._state.secrets.update(
                {signature, access_key, credential, urllib.parse.quote(credential, safe="")}
            )
        path = RESPONSE_PATH + urllib.parse.quote(request_id, safe="")
        return f"https://127.0.0.1:{self.port}{path}?{query}"

    @property
    def secret_fragments(self) -> set[str]:
        """Every signature, access key and credential handed out: none of them may appear in a log."""
        with self._state.condition:
            return set(self._state.secrets)

    def responses(self, request_id: str) -> list[Received]:
        """Every PUT received for ``request_id``, refused ones included, in arrival order."""
        with self._state.condition:
            return [record for record in self._state.received if record.request_id == request_id]

    @property
    def all_received(self) -> list[Received]:
        """Every PUT received, whatever its path."""
        with self._state.condition:
            return list(self._state.received)

    def wait_for(self, request_id: str, timeout: float, *, accepted: bool = False) -> Received:
        """The first PUT for ``request_id`` (with ``accepted``: the first answered 200).

        Blocks until it arrives; raises :class:`TimeoutError` after ``timeout`` seconds.
        """

        def first() -> Received | None:
            for record in self._state.received:
                if record.request_id == request_id and not (accepted and record.failed):
                    return record
            return None

        with self._state.condition:
            if not self._state.condition.wait_for(lambda: first() is not None, timeout=timeout):
                raise TimeoutError(f"no response for request {request_id!r} within {timeout} s")
            found = first()
        assert found is not None
        return found

    def fail_next(self, count: int = 1, status: int = 500) -> None:
        """Answer the next ``count`` PUTs with ``status`` (they are still recorded, as failed)."""
        if count < 0 or not 400 <= status <= 599:
            raise ValueError("fail_next takes a count >= 0 and an HTTP error status")
        with self._state.condition:
            self._state.failures.extend([status] * count)
