"""Customer return rules: checked against the billed document they send goods back from.

POST A_CustomerReturn with to_Item creates header and items in one transaction, as the deep
insert of API_CUSTOMER_RETURN_SRV does. The return references a sales order or its invoice;
the sold-to party must be the one billed, each material must be on that document and no more
may come back than was billed less what earlier returns already claim. Items are credited at
the net price they were billed at.
"""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from causeway.sandbox.erp.errors import ODataError, invalid_value
from causeway.sandbox.erp.model import EntityType
from causeway.sandbox.erp.payload import Payload, require
from causeway.sandbox.erp.services import billing_document, business_partner, sales_order
from causeway.sandbox.erp.services.customer_return import CUSTOMER_RETURN, CUSTOMER_RETURN_ITEM
from causeway.sandbox.erp.store import Record
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import blank_record, insert, method_not_allowed

ZERO = Decimal(0)
CENT = Decimal("0.01")
FIRST_NUMBER = 60_000_001
RETURN_TYPE = "CBAR"
ORDER_CATEGORY = "C"
INVOICE_CATEGORY = "M"
RETURN_CATEGORY = "H"
# Order reasons (TVAU) the sandbox's customising knows for returns.
RETURN_REASONS = {
    "101": "Poor quality",
    "102": "Damaged in transit",
    "103": "Quantity too large",
    "104": "Wrong material delivered",
    "105": "No longer required",
}
HEADER = CUSTOMER_RETURN
ITEM = CUSTOMER_RETURN_ITEM
ORDER = sales_order.SALES_ORDER
ORDER_ITEM = sales_order.SALES_ORDER_ITEM
INVOICE = billing_document.BILLING_DOCUMENT
INVOICE_ITEM = billing_document.BILLING_DOCUMENT_ITEM


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _refused(prop: str, message: str, record: str = "") -> ODataError:
    return invalid_value(HEADER.entity_set, prop, message, record)


def _item_refused(prop: str, message: str, record: str) -> ODataError:
    return invalid_value(ITEM.entity_set, prop, message, record)


def reference_order(erp: Erp, reference: str) -> tuple[Record, str]:
    """The sales order a return references directly or through its invoice, and the
    reference's document category (C order, M invoice)."""
    order = erp.store.get(ORDER, (reference,))
    if order is not None:
        return order, ORDER_CATEGORY
    invoice = erp.store.get(INVOICE, (reference,))
    if invoice is not None and invoice.get("BillingDocumentType") == "F2":
        items = erp.store.scan(INVOICE_ITEM, lead=reference)
        order = erp.store.get(ORDER, (str(items[0]["SalesDocument"]),)) if items else None
        if order is not None:
            return order, INVOICE_CATEGORY
    raise _refused(
        "ReferenceSDDocument",
        f"Reference document {reference} does not exist or is not a billed sales document",
    )


def billed_net(erp: Erp, order: str, item: str) -> tuple[Decimal, Decimal]:
    """(quantity, net amount) invoiced for one sales order item."""
    quantity = amount = ZERO
    for billed in erp.store.find(INVOICE_ITEM, {"SalesDocument": order, "SalesDocumentItem": item}):
        header = erp.store.get(INVOICE, (str(billed["BillingDocument"]),))
        if header is None or header.get("BillingDocumentType") != "F2":
            continue
        quantity += billed.get("BillingQuantity") or ZERO
        amount += billed.get("NetAmount") or ZERO
    return quantity, amount


def returned_quantity(erp: Erp, order: str, item: str, *, besides: str = "") -> Decimal:
    """What returns other than `besides` already claim of sales order item `order`/`item`
    (return items always reference the sales order item, even when the header names the
    invoice)."""
    claimed = ZERO
    for other in erp.store.find(ITEM, {"ReferenceSDDocument": order}):
        if other["ReferenceSDDocumentItem"] != item or other["CustomerReturn"] == besides:
            continue
        header = erp.store.get(HEADER, (str(other["CustomerReturn"]),))
        if header is None or header.get("OverallSDDocumentRejectionSts") == "C":
            continue
        claimed += other.get("RequestedQuantity") or ZERO
    return claimed


