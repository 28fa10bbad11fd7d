"""Sales order simulation: the sales order rules run on a request, and nothing is stored.

Pricing, availability and the credit check are the very rules `orders.py` applies when an
order is created (list price less the customer's discount, converted into the document
currency; confirmation against free stock; exposure against the credit limit), so a simulated
item shows what an order placed now would get. The store is only read: no number is drawn,
no stock is promised and no change document is written.

Free stock is shared between the items of one simulation, as between the items of one order.
The sandbox replenishes stock only when someone raises it, so there is no replenishment date
to promise: an item beyond free stock has one schedule line confirming what is free, and the
rest stays unconfirmed (with a warning in the `sap-message` header).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from starlette.responses import JSONResponse, Response

from causeway.sandbox.erp.errors import invalid_value
from causeway.sandbox.erp.model import EntityType
from causeway.sandbox.erp.orders import CONFIRMATION_LEAD, _description, _plant_for
from causeway.sandbox.erp.payload import Payload, require
from causeway.sandbox.erp.representation import Representation
from causeway.sandbox.erp.rules import atp, conditions, credit
from causeway.sandbox.erp.rules.pricing import CENT, PricingError, convert, net_amount
from causeway.sandbox.erp.services import business_partner, product
from causeway.sandbox.erp.services import sales_order_simulation as simulation
from causeway.sandbox.erp.store import Record
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import blank_record

ZERO = Decimal(0)
HEADER = simulation.SIMULATION
ITEM = simulation.ITEM
LINE = simulation.SCHEDULE_LINE
DOCUMENT = ""  # a simulated document has no number
PRICE = "PPR0"  # S/4HANA's price condition (PR00 in ECC)
DISCOUNT = "K007"  # customer discount, a percentage
SOLD_TO_FUNCTIONS = ("SP", "SH", "BP", "PY")  # sold-to, ship-to, bill-to, payer
PRICING_NAVIGATIONS = ("to_Pricing", "to_PricingElement")


@dataclass
class Node:
    """A simulated entity with the children the request asked for, by navigation."""

    entity: EntityType
    record: Record
    children: dict[str, list[Node]] = field(default_factory=dict)


@dataclass
class Message:
    """A non-fatal message for the `sap-message` header."""

    code: str
    text: str
    severity: str = "warning"
    target: str = ""

    def as_json(self) -> dict[str, Any]:
        """The message as SAP Gateway writes it."""
        return {
            "code": self.code,
            "message": self.text,
            "target": self.target,
            "severity": self.severity,
            "transition": False,
        }


@dataclass
class _Run:
    """State of one simulation: today's date, stock already claimed by earlier items."""

    erp: Erp
    today: datetime
    claimed: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)


class SalesOrderSimulation:
    """POST A_SalesOrderSimulation of API_SALES_ORDER_SIMULATION_SRV."""

    entity_set = HEADER.entity_set

    def simulate(self, erp: Erp, payload: Payload, representation: Representation) -> Response:
        """The simulated document (201), messages in `sap-message`; 400 on a bad request."""
        run = _Run(erp, _day(erp.clock.now()))
        document = simulate(run, payload)
        headers: dict[str, str] = {}
        if run.messages:
            first, *rest = (message.as_json() for message in run.messages)
            headers["sap-message"] = json.dumps(first | {"details": rest})
        body = {"d": render(document, representation)}
        return JSONResponse(body, status_code=201, headers=headers)


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def render(node: Node, representation: Representation) -> dict[str, Any]:
    """The node as OData JSON: requested navigations inline, the others deferred."""
    body = representation.entity(node.entity, node.record)
    for nav in node.entity.navigations:
        if nav.name not in node.children:
            continue
        rendered = [render(child, representation) for child in node.children[nav.name]]
        body[nav.name] = {"results": rendered} if nav.many else (rendered[0] if rendered else None)
    return body


