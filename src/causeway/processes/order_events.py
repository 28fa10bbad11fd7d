"""What starts order-to-cash instances and what reaches them: two watermark pollers.

`OrderTrigger` polls CRM orders by SystemModstamp: an order reaching Activated starts its
instance (`order_to_cash:<order id>`, idempotently), an order set to Cancelled signals it.
With `from_opportunities`, an Opportunity reaching Closed Won first gets its order (created
once, keyed by the opportunity), which then starts the same way.

`MilestoneFeed` polls ERP sales orders and billing documents by their change stamps and
signals each change to the instance it belongs to, found through the cross-reference the
instance wrote when it created the ERP order. Instances never poll on their own; each event
carries an idempotency key (document and change stamp), so a re-read page arrives once.
Cursors move only after every record of a page was handed on.
"""

from __future__ import annotations

from functools import partial
from typing import Any

import structlog

from causeway.connectors.contract import ChangePage, RawRecord
from causeway.connectors.s4hana.errors import SYSTEM as S4HANA
from causeway.connectors.salesforce.errors import SYSTEM as SALESFORCE
from causeway.processes.engine import ProcessEngine, UnknownInstanceError
from causeway.processes.order_milestones import invoice_snapshot, order_snapshot
from causeway.processes.order_steps import ORDER_ENTITY, PROCESS
from causeway.processes.order_systems import OrderSystems
from causeway.processes.order_to_cash import TOPIC
from causeway.sync.poller import load_cursor, save_cursor
from causeway.sync.xref import Xref

log = structlog.get_logger("causeway.processes")
PAGE = 200
CURSOR_SUFFIX = f"@{PROCESS}"


class _Poller:
    """Reads pages of changes after a stored cursor; the cursor moves once a page is done."""

    system: str

    def __init__(self, systems: OrderSystems, engine: ProcessEngine) -> None:
        self.systems = systems
        self.engine = engine

    def _drain(self, object_name: str, read: Any, handle: Any) -> int:
        handled = 0
        while True:
            with self.systems.database.connect() as connection:
                cursor = load_cursor(connection, self.system, object_name + CURSOR_SUFFIX)
            page: ChangePage = self.systems.run(partial(read, object_name, cursor, PAGE))
            for record in page.records:
                handled += handle(record)
            with self.systems.database.begin() as connection:
                save_cursor(connection, self.system, object_name + CURSOR_SUFFIX, page.cursor)
            if not page.more or not page.records:
                return handled

    def _signal(self, key: str, payload: dict[str, Any], idempotency_key: str) -> int:
        try:
            self.engine.signal(PROCESS, key, TOPIC, payload, idempotency_key=idempotency_key)
        except UnknownInstanceError:
            log.warning("order event for an unknown instance", key=key, kind=payload["kind"])
            return 0
        return 1


class OrderTrigger(_Poller):
    """Starts instances for activated CRM orders and signals cancellations."""

    system = SALESFORCE

    def poll_once(self) -> int:
        """Handle every order (and opportunity) change since the cursor; answers how many
        instances were started or signalled."""
        handled = 0
        if self.systems.settings.from_opportunities:
            handled += self._drain("Opportunity", self.systems.salesforce.poll, self._won)
        return handled + self._drain("Order", self.systems.salesforce.poll, self._order)

    def _order(self, record: RawRecord) -> int:
        if record.deleted:
            return 0
        status = record.fields.get("Status")
        existing = self.engine.status(PROCESS, record.id)
        if status == "Activated" and existing is None:
            self.engine.start(PROCESS, record.id, record.id)
            log.info("order-to-cash started", order=record.id)
            return 1
        if status == "Cancelled" and existing is not None and existing.status == "PENDING":
            return self._signal(record.id, {"kind": "cancel"}, f"cancel:{record.id}")
        return 0

    def _won(self, record: RawRecord) -> int:
        if record.deleted or record.fields.get("StageName") != "Closed Won":
            return 0
        order_id = self.systems.run(partial(self.systems.crm.order_from_opportunity, record.id))
        log.info("order from won opportunity", opportunity=record.id, order=order_id)
        return 1


class MilestoneFeed(_Poller):
    """Signals ERP order and invoice changes to the instances they belong to."""

    system = S4HANA

    def poll_once(self) -> int:
        """Hand every ERP change since the cursors to its instance; answers how many."""
        changes = self.systems.s4.changes
        return self._drain("A_SalesOrder", changes, self._order) + self._drain(
            "A_BillingDocument", changes, self._invoice
        )

    def _crm_order(self, sales_order: str) -> str | None:
        with self.systems.database.connect() as connection:
            return Xref(connection).resolve(ORDER_ENTITY, S4HANA, sales_order, SALESFORCE)

    def _order(self, record: RawRecord) -> int:
        key = self._crm_order(record.id)
        if key is None:
            return 0  # not an order this process created
        snapshot = order_snapshot(record.fields)
        stamp = snapshot.get("LastChangeDateTime")
        return self._signal(
            key, {"kind": "erp_order", "order": snapshot}, f"erp_order:{record.id}:{stamp}"
        )

    def _invoice(self, record: RawRecord) -> int:
        snapshot = invoice_snapshot(record.fields)
        stamp = snapshot.get("LastChangeDateTime")
        sent = 0
        for sales_order in snapshot["SalesDocuments"]:
            key = self._crm_order(sales_order)
            if key is not None:
                sent += self._signal(
                    key, {"kind": "erp_invoice", "invoice": snapshot},
                    f"erp_invoice:{record.id}:{sales_order}:{stamp}",
                )
        return sent
