"""Sales order rules: numbering, defaults from the customer, pricing, ATP and credit check.

POST A_SalesOrder with to_Item creates header, items and one schedule line per item in one
transaction, the way API_SALES_ORDER_SRV's deep insert does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from causeway.sandbox.erp.errors import ODataError, invalid_value
from causeway.sandbox.erp.model import EntityType
from causeway.sandbox.erp.payload import Payload, require
from causeway.sandbox.erp.rules import atp, conditions, credit
from causeway.sandbox.erp.rules.pricing import PricingError, net_amount
from causeway.sandbox.erp.services import business_partner, product, sales_order
from causeway.sandbox.erp.store import Record, key_of
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import blank_record, insert

ZERO = Decimal(0)
CONFIRMATION_LEAD = timedelta(days=2)
ORDER = sales_order.SALES_ORDER
ITEM = sales_order.SALES_ORDER_ITEM
LINE = sales_order.SCHEDULE_LINE


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _locked(entity: EntityType, record: Record, reason: str) -> ODataError:
    return ODataError(
        400, "V1/042", reason, entity=entity.entity_set, record="/".join(key_of(entity, record))
    )


class SalesOrderRules:
    """Create, change and delete sales orders as the sandbox's SD module."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Create an order with its deep-inserted items."""
        header = blank_record(ORDER) | payload.values
        require(ORDER, header)
        customer = str(header["SoldToParty"])
        if erp.store.get(business_partner.CUSTOMER, (customer,)) is None:
            raise invalid_value(
                ORDER.entity_set, "SoldToParty", f"Sold-to party {customer} does not exist"
            )
        area = credit.credit_area(erp.store, customer)
        if area is not None and area.get("OrderIsBlockedForCustomer"):
            raise invalid_value(
                ORDER.entity_set, "SoldToParty", f"Sold-to party {customer} is blocked for orders"
            )
        today = _day(erp.clock.now())
        defaults = {
            "SalesOrderType": "OR",
            "SalesOrganization": area["SalesOrganization"] if area else "1010",
            "DistributionChannel": area["DistributionChannel"] if area else "10",
            "OrganizationDivision": area["Division"] if area else "00",
            "TransactionCurrency": (area or {}).get("Currency") or "EUR",
            "CustomerPaymentTerms": (area or {}).get("CustomerPaymentTerms"),
            "SalesOrderDate": today,
            "PricingDate": today,
            "RequestedDeliveryDate": today + timedelta(days=7),
        }
        for name, value in defaults.items():
            if header.get(name) in (None, ""):
                header[name] = value
        header["SalesOrder"] = str(erp.store.next_number("SalesOrder", 1))
        header |= {
            "OverallSDProcessStatus": "A",
            "OverallTotalDeliveryStatus": "A",
            "OverallSDDocumentRejectionSts": "A",
            "TotalCreditCheckStatus": "",
            "TotalNetAmount": ZERO,
        }
        erp.stamp(ORDER, header, created=True)
        insert(erp, ORDER, header)
        for position, item in enumerate(payload.children.get("to_Item", []), start=1):
            add_item(erp, header, item.values, position)
        total = order_total(erp, header["SalesOrder"])
        header["TotalNetAmount"] = total
        header["TotalCreditCheckStatus"] = credit.check_order(
            erp.store, customer, header["SalesOrder"], total, header["TransactionCurrency"]
        )
        erp.store.replace(ORDER, header)
        credit.refresh_exposure(erp.store, customer)
        return header

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Change header fields; sold-to party and currency are fixed once created."""
        for name in ("SoldToParty", "TransactionCurrency"):
            if name in changes and changes[name] != current.get(name):
                raise invalid_value(
                    ORDER.entity_set, name, f"Property '{name}' cannot be changed in an order",
                    record=current["SalesOrder"],
                )
        record = current | changes
        erp.stamp(ORDER, record, created=False)
        erp.store.replace(ORDER, record)
        return record

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Delete an order that has not been delivered, with its items and schedule lines."""
        if current.get("OverallTotalDeliveryStatus") not in ("A", None):
            raise _locked(ORDER, current, f"Order {current['SalesOrder']} has subsequent documents")
        order = current["SalesOrder"]
        for item in erp.store.scan(ITEM, lead=order):
            erp.store.delete(ITEM, key_of(ITEM, item))
        for line in erp.store.scan(LINE, lead=order):
            erp.store.delete(LINE, key_of(LINE, line))
        erp.store.delete(ORDER, (order,))
        credit.refresh_exposure(erp.store, str(current["SoldToParty"]))