def simulate(run: _Run, payload: Payload) -> Node:
    """Check the request, then price, confirm and credit-check it like an order."""
    erp = run.erp
    header = blank_record(HEADER) | payload.values | {"SalesOrder": DOCUMENT}
    require(HEADER, header)
    customer = str(header["SoldToParty"])
    area = _sales_area(erp, header, customer)
    defaults = {
        "TransactionCurrency": area.get("Currency") or "EUR",
        "CustomerPaymentTerms": area.get("CustomerPaymentTerms"),
        "ShippingCondition": area.get("ShippingCondition"),
        "SalesGroup": area.get("SalesGroup"),
        "SalesOffice": area.get("SalesOffice"),
        "SalesDistrict": area.get("SalesDistrict"),
        "CustomerGroup": area.get("CustomerGroup"),
        "SalesOrderDate": run.today,
        "PricingDate": run.today,
        "RequestedDeliveryDate": run.today + timedelta(days=7),
    }
    for name, value in defaults.items():
        if header.get(name) in (None, ""):
            header[name] = value
    items = payload.children.get("to_Item", [])
    if not items:
        raise invalid_value(
            HEADER.entity_set, "to_Item", "Enter at least one item (to_Item) to simulate"
        )
    pricing = any(name in payload.children for name in PRICING_NAVIGATIONS) or any(
        "to_PricingElement" in item.children for item in items
    )
    document = Node(HEADER, header)
    results = [
        _item(run, header, area, item, position, pricing)
        for position, item in enumerate(items, start=1)
    ]
    document.children["to_Item"] = [node for node, _ in results]
    # An item's pricing elements add up to its net value.
    total = sum((sum((c.record["ConditionAmount"] for c in conditions), ZERO)
                 for _, conditions in results), ZERO)
    currency = str(header["TransactionCurrency"])
    if "to_Pricing" in payload.children:
        pricing_record = {"SalesOrder": DOCUMENT, "TotalNetAmount": total,
                          "TransactionCurrency": currency}
        document.children["to_Pricing"] = [Node(simulation.PRICING, pricing_record)]
    if "to_PricingElement" in payload.children:
        document.children["to_PricingElement"] = _header_conditions(
            [conditions for _, conditions in results]
        )
    if "to_Partner" in payload.children:
        document.children["to_Partner"] = _partners(
            erp, simulation.PARTNER, payload.children["to_Partner"], {}, customer
        )
    if "to_Credit" in payload.children:
        status = credit.check_order(erp.store, customer, DOCUMENT, total, currency)
        if status == credit.BLOCKED:
            run.messages.append(Message(
                "ZSIM/003", f"Credit limit of customer {customer} exceeded by this order"
            ))
        credit_record = {"SalesOrder": DOCUMENT, "TotalCreditCheckStatus": status}
        document.children["to_Credit"] = [Node(simulation.CREDIT, credit_record)]
    return document


def _sales_area(erp: Erp, header: Record, customer: str) -> Record:
    """The customer's data in the order's sales area; 400 if missing or blocked."""
    if erp.store.get(business_partner.CUSTOMER, (customer,)) is None:
        raise invalid_value(
            HEADER.entity_set, "SoldToParty", f"Sold-to party {customer} does not exist"
        )
    partner = erp.store.get(business_partner.BUSINESS_PARTNER, (customer,))
    if partner is not None and partner.get("BusinessPartnerIsBlocked"):
        raise invalid_value(
            HEADER.entity_set, "SoldToParty", f"Sold-to party {customer} is centrally blocked"
        )
    wanted = (
        header["SalesOrganization"], header["DistributionChannel"], header["OrganizationDivision"]
    )
    for area in erp.store.scan(business_partner.CUSTOMER_SALES_AREA, lead=customer):
        if (area["SalesOrganization"], area["DistributionChannel"], area["Division"]) != wanted:
            continue
        if area.get("OrderIsBlockedForCustomer"):
            raise invalid_value(
                HEADER.entity_set, "SoldToParty", f"Sold-to party {customer} is blocked for orders"
            )
        return area
    raise invalid_value(
        HEADER.entity_set,
        "SalesOrganization",
        f"Sold-to party {customer} is not maintained for sales area {'/'.join(wanted)}",
    )


