"""Product rules: a change to a description or plant counts as a change of the product.

Integrations detect product changes through A_Product's LastChangeDateTime, so writes to
A_ProductDescription and A_ProductPlant move it too.
"""

from __future__ import annotations

from causeway.sandbox.erp.errors import invalid_value
from causeway.sandbox.erp.model import EntityType
from causeway.sandbox.erp.payload import Payload
from causeway.sandbox.erp.services.product import PRODUCT
from causeway.sandbox.erp.store import Record
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import StandardRules


def touch_product(erp: Erp, material: str) -> None:
    """Stamp the product's change fields."""
    record = erp.store.get(PRODUCT, (material,))
    if record is not None:
        erp.stamp(PRODUCT, record, created=False)
        erp.store.replace(PRODUCT, record)


class ProductPartRules(StandardRules):
    """Descriptions and plant data of an existing product."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Add a part to an existing product."""
        material = str(payload.values.get("Product") or "")
        if erp.store.get(PRODUCT, (material,)) is None and parent is None:
            raise invalid_value(entity.entity_set, "Product", f"Product {material} does not exist")
        record = super().create(erp, entity, payload, parent)
        if parent is None:
            touch_product(erp, material)
        return record

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Change the part and stamp the product."""
        record = super().update(erp, entity, current, changes)
        touch_product(erp, str(record["Product"]))
        return record

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Remove the part and stamp the product."""
        super().delete(erp, entity, current)
        touch_product(erp, str(current["Product"]))