class SalesOrderItemRules:
    """Items added to, changed in or removed from an existing order."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Add an item to the order named by the payload's SalesOrder."""
        order = erp.store.get(ORDER, (str(payload.values.get("SalesOrder")),))
        if order is None:
            raise invalid_value(ITEM.entity_set, "SalesOrder", "The sales order does not exist")
        _ensure_open(order)
        position = len(erp.store.scan(ITEM, lead=order["SalesOrder"])) + 1
        item = add_item(erp, order, payload.values, position)
        _retotal(erp, order)
        return item

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Change an undelivered item; quantity and material are re-priced and re-confirmed."""
        if current.get("DeliveryStatus") not in ("A", None):
            raise _locked(ITEM, current, "The item has been delivered and cannot be changed")
        order = erp.store.get(ORDER, (current["SalesOrder"],))
        if order is None:
            raise _locked(ITEM, current, "The item's sales order does not exist")
        for line in erp.store.scan(LINE, lead=current["SalesOrder"]):
            if line["SalesOrderItem"] == current["SalesOrderItem"]:
                erp.store.delete(LINE, key_of(LINE, line))
        erp.store.delete(ITEM, key_of(ITEM, current))
        position = int(current["SalesOrderItem"]) // 10 or 1
        item = add_item(erp, order, current | changes, position)
        _retotal(erp, order)
        return item

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Remove an undelivered item."""
        if current.get("DeliveryStatus") not in ("A", None):
            raise _locked(ITEM, current, "The item has been delivered and cannot be deleted")
        for line in erp.store.scan(LINE, lead=current["SalesOrder"]):
            if line["SalesOrderItem"] == current["SalesOrderItem"]:
                erp.store.delete(LINE, key_of(LINE, line))
        erp.store.delete(ITEM, key_of(ITEM, current))
        order = erp.store.get(ORDER, (current["SalesOrder"],))
        if order is not None:
            _retotal(erp, order)


def _ensure_open(order: Record) -> None:
    if order.get("OverallTotalDeliveryStatus") not in ("A", None):
        raise _locked(ORDER, order, f"Order {order['SalesOrder']} is already being delivered")


