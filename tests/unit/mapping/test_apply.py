"""Applying compiled mappings: every feature, and every error naming file, line, field, record."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from causeway.canonical.party import AddressRole, Customer, CustomerStatus
from causeway.canonical.sales import SalesOrder
from causeway.mapping.compiled import CompiledMapping
from causeway.mapping.errors import (
    ExpressionEvaluationError,
    MappingApplyError,
    MissingDirectionError,
    MissingRequiredError,
    RecordInvalidError,
    TransformError,
    UnmappedValueError,
    UnresolvedLookupError,
)
from causeway.mapping.xref import CANONICAL_SYSTEM, MemoryXref

from .samples import HEADER

Compile = Callable[[str], CompiledMapping]

ACCOUNT = HEADER + """\
value_maps:
  status:
    values: {A: active, B: blocked}
    otherwise: archived
inbound:
  fields:
    external_ids.crm: Id
    party.name: {source: Name, required: true}
    party.search_term: {source: Name, transform: [strip, upper]}
    addresses[role=billing].street: {source: Address.street, transform: street_name}
    addresses[role=billing].house_number: {source: Address.street, transform: house_number}
    addresses[role=billing].city: Address.city
    addresses[role=billing].country: {source: Address.country, transform: country}
    currency: {source: Currency, default: EUR}
    credit_limit: {source: Limit, transform: decimal}
    status: {source: Status, values: status}
    industry: {constant: Machinery}
    website: {expr: "'https://' & Domain", when: Domain}
outbound:
  accepts: [Name, Street, City, Currency]
  fields:
    Name: {source: party.name, required: true}
    Street:
      join:
        - addresses[0].street
        - addresses[0].house_number
    City: addresses[0].city
    Currency: currency
    Limit: {source: credit_limit, transform: number}
    Status: {source: status, values: {active: A, blocked: B}, otherwise: Z}
    Kind: {constant: customer}
"""

ORDER = """\
version: 1
system: erp
object: A_SalesOrder
canonical: sales_order
key: SalesOrder
value_maps:
  sd_status:
    values: {"": open, A: open, B: in_process, C: completed}
inbound:
  fields:
    number: SalesOrder
    customer_id:
      lookup: {entity: customer, source: SoldToParty}
      required: true
    currency: {source: TransactionCurrency, required: true}
    order_date: {source: SalesOrderDate, transform: sap_date, required: true}
    status: {source: OverallSDProcessStatus, values: sd_status}
    lines:
      each: to_Item
      fields:
        line_number: {source: SalesOrderItem, transform: int, required: true}
        sku: {source: Material, required: true}
        product_id: {lookup: {entity: product, source: Material}}
        quantity: {source: RequestedQuantity, transform: decimal, required: true}
        net_amount.amount: {source: NetAmount, transform: decimal}
        net_amount.currency: {source: $root.TransactionCurrency, when: NetAmount}
outbound:
  nulls: drop
  fields:
    SoldToParty:
      lookup: {entity: customer, source: customer_id}
      required: true
    TransactionCurrency: currency
    SalesOrderDate: {source: order_date, transform: to_sap_date}
    to_Item:
      each: lines
      fields:
        SalesOrderItem: {source: line_number, transform: str}
        Material: sku
        RequestedQuantity: {source: quantity, transform: decimal_str}
        Currency: $root.currency
