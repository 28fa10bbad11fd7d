"""Run an ASGI app with uvicorn in a background thread: for tests, the demo and `sandbox up`."""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import uvicorn
from starlette.types import ASGIApp

from causeway.sandbox.tls import TlsFiles


class RunningServer:
    """A server listening on loopback; stop it, or use it as a context manager."""

    def __init__(self, server: uvicorn.Server, thread: threading.Thread, url: str, port: int):
        self._server = server
        self._thread = thread
        self.url = url
        self.port = port
        self.app_state: Any = None
        """The app's `state` when the launcher keeps it (seed indexes, clocks)."""

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to finish in-flight requests and wait for its thread."""
        self._server.should_exit = True
        self._thread.join(timeout)

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def serve_in_thread(
    app: ASGIApp,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: TlsFiles | None = None,
    startup_timeout: float = 20.0,
    date_header: bool = True,
) -> RunningServer:
    """Start `app` and return once it listens; port 0 picks a free port.

    `date_header=False` leaves the `Date` header to the app (the ERP's business clock).
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        # Longer than clients keep idle connections (httpx: 5 s), as gateways are: a server
        # closing first races the client's next request on that connection.
        timeout_keep_alive=75,
        lifespan="off",
        ssl_certfile=str(tls.cert) if tls else None,
        ssl_keyfile=str(tls.key) if tls else None,
        timeout_graceful_shutdown=2,
        date_header=date_header,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"sandbox-{host}:{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError(f"the server on {host}:{port} failed to start")
        if time.monotonic() > deadline:
            server.should_exit = True
            raise TimeoutError(f"the server on {host}:{port} did not start in {startup_timeout}s")
        time.sleep(0.01)
    bound = server.servers[0].sockets[0].getsockname()[1]
    scheme = "https" if tls else "http"
    return RunningServer(server, thread, f"{scheme}://{host}:{bound}", int(bound))
