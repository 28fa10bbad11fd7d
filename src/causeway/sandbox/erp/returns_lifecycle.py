"""The returns lifecycle on the simulated clock: goods received, then a credit memo.

RECEIPT_LEAD after a return's last change its goods arrive: a returns delivery (type LR,
category T) with goods receipt puts the stock back and the return's delivery status becomes
C. CREDIT_LEAD after the receipt the return is credited: a credit memo (billing type G2,
category O) references the return, and the return is completed. Blocks
(DeliveryBlockReason, HeaderBillingBlockReason) hold the respective step. As in the order
lifecycle, each step's business dates are the times it fell due and its change stamps the
time it is written.

Credit memos carry positive amounts, as S/4HANA's billing documents do: the category (O)
says they credit. The sandbox settles the refund at once (InvoiceClearingStatus C), so a
credit memo never counts as an open receivable in the credit check.
"""

from __future__ import annotations

import threading
from datetime import datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from causeway.sandbox.erp.lifecycle import TAX_RATES, moved_at
from causeway.sandbox.erp.services import (
    billing_document,
    business_partner,
    outbound_delivery,
    product,
)
from causeway.sandbox.erp.services.customer_return import CUSTOMER_RETURN, CUSTOMER_RETURN_ITEM
from causeway.sandbox.erp.store import Record
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import blank_record

RECEIPT_LEAD = timedelta(days=2)
CREDIT_LEAD = timedelta(hours=1)
ZERO = Decimal(0)
CENT = Decimal("0.01")
HEADER = CUSTOMER_RETURN
ITEM = CUSTOMER_RETURN_ITEM
DELIVERY = outbound_delivery.DELIVERY_HEADER
DELIVERY_ITEM = outbound_delivery.DELIVERY_ITEM
MEMO = billing_document.BILLING_DOCUMENT
MEMO_ITEM = billing_document.BILLING_DOCUMENT_ITEM


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _clock(moment: datetime) -> time:
    return time(moment.hour, moment.minute, moment.second)


