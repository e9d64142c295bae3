"""A server on a background thread, started and stopped as a context manager."""

from __future__ import annotations

import signal
import threading
from types import TracebackType
from typing import Any, Protocol, Self


class _Serving(Protocol):
    def serve_forever(self, poll_interval: float = ...) -> None: ...

    def shutdown(self) -> None: ...

    def server_close(self) -> None: ...


class BackgroundServer:
    """Subclasses bind in ``start()`` and call ``_serve``; ``stop()`` and ``with`` come from here."""

    _server: Any = None
    _thread: threading.Thread | None = None

    def start(self) -> Self:
        raise NotImplementedError

    def _serve(self, server: _Serving, name: str) -> None:
        self._server = server
        # A short poll interval: shutdown() waits for it, and tests start and stop many servers.
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name=name, daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._server = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def wait_until_stopped() -> None:
    """Block until SIGINT (Ctrl-C) or SIGTERM arrives, whatever the parent made of those signals.

    A shell that starts a command in the background (``&``) hands it an *ignored* SIGINT, and Python then
    installs no KeyboardInterrupt handler: without handlers of our own, Ctrl-C and ``kill -INT`` would do
    nothing to a server started that way.
    """
    stopped = threading.Event()
    stopping_signals = (signal.SIGINT, signal.SIGTERM)
    previous = {number: signal.signal(number, lambda *_: stopped.set()) for number in stopping_signals}
    try:
        while not stopped.wait(timeout=0.5):
            pass
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