def _item(
    run: _Run, header: Record, area: Record, payload: Payload, position: int, pricing: bool
) -> tuple[Node, list[Node]]:
    """The simulated item and its pricing elements (shown if the item asked for them)."""
    erp = run.erp
    item = blank_record(ITEM) | payload.values | {"SalesOrder": DOCUMENT}
    if not item.get("SalesOrderItem"):
        item["SalesOrderItem"] = str(position * 10)
    number = item["SalesOrderItem"]
    for name in ITEM.required:
        if item.get(name) in (None, ""):
            raise invalid_value(
                ITEM.entity_set, name, f"Item {number}: property '{name}' is mandatory"
            )
    material = str(item["Material"])
    goods = erp.store.get(product.PRODUCT, (material,))
    if goods is None:
        raise invalid_value(
            ITEM.entity_set, "Material", f"Item {number}: material {material} does not exist"
        )
    quantity: Decimal = item["RequestedQuantity"]
    if quantity <= 0:
        raise invalid_value(
            ITEM.entity_set,
            "RequestedQuantity",
            f"Item {number}: requested quantity must be greater than zero",
        )
    currency = str(header["TransactionCurrency"])
    plant = item.get("Plant") or _plant_for(erp, material, area)
    unit = item.get("RequestedQuantityUnit") or goods.get("BaseUnit")
    organization = str(header["SalesOrganization"])
    channel = str(header["DistributionChannel"])
    day = item.get("PricingDate") or header["PricingDate"]
    customer = str(header["SoldToParty"])
    # The PPR0 and K007 condition records an order placed now would get.
    price = conditions.list_price(erp.store, goods, organization, channel, customer, day)
    discount = conditions.discount_percent(erp.store, area, customer, organization, channel, day)
    try:
        amount = net_amount(
            material=material,
            list_price=price.amount if price else None,
            price_currency=price.currency if price else None,
            quantity=quantity,
            discount_percent=discount,
            document_currency=currency,
        )
    except PricingError as error:
        target = "TransactionCurrency" if error.currency == currency else "Material"
        entity = HEADER if target == "TransactionCurrency" else ITEM
        raise invalid_value(entity.entity_set, target, f"Item {number}: {error}") from error
    weight = goods.get("GrossWeight")
    net_weight = goods.get("NetWeight")
    confirmed = _confirm(run, material, str(plant), quantity)
    atp_requested = "to_ScheduleLine" in payload.children
    item |= {
        "Plant": plant,
        "RequestedQuantityUnit": unit,
        "SalesOrderItemText": item.get("SalesOrderItemText") or _description(erp, material),
        "SalesOrderItemCategory": item.get("SalesOrderItemCategory") or "TAN",
        "MaterialGroup": item.get("MaterialGroup") or goods.get("ProductGroup"),
        "PricingDate": item.get("PricingDate") or header["PricingDate"],
        "CustomerPaymentTerms": item.get("CustomerPaymentTerms") or header["CustomerPaymentTerms"],
        "TransactionCurrency": currency,
        "NetAmount": amount if pricing else None,
        "ConfdDelivQtyInOrderQtyUnit": confirmed if atp_requested else None,
        "ItemGrossWeight": weight * quantity if weight is not None else None,
        "ItemNetWeight": net_weight * quantity if net_weight is not None else None,
        "ItemWeightUnit": goods.get("WeightUnit"),
    }
    node = Node(ITEM, item)
    if atp_requested:
        if confirmed < quantity:
            run.messages.append(Message(
                "ZSIM/001",
                f"Item {number}: only {confirmed.normalize():f} of {quantity.normalize():f} "
                f"{unit or ''} of material {material} can be confirmed; the rest is unconfirmed",
            ))
        node.children["to_ScheduleLine"] = [Node(LINE, blank_record(LINE) | {
            "SalesOrder": DOCUMENT,
            "SalesOrderItem": number,
            "ScheduleLine": "1",
            "RequestedDeliveryDate": header["RequestedDeliveryDate"],
            "ConfirmedDeliveryDate": run.today + CONFIRMATION_LEAD if confirmed > 0 else None,
            "OrderQuantityUnit": unit,
            "ScheduleLineOrderQuantity": quantity,
            "ConfdOrderQtyByMatlAvailCheck": confirmed,
            "OpenConfdDelivQtyInOrdQtyUnit": confirmed,
            "CorrectedQtyInOrderQtyUnit": quantity,
        })]
    assert price is not None  # net_amount refused a missing price above
    elements = _conditions(item, goods, price, quantity, discount, amount, currency)
    if "to_PricingElement" in payload.children:
        node.children["to_PricingElement"] = elements
    if "to_Partner" in payload.children:
        node.children["to_Partner"] = _partners(
            erp, simulation.ITEM_PARTNER, payload.children["to_Partner"],
            {"SalesOrderItem": number}, None,
        )
    return node, elements