class ReturnsLifecycle:
    """Advances every open customer return to the current business time."""

    def __init__(self, erp: Erp) -> None:
        self.erp = erp
        self._lock = threading.Lock()

    def run(self) -> int:
        """Apply every receipt and credit due by now; returns how many steps were taken."""
        steps = 0
        with self._lock, self.erp.store.transaction():
            now = self.erp.clock.now()
            for header in self.erp.store.find(HEADER, unequal={"OverallSDProcessStatus": "C"}):
                if header.get("OverallSDDocumentRejectionSts") == "C":
                    continue
                if header.get("OverallTotalDeliveryStatus") != "C":
                    if not self._receive_due(header, now):
                        continue
                    steps += 1
                if self._credit_due(header, now):
                    steps += 1
        return steps

    def _receive_due(self, header: Record, now: datetime) -> bool:
        if header.get("DeliveryBlockReason"):
            return False
        due: datetime = header["LastChangeDateTime"] + RECEIPT_LEAD
        if due > now:
            return False
        store = self.erp.store
        number = str(header["CustomerReturn"])
        items = store.scan(ITEM, lead=number)
        delivery = str(store.next_number("DeliveryDocument", 80_000_001))
        for position, item in enumerate(items, start=1):
            store.insert(DELIVERY_ITEM, blank_record(DELIVERY_ITEM) | {
                "DeliveryDocument": delivery,
                "DeliveryDocumentItem": str(position * 10),
                "ActualDeliveryQuantity": item["RequestedQuantity"],
                "DeliveryQuantityUnit": item.get("RequestedQuantityUnit"),
                "DeliveryDocumentItemText": item.get("CustomerReturnItemText"),
                "Material": item["Material"],
                "Plant": item.get("Plant"),
                "GoodsMovementStatus": "C",
                "PickingStatus": "C",
                "ReferenceSDDocument": number,
                "ReferenceSDDocumentItem": item["CustomerReturnItem"],
                "ReferenceSDDocumentCategory": "H",
            })
            self._receive_goods(str(item["Material"]), item.get("Plant"), item["RequestedQuantity"])
            item["DeliveryStatus"] = "C"
            item["SDProcessStatus"] = "B"
            store.replace(ITEM, item)
        receipt = blank_record(DELIVERY) | {
            "DeliveryDocument": delivery,
            "DeliveryDocumentType": "LR",
            "SDDocumentCategory": "T",
            "ActualGoodsMovementDate": _day(due),
            "ActualGoodsMovementTime": _clock(due),
            "DeliveryDate": _day(due),
            "SalesOrganization": header.get("SalesOrganization"),
            "ShipToParty": header["SoldToParty"],
            "SoldToParty": header["SoldToParty"],
            "OverallGoodsMovementStatus": "C",
            "OverallPickingStatus": "C",
            "OverallSDProcessStatus": "C",
            # Credit memos for returns are billed from the return, not from this delivery.
            "OverallDelivReltdBillgStatus": "",
        }
        self.erp.stamp(DELIVERY, receipt, created=True)
        store.insert(DELIVERY, receipt)
        header["OverallTotalDeliveryStatus"] = "C"
        header["OverallSDProcessStatus"] = "B"
        self.erp.stamp(HEADER, header, created=False)
        store.replace(HEADER, header)
        return True

    def _receive_goods(self, material: str, plant: str | None, quantity: Decimal) -> None:
        if plant is None:
            return
        plant_data = self.erp.store.get(product.PRODUCT_PLANT, (material, plant))
        if plant_data is None:
            return
        stock = plant_data.get("YY1_UnrestrictedStockQuantity") or ZERO
        plant_data["YY1_UnrestrictedStockQuantity"] = stock + quantity
        self.erp.store.replace(product.PRODUCT_PLANT, plant_data)

    def _credit_due(self, header: Record, now: datetime) -> bool:
        if header.get("OverallTotalDeliveryStatus") != "C":
            return False
        if header.get("OverallOrdReltdBillgStatus") == "C":
            return False
        if header.get("HeaderBillingBlockReason"):
            return False
        receipt = self._receipt(str(header["CustomerReturn"]))
        if receipt is None:
            return False
        due = moved_at(receipt) + CREDIT_LEAD
        if due > now:
            return False
        self._create_credit_memo(header, due)
        return True

    def _receipt(self, number: str) -> Record | None:
        """The returns delivery that received the return's goods."""
        for item in self.erp.store.find(DELIVERY_ITEM, {"ReferenceSDDocument": number}):
            if item.get("ReferenceSDDocumentCategory") == "H":
                return self.erp.store.get(DELIVERY, (str(item["DeliveryDocument"]),))
        return None

    def _create_credit_memo(self, header: Record, at: datetime) -> None:
        store = self.erp.store
        number = str(store.next_number("BillingDocument", 90_000_001))
        customer = str(header["SoldToParty"])
        country = self._country(customer)
        rate = Decimal(TAX_RATES.get(country, "0")) / 100
        net_total = tax_total = ZERO
        items = store.scan(ITEM, lead=str(header["CustomerReturn"]))
        for position, item in enumerate(items, start=1):
            net: Decimal = item["NetAmount"] or ZERO
            tax = (net * rate).quantize(CENT, rounding=ROUND_HALF_UP)
            net_total, tax_total = net_total + net, tax_total + tax
            store.insert(MEMO_ITEM, blank_record(MEMO_ITEM) | {
                "BillingDocument": number,
                "BillingDocumentItem": str(position * 10),
                "SalesDocumentItemCategory": item.get("CustomerReturnItemCategory"),
                "CreationDate": _day(at),
                "Material": item["Material"],
                "Product": item["Material"],
                "Plant": item.get("Plant"),
                "BillingDocumentItemText": item.get("CustomerReturnItemText"),
                "BillingQuantity": item["RequestedQuantity"],
                "BillingQuantityUnit": item.get("RequestedQuantityUnit"),
                "NetAmount": net,
                "TaxAmount": tax,
                "GrossAmount": net + tax,
                "TransactionCurrency": header["TransactionCurrency"],
                "ReferenceSDDocument": header["CustomerReturn"],
                "ReferenceSDDocumentItem": item["CustomerReturnItem"],
                "ReferenceSDDocumentCategory": "H",
                "SalesDocument": header["CustomerReturn"],
                "SalesDocumentItem": item["CustomerReturnItem"],
            })
            item["OrderRelatedBillingStatus"] = "C"
            item["SDProcessStatus"] = "C"
            store.replace(ITEM, item)
        memo = blank_record(MEMO) | {
            "BillingDocument": number,
            "SDDocumentCategory": "O",
            "BillingDocumentCategory": "L",
            "BillingDocumentType": "G2",
            "SalesOrganization": header.get("SalesOrganization"),
            "DistributionChannel": header.get("DistributionChannel"),
            "Division": header.get("OrganizationDivision"),
            "BillingDocumentDate": _day(at),
            "BillingDocumentIsCancelled": False,
            "TotalNetAmount": net_total,
            "TaxAmount": tax_total,
            "TotalGrossAmount": net_total + tax_total,
            "TransactionCurrency": header["TransactionCurrency"],
            "PayerParty": customer,
            "SoldToParty": customer,
            "CustomerPaymentTerms": header.get("CustomerPaymentTerms"),
            "CompanyCode": header.get("SalesOrganization"),
            "FiscalYear": str(at.year),
            "AccountingDocument": str(store.next_number("AccountingDocument", 90_000_001)),
            "PurchaseOrderByCustomer": header.get("PurchaseOrderByCustomer"),
            "Country": country,
            "OverallSDProcessStatus": "C",
            "OverallBillingStatus": "C",
            "AccountingPostingStatus": "C",
            "AccountingTransferStatus": "C",
            "InvoiceClearingStatus": "C",
            "YY1_NetDueDate": _day(at),
            "YY1_ClearingDate": _day(at),
        }
        self.erp.stamp(MEMO, memo, created=True)
        store.insert(MEMO, memo)
        header["OverallOrdReltdBillgStatus"] = "C"
        header["OverallSDProcessStatus"] = "C"
        self.erp.stamp(HEADER, header, created=False)
        store.replace(HEADER, header)

    def _country(self, customer: str) -> str:
        addresses = self.erp.store.scan(business_partner.BUSINESS_PARTNER_ADDRESS, lead=customer)
        return str(addresses[0].get("Country") or "") if addresses else ""
