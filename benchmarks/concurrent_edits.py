"""Concurrent edits on both sides, under injected faults, while the sync runs.

After an initial sync, "users" edit linked customers in the CRM and the ERP at random:
fields each side owns (which must flow to the other side) and fields the other side owns
(which must be reverted to the owner's value). The sandboxes answer with 429s, 503s and
writes whose answer is lost after they committed. Afterwards reconciliation must be clean,
with no duplicate, and the sync must have written about once per edit: no ping-pong.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import tempfile
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import SecretStr
from sqlalchemy import Engine, select

from causeway.connectors.contract import Connector, WriteKey, WriteOperation, WriteRequest
from causeway.connectors.errors import ConnectorError
from causeway.connectors.s4hana.client import S4Settings
from causeway.connectors.s4hana.connector import S4Connector
from causeway.connectors.salesforce.connector import SalesforceConnector
from causeway.demo import connectors_for
from causeway.demo.traffic import crm_user
from causeway.mapping.loader import shipped_mappings
from causeway.observe.logging import configure_logging
from causeway.sandbox.faults import FaultPlan
from causeway.sandbox.launch import RunningSandboxes, start_both
from causeway.sandbox.seed import SeedConfig, generate
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.store.tables.sync import xref
from causeway.sync.config import build_routes, default_sync_config
from causeway.sync.initial_load import initial_match
from causeway.sync.pipeline import PipelineSettings, SyncPipeline
from causeway.sync.reconcile import reconcile

FAULTS = FaultPlan(
    error_rates={429: 0.04, 503: 0.04},
    retry_after_s=1,
    ambiguous_write_rate=0.03,
    ambiguous_delay_s=2.0,
    duplicate_event_rate=0.05,
    seed=11,
)


@dataclass
class EditLog:
    """What the users did."""

    owned: int = 0
    foreign: int = 0
    attempts: int = 0
    customers: set[str] = field(default_factory=set)
    """Customers edited (by CRM account id): each needs at least one write by the sync."""
    owned_values: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    """(record id, field) -> the values its owner's users saved there, in order."""

    @property
    def total(self) -> int:
        """Edits that each call for at most one write by the sync (edits of the same
        customer between two polls share one)."""
        return self.owned + self.foreign


def user_connectors(running: RunningSandboxes) -> tuple[SalesforceConnector, S4Connector]:
    """Connectors for the people editing records: their own client name, no Causeway."""
    if not (running.crm and running.crm_settings and running.tls):
        raise RuntimeError("the CRM sandbox is not running")
    if not (running.erp and running.erp_settings):
        raise RuntimeError("the ERP sandbox is not running")
    erp = running.erp_settings
    salesforce = crm_user(running)
    s4 = S4Connector(
        S4Settings(
            base_url=running.erp.url,
            username=erp.username,
            password=SecretStr(erp.password),
            timeout_s=10,
        ),
        settle=timedelta(0),
    )
    return salesforce, s4


async def persist(connector: Connector, request: WriteRequest, log: EditLog) -> None:
    """A user retries until the edit is saved, as people do."""
    while True:
        log.attempts += 1
        try:
            [result] = await connector.write([request])
        except ConnectorError:
            result = None
        if result is not None and result.ok:
            return
        if result is not None and result.error is not None and result.error.ambiguous:
            return  # it committed; the answer was lost (the sandbox says so by design)
        await asyncio.sleep(0.2)


def linked_pairs(database: Engine) -> list[tuple[str, str]]:
    """(CRM Account id, ERP business partner) of every linked customer."""
    with database.connect() as connection:
        rows = connection.execute(
            select(xref.c.canonical_id, xref.c.system, xref.c.system_id).where(
                xref.c.entity == "customer"
            )
        ).all()
    by_canonical: dict[str, dict[str, str]] = {}
    for canonical_id, system, system_id in rows:
        by_canonical.setdefault(canonical_id, {})[system] = system_id
    return sorted(
        (ids["salesforce"], ids["s4hana"])
        for ids in by_canonical.values()
        if "salesforce" in ids and "s4hana" in ids
    )


