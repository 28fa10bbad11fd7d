"""Fixtures for canonical model tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest


@pytest.fixture
def customer_data() -> dict[str, Any]:
    """A complete, valid customer as raw data."""
    return {
        "id": "c-1",
        "external_ids": {"salesforce": "001000000000001", "s4hana": "1000001"},
        "updated_at": datetime(2024, 5, 1, 10, 0, tzinfo=UTC),
        "party": {"name": "Acme GmbH", "legal_form": "GmbH", "search_term": "ACME"},
        "addresses": [
            {"role": "billing", "street": "Hauptstrasse", "house_number": "12a",
             "postal_code": "10115", "city": "Berlin", "region": "BE", "country": "DE"},
        ],
        "tax_ids": [{"scheme": "VAT", "value": "DE123456789", "country": "DE"}],
        "currency": "EUR",
        "credit_limit": "25000.00",
        "payment_terms": "NT30",
        "status": "active",
    }


@pytest.fixture
def order_data() -> dict[str, Any]:
    """A valid two-line sales order as raw data."""
    return {
        "id": "o-1",
        "customer_id": "c-1",
        "currency": "EUR",
        "order_date": "2024-05-01",
        "lines": [
            {"line_number": 10, "sku": "P-100", "quantity": "2",
             "unit_price": {"amount": "10.50", "currency": "EUR"}},
            {"line_number": 20, "sku": "P-200", "quantity": "1.5", "uom": "KG"},
        ],
    }