"""


def account_record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "Id": "001A", "Name": " Acme ",
        "Address": {"street": "Hauptstrasse 12a", "city": "Berlin", "country": "deu"},
        "Limit": 2500.5, "Status": "B", "Domain": "acme.example",
    }
    record.update(changes)
    return record


def order_record(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "SalesOrder": "5000001", "SoldToParty": "1000001", "TransactionCurrency": "EUR",
        "SalesOrderDate": "/Date(1699920000000)/", "OverallSDProcessStatus": "B",
        "to_Item": {"results": [
            {"SalesOrderItem": "000010", "Material": "P-100", "RequestedQuantity": "2.000",
             "NetAmount": "20.00"},
            {"SalesOrderItem": "000020", "Material": "P-200", "RequestedQuantity": "1"},
        ]},
    }
    record.update(changes)
    return record


def test_inbound_applies_paths_transforms_value_maps_defaults_constants_and_expressions(
    compile_yaml: Compile,
) -> None:
    customer = compile_yaml(ACCOUNT).to_canonical(account_record())
    assert isinstance(customer, Customer)
    assert customer.external_ids == {"crm": "001A"}
    assert customer.party.name == "Acme"
    assert customer.party.search_term == "ACME"
    billing = customer.address(AddressRole.BILLING)
    assert billing is not None
    assert (billing.street, billing.house_number, billing.city, billing.country) == (
        "Hauptstrasse", "12a", "Berlin", "DE",
    )
    assert customer.currency == "EUR"
    assert customer.credit_limit == Decimal("2500.5")
    assert customer.status is CustomerStatus.BLOCKED
    assert customer.industry == "Machinery"
    assert customer.website == "https://acme.example"


def test_value_map_otherwise_and_when(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ACCOUNT)
    customer = mapping.to_canonical(account_record(Status="Q", Domain=None))
    assert isinstance(customer, Customer)
    assert customer.status is CustomerStatus.ARCHIVED
    assert customer.website is None
    assert "website" not in mapping.to_canonical_data(account_record(Domain=""))


def test_outbound_writes_system_fields_and_keeps_nulls(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ACCOUNT)
    customer = mapping.to_canonical(account_record(Limit=None))
    payload = mapping.to_system(customer)
    assert payload == {
        "Name": "Acme", "Street": "Hauptstrasse 12a", "City": "Berlin", "Currency": "EUR",
        "Limit": None, "Status": "B", "Kind": "customer",
    }
    archived = customer.model_copy(update={"status": CustomerStatus.ARCHIVED})
    assert mapping.to_system(archived)["Status"] == "Z"
    assert mapping.accepts == ("Name", "Street", "City", "Currency")
    assert mapping.accepted_canonical_fields == (
        "party.name", "addresses[0].street", "addresses[0].house_number", "addresses[0].city",
        "currency",
    )


def test_outbound_accepts_canonical_json(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ACCOUNT)
    customer = mapping.to_canonical(account_record())
    assert mapping.to_system(customer.model_dump(mode="json")) == mapping.to_system(customer)


def test_missing_required_value_names_file_line_field_and_record(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ACCOUNT)
    with pytest.raises(MissingRequiredError) as caught:
        mapping.to_canonical(account_record(Name=None))
    error = caught.value
    assert (error.line, error.field, error.record_key) == (13, "party.name", "001A")
    assert (error.system, error.object_name, error.direction) == ("crm", "Account", "inbound")
    assert str(error).startswith(f"{error.file}:13: field party.name: inbound crm Account 001A:")


def test_unmapped_value_is_an_error_without_otherwise(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ORDER)
    with pytest.raises(UnmappedValueError) as caught:
        mapping.to_canonical(order_record(OverallSDProcessStatus="X"), xref=_erp_xref())
    error = caught.value
    assert (error.value, error.value_map, error.field, error.line) == ("X", "sd_status", "status",
                                                                      17)
    assert error.record_key == "5000001"


def test_transform_failure_names_the_transform(compile_yaml: Compile) -> None:
    with pytest.raises(TransformError) as caught:
        compile_yaml(ACCOUNT).to_canonical(account_record(Limit="lots"))
    assert (caught.value.transform, caught.value.field) == ("decimal", "credit_limit")


def test_expression_failure_is_typed(compile_yaml: Compile) -> None:
    mapping = compile_yaml(HEADER + """\
inbound:
  fields:
    party.name: {expr: "$sapDate(Name)"}
