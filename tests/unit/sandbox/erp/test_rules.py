"""Business rules in isolation: pricing, ATP, credit, clock, lifecycle timing and CSRF sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from causeway.sandbox.erp.clock import SimulatedClock
from causeway.sandbox.erp.lifecycle import Lifecycle, moved_at, terms_days
from causeway.sandbox.erp.orders import SalesOrderRules
from causeway.sandbox.erp.payload import Payload
from causeway.sandbox.erp.rules import atp, credit
from causeway.sandbox.erp.rules.pricing import (
    PricingError,
    convert,
    discount_for_revenue,
    net_amount,
)
from causeway.sandbox.erp.security import SessionRegistry, basic_credentials, credentials_match
from causeway.sandbox.erp.seeding import load_seed, split_street
from causeway.sandbox.erp.services import (
    billing_document,
    business_partner,
    outbound_delivery,
    product,
    sales_order,
)
from causeway.sandbox.erp.store import Store
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.seed import SeedUniverse

START = datetime(2025, 3, 3, 8, 0, tzinfo=UTC)


@pytest.fixture
def erp(universe: SeedUniverse) -> Erp:
    system = Erp(Store(":memory:"), SimulatedClock(0, start=START), page_size=100)
    load_seed(system, universe)
    return system


def _order(erp: Erp, customer: str, material: str, quantity: str) -> dict[str, object]:
    payload = Payload(
        {"SoldToParty": customer},
        {"to_Item": [Payload({"Material": material, "RequestedQuantity": Decimal(quantity)})]},
    )
    with erp.store.transaction():
        return SalesOrderRules().create(erp, sales_order.SALES_ORDER, payload, None)


def test_net_amount_applies_discount_and_currency() -> None:
    amount = net_amount(
        material="M1", list_price=Decimal("100"), price_currency="USD", quantity=Decimal(3),
        discount_percent=Decimal("5"), document_currency="EUR",
    )
    assert amount == (Decimal(300) * Decimal("0.95") * Decimal("0.92")).quantize(Decimal("0.01"))


def test_pricing_errors_name_material_and_currency() -> None:
    with pytest.raises(PricingError) as missing:
        net_amount(material="M1", list_price=None, price_currency="USD", quantity=Decimal(1),
                   discount_percent=None, document_currency="USD")
    with pytest.raises(PricingError) as unknown:
        convert(Decimal(1), "USD", "XYZ")
    assert missing.value.material == "M1"
    assert unknown.value.currency == "XYZ"


def test_discount_tiers() -> None:
    assert discount_for_revenue(Decimal(1_000_000)) == Decimal("0.00")
    assert discount_for_revenue(Decimal(300_000_000)) == Decimal("8.00")


def test_atp_confirms_free_stock_only(erp: Erp, universe: SeedUniverse) -> None:
    goods = universe.products[0]
    plant, stock = max(goods.plants_stock.items(), key=lambda pair: pair[1])
    first = _order(erp, "10000001", goods.sku, str(stock - 1))
    second = _order(erp, "10000002", goods.sku, "5")
    lines = {
        line["SalesOrder"]: line["ConfdOrderQtyByMatlAvailCheck"]
        for line in erp.store.scan(sales_order.SCHEDULE_LINE)
    }
    assert lines[str(first["SalesOrder"])] == stock - 1
    assert lines[str(second["SalesOrder"])] == 1
    assert atp.free_stock(erp.store, goods.sku, plant) == 0


def test_credit_check_blocks_orders_beyond_the_limit(erp: Erp, universe: SeedUniverse) -> None:
    goods = max(universe.products, key=lambda item: item.list_price)
    area = credit.credit_area(erp.store, "10000003")
    assert area is not None
    area["YY1_CreditLimitAmount"] = goods.list_price * 3
    erp.store.replace(business_partner.CUSTOMER_SALES_AREA, area)
    small = _order(erp, "10000003", goods.sku, "1")
    large = _order(erp, "10000003", goods.sku, "5")
    assert small["TotalCreditCheckStatus"] == credit.PASSED
    assert large["TotalCreditCheckStatus"] == credit.BLOCKED
    exposure = credit.exposure(erp.store, "10000003", str(area["Currency"]))
    assert exposure == Decimal(str(small["TotalNetAmount"])).quantize(Decimal("0.001"))


def test_lifecycle_waits_for_the_business_clock(erp: Erp, universe: SeedUniverse) -> None:
    goods = universe.products[1]
    order = _order(erp, "10000004", goods.sku, "1")
    lifecycle = Lifecycle(erp)
    assert lifecycle.run() == 0
    erp.clock.advance(4 * 60)
    assert lifecycle.run() == 1
    delivered = erp.store.get(sales_order.SALES_ORDER, (str(order["SalesOrder"]),))
    assert delivered is not None
    assert delivered["OverallTotalDeliveryStatus"] == "C"
    assert delivered["LastChangeDateTime"] == START + timedelta(hours=4)
    plant = erp.store.get(product.PRODUCT_PLANT, (goods.sku, str(
        erp.store.scan(sales_order.SALES_ORDER_ITEM)[0]["ProductionPlant"])))
    assert plant is not None
    assert plant["YY1_UnrestrictedStockQuantity"] == max(goods.plants_stock.values()) - 1


def test_one_large_advance_replays_every_step_at_its_due_time(
    erp: Erp, universe: SeedUniverse
) -> None:
    _order(erp, "10000005", universe.products[1].sku, "1")
    now = erp.clock.advance(90 * 24 * 60)
    assert Lifecycle(erp).run() == 3
    order = erp.store.scan(sales_order.SALES_ORDER)[0]
    assert order["OverallSDProcessStatus"] == "C"
    [delivery] = erp.store.scan(outbound_delivery.DELIVERY_HEADER)
    [invoice] = erp.store.scan(billing_document.BILLING_DOCUMENT)
    # Business dates: when each step fell due.
    assert moved_at(delivery) == START + timedelta(hours=4)
    assert invoice["BillingDocumentDate"] == START.replace(hour=0)
    terms = timedelta(days=terms_days(invoice["CustomerPaymentTerms"]))
    assert invoice["YY1_ClearingDate"] == START.replace(hour=0) + terms
    # Change stamps: when each step was written, so a change feed past an earlier
    # watermark still sees them.
    assert order["LastChangeDateTime"] == invoice["LastChangeDateTime"] == now
    assert delivery["YY1_LastChangeDateTime"] == now


def test_a_step_written_late_is_stamped_after_what_a_change_feed_read_before(
    erp: Erp, universe: SeedUniverse
) -> None:
    first = _order(erp, "10000005", universe.products[1].sku, "1")
    erp.clock.advance(5 * 60)  # the delivery fell due an hour ago; nothing ran it yet
    second = _order(erp, "10000004", universe.products[1].sku, "1")
    watermark = second["LastChangeDateTime"]  # a feed has read up to here
    assert Lifecycle(erp).run() == 1
    delivered = erp.store.get(sales_order.SALES_ORDER, (str(first["SalesOrder"]),))
    assert delivered is not None
    assert delivered["OverallTotalDeliveryStatus"] == "C"
    assert delivered["LastChangeDateTime"] >= watermark  # so the feed's next read has it
    [shipped] = erp.store.scan(outbound_delivery.DELIVERY_HEADER)
    assert moved_at(shipped) == START + timedelta(hours=4)


def test_payment_terms_days() -> None:
    assert terms_days("NT45") == 45
    assert terms_days("Z014") == 14
    assert terms_days(None) == 30


def test_clock_runs_at_speed_and_advances() -> None:
    ticks = iter([0.0, 0.0, 30.0, 30.0])
    clock = SimulatedClock(2.0, start=START, monotonic=lambda: next(ticks))
    assert clock.now() == START
    assert clock.now() == START + timedelta(minutes=60)
    assert clock.advance(15) == START + timedelta(minutes=75)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)


def test_csrf_tokens_are_bound_to_the_session_and_expire() -> None:
    now = [0.0]
    sessions = SessionRegistry(token_ttl_s=60, monotonic=lambda: now[0])
    session = sessions.touch(None)
    other = sessions.touch(None)
    token = sessions.fetch_token(session)
    assert sessions.validate(session, token)
    assert not sessions.validate(other, token)
    assert sessions.fetch_token(session) == token
    now[0] = 61.0
    assert not sessions.validate(session, token)
    assert sessions.fetch_token(session) != token


def test_basic_credentials() -> None:
    assert basic_credentials("Basic Q0FVU0VXQVk6Y2F1c2V3YXk=") == ("CAUSEWAY", "causeway")
    assert basic_credentials("Basic !!") is None
    assert basic_credentials("Bearer x") is None
    assert credentials_match(("causeway", "causeway"), "CAUSEWAY", "causeway")
    assert not credentials_match(("CAUSEWAY", "wrong"), "CAUSEWAY", "causeway")


@pytest.mark.parametrize(
    ("street", "expected"),
    [("123 Main Street", ("Main Street", "123")), ("Hauptstr. 5", ("Hauptstr.", "5")),
     ("Rue de la Paix", ("Rue de la Paix", ""))],
)
def test_split_street(street: str, expected: tuple[str, str]) -> None:
    assert split_street(street) == expected