def _check_reason(code: object, entity: str, record: str) -> None:
    if code not in (None, "") and str(code) not in RETURN_REASONS:
        prop = "SDDocumentReason" if entity == HEADER.entity_set else "ReturnReason"
        raise invalid_value(
            entity, prop, f"Order reason {code} is not defined for returns", record
        )


class CustomerReturnRules:
    """Create customer returns; changes to the header are limited to texts and blocks."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Create a return with its deep-inserted items after checking them against the
        referenced billed document."""
        header = blank_record(HEADER) | payload.values
        require(HEADER, header)
        customer = str(header["SoldToParty"])
        if erp.store.get(business_partner.CUSTOMER, (customer,)) is None:
            raise _refused("SoldToParty", f"Sold-to party {customer} does not exist")
        order, category = reference_order(erp, str(header["ReferenceSDDocument"]))
        if str(order["SoldToParty"]) != customer:
            raise _refused(
                "SoldToParty",
                f"Sold-to party {customer} differs from sold-to party {order['SoldToParty']} "
                f"of reference document {header['ReferenceSDDocument']}",
            )
        _check_reason(header.get("SDDocumentReason"), HEADER.entity_set, "")
        if header.get("CustomerReturnType") not in (None, "", RETURN_TYPE):
            raise _refused(
                "CustomerReturnType",
                f"Sales document type {header['CustomerReturnType']} is not a return type",
            )
        items = payload.children.get("to_Item", [])
        if not items:
            raise _refused("to_Item", "A customer return needs at least one item")
        today = _day(erp.clock.now())
        for name, value in {
            "CustomerReturnType": RETURN_TYPE,
            "SalesOrganization": order.get("SalesOrganization"),
            "DistributionChannel": order.get("DistributionChannel"),
            "OrganizationDivision": order.get("OrganizationDivision"),
            "TransactionCurrency": order.get("TransactionCurrency"),
            "CustomerPaymentTerms": order.get("CustomerPaymentTerms"),
            "CustomerReturnDate": today,
            "PricingDate": today,
        }.items():
            if header.get(name) in (None, ""):
                header[name] = value
        number = str(erp.store.next_number("CustomerReturn", FIRST_NUMBER))
        header |= {
            "CustomerReturn": number,
            "ReferenceSDDocumentCategory": category,
            "RetsMgmtProcess": number,
            "OverallSDProcessStatus": "A",
            "OverallTotalDeliveryStatus": "A",
            "OverallOrdReltdBillgStatus": "A",
            "OverallSDDocumentRejectionSts": "A",
            "TotalNetAmount": ZERO,
        }
        erp.stamp(HEADER, header, created=True)
        insert(erp, HEADER, header)
        total = ZERO
        for position, child in enumerate(items, start=1):
            total += _add_item(erp, header, order, child.values, position)["NetAmount"]
        header["TotalNetAmount"] = total
        erp.store.replace(HEADER, header)
        return header

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Change texts, dates and blocks; party, reference and currency are fixed."""
        fixed = ("SoldToParty", "ReferenceSDDocument", "TransactionCurrency", "CustomerReturnType")
        for name in fixed:
            if name in changes and changes[name] != current.get(name):
                raise _refused(
                    name, f"Property '{name}' cannot be changed in a customer return",
                    current["CustomerReturn"],
                )
        _check_reason(changes.get("SDDocumentReason"), HEADER.entity_set, current["CustomerReturn"])
        record = current | changes
        erp.stamp(HEADER, record, created=False)
        erp.store.replace(HEADER, record)
        return record

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Delete a return whose goods have not been received, with its items."""
        if current.get("OverallTotalDeliveryStatus") not in ("A", None):
            raise ODataError(
                400, "V1/042", f"Customer return {current['CustomerReturn']} has subsequent "
                "documents", entity=HEADER.entity_set, record=str(current["CustomerReturn"]),
            )
        number = str(current["CustomerReturn"])
        for item in erp.store.scan(ITEM, lead=number):
            erp.store.delete(ITEM, (number, str(item["CustomerReturnItem"])))
        erp.store.delete(HEADER, (number,))


