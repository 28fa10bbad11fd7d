"""Customer returns in S/4HANA: created once per business reference, followed to the credit.

API_CUSTOMER_RETURN_SRV does not deduplicate, so a create is looked up first by the caller's
stable reference in PurchaseOrderByCustomer (the CRM case number). When a create's answer is
lost (timeout, 504), the return may exist all the same: the lookup runs again before the
error is passed on, so a retry never makes a second return. Status is read from the return
header; its credit memos are the billing documents whose items name it as sales document.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from causeway.connectors.errors import ConflictError, ConnectorError, InvalidRecordError
from causeway.connectors.s4hana.client import S4Client
from causeway.connectors.s4hana.errors import SYSTEM
from causeway.connectors.s4hana.odata import any_of, compare, parse_datetime

SERVICE = "API_CUSTOMER_RETURN_SRV"
RETURNS = "A_CustomerReturn"
BILLING_SERVICE = "API_BILLING_DOCUMENT_SRV"
ORDER_SERVICE = "API_SALES_ORDER_SRV"
CREDIT_MEMO_CATEGORY = "O"
_REFERENCE = re.compile(r"^[^\x00-\x1f]{1,35}$")
_DOCUMENT = re.compile(r"^[0-9A-Z]{1,10}$")
_MATERIAL = re.compile(r"^[A-Z0-9][A-Z0-9_\-./]{0,39}$")
_REASON = re.compile(r"^[0-9A-Z]{1,3}$")
_HEADER_FIELDS = (
    "CustomerReturn,PurchaseOrderByCustomer,SoldToParty,ReferenceSDDocument,TotalNetAmount,"
    "TransactionCurrency,OverallSDProcessStatus,OverallTotalDeliveryStatus,"
    "OverallOrdReltdBillgStatus,OverallSDDocumentRejectionSts,LastChangeDateTime"
)


@dataclass(frozen=True)
class ReturnLine:
    """One material sent back, optionally tied to the sales order item it was bought on."""

    material: str
    quantity: Decimal
    reference_item: str | None = None


@dataclass(frozen=True)
class ReturnRequest:
    """A return to create: `reference` is the stable business key (the CRM case number)."""

    reference: str
    sold_to: str
    reference_document: str
    lines: tuple[ReturnLine, ...]
    reason: str | None = None


@dataclass(frozen=True)
class CreditMemo:
    """A credit memo (billing type G2) for a return."""

    number: str
    net_amount: Decimal
    gross_amount: Decimal
    currency: str
    billing_date: datetime | None


@dataclass(frozen=True)
class ReturnState:
    """Where one customer return stands in the ERP."""

    number: str
    reference: str
    sold_to: str
    net_amount: Decimal
    currency: str
    process_status: str
    delivery_status: str
    billing_status: str
    rejected: bool
    changed_at: datetime | None
    credit_memos: tuple[CreditMemo, ...] = ()

    @property
    def received(self) -> bool:
        """The returned goods have arrived (returns delivery with goods receipt)."""
        return self.delivery_status == "C"

    @property
    def credited(self) -> bool:
        """A credit memo exists for the whole return."""
        return self.billing_status == "C" and bool(self.credit_memos)


@dataclass(frozen=True)
class OrderLine:
    """A sales order item as a return needs it."""

    item: str
    material: str
    quantity: Decimal


@dataclass(frozen=True)
class OrderFacts:
    """A sales order a return may reference: whose it is and what was on it."""

    number: str
    sold_to: str
    currency: str
    lines: tuple[OrderLine, ...]


@dataclass(frozen=True)
class Created:
    """The outcome of `create`: the return's number and whether this call made it."""

    number: str
    created: bool


def _invalid(message: str, field: str, record_id: str) -> InvalidRecordError:
    return InvalidRecordError(
        message, system=SYSTEM, object_name=RETURNS, record_id=record_id, field=field
    )


def _checked(value: str, pattern: re.Pattern[str], field: str, record_id: str) -> str:
    if not pattern.match(value):
        raise _invalid(f"{value!r} is not a valid {field}", field, record_id)
    return value


def _decimal(value: object) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


