from __future__ import annotations

import ssl
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from causeway.sandbox.server import serve_in_thread
from causeway.sandbox.tls import self_signed


def make_app() -> FastAPI:
    app = FastAPI()

    @app.get("/ping")
    def ping() -> dict[str, str]:
        return {"pong": "yes"}

    return app


def test_plain_http_server_on_a_free_port() -> None:
    with serve_in_thread(make_app()) as server:
        assert server.port > 0
        assert httpx.get(f"{server.url}/ping").json() == {"pong": "yes"}


def test_https_with_a_self_signed_certificate(tmp_path: Path) -> None:
    tls = self_signed(tmp_path)
    again = self_signed(tmp_path)
    assert again.cert.read_bytes() == tls.cert.read_bytes()  # reused, not regenerated
    with serve_in_thread(make_app(), tls=tls) as server:
        assert server.url.startswith("https://127.0.0.1:")
        trusted = ssl.create_default_context(cafile=str(tls.cert))
        assert httpx.get(f"{server.url}/ping", verify=trusted).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"{server.url}/ping")


def test_new_hosts_give_a_new_certificate(tmp_path: Path) -> None:
    first = self_signed(tmp_path, ("localhost",)).cert.read_bytes()
    second = self_signed(tmp_path, ("localhost", "erp.example")).cert.read_bytes()
    assert first != second