""")
    with pytest.raises(ExpressionEvaluationError) as caught:
        mapping.to_canonical({"Id": "001B", "Name": "Acme"})
    assert (caught.value.line, caught.value.record_key) == (8, "001B")


def test_invalid_canonical_record_points_at_the_rule(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ACCOUNT)
    with pytest.raises(RecordInvalidError) as caught:
        mapping.to_canonical(account_record(Currency="EURO"))
    error = caught.value
    assert (error.field, error.line, error.record_key) == ("currency", 19, "001A")
    assert error.issues[0].path == "currency"


def test_invalid_list_element_points_at_the_nested_rule(compile_yaml: Compile) -> None:
    record = order_record()
    record["to_Item"]["results"][1]["RequestedQuantity"] = "-1"
    with pytest.raises(RecordInvalidError) as caught:
        compile_yaml(ORDER).to_canonical(record, xref=_erp_xref())
    assert (caught.value.field, caught.value.line) == ("lines[1].quantity", 24)
    assert "greater than or equal to 0" in str(caught.value)


def _erp_xref() -> MemoryXref:
    xref = MemoryXref()
    xref.link("customer", "erp", "1000001", CANONICAL_SYSTEM, "c-1")
    xref.link("product", "erp", "P-100", CANONICAL_SYSTEM, "p-100")
    return xref


def test_nested_lists_odata_collections_root_paths_and_lookups(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ORDER)
    order = mapping.to_canonical(order_record(), xref=_erp_xref())
    assert isinstance(order, SalesOrder)
    assert order.customer_id == "c-1"
    assert order.status.value == "in_process"
    first, second = order.lines
    assert (first.line_number, first.sku, first.product_id, first.quantity) == (
        10, "P-100", "p-100", Decimal("2.000"),
    )
    assert first.net_amount is not None
    assert (first.net_amount.amount, first.net_amount.currency) == (Decimal("20.00"), "EUR")
    assert second.product_id is None
    assert second.net_amount is None


def test_outbound_lists_are_plain_deep_insert_lists(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ORDER)
    xref = _erp_xref()
    order = mapping.to_canonical(order_record(), xref=xref)
    assert isinstance(order, SalesOrder)
    payload = mapping.to_system(order, xref=xref)
    assert payload == {
        "SoldToParty": "1000001", "TransactionCurrency": "EUR",
        "SalesOrderDate": "/Date(1699920000000)/",
        "to_Item": [
            {"SalesOrderItem": "10", "Material": "P-100", "RequestedQuantity": "2.000",
             "Currency": "EUR"},
            {"SalesOrderItem": "20", "Material": "P-200", "RequestedQuantity": "1",
             "Currency": "EUR"},
        ],
    }
    back = mapping.to_canonical(payload | {"SalesOrder": "5000001"}, xref=xref)
    assert isinstance(back, SalesOrder)
    assert back.lines == [
        line.model_copy(update={"net_amount": None}) for line in order.lines
    ]


def test_unresolved_required_lookup_is_typed_for_deferral(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ORDER)
    with pytest.raises(UnresolvedLookupError) as caught:
        mapping.to_canonical(order_record(SoldToParty="999"), xref=_erp_xref())
    error = caught.value
    assert (error.entity, error.from_system, error.from_id, error.to_system) == (
        "customer", "erp", "999", CANONICAL_SYSTEM,
    )
    assert (error.field, error.line, error.record_key) == ("customer_id", 12, "5000001")


def test_outbound_lookup_goes_from_canonical_to_the_system(compile_yaml: Compile) -> None:
    mapping = compile_yaml(ORDER)
    order = mapping.to_canonical(order_record(), xref=_erp_xref())
    with pytest.raises(UnresolvedLookupError) as caught:
        mapping.to_system(order, xref=MemoryXref())
    assert (caught.value.from_system, caught.value.to_system) == (CANONICAL_SYSTEM, "erp")
    assert caught.value.direction == "outbound"


def test_lookup_without_a_cross_reference_is_an_error(compile_yaml: Compile) -> None:
    with pytest.raises(MappingApplyError, match="cross-reference"):
        compile_yaml(ORDER).to_canonical(order_record())


def test_errors_in_list_elements_name_the_element(compile_yaml: Compile) -> None:
    record = order_record()
    record["to_Item"]["results"][1]["RequestedQuantity"] = None
    with pytest.raises(MissingRequiredError) as caught:
        compile_yaml(ORDER).to_canonical(record, xref=_erp_xref())
    assert (caught.value.field, caught.value.line) == ("lines[1].quantity", 24)


def test_each_needs_a_list(compile_yaml: Compile) -> None:
    with pytest.raises(MappingApplyError, match="expected a list") as caught:
        compile_yaml(ORDER).to_canonical(order_record(to_Item="none"), xref=_erp_xref())
    assert caught.value.field == "lines"


def test_missing_direction(compile_yaml: Compile) -> None:
    mapping = compile_yaml(HEADER + "outbound: {fields: {Name: party.name}}\n")
    with pytest.raises(MissingDirectionError, match="no inbound"):
        mapping.to_canonical({"Name": "x"})


def test_constants_are_not_shared_between_records(compile_yaml: Compile) -> None:
    mapping = compile_yaml(HEADER + """\
outbound:
  fields:
    Tags: {constant: [a, b]}
""")
    first = mapping.to_system({"party": {"name": "x"}})
    first["Tags"].append("c")
    assert mapping.to_system({"party": {"name": "y"}})["Tags"] == ["a", "b"]


def test_inbound_nulls_can_be_kept(compile_yaml: Compile) -> None:
    mapping = compile_yaml(HEADER + """\
inbound:
  nulls: keep
  fields:
    party.name: Name
    phone: Phone
""")
    assert mapping.to_canonical_data({"Name": "Acme"}) == {"party": {"name": "Acme"},
                                                          "phone": None}
