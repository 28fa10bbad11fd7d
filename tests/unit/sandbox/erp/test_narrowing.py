"""Which filters let the store read only a few rows: lookups by reference or by keys."""

from __future__ import annotations

import pytest

from causeway.sandbox.erp.filter import parse_filter
from causeway.sandbox.erp.predicate import equality_narrowing
from causeway.sandbox.erp.services.business_partner import BUSINESS_PARTNER


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SearchTerm2 eq 'ABC'", ("SearchTerm2", {"ABC"})),
        ("'ABC' eq SearchTerm2", ("SearchTerm2", {"ABC"})),
        (
            "BusinessPartner eq '1' or BusinessPartner eq '2'",
            ("BusinessPartner", {"1", "2"}),
        ),
        (
            "(BusinessPartner eq '1' or BusinessPartner eq '2') and BusinessPartnerCategory eq '2'",
            ("BusinessPartner", {"1", "2"}),
        ),
        ("SearchTerm2 eq 'ABC' and BusinessPartnerCategory eq '2'", ("SearchTerm2", {"ABC"})),
        ("BusinessPartnerCategory eq '2' and SearchTerm2 eq 'ABC'", ("SearchTerm2", {"ABC"})),
        ("BusinessPartnerCategory eq '2'", None),  # a one-letter code: most rows match
        (
            "SearchTerm2 eq 'ABC' and BusinessPartner eq '7'",
            ("BusinessPartner", {"7"}),  # the key is preferred
        ),
        ("SearchTerm2 ne 'ABC'", None),
        ("BusinessPartner eq '1' or SearchTerm2 eq '2'", None),
        ("startswith(SearchTerm1,'AB') eq true", None),
        ("BusinessPartnerIsBlocked eq true", None),
    ],
)
def test_equality_narrowing(text: str, expected: tuple[str, set[str]] | None) -> None:
    found = equality_narrowing(parse_filter(text), BUSINESS_PARTNER)
    assert found == (None if expected is None else (expected[0], frozenset(expected[1])))
