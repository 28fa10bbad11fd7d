"""Start the sandboxes on loopback ports, seeded, and describe how to reach them."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from causeway.sandbox.crm.app import CrmSettings
from causeway.sandbox.crm.app import create_app as create_crm
from causeway.sandbox.erp.app import ErpSettings
from causeway.sandbox.erp.app import create_app as create_erp
from causeway.sandbox.faults import FaultPlan
from causeway.sandbox.seed import SeedUniverse
from causeway.sandbox.server import RunningServer, serve_in_thread
from causeway.sandbox.tls import TlsFiles, self_signed


@dataclass
class RunningSandboxes:
    """The sandboxes started together, with what a client needs to reach them."""

    crm: RunningServer | None = None
    erp: RunningServer | None = None
    crm_settings: CrmSettings | None = None
    erp_settings: ErpSettings | None = None
    tls: TlsFiles | None = None
    servers: list[RunningServer] = field(default_factory=list)
    crm_seed_index: dict[str, str] = field(default_factory=dict)
    """Seed key -> CRM Account id, to score matching against the truth."""
    erp_seed_index: dict[str, str] = field(default_factory=dict)
    """Seed key -> ERP business partner number."""

    def stop(self) -> None:
        """Stop every server."""
        for server in self.servers:
            server.stop()

    def describe(self) -> list[tuple[str, str, str]]:
        """(sandbox, what, value) rows for people."""
        rows: list[tuple[str, str, str]] = []
        if self.crm and self.crm_settings:
            crm = self.crm_settings
            rows += [
                ("CRM", "instance URL", self.crm.url),
                ("CRM", "OAuth2 token", f"{self.crm.url}/services/oauth2/token"),
                ("CRM", "client id / secret", f"{crm.client_id} / {crm.client_secret}"),
                ("CRM", "username / password", f"{crm.username} / {crm.password}"),
                ("CRM", "REST root", f"{self.crm.url}/services/data/v{crm.api_version}"),
                ("CRM", "TLS certificate", str(self.tls.cert) if self.tls else "-"),
            ]
        if self.erp and self.erp_settings:
            erp = self.erp_settings
            rows += [
                ("ERP", "OData root", f"{self.erp.url}/sap/opu/odata/sap"),
                ("ERP", "user / password", f"{erp.username} / {erp.password}"),
                ("ERP", "SAP client", erp.sap_client),
            ]
        for name, server, token in (
            ("CRM", self.crm, self.crm_settings.admin_token if self.crm_settings else ""),
            ("ERP", self.erp, self.erp_settings.admin_token if self.erp_settings else ""),
        ):
            if server is not None:
                rows.append((name, "admin (Bearer)", f"{server.url}/__admin  token {token}"))
        return rows


def start_crm(
    universe: SeedUniverse | None,
    state_dir: Path,
    host: str = "127.0.0.1",
    port: int = 0,
    database: str = ":memory:",
    faults: FaultPlan | None = None,
) -> tuple[RunningServer, CrmSettings, TlsFiles]:
    """Start the CRM over HTTPS; the instance URL is known only once the port is bound."""
    tls = self_signed(state_dir / "tls")
    settings = CrmSettings(database=database, faults=faults or FaultPlan())
    app = create_crm(settings, universe)
    server = serve_in_thread(app, host=host, port=port, tls=tls)
    server.app_state = app.state
    settings.instance_url = server.url
    return server, settings, tls


def start_erp(
    universe: SeedUniverse | None,
    host: str = "127.0.0.1",
    port: int = 0,
    database: str = ":memory:",
    faults: FaultPlan | None = None,
    clock_speed: float = 1.0,
) -> tuple[RunningServer, ErpSettings]:
    """Start the ERP over plain HTTP on loopback."""
    settings = ErpSettings(database=database, faults=faults or FaultPlan(), clock_speed=clock_speed)
    app = create_erp(settings, universe)
    server = serve_in_thread(app, host=host, port=port, date_header=False)
    server.app_state = app.state
    return server, settings


def start_both(
    universe: SeedUniverse,
    state_dir: Path,
    crm_port: int = 0,
    erp_port: int = 0,
    faults: FaultPlan | None = None,
    persist: bool = False,
) -> RunningSandboxes:
    """Start the CRM and the ERP, seeded from the same universe.

    With `persist`, each keeps its data in a file under `state_dir` (crm.sqlite, erp.sqlite)
    and is seeded only when its file is new, so a restart carries on where it stopped.
    """
    crm_database = str(state_dir / "crm.sqlite") if persist else ":memory:"
    erp_database = str(state_dir / "erp.sqlite") if persist else ":memory:"
    running = RunningSandboxes()
    try:
        running.crm, running.crm_settings, running.tls = start_crm(
            universe, state_dir, port=crm_port, database=crm_database, faults=faults
        )
        running.servers.append(running.crm)
        running.erp, running.erp_settings = start_erp(
            universe, port=erp_port, database=erp_database, faults=faults
        )
        running.servers.append(running.erp)
        running.crm_seed_index = dict(running.crm.app_state.crm.seed_index)
        running.erp_seed_index = dict(running.erp.app_state.erp.seed_index)
    except BaseException:
        running.stop()
        raise
    return running
