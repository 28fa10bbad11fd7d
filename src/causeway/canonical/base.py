"""Building blocks shared by every canonical object: schema identity, codes, money, keys.

Canonical objects are the single language between systems. They validate strictly (unknown
fields are rejected, codes are checked against ISO tables, instants must carry a time zone)
so that a mapping mistake surfaces at the record and field where it happens.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from enum import Enum
from typing import Annotated, Any, ClassVar, Self, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)

from causeway.canonical.codes import COUNTRIES, CURRENCIES
from causeway.canonical.errors import CanonicalValidationError, StatusTransitionError


class SchemaRef(BaseModel):
    """Name and version of a canonical object's schema; the version rises on breaking change."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: int = Field(ge=1)

    @property
    def file_name(self) -> str:
        """File name of the exported JSON Schema, e.g. 'customer.v1.schema.json'."""
        return f"{self.name}.v{self.version}.schema.json"

    def __str__(self) -> str:
        return f"{self.name}.v{self.version}"


def _check_country(value: str) -> str:
    if value not in COUNTRIES:
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 country code")
    return value


def _check_currency(value: str) -> str:
    if value not in CURRENCIES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code")
    return value


CountryCode = Annotated[
    str,
    AfterValidator(_check_country),
    WithJsonSchema({"type": "string", "enum": sorted(COUNTRIES)}),
]
"""ISO 3166-1 alpha-2, upper case ('DE'); mappings normalise other spellings first."""

CurrencyCode = Annotated[
    str,
    AfterValidator(_check_currency),
    WithJsonSchema({"type": "string", "enum": sorted(CURRENCIES)}),
]
"""ISO 4217 alphabetic code, upper case ('EUR')."""

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2}$")]
"""ISO 639-1 language code, lower case ('en', 'de')."""

Amount = Annotated[Decimal, Field(allow_inf_nan=False)]
"""A finite decimal: money and quantities are never floats."""

Quantity = Annotated[Decimal, Field(allow_inf_nan=False, ge=0)]
"""A non-negative decimal quantity in the line's unit of measure."""

Email = Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$", max_length=254)]
"""An e-mail address, checked for shape only (delivery is the mail system's business)."""

Instant = AwareDatetime
"""A point in time; naive datetimes are rejected because systems disagree on time zones."""


class CanonicalModel(BaseModel):
    """Base of canonical value objects: strict about unknown fields, lenient about nothing."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, use_enum_values=False)


class Money(CanonicalModel):
    """An amount in a currency; the two never travel apart."""

    amount: Amount
    currency: CurrencyCode


class CanonicalObject(CanonicalModel):
    """A top-level business object: has a schema identity, a Causeway id and external ids."""

    SCHEMA: ClassVar[SchemaRef]

    id: str | None = Field(default=None, description="Causeway's own id for the object.")
    external_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Id of the object in each system, keyed by system name ('salesforce').",
    )
    updated_at: Instant | None = Field(
        default=None, description="When the source system last changed the record."
    )

    def record_key(self) -> str | None:
        """The best name for this record in an error message or a log line."""
        return self.key_of(self.model_dump(include={"id", "number", "sku", "external_ids"}))

    @staticmethod
    def key_of(data: Mapping[str, Any]) -> str | None:
        """Record key of raw data not yet validated: id, else number or sku, else an external id."""
        for name in ("id", "number", "sku"):
            value = data.get(name)
            if value:
                return str(value)
        external = data.get("external_ids")
        if isinstance(external, Mapping):
            for system, external_id in sorted(external.items()):
                if external_id:
                    return f"{system}:{external_id}"
        return None

    @classmethod
    def parse(cls, data: Mapping[str, Any], *, record_key: str | None = None) -> Self:
        """Validate raw data into the object, raising CanonicalValidationError with field paths."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            key = record_key or cls.key_of(data)
            raise CanonicalValidationError.from_pydantic(cls.SCHEMA.name, key, exc) from exc


StatusT = TypeVar("StatusT", bound=Enum)


def ensure_transition(
    record: CanonicalObject,
    transitions: Mapping[StatusT, frozenset[StatusT]],
    current: StatusT,
    new: StatusT,
) -> None:
    """Raise StatusTransitionError unless `new` may follow `current`; staying put is allowed."""
    if new is current or new in transitions.get(current, frozenset()):
        return
    raise StatusTransitionError(
        record.SCHEMA.name, record.record_key(), str(current.value), str(new.value)
    )