def _confirm(run: _Run, material: str, plant: str, wanted: Decimal) -> Decimal:
    """ATP against free stock less what earlier items of this simulation took."""
    key = (material, plant)
    taken = run.claimed.get(key, ZERO)
    free = max(atp.free_stock(run.erp.store, material, plant) - taken, ZERO)
    confirmed = min(wanted, free)
    run.claimed[key] = taken + confirmed
    return confirmed


def _conditions(
    item: Record,
    goods: Record,
    found: conditions.Price,
    quantity: Decimal,
    discount: Decimal,
    net: Decimal,
    currency: str,
) -> list[Node]:
    """The price (PPR0) and, for a discounted customer, the discount (K007) of an item."""
    price, source = found.amount, found.currency
    gross = convert(price * quantity, source, currency).quantize(CENT, rounding=ROUND_HALF_UP)
    common = {
        "SalesOrder": DOCUMENT,
        "SalesOrderItem": item["SalesOrderItem"],
        "PricingProcedureCounter": "1",
        "PriceConditionDeterminationDte": item["PricingDate"],
        "TransactionCurrency": currency,
        "ConditionIsForStatistics": False,
        "ConditionIsManuallyChanged": False,
        "ConditionOrigin": "A",
        "IsGroupCondition": "",
        "ConditionInactiveReason": "",
    }
    elements = [
        common | {
            "PricingProcedureStep": "10",
            "ConditionType": PRICE,
            "ConditionCalculationType": "C",
            "ConditionClass": "B",
            "ConditionBaseValue": quantity,
            "ConditionRateValue": convert(price, source, currency).quantize(
                CENT, rounding=ROUND_HALF_UP
            ),
            "ConditionCurrency": currency,
            "ConditionQuantity": Decimal(1),
            "ConditionQuantityUnit": goods.get("BaseUnit"),
            "ConditionAmount": gross,
        }
    ]
    if discount:
        elements.append(common | {
            "PricingProcedureStep": "20",
            "ConditionType": DISCOUNT,
            "ConditionCalculationType": "A",
            "ConditionClass": "A",
            "ConditionBaseValue": gross,
            "ConditionRateValue": -discount,
            "ConditionCurrency": None,
            "ConditionQuantity": None,
            "ConditionQuantityUnit": None,
            "ConditionAmount": net - gross,
        })
    entity = simulation.ITEM_PRICING_ELEMENT
    return [Node(entity, blank_record(entity) | element) for element in elements]


def _header_conditions(items: list[list[Node]]) -> list[Node]:
    """The document's pricing elements: each condition type summed over the items."""
    entity = simulation.PRICING_ELEMENT
    totals: dict[str, Record] = {}
    for elements in items:
        for element in elements:
            record = element.record
            total = totals.get(record["ConditionType"])
            if total is None:
                fields = {name: record.get(name) for name in record if entity.prop(name)}
                totals[record["ConditionType"]] = blank_record(entity) | fields | {
                    "ConditionBaseValue": None if record["ConditionClass"] == "B"
                    else record["ConditionBaseValue"],
                    "ConditionRateValue": None if record["ConditionClass"] == "B"
                    else record["ConditionRateValue"],
                    "ConditionQuantity": None,
                    "ConditionQuantityUnit": None,
                }
                continue
            total["ConditionAmount"] += record["ConditionAmount"]
            if total["ConditionBaseValue"] is not None:
                total["ConditionBaseValue"] += record["ConditionBaseValue"]
    return [Node(entity, record) for record in totals.values()]


def _partners(
    erp: Erp,
    entity: EntityType,
    requested: list[Payload],
    keys: Record,
    sold_to: str | None,
) -> list[Node]:
    """The requested partners, checked; on the header also those determined from the sold-to."""
    partners: dict[str, Record] = {}
    for partner in requested:
        record = blank_record(entity) | partner.values | keys | {"SalesOrder": DOCUMENT}
        require(entity, record, ("PartnerFunction",))
        customer = record.get("Customer")
        if customer and erp.store.get(business_partner.CUSTOMER, (str(customer),)) is None:
            raise invalid_value(
                entity.entity_set, "Customer", f"Partner {customer} ({record['PartnerFunction']}) "
                "does not exist",
            )
        partners[str(record["PartnerFunction"])] = record
    if sold_to is not None:
        for function in SOLD_TO_FUNCTIONS:
            partners.setdefault(function, blank_record(entity) | keys | {
                "SalesOrder": DOCUMENT, "PartnerFunction": function, "Customer": sold_to,
            })
    return [Node(entity, record) for record in partners.values()]
