from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from causeway.canonical.errors import CanonicalValidationError, StatusTransitionError
from causeway.canonical.fulfilment import Invoice, InvoiceStatus, Payment
from causeway.canonical.party import AddressRole, Contact, Customer, CustomerStatus
from causeway.canonical.product import PriceListEntry, Product
from causeway.canonical.sales import SalesOrder, SalesOrderStatus
from causeway.canonical.service import ServiceCase


def test_customer_parses_and_keeps_decimals(customer_data: dict[str, Any]) -> None:
    customer = Customer.parse(customer_data)
    assert customer.credit_limit == Decimal("25000.00")
    assert customer.status is CustomerStatus.ACTIVE
    assert customer.record_key() == "c-1"
    billing = customer.address(AddressRole.BILLING)
    assert billing is not None
    assert billing.city == "Berlin"
    assert customer.address(AddressRole.SHIPPING) is None


def test_validation_error_names_object_record_and_field(customer_data: dict[str, Any]) -> None:
    customer_data["addresses"][0]["country"] = "Germany"
    customer_data["currency"] = "EURO"
    with pytest.raises(CanonicalValidationError) as caught:
        Customer.parse(customer_data)
    error = caught.value
    assert error.object_name == "customer"
    assert error.record_key == "c-1"
    assert error.fields == ("addresses[0].country", "currency")
    assert "addresses[0].country" in str(error)
    assert "customer c-1" in str(error)


def test_record_key_falls_back_to_external_id(customer_data: dict[str, Any]) -> None:
    del customer_data["id"]
    customer_data["party"]["name"] = ""
    with pytest.raises(CanonicalValidationError) as caught:
        Customer.parse(customer_data)
    assert caught.value.record_key == "s4hana:1000001"
    assert caught.value.fields == ("party.name",)


def test_explicit_record_key_wins(customer_data: dict[str, Any]) -> None:
    customer_data["status"] = "dormant"
    with pytest.raises(CanonicalValidationError) as caught:
        Customer.parse(customer_data, record_key="001XYZ")
    assert caught.value.record_key == "001XYZ"


def test_unknown_fields_are_rejected(customer_data: dict[str, Any]) -> None:
    customer_data["nickname"] = "Acme"
    with pytest.raises(CanonicalValidationError) as caught:
        Customer.parse(customer_data)
    assert caught.value.fields == ("nickname",)


def test_naive_datetimes_are_rejected(customer_data: dict[str, Any]) -> None:
    customer_data["updated_at"] = datetime(2024, 5, 1, 10, 0)
    with pytest.raises(CanonicalValidationError) as caught:
        Customer.parse(customer_data)
    assert caught.value.fields == ("updated_at",)


def test_credit_limit_needs_currency(customer_data: dict[str, Any]) -> None:
    del customer_data["currency"]
    with pytest.raises(CanonicalValidationError, match="currency"):
        Customer.parse(customer_data)


def test_money_is_never_a_float_nan(order_data: dict[str, Any]) -> None:
    order_data["lines"][0]["unit_price"]["amount"] = "NaN"
    with pytest.raises(CanonicalValidationError) as caught:
        SalesOrder.parse(order_data)
    assert caught.value.fields == ("lines[0].unit_price.amount",)


def test_order_amounts_must_share_its_currency(order_data: dict[str, Any]) -> None:
    order_data["lines"][0]["unit_price"]["currency"] = "USD"
    with pytest.raises(CanonicalValidationError, match="USD"):
        SalesOrder.parse(order_data)


def test_order_line_numbers_are_unique(order_data: dict[str, Any]) -> None:
    order_data["lines"][1]["line_number"] = 10
    with pytest.raises(CanonicalValidationError, match="unique"):
        SalesOrder.parse(order_data)


def test_order_lifecycle(order_data: dict[str, Any]) -> None:
    order = SalesOrder.parse(order_data)
    assert order.status is SalesOrderStatus.OPEN
    delivered = order.with_status(SalesOrderStatus.DELIVERED)
    assert delivered.status is SalesOrderStatus.DELIVERED
    assert order.status is SalesOrderStatus.OPEN
    assert delivered.with_status(SalesOrderStatus.DELIVERED) == delivered
    cancelled = order.with_status(SalesOrderStatus.CANCELLED)
    with pytest.raises(StatusTransitionError) as caught:
        cancelled.with_status(SalesOrderStatus.DELIVERED)
    assert caught.value.record_key == "o-1"
    assert (caught.value.current, caught.value.new) == ("cancelled", "delivered")


def test_invoice_dates_and_status() -> None:
    data: dict[str, Any] = {
        "customer_id": "c-1", "currency": "EUR", "issue_date": "2024-05-01",
        "due_date": "2024-04-01", "net_amount": {"amount": "100", "currency": "EUR"},
    }
    with pytest.raises(CanonicalValidationError, match="due_date"):
        Invoice.parse(data)
    data["due_date"] = "2024-05-31"
    invoice = Invoice.parse(data)
    paid = invoice.with_status(InvoiceStatus.PAID)
    with pytest.raises(StatusTransitionError):
        paid.with_status(InvoiceStatus.OPEN)


def test_payment_must_be_positive_and_timezone_aware() -> None:
    data: dict[str, Any] = {
        "customer_id": "c-1", "amount": {"amount": "0", "currency": "EUR"},
        "received_at": "2024-05-01T10:00:00+02:00",
    }
    with pytest.raises(CanonicalValidationError, match="positive"):
        Payment.parse(data)
    data["amount"]["amount"] = "10"
    data["received_at"] = "2024-05-01T10:00:00"
    with pytest.raises(CanonicalValidationError) as caught:
        Payment.parse(data)
    assert caught.value.fields == ("received_at",)


def test_product_descriptions_are_keyed_by_language() -> None:
    product = Product.parse({"sku": "P-1", "name": "Pump", "descriptions": {"en": "A pump"}})
    assert product.uom == "EA"
    with pytest.raises(CanonicalValidationError) as caught:
        Product.parse({"sku": "P-1", "name": "Pump", "descriptions": {"EN": "A pump"}})
    assert caught.value.fields[0].startswith("descriptions")


def test_price_list_period_is_ordered() -> None:
    with pytest.raises(CanonicalValidationError, match="valid_to"):
        PriceListEntry.parse({
            "price_list": "Standard", "sku": "P-1",
            "unit_price": {"amount": "9.99", "currency": "EUR"},
            "valid_from": "2024-02-01", "valid_to": "2024-01-01",
        })


def test_contact_and_case_keys() -> None:
    contact = Contact.parse({"last_name": "Doe", "email": "jane@example.com"})
    assert contact.record_key() is None
    with pytest.raises(CanonicalValidationError) as caught:
        Contact.parse({"last_name": "Doe", "email": "not an address"})
    assert caught.value.fields == ("email",)
    case = ServiceCase.parse({"number": "00001001", "subject": "Pump leaks"})
    assert case.record_key() == "00001001"
