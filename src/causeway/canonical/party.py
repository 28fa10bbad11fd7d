"""Parties: the customers we sell to and the people we talk to there."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import Field, model_validator

from causeway.canonical.base import (
    CanonicalModel,
    CanonicalObject,
    CountryCode,
    CurrencyCode,
    Email,
    LanguageCode,
    SchemaRef,
)


class AddressRole(StrEnum):
    """What an address is used for; a customer may have one of each or several shipping ones."""

    BILLING = "billing"
    SHIPPING = "shipping"


class Address(CanonicalModel):
    """A postal address; the street and house number are kept apart as ERPs store them."""

    role: AddressRole
    street: str | None = None
    house_number: str | None = None
    postal_code: str | None = None
    city: str | None = None
    region: str | None = Field(default=None, description="State, province or county code.")
    country: CountryCode | None = None


class Party(CanonicalModel):
    """Who the customer is, legally: name, legal form and the short search term ERPs index."""

    name: str = Field(min_length=1, max_length=255)
    name2: str | None = Field(default=None, description="Second name line (department, c/o).")
    legal_form: str | None = Field(default=None, description="e.g. 'GmbH', 'Inc.', 'SAS'.")
    search_term: str | None = Field(default=None, max_length=40)


class TaxId(CanonicalModel):
    """A tax registration number, e.g. scheme 'VAT' country 'DE' value 'DE123456789'."""

    scheme: str = Field(min_length=1, description="VAT, EIN, GST, ... as the issuer names it.")
    value: str = Field(min_length=1)
    country: CountryCode | None = None


class CustomerStatus(StrEnum):
    """Whether business with the customer may go on."""

    ACTIVE = "active"
    BLOCKED = "blocked"
    ARCHIVED = "archived"


class Customer(CanonicalObject):
    """A customer account, as both the CRM and the ERP understand it."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="customer", version=1)

    party: Party
    addresses: list[Address] = Field(default_factory=list)
    tax_ids: list[TaxId] = Field(default_factory=list)
    phone: str | None = None
    email: Email | None = None
    website: str | None = None
    industry: str | None = None
    currency: CurrencyCode | None = None
    credit_limit: Annotated[Decimal, Field(ge=0, allow_inf_nan=False)] | None = None
    payment_terms: str | None = Field(default=None, description="Terms code, e.g. 'NT30'.")
    status: CustomerStatus = CustomerStatus.ACTIVE

    @model_validator(mode="after")
    def _credit_limit_needs_currency(self) -> Customer:
        if self.credit_limit is not None and self.currency is None:
            raise ValueError("a credit limit needs the customer's currency")
        return self

    def address(self, role: AddressRole) -> Address | None:
        """The first address with the given role, if any."""
        return next((a for a in self.addresses if a.role is role), None)


class Contact(CanonicalObject):
    """A person at a customer."""

    SCHEMA: ClassVar[SchemaRef] = SchemaRef(name="contact", version=1)

    customer_id: str | None = Field(default=None, description="Causeway id of the customer.")
    salutation: str | None = None
    first_name: str | None = None
    last_name: str = Field(min_length=1)
    title: str | None = Field(default=None, description="Job title.")
    department: str | None = None
    email: Email | None = None
    phone: str | None = None
    mobile: str | None = None
    language: LanguageCode | None = None
    active: bool = True
