"""Return Cases in the CRM: found by polling, read with what a return needs, stamped back.

A Case is a return when its Type is "Return". It names the CRM order (Order__c), optionally
one product (Return_Product__c) and quantity (Return_Quantity__c; without a product the
whole order goes back) and a reason (Return_Reason__c). Causeway writes the ERP return
number (ERP_Return_Order__c), the return's progress (Return_Status__c with a readable
Return_Status_Detail__c) and the credit memo (Credit_Memo__c, Credit_Amount__c). Queries
are built with the SOQL builder; values never enter query text unescaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from causeway.connectors.errors import InvalidRecordError
from causeway.connectors.salesforce.client import SalesforceClient
from causeway.connectors.salesforce.connector import parse_datetime
from causeway.connectors.salesforce.errors import SYSTEM
from causeway.connectors.salesforce.soql import Query, compare
from causeway.connectors.watermark import Watermark

CASE = "Case"
RETURN_TYPE = "Return"
# Return_Reason__c picklist values -> the ERP's order reasons for returns (SDDocumentReason).
REASON_CODES = {
    "Poor Quality": "101",
    "Damaged in Transit": "102",
    "Quantity Too Large": "103",
    "Wrong Item": "104",
    "No Longer Required": "105",
}
_FIELDS = (
    "Id", "CaseNumber", "AccountId", "Type", "Status", "Order__c", "Order__r.ERP_Sales_Order__c",
    "Return_Product__c", "Return_Product__r.ERP_Material__c", "Return_Quantity__c",
    "Return_Reason__c", "Return_Status__c", "ERP_Return_Order__c", "Credit_Memo__c",
)
DETAIL_LENGTH = 255
_ID = re.compile(r"^[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?$")


@dataclass(frozen=True)
class ReturnCase:
    """What a return needs from its Case."""

    id: str
    number: str
    account_id: str | None
    is_return: bool
    order_id: str | None
    order_erp_number: str | None
    product_id: str | None
    product_material: str | None
    quantity: Decimal | None
    reason: str | None
    status: str | None
    erp_return: str | None
    credit_memo: str | None

    @property
    def reason_code(self) -> str | None:
        """The ERP order reason for the Case's return reason (None when not given)."""
        return REASON_CODES.get(self.reason or "")


def _parent(row: dict[str, Any], relationship: str, field: str) -> str | None:
    parent = row.get(relationship)
    value = parent.get(field) if isinstance(parent, dict) else None
    return str(value) if value else None


def _case(row: dict[str, Any]) -> ReturnCase:
    quantity = row.get("Return_Quantity__c")
    return ReturnCase(
        id=str(row["Id"]),
        number=str(row.get("CaseNumber") or ""),
        account_id=row.get("AccountId"),
        is_return=row.get("Type") == RETURN_TYPE,
        order_id=row.get("Order__c"),
        order_erp_number=_parent(row, "Order__r", "ERP_Sales_Order__c"),
        product_id=row.get("Return_Product__c"),
        product_material=_parent(row, "Return_Product__r", "ERP_Material__c"),
        quantity=None if quantity is None else Decimal(str(quantity)),
        reason=row.get("Return_Reason__c"),
        status=row.get("Return_Status__c"),
        erp_return=row.get("ERP_Return_Order__c"),
        credit_memo=row.get("Credit_Memo__c"),
    )


class ReturnCases:
    """Reads and stamps return Cases through one Salesforce client."""

    def __init__(self, client: SalesforceClient) -> None:
        self.client = client

    async def read(self, case_id: str) -> ReturnCase:
        """The Case with its order's and product's ERP numbers; raises if it is gone."""
        query = Query(CASE, _FIELDS, where=compare("Id", "=", case_id))
        async for page in self.client.query_pages(query.render(), object_name=CASE):
            for row in page:
                return _case(row)
        raise InvalidRecordError(
            f"Case {case_id} does not exist (deleted?)", system=SYSTEM, object_name=CASE,
            record_id=case_id,
        )

    async def changed(
        self, after: Watermark | None, until: datetime, limit: int
    ) -> list[tuple[str, datetime]]:
        """(id, SystemModstamp) of open return Cases changed after the watermark and no later
        than `until`, oldest first: SystemModstamp moves with every change, ours included.
        Closed Cases are left alone, so a first poll does not return history again."""
        condition = (
            compare("Type", "=", RETURN_TYPE)
            & compare("IsClosed", "=", False)
            & compare("SystemModstamp", "<=", until)
        )
        if after is not None:
            condition = condition & (
                compare("SystemModstamp", ">", after.modified_at)
                | (
                    compare("SystemModstamp", "=", after.modified_at)
                    & compare("Id", ">", after.last_id)
                )
            )
        query = Query(
            CASE, ("Id", "SystemModstamp"), where=condition,
            order_by=(("SystemModstamp", "ASC"), ("Id", "ASC")), limit=limit,
        )
        found: list[tuple[str, datetime]] = []
        async for page in self.client.query_pages(query.render(), object_name=CASE):
            for row in page:
                stamp = parse_datetime(row.get("SystemModstamp"))
                if stamp is not None:
                    found.append((str(row["Id"]), stamp))
        return found

    async def stamp(self, case_id: str, fields: dict[str, Any]) -> None:
        """Write Causeway's fields onto the Case (a PATCH of only those fields)."""
        if not _ID.match(case_id):
            raise InvalidRecordError(
                f"{case_id!r} is not a Salesforce id", system=SYSTEM, object_name=CASE,
                record_id=case_id, field="Id",
            )
        detail = fields.get("Return_Status_Detail__c")
        if isinstance(detail, str) and len(detail) > DETAIL_LENGTH:
            fields = fields | {"Return_Status_Detail__c": detail[: DETAIL_LENGTH - 1] + "…"}
        await self.client.request(
            "PATCH", f"{self.client.data_path}/sobjects/{CASE}/{case_id}", json=fields,
            object_name=CASE, record_id=case_id,
        )