def add_item(erp: Erp, order: Record, values: Record, position: int) -> Record:
    """Price, confirm and insert one item with its schedule line."""
    item = blank_record(ITEM) | values
    item["SalesOrder"] = order["SalesOrder"]
    if not item.get("SalesOrderItem"):
        item["SalesOrderItem"] = str(position * 10)
    require(ITEM, item)
    material = str(item["Material"])
    goods = erp.store.get(product.PRODUCT, (material,))
    if goods is None:
        raise invalid_value(ITEM.entity_set, "Material", f"Material {material} does not exist")
    quantity: Decimal = item["RequestedQuantity"]
    if quantity <= 0:
        raise invalid_value(
            ITEM.entity_set, "RequestedQuantity", "Requested quantity must be greater than zero"
        )
    customer = str(order["SoldToParty"])
    area = credit.credit_area(erp.store, customer)
    plant = item.get("ProductionPlant") or _plant_for(erp, material, area)
    # The PPR0 and K007 condition records in force on the pricing date (rules/conditions.py).
    day = order.get("PricingDate") or _day(erp.clock.now())
    organization, channel = str(order["SalesOrganization"]), str(order["DistributionChannel"])
    price = conditions.list_price(erp.store, goods, organization, channel, customer, day)
    try:
        amount = net_amount(
            material=material,
            list_price=price.amount if price else None,
            price_currency=price.currency if price else None,
            quantity=quantity,
            discount_percent=conditions.discount_percent(
                erp.store, area, customer, organization, channel, day
            ),
            document_currency=str(order["TransactionCurrency"]),
        )
    except PricingError as error:
        raise invalid_value(ITEM.entity_set, "Material", str(error)) from error
    weight = goods.get("GrossWeight")
    item |= {
        "ProductionPlant": plant,
        "RequestedQuantityUnit": item.get("RequestedQuantityUnit") or goods.get("BaseUnit"),
        "SalesOrderItemText": item.get("SalesOrderItemText") or _description(erp, material),
        "SalesOrderItemCategory": item.get("SalesOrderItemCategory") or "TAN",
        "MaterialGroup": item.get("MaterialGroup") or goods.get("ProductGroup"),
        "TransactionCurrency": order["TransactionCurrency"],
        "NetAmount": amount,
        "ItemGrossWeight": weight * quantity if weight is not None else None,
        "ItemWeightUnit": goods.get("WeightUnit"),
        "SDProcessStatus": "A",
        "DeliveryStatus": "A",
        "OrderRelatedBillingStatus": "",
    }
    insert(erp, ITEM, item)
    confirmed = atp.confirmable(erp.store, material, plant, quantity)
    today = _day(erp.clock.now())
    insert(erp, LINE, blank_record(LINE) | {
        "SalesOrder": order["SalesOrder"],
        "SalesOrderItem": item["SalesOrderItem"],
        "ScheduleLine": "1",
        "RequestedDeliveryDate": order.get("RequestedDeliveryDate"),
        "ConfirmedDeliveryDate": today + CONFIRMATION_LEAD if confirmed > 0 else None,
        "OrderQuantityUnit": item["RequestedQuantityUnit"],
        "ScheduleLineOrderQuantity": quantity,
        "ConfdOrderQtyByMatlAvailCheck": confirmed,
        "DeliveredQtyInOrderQtyUnit": ZERO,
        "OpenConfdDelivQtyInOrdQtyUnit": confirmed,
    })
    return item


def _plant_for(erp: Erp, material: str, area: Record | None) -> str:
    supplying = (area or {}).get("SupplyingPlant")
    if supplying:
        return str(supplying)
    plants = erp.store.scan(product.PRODUCT_PLANT, lead=material)
    stocked = sorted(
        plants, key=lambda plant: -(plant.get("YY1_UnrestrictedStockQuantity") or ZERO)
    )
    return str(stocked[0]["Plant"]) if stocked else "1010"


def _description(erp: Erp, material: str) -> str | None:
    for text in erp.store.scan(product.PRODUCT_DESCRIPTION, lead=material):
        if text.get("Language") == "EN":
            value: str | None = text.get("ProductDescription")
            return value
    return None


def order_total(erp: Erp, order: str) -> Decimal:
    """The sum of the order's item net values."""
    return sum(
        (item.get("NetAmount") or ZERO for item in erp.store.scan(ITEM, lead=order)), ZERO
    )


def _retotal(erp: Erp, order: Record) -> None:
    order["TotalNetAmount"] = order_total(erp, order["SalesOrder"])
    if order.get("TotalCreditCheckStatus") != credit.RELEASED:
        order["TotalCreditCheckStatus"] = credit.check_order(
            erp.store, str(order["SoldToParty"]), order["SalesOrder"], order["TotalNetAmount"],
            str(order["TransactionCurrency"]),
        )
    erp.stamp(ORDER, order, created=False)
    erp.store.replace(ORDER, order)
    credit.refresh_exposure(erp.store, str(order["SoldToParty"]))
