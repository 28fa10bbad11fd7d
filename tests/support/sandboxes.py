"""Both sandboxes on loopback for integration and end-to-end tests, with connectors to them."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.salesforce.client import SalesforceSettings
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.sandbox.faults import FaultPlan
from causeway.sandbox.launch import RunningSandboxes, start_both
from causeway.sandbox.seed import SeedConfig, SeedUniverse, generate


@dataclass
class Sandboxes:
    """Running sandboxes and how to reach them."""

    running: RunningSandboxes
    universe: SeedUniverse

    @property
    def crm_url(self) -> str:
        assert self.running.crm is not None
        return self.running.crm.url

    @property
    def erp_url(self) -> str:
        assert self.running.erp is not None
        return self.running.erp.url

    def salesforce_settings(self, **overrides: object) -> SalesforceSettings:
        """Connector settings for the CRM sandbox."""
        crm = self.running.crm_settings
        assert crm is not None
        assert self.running.tls is not None
        values: dict[str, object] = {
            "login_url": self.crm_url,
            "client_id": crm.client_id,
            "client_secret": SecretStr(crm.client_secret),
            "ca_bundle": self.running.tls.cert,
            "change_source": "events",
        }
        return SalesforceSettings.model_validate(values | overrides)

    def salesforce(self, **overrides: object) -> SalesforceConnector:
        """A Salesforce connector to the CRM sandbox without a settle interval."""
        return SalesforceConnector(self.salesforce_settings(**overrides), settle=timedelta(0))

    def s4_settings(self, **overrides: object) -> S4Settings:
        """Connector settings for the ERP sandbox."""
        erp = self.running.erp_settings
        assert erp is not None
        values: dict[str, object] = {
            "base_url": self.erp_url,
            "username": erp.username,
            "password": SecretStr(erp.password),
            "sap_client": erp.sap_client,
        }
        return S4Settings.model_validate(values | overrides)

    def s4(self, **overrides: object) -> S4Connector:
        """An S/4HANA connector to the ERP sandbox without a settle interval."""
        return S4Connector(self.s4_settings(**overrides), settle=timedelta(0))

    def set_faults(self, system: str, plan: FaultPlan) -> None:
        """Replace the fault plan of one sandbox through its admin endpoint."""
        url, token, verify = self._admin(system)
        response = httpx.put(
            f"{url}/__admin/faults",
            json=plan.model_dump(mode="json"),
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
        )
        response.raise_for_status()

    def admin_get(self, system: str, path: str) -> dict[str, Any]:
        """GET from a sandbox's admin API (e.g. the fault state), answering its JSON."""
        url, token, verify = self._admin(system)
        response = httpx.get(
            f"{url}/__admin{path}", headers={"Authorization": f"Bearer {token}"}, verify=verify
        )
        response.raise_for_status()
        answer: dict[str, Any] = response.json()
        return answer

    def admin_post(self, system: str, path: str, body: dict[str, object]) -> dict[str, object]:
        """POST to a sandbox's admin API (e.g. the CRM's merge), answering its JSON."""
        url, token, verify = self._admin(system)
        response = httpx.post(
            f"{url}/__admin/{path}",
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            verify=verify,
        )
        response.raise_for_status()
        answer: dict[str, object] = response.json()
        return answer

    def _admin(self, system: str) -> tuple[str, str, bool | ssl.SSLContext]:
        if system == "crm":
            assert self.running.crm_settings is not None
            assert self.running.tls is not None
            trusted = ssl.create_default_context(cafile=str(self.running.tls.cert))
            return self.crm_url, self.running.crm_settings.admin_token, trusted
        assert self.running.erp_settings is not None
        return self.erp_url, self.running.erp_settings.admin_token, True


@contextmanager
def sandboxes(state_dir: Path, config: SeedConfig | None = None) -> Iterator[Sandboxes]:
    """Start both sandboxes seeded from `config`, stop them afterwards."""
    universe = generate(config or SeedConfig(accounts=20, products=5))
    running = start_both(universe, state_dir)
    try:
        yield Sandboxes(running, universe)
    finally:
        running.stop()