class CustomerReturns:
    """Creates and reads customer returns through one S/4 client (session, CSRF, pacing)."""

    def __init__(self, client: S4Client) -> None:
        self.client = client

    async def find(self, reference: str) -> str | None:
        """The return created for `reference`, or None; several answer a ConflictError."""
        _checked(reference, _REFERENCE, "PurchaseOrderByCustomer", reference)
        params = {
            "$filter": compare("PurchaseOrderByCustomer", "eq", reference).text,
            "$select": "CustomerReturn",
            "$orderby": "CustomerReturn",
        }
        response = await self.client.request(
            "GET", SERVICE, RETURNS, params=params, object_name=RETURNS, record_id=reference
        )
        rows = response.json().get("d", {}).get("results", [])
        if len(rows) > 1:
            numbers = ", ".join(str(row["CustomerReturn"]) for row in rows)
            raise ConflictError(
                f"several returns carry reference {reference}: {numbers}",
                system=SYSTEM, object_name=RETURNS, record_id=reference,
                field="PurchaseOrderByCustomer",
            )
        return str(rows[0]["CustomerReturn"]) if rows else None

    async def create(self, request: ReturnRequest) -> Created:
        """Create the return unless one exists for its reference; safe to call again after
        any failure, including a lost answer."""
        body = self._body(request)
        existing = await self.find(request.reference)
        if existing is not None:
            return Created(existing, created=False)
        try:
            response = await self.client.request(
                "POST", SERVICE, RETURNS, json=body, object_name=RETURNS,
                record_id=request.reference,
            )
        except ConnectorError as error:
            if error.ambiguous:
                landed = await self.find(request.reference)
                if landed is not None:
                    return Created(landed, created=False)
            raise
        return Created(str(response.json()["d"]["CustomerReturn"]), created=True)

    def _body(self, request: ReturnRequest) -> dict[str, Any]:
        record = request.reference
        _checked(record, _REFERENCE, "PurchaseOrderByCustomer", record)
        if not request.lines:
            raise _invalid("a return needs at least one line", "to_Item", record)
        items: list[dict[str, Any]] = []
        for position, line in enumerate(request.lines, start=1):
            if line.quantity <= 0:
                raise _invalid(
                    f"line {position}: quantity {line.quantity} is not positive",
                    "RequestedQuantity", record,
                )
            item: dict[str, Any] = {
                "CustomerReturnItem": str(position * 10),
                "Material": _checked(line.material, _MATERIAL, "Material", record),
                "RequestedQuantity": format(line.quantity, "f"),
            }
            if line.reference_item is not None:
                item["ReferenceSDDocumentItem"] = _checked(
                    line.reference_item, _DOCUMENT, "ReferenceSDDocumentItem", record
                )
            items.append(item)
        body: dict[str, Any] = {
            "CustomerReturnType": "CBAR",
            "SoldToParty": _checked(request.sold_to, _DOCUMENT, "SoldToParty", record),
            "PurchaseOrderByCustomer": record,
            "ReferenceSDDocument": _checked(
                request.reference_document, _DOCUMENT, "ReferenceSDDocument", record
            ),
            "to_Item": items,
        }
        if request.reason:
            body["SDDocumentReason"] = _checked(request.reason, _REASON, "SDDocumentReason", record)
        return body

    async def state(self, number: str) -> ReturnState:
        """The return's header status and its credit memos."""
        _checked(number, _DOCUMENT, "CustomerReturn", number)
        response = await self.client.request(
            "GET", SERVICE, f"{RETURNS}('{number}')", params={"$select": _HEADER_FIELDS},
            object_name=RETURNS, record_id=number,
        )
        header = response.json()["d"]
        return ReturnState(
            number=number,
            reference=str(header.get("PurchaseOrderByCustomer") or ""),
            sold_to=str(header.get("SoldToParty") or ""),
            net_amount=_decimal(header.get("TotalNetAmount")),
            currency=str(header.get("TransactionCurrency") or ""),
            process_status=str(header.get("OverallSDProcessStatus") or ""),
            delivery_status=str(header.get("OverallTotalDeliveryStatus") or ""),
            billing_status=str(header.get("OverallOrdReltdBillgStatus") or ""),
            rejected=header.get("OverallSDDocumentRejectionSts") == "C",
            changed_at=parse_datetime(header.get("LastChangeDateTime")),
            credit_memos=await self.credit_memos(number),
        )

    async def credit_memos(self, number: str) -> tuple[CreditMemo, ...]:
        """Credit memos billed from return `number`, oldest first."""
        params = {
            "$filter": compare("SalesDocument", "eq", number).text,
            "$select": "BillingDocument",
        }
        documents: list[str] = []
        async for page in self.client.pages(
            BILLING_SERVICE, "A_BillingDocumentItem", params, object_name=RETURNS
        ):
            documents.extend(str(row["BillingDocument"]) for row in page)
        unique = sorted(set(documents))
        if not unique:
            return ()
        params = {
            "$filter": (
                any_of("BillingDocument", unique)
                & compare("SDDocumentCategory", "eq", CREDIT_MEMO_CATEGORY)
                & compare("BillingDocumentIsCancelled", "eq", False)
            ).text,
            "$select": "BillingDocument,TotalNetAmount,TotalGrossAmount,TransactionCurrency,"
            "BillingDocumentDate",
            "$orderby": "BillingDocument",
        }
        memos: list[CreditMemo] = []
        async for page in self.client.pages(
            BILLING_SERVICE, "A_BillingDocument", params, object_name=RETURNS
        ):
            memos.extend(
                CreditMemo(
                    number=str(row["BillingDocument"]),
                    net_amount=_decimal(row.get("TotalNetAmount")),
                    gross_amount=_decimal(row.get("TotalGrossAmount")),
                    currency=str(row.get("TransactionCurrency") or ""),
                    billing_date=parse_datetime(row.get("BillingDocumentDate")),
                )
                for row in page
            )
        return tuple(memos)

    async def changed_since(self, moment: datetime) -> list[tuple[str, str, datetime]]:
        """(return, reference, LastChangeDateTime) of returns changed at or after `moment`,
        oldest first (a polling read; the caller drops what it has seen)."""
        params = {
            "$filter": compare("LastChangeDateTime", "ge", moment).text,
            "$select": "CustomerReturn,PurchaseOrderByCustomer,LastChangeDateTime",
            "$orderby": "LastChangeDateTime,CustomerReturn",
        }
        found: list[tuple[str, str, datetime]] = []
        async for page in self.client.pages(SERVICE, RETURNS, params, object_name=RETURNS):
            for row in page:
                stamp = parse_datetime(row.get("LastChangeDateTime"))
                if stamp is not None:
                    found.append((
                        str(row["CustomerReturn"]),
                        str(row.get("PurchaseOrderByCustomer") or ""),
                        stamp,
                    ))
        return found

    async def order(self, number: str) -> OrderFacts | None:
        """The sales order a return would reference, or None if the ERP does not know it."""
        _checked(number, _DOCUMENT, "ReferenceSDDocument", number)
        params = {
            "$filter": compare("SalesOrder", "eq", number).text,
            "$select": "SalesOrder,SoldToParty,TransactionCurrency",
        }
        response = await self.client.request(
            "GET", ORDER_SERVICE, "A_SalesOrder", params=params, object_name=RETURNS,
            record_id=number,
        )
        rows = response.json().get("d", {}).get("results", [])
        if not rows:
            return None
        lines: list[OrderLine] = []
        item_params = {
            "$filter": compare("SalesOrder", "eq", number).text,
            "$select": "SalesOrderItem,Material,RequestedQuantity",
        }
        async for page in self.client.pages(
            ORDER_SERVICE, "A_SalesOrderItem", item_params, object_name=RETURNS
        ):
            lines.extend(
                OrderLine(
                    str(row["SalesOrderItem"]), str(row["Material"]),
                    _decimal(row.get("RequestedQuantity")),
                )
                for row in page
            )
        return OrderFacts(
            number=number,
            sold_to=str(rows[0]["SoldToParty"]),
            currency=str(rows[0].get("TransactionCurrency") or ""),
            lines=tuple(lines),
        )


def material_lines(
    order: OrderFacts, material: str | None, quantity: Decimal | None
) -> Sequence[ReturnLine]:
    """The lines of a return of `quantity` of `material` from `order`, or of the whole order
    when no material is named; empty when the material is not on the order."""
    if material is None:
        return [ReturnLine(line.material, line.quantity, line.item) for line in order.lines]
    for line in order.lines:
        if line.material == material:
            return [ReturnLine(material, quantity if quantity is not None else line.quantity,
                               line.item)]
    return []
