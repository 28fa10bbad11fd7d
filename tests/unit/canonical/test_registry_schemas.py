from __future__ import annotations

import json
from enum import Enum
from pathlib import Path

import pytest

from causeway.canonical.errors import UnknownCanonicalFieldError, UnknownCanonicalTypeError
from causeway.canonical.fields import enum_type, field_type, list_item_model, required_fields
from causeway.canonical.party import Customer, CustomerStatus
from causeway.canonical.registry import CANONICAL_TYPES, canonical_type
from causeway.canonical.sales import SalesOrder, SalesOrderLine
from causeway.canonical.schemas import export_schemas, json_schema

EXPECTED = {
    "customer", "contact", "product", "price_list_entry", "quote", "sales_order", "delivery",
    "invoice", "payment", "service_case", "return_authorization",
}


def test_registry_holds_every_object_by_schema_name() -> None:
    assert set(CANONICAL_TYPES) == EXPECTED
    for name, cls in CANONICAL_TYPES.items():
        assert cls.SCHEMA.name == name
        assert cls.SCHEMA.version == 1


def test_canonical_type_lookup() -> None:
    assert canonical_type("customer") is Customer
    assert canonical_type("customer", 1) is Customer
    with pytest.raises(UnknownCanonicalTypeError, match="custmer"):
        canonical_type("custmer")
    with pytest.raises(UnknownCanonicalTypeError, match=r"customer\.v2"):
        canonical_type("customer", 2)


def test_export_writes_one_versioned_schema_per_object(tmp_path: Path) -> None:
    written = export_schemas(tmp_path / "schemas")
    assert sorted(p.name for p in written) == sorted(f"{n}.v1.schema.json" for n in EXPECTED)
    schema = json.loads((tmp_path / "schemas" / "customer.v1.schema.json").read_text())
    assert schema["$id"] == "urn:causeway:canonical:customer:v1"
    assert schema["x-causeway-version"] == 1
    assert schema["additionalProperties"] is False
    assert "party" in schema["required"]
    country = schema["$defs"]["Address"]["properties"]["country"]["anyOf"][0]
    assert "DE" in country["enum"]


def test_schema_is_stable_between_exports(tmp_path: Path) -> None:
    first = export_schemas(tmp_path / "a")
    second = export_schemas(tmp_path / "b")
    assert [p.read_text() for p in first] == [p.read_text() for p in second]
    assert json_schema(SalesOrder)["x-causeway-object"] == "sales_order"


def test_field_paths_resolve_through_models_lists_and_dicts() -> None:
    assert field_type(Customer, ["addresses", 0, "city"]) is str
    assert field_type(Customer, ["external_ids", "s4hana"]) is str
    assert enum_type(field_type(Customer, ["status"])) is CustomerStatus
    assert list_item_model(SalesOrder.model_fields["lines"].annotation) is SalesOrderLine
    assert "customer_id" in required_fields(SalesOrder)


@pytest.mark.parametrize(("path", "reason"), [
    (["party", "nmae"], "Party has"),
    (["addresses", "city"], "not an object"),
    (["party", 0], "not a list"),
    (["status", "code"], "not an object"),
])
def test_unknown_field_paths_name_the_bad_step(path: list[str | int], reason: str) -> None:
    with pytest.raises(UnknownCanonicalFieldError, match=reason) as caught:
        field_type(Customer, path)
    assert caught.value.object_name == "customer"


def test_enum_type_ignores_plain_types() -> None:
    assert enum_type(str) is None
    assert issubclass(CustomerStatus, Enum)
