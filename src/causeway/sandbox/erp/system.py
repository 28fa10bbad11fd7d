"""The running ERP: store, clock, service models and per-entity-set write behaviour.

Everything a request handler or a lifecycle step needs hangs off one `Erp` object, passed
explicitly rather than looked up, so tests can build one without a web server.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from typing import TYPE_CHECKING, Protocol

from causeway.sandbox.erp.clock import SimulatedClock
from causeway.sandbox.erp.model import EntityType, Navigation, ServiceModel
from causeway.sandbox.erp.services import (
    billing_document,
    business_partner,
    customer_return,
    outbound_delivery,
    pricing_condition,
    product,
    sales_order,
    sales_order_simulation,
)
from causeway.sandbox.erp.store import Record, Store

if TYPE_CHECKING:
    from starlette.responses import Response

    from causeway.sandbox.erp.payload import Payload
    from causeway.sandbox.erp.representation import Representation

SERVICES: tuple[ServiceModel, ...] = (
    business_partner.SERVICE,
    product.SERVICE,
    sales_order.SERVICE,
    billing_document.SERVICE,
    outbound_delivery.SERVICE,
    sales_order_simulation.SERVICE,
    pricing_condition.SERVICE,
    customer_return.SERVICE,
)
USER = "CAUSEWAY"


class EntityRules(Protocol):
    """How one entity set is created, changed and deleted (numbering, pricing, checks)."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Insert a new entity (and its deep-inserted children); return what was stored."""
        ...

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Apply validated changes to `current`; return what was stored."""
        ...

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Remove `current`, or refuse with an `ODataError`."""
        ...


class Simulation(Protocol):
    """A service that computes an answer instead of storing: POST on its one entity set
    returns the simulated document and nothing is saved (reads are not offered)."""

    entity_set: str

    def simulate(self, erp: Erp, payload: Payload, representation: Representation) -> Response:
        """The 201 answer for the decoded request payload."""
        ...


@dataclass
class Erp:
    """The sandbox ERP system state shared by the OData services and the lifecycle."""

    store: Store
    clock: SimulatedClock
    page_size: int
    rules: dict[str, EntityRules] = field(default_factory=dict)
    simulations: dict[str, Simulation] = field(default_factory=dict)
    """Simulation services by service name."""
    batch_max_operations: int = 1000
    """Requests one $batch may carry; beyond that it is refused whole."""

    def service(self, path: str) -> ServiceModel | None:
        """The service published under URL segment `path` (case-insensitive like SAP)."""
        return next((svc for svc in SERVICES if svc.path.lower() == path.lower()), None)

    def related(self, entity: EntityType, record: Record, nav: Navigation) -> list[Record]:
        """The records `nav` leads to from `record`."""
        target = entity_type(nav.target_set)
        wanted = {target_prop: record.get(source) for source, target_prop in nav.join}
        if any(value is None for value in wanted.values()):
            return []
        if nav.join[0][1] == target.keys[0]:
            candidates = self.store.scan(target, lead=str(wanted[target.keys[0]]))
        else:
            candidates = self.store.scan(target)
        return [
            candidate for candidate in candidates
            if all(candidate.get(name) == value for name, value in wanted.items())
        ]

    def stamp(self, entity: EntityType, record: Record, *, created: bool) -> Record:
        """Set the creation and change audit fields the entity type declares, to now: the
        time of writing, also for a lifecycle step that fell due earlier."""
        now = self.clock.now()
        today = datetime(now.year, now.month, now.day, tzinfo=now.tzinfo)
        clock_time = time(now.hour, now.minute, now.second)
        fields = {
            "LastChangeDateTime": now,
            "LastChangeDate": today,
            "LastChangeTime": clock_time,
            "LastChangedByUser": USER,
            "YY1_LastChangeDateTime": now,
        }
        if created:
            fields |= {
                "CreationDate": today,
                "CreationTime": clock_time,
                "CreatedByUser": USER,
            }
        for name, value in fields.items():
            if entity.prop(name) is not None:
                record[name] = value
        return record


def entity_type(entity_set: str) -> EntityType:
    """The entity type behind an entity set of any sandbox service."""
    for service in SERVICES:
        entity = service.entity_set(entity_set)
        if entity is not None:
            return entity
    raise KeyError(entity_set)