class CustomerReturnItemRules:
    """Items come with their return's deep insert only; they are not added or changed alone."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Refused: S/4HANA's returns are created whole, as the sandbox models them."""
        raise method_not_allowed(ITEM, "POST")

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Refused (the entity set is not updatable)."""
        raise method_not_allowed(ITEM, "PATCH")

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Refused (the entity set is not deletable)."""
        raise method_not_allowed(ITEM, "DELETE")


def _order_item(erp: Erp, order: Record, item: Record, record: str) -> Record:
    material = str(item["Material"])
    wanted = item.get("ReferenceSDDocumentItem")
    candidates = erp.store.scan(ORDER_ITEM, lead=str(order["SalesOrder"]))
    if wanted:
        found = next((c for c in candidates if c["SalesOrderItem"] == str(wanted)), None)
        if found is None:
            raise _item_refused(
                "ReferenceSDDocumentItem",
                f"Item {wanted} does not exist in sales order {order['SalesOrder']}",
                record,
            )
        if found["Material"] != material:
            raise _item_refused(
                "Material",
                f"Material {material} differs from material {found['Material']} of reference "
                f"item {order['SalesOrder']}/{wanted}",
                record,
            )
        return found
    for candidate in candidates:
        if candidate["Material"] == material:
            return candidate
    raise _item_refused(
        "Material",
        f"Material {material} is not in reference document {order['SalesOrder']}",
        record,
    )


def _add_item(erp: Erp, header: Record, order: Record, values: Record, position: int) -> Record:
    item = blank_record(ITEM) | values
    number = str(header["CustomerReturn"])
    item["CustomerReturn"] = number
    if not item.get("CustomerReturnItem"):
        item["CustomerReturnItem"] = str(position * 10)
    record = f"{number}/{item['CustomerReturnItem']}"
    require(ITEM, item)
    _check_reason(item.get("ReturnReason"), ITEM.entity_set, record)
    quantity: Decimal = item["RequestedQuantity"]
    if quantity <= 0:
        raise _item_refused(
            "RequestedQuantity", "Requested quantity must be greater than zero", record
        )
    source = _order_item(erp, order, item, record)
    order_number, order_item = str(order["SalesOrder"]), str(source["SalesOrderItem"])
    billed, billed_amount = billed_net(erp, order_number, order_item)
    if billed <= 0:
        raise _item_refused(
            "RequestedQuantity",
            f"Item {order_number}/{order_item} has not been billed; nothing can be returned",
            record,
        )
    claimed = returned_quantity(erp, order_number, order_item, besides=number)
    if quantity > billed - claimed:
        raise _item_refused(
            "RequestedQuantity",
            f"Return quantity {quantity.normalize():f} exceeds billed quantity "
            f"{billed.normalize():f} less returned {claimed.normalize():f} of item "
            f"{order_number}/{order_item}",
            record,
        )
    net = (billed_amount * quantity / billed).quantize(CENT, rounding=ROUND_HALF_UP)
    item |= {
        "CustomerReturnItemCategory": item.get("CustomerReturnItemCategory") or "REN",
        "CustomerReturnItemText": item.get("CustomerReturnItemText")
        or source.get("SalesOrderItemText"),
        "RequestedQuantityUnit": item.get("RequestedQuantityUnit")
        or source.get("RequestedQuantityUnit"),
        "TransactionCurrency": header["TransactionCurrency"],
        "NetAmount": net,
        "Plant": item.get("Plant") or source.get("ProductionPlant"),
        "ReturnReason": item.get("ReturnReason") or header.get("SDDocumentReason"),
        "ReferenceSDDocument": order_number,
        "ReferenceSDDocumentItem": order_item,
        "ReferenceSDDocumentCategory": ORDER_CATEGORY,
        "SDProcessStatus": "A",
        "DeliveryStatus": "A",
        "OrderRelatedBillingStatus": "A",
    }
    insert(erp, ITEM, item)
    return item
