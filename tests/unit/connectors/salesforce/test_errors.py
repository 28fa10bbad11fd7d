from __future__ import annotations

import pytest

from causeway.connectors.errors import ErrorClass
from causeway.connectors.salesforce.errors import classify


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (400, "REQUIRED_FIELD_MISSING", ErrorClass.INVALID),
        (400, "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ErrorClass.INVALID),
        (400, "DUPLICATE_VALUE", ErrorClass.CONFLICT),
        (300, "", ErrorClass.CONFLICT),
        (403, "REQUEST_LIMIT_EXCEEDED", ErrorClass.THROTTLED),
        (429, "", ErrorClass.THROTTLED),
        (401, "INVALID_SESSION_ID", ErrorClass.FATAL),
        (400, "MALFORMED_QUERY", ErrorClass.FATAL),
        (503, "SERVER_UNAVAILABLE", ErrorClass.RETRYABLE),
        (400, "UNABLE_TO_LOCK_ROW", ErrorClass.RETRYABLE),
    ],
)
def test_codes_decide_the_class(status: int, code: str, expected: ErrorClass) -> None:
    body = [{"message": "m", "errorCode": code, "fields": []}]
    assert classify(status, body).error_class is expected


def test_error_names_object_record_and_field() -> None:
    body = [
        {
            "message": "Required fields are missing: [Name]",
            "errorCode": "REQUIRED_FIELD_MISSING",
            "fields": ["Name"],
        }
    ]
    error = classify(400, body, object_name="Account", record_id="Causeway_Id__c=C1")
    assert error.field == "Name"
    assert "Account Causeway_Id__c=C1 field Name" in str(error)


def test_daily_limit_waits_without_a_retry_after() -> None:
    error = classify(
        403, [{"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}]
    )
    assert error.retry_after == 3600.0
    assert classify(429, [], retry_after=4).retry_after == 4


def test_a_504_on_a_write_is_ambiguous() -> None:
    assert classify(504, [], write=True).ambiguous
    assert not classify(504, [], write=False).ambiguous
    assert not classify(503, [], write=True).ambiguous
