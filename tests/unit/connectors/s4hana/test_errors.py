from __future__ import annotations

import pytest

from causeway.connectors.errors import ErrorClass
from causeway.connectors.s4hana.errors import classify


def body(message: str, code: str = "SY/530") -> dict[str, object]:
    return {"error": {"code": code, "message": {"lang": "en", "value": message}}}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (400, ErrorClass.INVALID),
        (404, ErrorClass.INVALID),
        (401, ErrorClass.FATAL),
        (403, ErrorClass.FATAL),
        (412, ErrorClass.CONFLICT),
        (429, ErrorClass.THROTTLED),
        (500, ErrorClass.RETRYABLE),
        (503, ErrorClass.RETRYABLE),
    ],
)
def test_status_decides_the_class(status: int, expected: ErrorClass) -> None:
    assert classify(status, body("x")).error_class is expected


def test_the_property_named_in_the_message_becomes_the_field() -> None:
    error = classify(
        400,
        body("Property 'SoldToParty' is mandatory"),
        object_name="A_SalesOrder",
        record_id="PurchaseOrderByCustomer=Q-1",
    )
    assert error.field == "SoldToParty"
    assert "A_SalesOrder PurchaseOrderByCustomer=Q-1 field SoldToParty" in str(error)


def test_retry_after_and_ambiguity() -> None:
    assert classify(429, body("slow"), headers={"Retry-After": "3"}).retry_after == 3
    assert classify(504, "gateway", write=True).ambiguous
    assert not classify(503, "down", write=True).ambiguous


def test_the_target_in_the_error_details_becomes_the_field() -> None:
    detailed = {"error": {
        "code": "/IWBEP/CM_MGW_RT/004",
        "message": {"lang": "en", "value": "Business partner 1 is not an organization"},
        "innererror": {"errordetails": [
            {"code": "x", "message": "y", "target": "/#TRANSIENT#"},
            {"code": "x", "message": "y", "target": "BusinessPartnerCompany"},
        ]},
    }}
    assert classify(400, detailed).field == "BusinessPartnerCompany"
    assert classify(400, body("Business partner 1 is not an organization")).field is None
