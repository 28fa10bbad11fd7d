"""The order-to-cash lifecycle, driven by the simulated clock instead of real sleeps.

An order that passed the credit check (or was released) is delivered DELIVERY_LEAD after its
last change: an outbound delivery with goods issue is created and stock goes down. Each
delivery is invoiced BILLING_LEAD after goods issue, and each invoice is cleared (paid) on its
net due date, from the payment terms (NT30: 30 days).

Each step's business dates (goods movement, billing date, clearing date) are the times it fell
due, so one large clock advance yields the same documents as many small ones. Its change
stamps (LastChangeDateTime) are the time it is written, as S/4HANA stamps a commit: a change
feed that reads by LastChangeDateTime after a watermark sees every step, including those a
clock advance makes due in the past.
"""

from __future__ import annotations

import re
import threading
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from causeway.sandbox.erp.rules import atp, credit
from causeway.sandbox.erp.services import (
    billing_document,
    business_partner,
    outbound_delivery,
    product,
    sales_order,
)
from causeway.sandbox.erp.store import Record
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import blank_record

DELIVERY_LEAD = timedelta(hours=4)
BILLING_LEAD = timedelta(hours=2)
DEFAULT_TERMS_DAYS = 30
# Output tax by destination country; 0 where sales tax is not invoiced by the seller here.
TAX_RATES = {"DE": "19", "FR": "20", "GB": "20", "NL": "21", "IT": "22", "ES": "21"}
ZERO = Decimal(0)
CENT = Decimal("0.01")
ORDER = sales_order.SALES_ORDER
ITEM = sales_order.SALES_ORDER_ITEM
LINE = sales_order.SCHEDULE_LINE
DELIVERY = outbound_delivery.DELIVERY_HEADER
DELIVERY_ITEM = outbound_delivery.DELIVERY_ITEM
INVOICE = billing_document.BILLING_DOCUMENT
INVOICE_ITEM = billing_document.BILLING_DOCUMENT_ITEM


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _clock(moment: datetime) -> time:
    return time(moment.hour, moment.minute, moment.second)


def moved_at(delivery: Record) -> datetime:
    """When a delivery's goods moved: its goods movement date and time as one moment."""
    moved = delivery["ActualGoodsMovementTime"] or time()
    day: datetime = delivery["ActualGoodsMovementDate"]
    return day + timedelta(hours=moved.hour, minutes=moved.minute, seconds=moved.second)


def terms_days(terms: str | None) -> int:
    """Days until net due from a payment terms key such as NT30 or Z014."""
    match = re.search(r"(\d+)", terms or "")
    return int(match.group(1)) if match else DEFAULT_TERMS_DAYS


