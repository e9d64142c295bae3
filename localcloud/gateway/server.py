"""The local cloud as a server: moto plus the Custom Labels emulator on one loopback port."""

from __future__ import annotations

import logging
import threading
import urllib.request
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import BaseWSGIServer, make_server

from ..clock import Clock, SystemClock
from ..iam.sessions import Sessions
from ..rekognition.backends import Boto3Backends
from ..rekognition.service import DEFAULT_ACCOUNT, CustomLabelsService, Durations, Quotas
from .authorization import Authorizer
from .background import BackgroundServer
from .signals import SignalBoard
from .wsgi import CloudFormationHandler, LocalCloudApp

CREDENTIALS = {"aws_access_key_id": "localcloud", "aws_secret_access_key": "localcloud"}
REGION = "us-east-1"


def client_environment(endpoint_url: str) -> str:
    """The ``export`` line with which the AWS CLI and unmodified boto3 code reach this local cloud."""
    settings = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "AWS_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "AWS_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }
    return "export " + " ".join(f"{name}={value}" for name, value in settings.items())


class ServedCloud:
    """A local cloud at ``endpoint_url``: one another process serves (``python -m localcloud serve``),
    or a ``LocalCloud`` of this one."""

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url

    def client(self, service_name: str, region: str = REGION) -> Any:
        """A new boto3 client of this local cloud, as any user would make one."""
        with _MAKING:
            return _session().client(
                service_name, region_name=region, endpoint_url=self.endpoint_url, **CREDENTIALS
            )


# One session for the clients of every local cloud of this process: a new session reads botocore's models
# from disk again (tens of milliseconds a client, a tenth of a second for a test's first call). Each
# client has its own endpoint and credentials; a session is not thread-safe, the clients it makes are.
_SESSION: boto3.session.Session | None = None
_MAKING = threading.Lock()


def _session() -> boto3.session.Session:
    global _SESSION
    if _SESSION is None:
        _SESSION = boto3.session.Session()
    return _SESSION


def _backend_app(service: Any) -> Any:
    """moto's app for one service, letting its exceptions (NotImplementedError for a call moto lacks) reach
    LocalCloudApp, which answers them in the service's protocol instead of Flask's HTML 500."""
    app = create_backend_app(service)
    app.config["PROPAGATE_EXCEPTIONS"] = True
    return app


class LocalCloud(BackgroundServer):
    """Start with ``with LocalCloud() as cloud:``; point boto3 at ``cloud.endpoint_url``."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Clock | None = None,
        durations: Durations | None = None,
        quotas: Quotas | None = None,
        account: str = DEFAULT_ACCOUNT,
        enforce_iam: bool = True,
    ) -> None:
        """
        :param enforce_iam: authorize the requests of deployed functions (made with their execution role's
            session credentials, ``role_credentials``) against IAM, as AWS does. Default: True.
        """
        self._host, self._port = host, port
        self.sessions = Sessions()
        self.authorizer = Authorizer(self.sessions, enforce=enforce_iam)
        clock = clock or SystemClock()
        self._options: dict[str, Any] = {
            "clock": clock,
            "durations": durations,
            "quotas": quotas,
            "account": account,
        }
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        self._service: CustomLabelsService | None = None
        self._served: ServedCloud | None = None
        self.signals = SignalBoard(clock)  # CloudFormation's SignalResource, for the deploy engine

    @property
    def endpoint_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the local cloud is not started")
        return f"http://{self._host}:{self._server.server_port}"

    @property
    def service(self) -> CustomLabelsService:
        if self._service is None:
            raise RuntimeError("the local cloud is not started")
        return self._service

    def start(self) -> LocalCloud:
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        moto = DomainDispatcherApplication(_backend_app)
        # Bind first: the emulator reaches S3 and KMS through this very endpoint, so it needs the port.
        self._server = make_server(
            self._host, self._port, moto, threaded=True, request_handler=MotoRequestHandler
        )
        backends = Boto3Backends(self.endpoint_url)
        self._service = CustomLabelsService(objects=backends, keys=backends, **self._options)
        self._server.app = LocalCloudApp(
            self._service, fallback=moto, signals=self.signals, authorizer=self.authorizer
        )
        self._served = ServedCloud(self.endpoint_url)
        self._serve(self._server, "localcloud")
        self._post("/moto-api/reset")  # moto keeps state per process: every local cloud starts empty
        return self

    @property
    def enforces_iam(self) -> bool:
        """Whether the requests of deployed functions are authorized against IAM."""
        return self.authorizer.enforce

    def role_credentials(self, role_arn: str, session_name: str) -> dict[str, str]:
        """The ``AWS_*`` environment of a function running as ``role_arn`` (Lambda names the session
        after the function)."""
        return self.sessions.issue(role_arn, session_name).environment()

    @property
    def cloudformation_handlers(self) -> list[CloudFormationHandler]:
        """The handlers CloudFormation's calls go to, in order, before moto's CloudFormation: the deploy
        engine adds its ``SignalResource`` endpoint, ``serve`` the whole CloudFormation API."""
        return self._app().cloudformation

    def _app(self) -> LocalCloudApp:
        if self._server is None:
            raise RuntimeError("the local cloud is not started")
        app = self._server.app
        assert isinstance(app, LocalCloudApp)
        return app

    def client(self, service_name: str, region: str = REGION) -> Any:
        """A new boto3 client of this local cloud, as any user would make one."""
        if self._served is None:
            raise RuntimeError("the local cloud is not started")
        return self._served.client(service_name, region)

    def call_count(self, *targets: str) -> int:
        """How many calls of these ``X-Amz-Target`` operations (``AWSEvents.PutRule``) it answered."""
        return self._app().call_count(*targets)

    def _post(self, path: str) -> None:
        request = urllib.request.Request(self.endpoint_url + path, data=b"", method="POST")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