def plan_edit(
    number: int, account: str, partner: str, rng: random.Random
) -> tuple[str, str, dict[str, Any], bool]:
    """One user's edit: (side, record, fields, on a field that side owns)."""
    kind = rng.random()
    if kind < 0.4:  # the CRM's own field: must reach the ERP
        return "crm", account, {"Name": f"Edited {number} {rng.randrange(10**6)} Ltd"}, True
    if kind < 0.7:  # the ERP's own field: must reach the CRM
        limit = f"{rng.randrange(1, 900) * 1000}.00"
        fields = {"to_Customer": {"to_CustomerSalesArea": [{"YY1_CreditLimitAmount": limit}]}}
        return "erp", partner, fields, True
    if kind < 0.85:  # a CRM user edits what the ERP owns: must be reverted
        return "crm", account, {"Credit_Limit__c": float(rng.randrange(1, 50))}, False
    # An ERP clerk renames: the CRM owns names, so it is reverted.
    return "erp", partner, {"OrganizationBPName1": f"CLERK {number}"}, False


def owned_value(fields: dict[str, Any]) -> tuple[str, str]:
    """The field an owner's edit set and its value, as the owner's system reads back."""
    if "Name" in fields:
        return "Name", str(fields["Name"])
    area = fields["to_Customer"]["to_CustomerSalesArea"][0]
    return "YY1_CreditLimitAmount", str(area["YY1_CreditLimitAmount"])


async def lost_updates(running: RunningSandboxes, log: EditLog) -> list[str]:
    """Owners' edits that did not survive: the owner's system holds none of the values its
    users saved (the sync wrote an older value over them)."""
    salesforce, s4 = user_connectors(running)
    lost = []
    try:
        accounts = {r.id: r for r in await salesforce.read("Account", _ids(log, "Name"))}
        partners = {
            r.id: r for r in await s4.read("A_BusinessPartner", _ids(log, "YY1_CreditLimitAmount"))
        }
        for (record_id, name), values in log.owned_values.items():
            if name == "Name":
                now = str(accounts[record_id].fields.get("Name"))
            else:
                areas = partners[record_id].fields["to_Customer"]["to_CustomerSalesArea"]
                rows = areas["results"] if isinstance(areas, dict) else areas
                now = f"{float(rows[0]['YY1_CreditLimitAmount']):.2f}"
                values = [f"{float(value):.2f}" for value in values]
            if now not in values:
                lost.append(f"{record_id} {name}: {now!r}, saved {values}")
    finally:
        await salesforce.aclose()
        await s4.aclose()
    return lost


def _ids(log: EditLog, name: str) -> list[str]:
    return sorted({record_id for record_id, field_name in log.owned_values if field_name == name})


async def edit(
    running: RunningSandboxes,
    pairs: list[tuple[str, str]],
    edits: int,
    rng: random.Random,
    users: int = 4,
) -> EditLog:
    """Random edits by several users at once on both sides; a customer may be edited
    several times, on both sides, while the sync runs."""
    log = EditLog()
    plan = []
    for number in range(edits):
        account, partner = rng.choice(pairs)
        plan.append((number, account, *plan_edit(number, account, partner, rng)))
    queue: asyncio.Queue[tuple[int, str, str, str, dict[str, Any], bool]] = asyncio.Queue()
    for item in plan:
        queue.put_nowait(item)

    async def user(seed: int) -> None:
        salesforce, s4 = user_connectors(running)
        pause = random.Random(seed)
        try:
            while not queue.empty():
                number, customer, side, key, fields, owned = queue.get_nowait()
                target, object_name = (
                    (salesforce, "Account") if side == "crm" else (s4, "A_BusinessPartner")
                )
                request = WriteRequest(
                    object_name=object_name,
                    operation=WriteOperation.UPDATE,
                    key=WriteKey(system_id=key),
                    fields=fields,
                    idempotency_key=f"user-edit-{number}",
                )
                await persist(target, request, log)
                log.customers.add(customer)
                if owned:
                    name, value = owned_value(fields)
                    log.owned_values.setdefault((key, name), []).append(value)
                    log.owned += 1
                else:
                    log.foreign += 1
                await asyncio.sleep(pause.uniform(0.0, 0.2))
        finally:
            await salesforce.aclose()
            await s4.aclose()

    await asyncio.gather(*(user(seed) for seed in range(users)))
    return log