class Lifecycle:
    """Advances every open order, delivery and invoice to the current business time."""

    def __init__(self, erp: Erp) -> None:
        self.erp = erp
        self._lock = threading.Lock()

    def run(self) -> int:
        """Apply every step due by now; returns how many steps were taken."""
        steps = 0
        with self._lock, self.erp.store.transaction():
            now = self.erp.clock.now()
            customers: set[str] = set()
            for order in self.erp.store.find(ORDER, unequal={"OverallTotalDeliveryStatus": "C"}):
                if self._deliver_due(order, now):
                    steps += 1
                    customers.add(str(order["SoldToParty"]))
            unbilled = {"OverallDelivReltdBillgStatus": "A"}
            for delivery in self.erp.store.find(DELIVERY, unbilled):
                if self._bill_due(delivery, now):
                    steps += 1
                    customers.add(str(delivery["SoldToParty"]))
            for invoice in self.erp.store.find(INVOICE, {"InvoiceClearingStatus": "A"}):
                if self._clear_due(invoice, now):
                    steps += 1
                    customers.add(str(invoice["SoldToParty"]))
            for customer in customers:
                credit.refresh_exposure(self.erp.store, customer)
        return steps

    def release_credit(self, order_id: str) -> Record | None:
        """Release a credit-blocked order (status 'D'); None if the order does not exist."""
        with self._lock, self.erp.store.transaction():
            order = self.erp.store.get(ORDER, (order_id,))
            if order is None:
                return None
            if order.get("TotalCreditCheckStatus") == credit.BLOCKED:
                order["TotalCreditCheckStatus"] = credit.RELEASED
                self.erp.stamp(ORDER, order, created=False)
                self.erp.store.replace(ORDER, order)
                credit.refresh_exposure(self.erp.store, str(order["SoldToParty"]))
            return order

    def _deliver_due(self, order: Record, now: datetime) -> bool:
        if order.get("OverallTotalDeliveryStatus") == "C":
            return False
        if order.get("TotalCreditCheckStatus") == credit.BLOCKED:
            return False
        if order.get("DeliveryBlockReason"):
            return False
        due = order["LastChangeDateTime"] + DELIVERY_LEAD
        if due > now:
            return False
        store = self.erp.store
        lines = store.scan(LINE, lead=order["SalesOrder"])
        items = {
            item["SalesOrderItem"]: item for item in store.scan(ITEM, lead=order["SalesOrder"])
        }
        to_ship: list[tuple[Record, Record, Decimal]] = []
        for line in lines:
            item = items[line["SalesOrderItem"]]
            ordered = line["ScheduleLineOrderQuantity"]
            confirmed = line["ConfdOrderQtyByMatlAvailCheck"] or ZERO
            if confirmed < ordered:
                extra = atp.confirmable(
                    store, item["Material"], item["ProductionPlant"], ordered - confirmed
                )
                line["ConfdOrderQtyByMatlAvailCheck"] = confirmed + extra
                line["OpenConfdDelivQtyInOrdQtyUnit"] = (
                    line["OpenConfdDelivQtyInOrdQtyUnit"] or ZERO
                ) + extra
                if extra > 0 and line.get("ConfirmedDeliveryDate") is None:
                    line["ConfirmedDeliveryDate"] = _day(due)
            open_quantity = line["OpenConfdDelivQtyInOrdQtyUnit"] or ZERO
            if open_quantity > 0:
                to_ship.append((item, line, open_quantity))
            store.replace(LINE, line)
        if not to_ship:
            return False
        self._create_delivery(order, to_ship, due)
        return True

    def _create_delivery(
        self, order: Record, to_ship: list[tuple[Record, Record, Decimal]], at: datetime
    ) -> None:
        store = self.erp.store
        number = str(store.next_number("DeliveryDocument", 80_000_001))
        weight = ZERO
        for position, (item, line, quantity) in enumerate(to_ship, start=1):
            store.insert(DELIVERY_ITEM, blank_record(DELIVERY_ITEM) | {
                "DeliveryDocument": number,
                "DeliveryDocumentItem": str(position * 10),
                "ActualDeliveryQuantity": quantity,
                "DeliveryQuantityUnit": item.get("RequestedQuantityUnit"),
                "DeliveryDocumentItemText": item.get("SalesOrderItemText"),
                "Material": item["Material"],
                "Plant": item["ProductionPlant"],
                "GoodsMovementStatus": "C",
                "PickingStatus": "C",
                "ReferenceSDDocument": order["SalesOrder"],
                "ReferenceSDDocumentItem": item["SalesOrderItem"],
                "ReferenceSDDocumentCategory": "C",
            })
            self._issue_goods(item["Material"], item["ProductionPlant"], quantity)
            delivered = (line["DeliveredQtyInOrderQtyUnit"] or ZERO) + quantity
            line["DeliveredQtyInOrderQtyUnit"] = delivered
            line["OpenConfdDelivQtyInOrdQtyUnit"] = ZERO
            store.replace(LINE, line)
            complete = line["DeliveredQtyInOrderQtyUnit"] >= line["ScheduleLineOrderQuantity"]
            item["DeliveryStatus"] = "C" if complete else "B"
            item["SDProcessStatus"] = "B"
            store.replace(ITEM, item)
            if item.get("ItemGrossWeight") is not None:
                weight += item["ItemGrossWeight"] * quantity / line["ScheduleLineOrderQuantity"]
        header = blank_record(DELIVERY) | {
            "DeliveryDocument": number,
            "DeliveryDocumentType": "LF",
            "SDDocumentCategory": "J",
            "ActualGoodsMovementDate": _day(at),
            "ActualGoodsMovementTime": _clock(at),
            "DeliveryDate": _day(at),
            "PlannedGoodsIssueDate": _day(at),
            "SalesOrganization": order.get("SalesOrganization"),
            "ShippingPoint": to_ship[0][0]["ProductionPlant"],
            "ShipToParty": order["SoldToParty"],
            "SoldToParty": order["SoldToParty"],
            "HeaderGrossWeight": weight,
            "HeaderWeightUnit": to_ship[0][0].get("ItemWeightUnit"),
            "OverallGoodsMovementStatus": "C",
            "OverallPickingStatus": "C",
            "OverallSDProcessStatus": "B",
            "OverallDelivReltdBillgStatus": "A",
        }
        self.erp.stamp(DELIVERY, header, created=True)
        store.insert(DELIVERY, header)
        items = store.scan(ITEM, lead=order["SalesOrder"])
        order["OverallTotalDeliveryStatus"] = (
            "C" if all(item["DeliveryStatus"] == "C" for item in items) else "B"
        )
        order["OverallSDProcessStatus"] = "B"
        self.erp.stamp(ORDER, order, created=False)
        store.replace(ORDER, order)

    def _issue_goods(self, material: str, plant: str, quantity: Decimal) -> None:
        store = self.erp.store
        plant_data = store.get(product.PRODUCT_PLANT, (material, plant))
        if plant_data is None:
            return
        stock = plant_data.get("YY1_UnrestrictedStockQuantity") or ZERO
        plant_data["YY1_UnrestrictedStockQuantity"] = max(stock - quantity, ZERO)
        store.replace(product.PRODUCT_PLANT, plant_data)

    def _bill_due(self, delivery: Record, now: datetime) -> bool:
        if delivery.get("OverallDelivReltdBillgStatus") != "A":
            return False
        due = moved_at(delivery) + BILLING_LEAD
        if due > now:
            return False
        store = self.erp.store
        delivery_items = store.scan(DELIVERY_ITEM, lead=delivery["DeliveryDocument"])
        order = store.get(ORDER, (delivery_items[0]["ReferenceSDDocument"],))
        if order is None or order.get("HeaderBillingBlockReason"):
            return False
        delivery["OverallDelivReltdBillgStatus"] = "C"
        delivery["OverallSDProcessStatus"] = "C"
        self.erp.stamp(DELIVERY, delivery, created=False)
        store.replace(DELIVERY, delivery)
        self._create_invoice(order, delivery, delivery_items, due)
        return True

    def _create_invoice(
        self, order: Record, delivery: Record, delivery_items: list[Record], at: datetime
    ) -> None:
        store = self.erp.store
        number = str(store.next_number("BillingDocument", 90_000_001))
        rate = Decimal(TAX_RATES.get(self._country(str(order["SoldToParty"])), "0")) / 100
        net_total = tax_total = ZERO
        for position, shipped in enumerate(delivery_items, start=1):
            item = store.get(ITEM, (order["SalesOrder"], shipped["ReferenceSDDocumentItem"]))
            if item is None:
                continue
            share = shipped["ActualDeliveryQuantity"] / item["RequestedQuantity"]
            net = (item["NetAmount"] * share).quantize(CENT, rounding=ROUND_HALF_UP)
            tax = (net * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            net_total, tax_total = net_total + net, tax_total + tax
            store.insert(INVOICE_ITEM, blank_record(INVOICE_ITEM) | {
                "BillingDocument": number,
                "BillingDocumentItem": str(position * 10),
                "SalesDocumentItemCategory": item.get("SalesOrderItemCategory"),
                "CreationDate": _day(at),
                "Material": item["Material"],
                "Product": item["Material"],
                "Plant": shipped["Plant"],
                "BillingDocumentItemText": item.get("SalesOrderItemText"),
                "BillingQuantity": shipped["ActualDeliveryQuantity"],
                "BillingQuantityUnit": shipped.get("DeliveryQuantityUnit"),
                "NetAmount": net,
                "TaxAmount": tax,
                "GrossAmount": net + tax,
                "TransactionCurrency": order["TransactionCurrency"],
                "ReferenceSDDocument": delivery["DeliveryDocument"],
                "ReferenceSDDocumentItem": shipped["DeliveryDocumentItem"],
                "ReferenceSDDocumentCategory": "J",
                "SalesDocument": order["SalesOrder"],
                "SalesDocumentItem": item["SalesOrderItem"],
            })
        terms = order.get("CustomerPaymentTerms")
        header = blank_record(INVOICE) | {
            "BillingDocument": number,
            "SDDocumentCategory": "M",
            "BillingDocumentCategory": "L",
            "BillingDocumentType": "F2",
            "SalesOrganization": order.get("SalesOrganization"),
            "DistributionChannel": order.get("DistributionChannel"),
            "Division": order.get("OrganizationDivision"),
            "BillingDocumentDate": _day(at),
            "BillingDocumentIsCancelled": False,
            "TotalNetAmount": net_total,
            "TaxAmount": tax_total,
            "TotalGrossAmount": net_total + tax_total,
            "TransactionCurrency": order["TransactionCurrency"],
            "PayerParty": order["SoldToParty"],
            "SoldToParty": order["SoldToParty"],
            "CustomerPaymentTerms": terms,
            "CompanyCode": order.get("SalesOrganization"),
            "FiscalYear": str(at.year),
            "AccountingDocument": str(store.next_number("AccountingDocument", 90_000_001)),
            "PurchaseOrderByCustomer": order.get("PurchaseOrderByCustomer"),
            "Country": self._country(str(order["SoldToParty"])),
            "OverallSDProcessStatus": "C",
            "OverallBillingStatus": "C",
            "AccountingPostingStatus": "C",
            "AccountingTransferStatus": "C",
            "InvoiceClearingStatus": "A",
            "YY1_NetDueDate": _day(at) + timedelta(days=terms_days(terms)),
        }
        self.erp.stamp(INVOICE, header, created=True)
        store.insert(INVOICE, header)
        self._complete_if_billed(order)

    def _complete_if_billed(self, order: Record) -> None:
        store = self.erp.store
        deliveries = {
            item["DeliveryDocument"]
            for item in store.find(DELIVERY_ITEM, {"ReferenceSDDocument": order["SalesOrder"]})
        }
        all_billed = all(
            (store.get(DELIVERY, (number,)) or {}).get("OverallDelivReltdBillgStatus") == "C"
            for number in deliveries
        )
        if order.get("OverallTotalDeliveryStatus") == "C" and all_billed:
            order["OverallSDProcessStatus"] = "C"
            for item in store.scan(ITEM, lead=order["SalesOrder"]):
                item["SDProcessStatus"] = "C"
                store.replace(ITEM, item)
        self.erp.stamp(ORDER, order, created=False)
        store.replace(ORDER, order)

    def _clear_due(self, invoice: Record, now: datetime) -> bool:
        if invoice.get("InvoiceClearingStatus") != "A" or invoice["YY1_NetDueDate"] > now:
            return False
        invoice["InvoiceClearingStatus"] = "C"
        invoice["YY1_ClearingDate"] = _day(invoice["YY1_NetDueDate"])
        self.erp.stamp(INVOICE, invoice, created=False)
        self.erp.store.replace(INVOICE, invoice)
        return True

    def _country(self, customer: str) -> str:
        addresses = self.erp.store.scan(business_partner.BUSINESS_PARTNER_ADDRESS, lead=customer)
        return str(addresses[0].get("Country") or "") if addresses else ""

