"""What we sell and at what price."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from causeway.canonical.base import (
    CanonicalModel,
    CanonicalObject,
    LanguageCode,
    Money,
    Quantity,
    SchemaRef,
)


class Weight(CanonicalModel):
    """A weight with its unit, as ERPs keep gross weight on the material."""

    value: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)]
    unit: str = Field(default="KG", min_length=1, max_length=3)


class Product(CanonicalObject):
    """A sellable product; the SKU is the business key both systems share."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="product", version=1)

    sku: str = Field(min_length=1, max_length=40)
    name: str = Field(min_length=1)
    descriptions: dict[LanguageCode, str] = Field(
        default_factory=dict, description="Long text by ISO 639-1 language."
    )
    uom: str = Field(default="EA", min_length=1, max_length=3, description="Base unit.")
    family: str | None = None
    weight: Weight | None = None
    active: bool = True


class PriceListEntry(CanonicalObject):
    """The price of a product in a price list for a validity period."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="price_list_entry", version=1)

    price_list: str = Field(min_length=1, description="Price list (Salesforce price book) name.")
    sku: str = Field(min_length=1)
    unit_price: Money
    uom: str = Field(default="EA", min_length=1, max_length=3)
    min_quantity: Quantity = Decimal(1)
    valid_from: date | None = None
    valid_to: date | None = None
    active: bool = True

    @model_validator(mode="after")
    def _period_is_ordered(self) -> PriceListEntry:
        if self.valid_from and self.valid_to and self.valid_to < self.valid_from:
            raise ValueError("valid_to is before valid_from")
        return self
