"""CustomerReturns on the wire against an in-process double: checked input, escaped lookups,
duplicates reported, lines taken from the order."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import httpx
import pytest
from pydantic import SecretStr

from causeway.connectors.errors import ConflictError, ErrorClass, InvalidRecordError
from causeway.connectors.s4hana.client import S4Client, S4Settings
from causeway.connectors.s4hana.customer_returns import (
    CustomerReturns,
    OrderFacts,
    OrderLine,
    ReturnLine,
    ReturnRequest,
    material_lines,
)

SETTINGS = S4Settings(base_url="http://erp", username="U", password=SecretStr("p"))


def returns(handler: httpx.MockTransport) -> CustomerReturns:
    return CustomerReturns(S4Client(SETTINGS, transport=handler))


def test_bad_input_names_the_field_before_any_call() -> None:
    seen: list[httpx.Request] = []

    def erp(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"d": {"results": []}})

    client = returns(httpx.MockTransport(erp))
    cases = {
        "Material": ReturnRequest(
            "C-1", "10000001", "12", (ReturnLine("bad material", Decimal(1)),)
        ),
        "RequestedQuantity": ReturnRequest(
            "C-1", "10000001", "12", (ReturnLine("M1", Decimal(0)),)
        ),
        "ReferenceSDDocument": ReturnRequest(
            "C-1", "10000001", "12'", (ReturnLine("M1", Decimal(1)),)
        ),
        "to_Item": ReturnRequest("C-1", "10000001", "12", ()),
    }
    for field, request in cases.items():
        with pytest.raises(InvalidRecordError) as refused:
            asyncio.run(client.create(request))
        assert refused.value.field == field
        assert refused.value.error_class is ErrorClass.INVALID
    assert seen == []


def test_the_reference_lookup_is_escaped_and_duplicates_are_a_conflict() -> None:
    filters: list[str] = []

    def erp(request: httpx.Request) -> httpx.Response:
        filters.append(request.url.params["$filter"])
        rows = [{"CustomerReturn": "60000001"}, {"CustomerReturn": "60000002"}]
        return httpx.Response(200, json={"d": {"results": rows}})

    client = returns(httpx.MockTransport(erp))
    with pytest.raises(ConflictError) as twice:
        asyncio.run(client.find("O'Brien 7"))
    assert filters == ["PurchaseOrderByCustomer eq 'O''Brien 7'"]
    assert "60000001, 60000002" in twice.value.message


def test_lines_come_from_the_order() -> None:
    order = OrderFacts(
        "12",
        "10000001",
        "EUR",
        (
            OrderLine("10", "M1", Decimal(4)),
            OrderLine("20", "M2", Decimal(1)),
        ),
    )
    assert material_lines(order, "M2", Decimal(1)) == [ReturnLine("M2", Decimal(1), "20")]
    assert material_lines(order, None, None) == [
        ReturnLine("M1", Decimal(4), "10"),
        ReturnLine("M2", Decimal(1), "20"),
    ]
    assert material_lines(order, "M9", Decimal(1)) == []
