"""Entities as OData v2 JSON: __metadata, selected properties, deferred or expanded navigation."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from causeway.sandbox.erp.model import EntityType, Navigation, ServiceModel
from causeway.sandbox.erp.odata_json import to_json
from causeway.sandbox.erp.query import Selection
from causeway.sandbox.erp.store import Record, key_of
from causeway.sandbox.erp.uri import etag_of, key_predicate

Related = Callable[[EntityType, Record, Navigation], list[Record]]


@dataclass(frozen=True)
class Representation:
    """Renders records of one service; `root` is the absolute service root URL."""

    service: ServiceModel
    root: str
    related: Related

    def uri(self, entity: EntityType, record: Record) -> str:
        """The canonical URI of an entity."""
        return f"{self.root}/{entity.entity_set}{key_predicate(entity, key_of(entity, record))}"

    def etag(self, entity: EntityType, record: Record) -> str | None:
        """The entity's ETag, for types with a concurrency property."""
        prop = entity.concurrency_property
        if prop is None or record.get(prop.name) is None:
            return None
        return etag_of(record[prop.name])

    def entity(
        self, entity: EntityType, record: Record, selection: Selection | None = None
    ) -> dict[str, Any]:
        """One entity as a JSON object."""
        selection = selection or Selection()
        uri = self.uri(entity, record)
        metadata: dict[str, Any] = {
            "id": uri,
            "uri": uri,
            "type": self.service.qualified(entity),
        }
        etag = self.etag(entity, record)
        if etag:
            metadata["etag"] = etag
        body: dict[str, Any] = {"__metadata": metadata}
        for prop in entity.properties:
            if selection.properties is None or prop.name in selection.properties:
                body[prop.name] = to_json(prop, record.get(prop.name))
        for nav in entity.navigations:
            wanted = not selection.explicit or nav.name in selection.navigations
            if nav.name in selection.expand:
                body[nav.name] = self._expanded(entity, record, nav, selection.child(nav.name))
            elif wanted:
                body[nav.name] = {"__deferred": {"uri": f"{uri}/{nav.name}"}}
        return body

    def _expanded(
        self, entity: EntityType, record: Record, nav: Navigation, selection: Selection
    ) -> Any:
        target = self.service.entity_set(nav.target_set)
        if target is None:
            raise ValueError(f"{entity.name}.{nav.name} targets unknown set {nav.target_set}")
        related = self.related(entity, record, nav)
        rendered = [self.entity(target, child, selection) for child in related]
        if nav.many:
            return {"results": rendered}
        return rendered[0] if rendered else None
