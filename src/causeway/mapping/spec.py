"""The mapping file format as pydantic models: what a valid YAML mapping looks like.

One file maps one system object to one canonical object in both directions:

    version: 1
    system: salesforce
    object: Account
    canonical: customer
    key: Id
    inbound:                    # system -> canonical; keys are canonical targets
      fields:
        party.name: {source: Name, required: true}
        addresses[0].city: BillingCity         # shorthand for {source: BillingCity}
    outbound:                   # canonical -> system; keys are system targets
      accepts: [Name, BillingCity]
      fields:
        Name: party.name
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

PRODUCERS = ("source", "join", "expr", "constant", "lookup", "each")


def _shorthand(value: Any) -> Any:
    """`target: Some.Path` is short for `target: {source: Some.Path}`."""
    return {"source": value} if isinstance(value, str) else value


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LookupSpec(_Spec):
    """Translate an id through the cross-reference: `{entity: customer, source: SoldToParty}`."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    entity: str = Field(min_length=1, description="Cross-reference entity, e.g. 'customer'.")
    source: str = Field(min_length=1, description="Path of the id to translate.")
    from_system: str | None = Field(
        default=None, alias="from", description="System the id belongs to (default: inferred)."
    )
    to_system: str | None = Field(
        default=None, alias="to", description="System whose id is wanted (default: inferred)."
    )


class ValueMapSpec(_Spec):
    """A named value map shared by several fields; `otherwise` catches unmapped values."""

    values: dict[str, Any]
    otherwise: Any = None
    keep_unmapped: bool = Field(default=False, description="Pass unmapped values through.")

    @property
    def has_otherwise(self) -> bool:
        """True when unmapped values get `otherwise` instead of raising."""
        return "otherwise" in self.model_fields_set

    @model_validator(mode="after")
    def _one_fallback(self) -> ValueMapSpec:
        if self.keep_unmapped and self.has_otherwise:
            raise ValueError("give `otherwise` or `keep_unmapped`, not both")
        return self


class FieldSpec(_Spec):
    """How one target field gets its value: exactly one producer, then optional refinements."""

    source: str | None = Field(default=None, description="Path in the input record.")
    join: list[str] | None = Field(
        default=None, min_length=1, description="Paths whose present values are joined."
    )
    separator: str = Field(default=" ", description="What `join` puts between values.")
    expr: str | None = Field(default=None, description="JSONata expression on the input.")
    constant: Any = Field(default=None, description="A fixed value.")
    lookup: LookupSpec | None = None
    each: str | None = Field(default=None, description="Path of a list mapped element-wise.")
    fields: dict[str, Annotated[FieldSpec, BeforeValidator(_shorthand)]] | None = Field(
        default=None, description="Field rules for each element of `each`."
    )
    transform: str | list[str] | None = Field(
        default=None, description="Named transform(s) applied in order to present values."
    )
    values: str | dict[str, Any] | None = Field(
        default=None, description="Value map (inline, or the name of a shared one)."
    )
    otherwise: Any = Field(default=None, description="Result for values not in `values`.")
    keep_unmapped: bool = Field(default=False, description="Pass values not in `values` on.")
    when: str | None = Field(
        default=None, description="Path that must hold a value for the rule to apply at all."
    )
    reads: list[str] | None = Field(
        default=None, description="Outbound: canonical fields an `expr` reads (for ownership)."
    )
    default: Any = Field(default=None, description="Result when the value is missing.")
    required: bool = False

    @property
    def producer(self) -> str:
        """Which producer the rule uses ('source', 'expr', 'constant', 'lookup' or 'each')."""
        return next(name for name in PRODUCERS if name in self.model_fields_set)

    @property
    def has_default(self) -> bool:
        """True when a missing value becomes `default`."""
        return "default" in self.model_fields_set

    @property
    def has_otherwise(self) -> bool:
        """True when unmapped values get `otherwise` instead of raising."""
        return "otherwise" in self.model_fields_set

    @property
    def transforms(self) -> tuple[str, ...]:
        """Transform names in the order they run."""
        if self.transform is None:
            return ()
        return (self.transform,) if isinstance(self.transform, str) else tuple(self.transform)

    @model_validator(mode="after")
    def _one_producer(self) -> FieldSpec:
        given = [name for name in PRODUCERS if name in self.model_fields_set]
        if len(given) != 1:
            listed = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of {', '.join(PRODUCERS)} (got {listed})")
        if given[0] == "each":
            if not self.fields:
                raise ValueError("`each` needs `fields` for the list elements")
            extras = {"transform", "values", "otherwise", "default"} & self.model_fields_set
            if extras:
                raise ValueError(f"`each` cannot have {', '.join(sorted(extras))}")
        elif self.fields is not None:
            raise ValueError("`fields` belongs with `each`")
        if (self.has_otherwise or self.keep_unmapped) and self.values is None:
            raise ValueError("`otherwise` and `keep_unmapped` belong with `values`")
        if self.has_otherwise and self.keep_unmapped:
            raise ValueError("give `otherwise` or `keep_unmapped`, not both")
        if self.reads is not None and given[0] != "expr":
            raise ValueError("`reads` belongs with `expr`")
        return self


FieldMap = dict[str, Annotated[FieldSpec, BeforeValidator(_shorthand)]]


class DirectionSpec(_Spec):
    """The rules of one direction; `nulls` says whether missing values are written as null."""

    fields: FieldMap = Field(min_length=1)
    nulls: Literal["keep", "drop"] | None = Field(
        default=None, description="Default: drop inbound, keep outbound (to clear fields)."
    )
    accepts: list[str] | None = Field(
        default=None,
        description="Outbound only: system fields this system accepts writes to.",
    )


class MappingSpec(_Spec):
    """A whole mapping file."""

    version: Literal[1] = Field(default=1, description="Mapping language version.")
    system: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="e.g. salesforce, s4hana.")
    object: str = Field(min_length=1, description="System object, e.g. Account, A_SalesOrder.")
    canonical: str = Field(description="Canonical object name, e.g. customer.")
    canonical_version: int | None = Field(default=None, ge=1)
    key: str | None = Field(default=None, description="Path of the system record's id.")
    description: str | None = None
    value_maps: dict[str, ValueMapSpec] = Field(default_factory=dict)
    inbound: DirectionSpec | None = None
    outbound: DirectionSpec | None = None

    @model_validator(mode="after")
    def _has_direction(self) -> MappingSpec:
        if self.inbound is None and self.outbound is None:
            raise ValueError("define `inbound`, `outbound` or both")
        if self.inbound is not None and self.inbound.accepts is not None:
            raise ValueError("`accepts` belongs to the outbound direction")
        return self


def export_mapping_schema(folder: Path) -> Path:
    """Write `mapping.v1.schema.json`, so editors validate and complete mapping files."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:causeway:mapping:v1",
        **MappingSpec.model_json_schema(by_alias=True),
    }
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "mapping.v1.schema.json"
    path.write_text(json.dumps(schema, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return path