async def measure(accounts: int, erp_customers: int, edits: int, folder: Path) -> dict[str, Any]:
    """Run the scenario and return its figures."""
    universe = generate(
        SeedConfig(
            accounts=accounts,
            erp_customers=erp_customers,
            overlap=0.8,
            products=0,
            contacts_per_account=0,
            seed=7,
        )
    )
    running = start_both(universe, folder)
    database = make_engine(f"sqlite:///{folder / 'causeway.sqlite'}")
    upgrade(database)
    # Partner stamps have whole seconds and edits land while polls run: a settle interval
    # keeps the watermark from passing a second that is still receiving changes.
    salesforce, s4 = connectors_for(running, settle=timedelta(seconds=2))
    catalog = shipped_mappings()
    account = catalog.get("salesforce", "Account", "customer")
    partner = catalog.get("s4hana", "A_BusinessPartner", "customer")
    config = default_sync_config()
    config.entities.pop("product")
    pipeline = SyncPipeline(
        database,
        build_routes(config, catalog),
        {"salesforce": salesforce, "s4hana": s4},
        PipelineSettings(idle_seconds=0.05, poll_interval_s=0.5, quiet_interval_s=2.5),
    )
    figures: dict[str, Any] = {}
    try:
        await asyncio.sleep(2.5)
        await initial_match(database, (salesforce, account), (s4, partner))
        await pipeline.run_until_quiet(timeout_s=600)
        before = pipeline.written()
        pairs = linked_pairs(database)
        for side in ("crm", "erp"):
            _set_faults(running, side, FAULTS)
        stop = asyncio.Event()
        syncing = asyncio.create_task(pipeline.run(stop))
        started = time.perf_counter()
        log = await edit(running, pairs, edits, random.Random(3))
        for side in ("crm", "erp"):
            _set_faults(running, side, FaultPlan())
        stop.set()
        await syncing
        await pipeline.run_until_quiet(timeout_s=600)
        seconds = time.perf_counter() - started
        writes = pipeline.written() - before
        report = await reconcile(database, "customer", (salesforce, account), (s4, partner))
        lost = await lost_updates(running, log)
        faults = {side: _injected(running, side) for side in ("crm", "erp")}
        figures = {
            "edits": log.total,
            "edits_on_owned_fields": log.owned,
            "edits_on_foreign_fields": log.foreign,
            "user_attempts": log.attempts,
            "customers_edited": len(log.customers),
            "lost_updates": len(lost),
            "lost_examples": lost[:5],
            "sync_writes": writes,
            "writes_per_edit": round(writes / max(log.total, 1), 3),
            "parked": pipeline.parked(),
            "seconds": round(seconds, 1),
            "faults_injected": faults,
            "reconcile": report.summary(),
            "differences": [
                {
                    "crm": d.left_id,
                    "erp": d.right_id,
                    "fields": {f.field: [f.left, f.right] for f in d.fields},
                }
                for d in report.differing[:5]
            ],
        }
        return figures
    finally:
        await salesforce.aclose()
        await s4.aclose()
        running.stop()
        database.dispose()


def _app_state(running: RunningSandboxes, side: str) -> Any:
    server = running.crm if side == "crm" else running.erp
    assert server is not None
    return server.app_state


def _set_faults(running: RunningSandboxes, side: str, plan: FaultPlan) -> None:
    state = _app_state(running, side)
    injector = state.fault_injector if side == "crm" else state.faults
    injector.replace(plan)


def _injected(running: RunningSandboxes, side: str) -> dict[str, int]:
    state = _app_state(running, side)
    injector = state.fault_injector if side == "crm" else state.faults
    return dict(injector.counters)


def main(argv: list[str] | None = None) -> None:
    """Command line: python -m benchmarks.concurrent_edits [--edits N]."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accounts", type=int, default=3_000)
    parser.add_argument("--erp-customers", type=int, default=2_500)
    parser.add_argument("--edits", type=int, default=2_000)
    arguments = parser.parse_args(argv)
    configure_logging("WARNING")
    folder = Path(tempfile.mkdtemp(prefix="causeway-edits-"))
    figures = asyncio.run(
        measure(arguments.accounts, arguments.erp_customers, arguments.edits, folder)
    )
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
