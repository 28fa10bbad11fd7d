"""Fixtures: the CRM sandbox over HTTPS and simple-salesforce clients routed to it.

simple-salesforce hard-codes https://login.salesforce.com (and https://{instance} for data),
so its requests session gets a transport adapter that sends every *.salesforce.com request
to the sandbox on loopback and trusts the sandbox's self-signed certificate.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
import requests
from requests.adapters import HTTPAdapter
from simple_salesforce import Salesforce

from causeway.sandbox.crm.app import CrmSettings, create_app
from causeway.sandbox.crm.org import CrmOrg
from causeway.sandbox.seed import SeedConfig, SeedUniverse, generate
from causeway.sandbox.server import RunningServer, serve_in_thread
from causeway.sandbox.tls import TlsFiles, self_signed

VERSION = "60.0"


class LoopbackAdapter(HTTPAdapter):
    """Sends requests for Salesforce hosts to the sandbox listening on `netloc`."""

    def __init__(self, netloc: str) -> None:
        super().__init__()
        self.netloc = netloc

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any
             ) -> requests.Response:
        parts = urlsplit(str(request.url))
        if parts.hostname and parts.hostname.endswith("salesforce.com"):
            request.url = urlunsplit(parts._replace(netloc=self.netloc))
        return super().send(request, *args, **kwargs)


class Sandbox:
    """A running CRM sandbox and ways to reach it."""

    def __init__(self, server: RunningServer, crm: CrmOrg, tls: TlsFiles) -> None:
        self.server = server
        self.crm = crm
        self.tls = tls
        self.url = server.url
        self.sessions: list[requests.Session] = []

    def session(self) -> requests.Session:
        """A requests session that reaches the sandbox for any *.salesforce.com URL."""
        session = requests.Session()
        self.sessions.append(session)
        # REQUESTS_CA_BUNDLE in the environment would override session.verify otherwise.
        session.trust_env = False
        session.verify = str(self.tls.cert)
        session.mount("https://", LoopbackAdapter(urlsplit(self.url).netloc))
        return session

    def close_sessions(self) -> None:
        """Drop kept-alive connections so the server stops without waiting for them."""
        for session in self.sessions:
            session.close()
        self.sessions.clear()

    def token(self) -> str:
        """An access token from the client-credentials grant."""
        settings = self.crm.settings
        response = self.session().post(f"{self.url}/services/oauth2/token", data={
            "grant_type": "client_credentials", "client_id": settings.client_id,
            "client_secret": settings.client_secret,
        })
        response.raise_for_status()
        return str(response.json()["access_token"])

    def client(self, **options: Any) -> Salesforce:
        """simple-salesforce with a session id, as after an OAuth call."""
        return Salesforce(instance_url=self.url, session_id=self.token(),
                          session=self.session(), version=VERSION, **options)

    def admin(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Call the admin API."""
        headers = {"Authorization": f"Bearer {self.crm.settings.admin_token}"}
        return self.session().request(method, f"{self.url}/__admin{path}", headers=headers,
                                      **kwargs)

    def add_accounts(self, count: int) -> None:
        """Insert `count` accounts directly into the org (fast set-up for paging tests)."""
        store = self.crm.store
        with store.transaction(silent=True) as tx:
            for index in range(count):
                store.create(tx, "Account", {"Name": f"Bulk Account {index:05d}"})


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> TlsFiles:
    return self_signed(Path(tmp_path_factory.mktemp("crm-tls")))


@pytest.fixture(scope="session")
def universe() -> SeedUniverse:
    return generate(SeedConfig(accounts=12, products=4, contacts_per_account=1))


@pytest.fixture
def start_sandbox(tls: TlsFiles) -> Iterator[Callable[..., Sandbox]]:
    running: list[Sandbox] = []

    def start(settings: CrmSettings | None = None,
              seed: SeedUniverse | None = None) -> Sandbox:
        settings = settings or CrmSettings()
        app = create_app(settings, seed)
        server = serve_in_thread(app, tls=tls)
        settings.instance_url = server.url
        sandbox = Sandbox(server, app.state.crm, tls)
        running.append(sandbox)
        return sandbox

    yield start
    for sandbox in running:
        sandbox.close_sessions()
        sandbox.server.stop()
        sandbox.crm.close()


@pytest.fixture(scope="module")
def shared(tls: TlsFiles, universe: SeedUniverse) -> Iterator[Sandbox]:
    settings = CrmSettings()
    app = create_app(settings, universe)
    with serve_in_thread(app, tls=tls) as server:
        settings.instance_url = server.url
        sandbox = Sandbox(server, app.state.crm, tls)
        yield sandbox
        sandbox.close_sessions()


@pytest.fixture
def sandbox(shared: Sandbox) -> Iterator[Sandbox]:
    """The module's sandbox, back at its seed and without faults."""
    shared.crm.reset()
    shared.crm.injector.clear()
    yield shared
    shared.close_sessions()


@pytest.fixture
def sf(sandbox: Sandbox) -> Salesforce:
    return sandbox.client()
