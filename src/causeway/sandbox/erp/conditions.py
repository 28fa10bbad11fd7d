"""Condition record rules: numbering, checks, validity and the delimiting of older records.

A record is created with its validity (deep insert of `to_SlsPrcgCndnRecdValidity`, one
period per record as VK11 keeps them). As in VK11, a new record whose period overlaps an
older one of the same type and key delimits the older one; an older record the new period
covers entirely is marked for deletion. Records are never deleted: `ConditionIsDeleted`
takes them out of pricing. The rate, pricing unit, deletion flag and the record's validity
dates can change; every change stamps `YY1_LastChangeDateTime` and the ETag.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from causeway.sandbox.erp.errors import bad_request, invalid_value
from causeway.sandbox.erp.model import EntityType
from causeway.sandbox.erp.payload import Payload
from causeway.sandbox.erp.rules.conditions import (
    CUSTOMER_DISCOUNT_TABLE,
    CUSTOMER_PRICE_TABLE,
    DISCOUNT,
    LIST_PRICE_TABLE,
    PRICE,
)
from causeway.sandbox.erp.rules.pricing import EUR_RATES
from causeway.sandbox.erp.services.business_partner import CUSTOMER
from causeway.sandbox.erp.services.pricing_condition import CONDITION_RECORD, CONDITION_VALIDITY
from causeway.sandbox.erp.services.product import PRODUCT
from causeway.sandbox.erp.store import Record, key_of
from causeway.sandbox.erp.system import Erp
from causeway.sandbox.erp.writes import blank_record, insert

OPEN_END = datetime(9999, 12, 31, tzinfo=UTC)
RECORD_SET = CONDITION_RECORD.entity_set
VALIDITY_SET = CONDITION_VALIDITY.entity_set
NAV = "to_SlsPrcgCndnRecdValidity"
_KEY_FIELDS = ("SalesOrganization", "DistributionChannel", "Division", "Customer", "Material")


def _day(moment: datetime) -> datetime:
    return datetime(moment.year, moment.month, moment.day, tzinfo=UTC)


def _number(erp: Erp) -> str:
    return f"{erp.store.next_number('ConditionRecord', 1):010d}"


def validity_of(erp: Erp, number: str) -> Record | None:
    """The validity period of a condition record (one per record)."""
    rows = erp.store.scan(CONDITION_VALIDITY, lead=number)
    return rows[0] if rows else None


def _stamp(erp: Erp, record: Record, *, created: bool) -> None:
    erp.stamp(CONDITION_RECORD, record, created=created)
    record["ETag"] = record["YY1_LastChangeDateTime"].strftime("%Y%m%d%H%M%S.%f")


def _check_rate(erp: Erp, record: Record, validity: Record) -> None:
    """The rate's unit and value suit the condition type; fill what the type implies."""
    number = str(record.get("ConditionRecord") or "")
    rate = record.get("ConditionRateValue")
    if rate is None:
        raise invalid_value(RECORD_SET, "ConditionRateValue", "Enter a condition rate", number)
    if record["ConditionType"] == DISCOUNT:
        unit = record.get("ConditionRateValueUnit") or "%"
        if unit != "%":
            raise invalid_value(
                RECORD_SET, "ConditionRateValueUnit", "A K007 discount is a percentage (%)", number
            )
        record |= {
            "ConditionRateValue": -abs(Decimal(rate)),  # discounts are kept negative
            "ConditionRateValueUnit": "%",
            "ConditionCurrency": None,
            "ConditionCalculationType": "A",
            "ConditionQuantity": None,
            "ConditionQuantityUnit": None,
        }
        return
    currency = str(record.get("ConditionRateValueUnit") or "")
    if currency not in EUR_RATES:
        raise invalid_value(
            RECORD_SET,
            "ConditionRateValueUnit",
            f"Currency '{currency}' is not maintained; enter the price's currency",
            number,
        )
    if rate < 0:
        raise invalid_value(RECORD_SET, "ConditionRateValue", "A price cannot be negative", number)
    goods = erp.store.get(PRODUCT, (str(validity.get("Material") or ""),)) or {}
    base_unit = goods.get("BaseUnit")
    quantity = record.get("ConditionQuantity") or Decimal(1)
    unit = record.get("ConditionQuantityUnit") or base_unit
    if quantity <= 0:
        raise invalid_value(
            RECORD_SET, "ConditionQuantity", "The pricing unit must be greater than zero", number
        )
    if unit != base_unit:
        raise invalid_value(
            RECORD_SET,
            "ConditionQuantityUnit",
            f"Unit '{unit}' differs from the material's base unit '{base_unit}'; the sandbox "
            "converts no units",
            number,
        )
    record |= {
        "ConditionCurrency": currency,
        "ConditionCalculationType": "C",
        "ConditionQuantity": quantity,
        "ConditionQuantityUnit": unit,
        "BaseUnit": base_unit,
    }


def _check_key(erp: Erp, condition_type: str, validity: Record) -> str:
    """Check the validity's key fields for the type; returns the condition table."""
    number = str(validity.get("ConditionRecord") or "")
    for name in ("SalesOrganization", "DistributionChannel"):
        if not validity.get(name):
            raise invalid_value(VALIDITY_SET, name, f"Enter the {name} the condition applies to")
    customer = validity.get("Customer")
    if customer and erp.store.get(CUSTOMER, (str(customer),)) is None:
        raise invalid_value(VALIDITY_SET, "Customer", f"Customer {customer} does not exist", number)
    if condition_type == DISCOUNT:
        if not customer:
            raise invalid_value(VALIDITY_SET, "Customer", "A K007 discount needs a customer")
        validity["Division"] = validity.get("Division") or "00"
        validity["Material"] = None
        return CUSTOMER_DISCOUNT_TABLE
    material = validity.get("Material")
    if not material:
        raise invalid_value(VALIDITY_SET, "Material", "A PPR0 price needs a material")
    if erp.store.get(PRODUCT, (str(material),)) is None:
        raise invalid_value(VALIDITY_SET, "Material", f"Material {material} does not exist")
    return CUSTOMER_PRICE_TABLE if customer else LIST_PRICE_TABLE


def _same_key(one: Record, other: Record) -> bool:
    return all((one.get(name) or "") == (other.get(name) or "") for name in _KEY_FIELDS)


def _delimit(erp: Erp, record: Record, validity: Record) -> None:
    """Cut the periods of older records of the same type and key that the new one overlaps."""
    start, end = validity["ConditionValidityStartDate"], validity["ConditionValidityEndDate"]
    lead = "Material" if validity.get("Material") else "Customer"
    candidates = erp.store.find(CONDITION_VALIDITY, equal={lead: str(validity[lead])})
    for older_validity in candidates:
        number = str(older_validity["ConditionRecord"])
        if number == record["ConditionRecord"]:
            continue
        if older_validity.get("ConditionType") != record["ConditionType"]:
            continue
        if not _same_key(older_validity, validity):
            continue
        older = erp.store.get(CONDITION_RECORD, (number,))
        if older is None or older.get("ConditionIsDeleted"):
            continue
        old_start = older_validity["ConditionValidityStartDate"]
        old_end = older_validity["ConditionValidityEndDate"]
        if old_end < start or old_start > end:
            continue
        if old_start < start:
            move_validity(erp, older, older_validity, old_start, start - timedelta(days=1))
        elif old_end > end:
            move_validity(erp, older, older_validity, end + timedelta(days=1), old_end)
        else:
            older["ConditionIsDeleted"] = True
            _stamp(erp, older, created=False)
            erp.store.replace(CONDITION_RECORD, older)


def move_validity(
    erp: Erp, record: Record, validity: Record, start: datetime, end: datetime
) -> None:
    """Give a record a new period (the end date is part of the validity's key)."""
    if end < start:
        raise invalid_value(
            RECORD_SET,
            "ConditionValidityEndDate",
            "The validity end date is before the start date",
            str(record["ConditionRecord"]),
        )
    erp.store.delete(CONDITION_VALIDITY, key_of(CONDITION_VALIDITY, validity))
    validity |= {"ConditionValidityStartDate": start, "ConditionValidityEndDate": end}
    insert(erp, CONDITION_VALIDITY, validity)
    record |= {"ConditionValidityStartDate": start, "ConditionValidityEndDate": end}
    _stamp(erp, record, created=False)
    erp.store.replace(CONDITION_RECORD, record)


class ConditionRecordRules:
    """Create and change condition records of the sandbox pricing procedure (PPR0, K007)."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Number the record, check rate and key, store it with its validity, delimit others."""
        record = blank_record(CONDITION_RECORD) | payload.values
        condition_type = str(record.get("ConditionType") or "")
        if condition_type not in (PRICE, DISCOUNT):
            raise invalid_value(
                RECORD_SET,
                "ConditionType",
                f"Condition type '{condition_type}' is not in the pricing procedure "
                f"(use {PRICE} or {DISCOUNT})",
            )
        periods = payload.children.get(NAV, [])
        unknown = sorted(set(payload.children) - {NAV})
        if unknown:
            raise bad_request(f"Navigation property '{unknown[0]}' cannot be created with a "
                              "condition record", entity=RECORD_SET)
        if len(periods) != 1:
            raise invalid_value(
                RECORD_SET, NAV, "Create a condition record with exactly one validity period"
            )
        record["ConditionRecord"] = _number(erp)
        validity = blank_record(CONDITION_VALIDITY) | periods[0].values
        validity |= {
            "ConditionRecord": record["ConditionRecord"],
            "ConditionType": condition_type,
            "ConditionApplication": "V",
            "ConditionReleaseStatus": "",
            "ConditionValidityStartDate": validity.get("ConditionValidityStartDate")
            or _day(erp.clock.now()),
            "ConditionValidityEndDate": validity.get("ConditionValidityEndDate") or OPEN_END,
        }
        if validity["ConditionValidityEndDate"] < validity["ConditionValidityStartDate"]:
            raise invalid_value(
                VALIDITY_SET, "ConditionValidityEndDate", "The end date is before the start date"
            )
        table = _check_key(erp, condition_type, validity)
        _check_rate(erp, record, validity)
        record |= {
            "ConditionSequentialNumber": "01",
            "ConditionTable": table,
            "ConditionApplication": "V",
            "ConditionIsDeleted": bool(record.get("ConditionIsDeleted")),
            "ConditionReleaseStatus": "",
            "ConditionValidityStartDate": validity["ConditionValidityStartDate"],
            "ConditionValidityEndDate": validity["ConditionValidityEndDate"],
        }
        _stamp(erp, record, created=True)
        insert(erp, CONDITION_RECORD, record)
        insert(erp, CONDITION_VALIDITY, validity)
        _delimit(erp, record, validity)
        return record

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Change rate, pricing unit, deletion flag or validity dates."""
        record = current | changes
        validity = validity_of(erp, str(record["ConditionRecord"])) or {}
        _check_rate(erp, record, validity)
        start = record.get("ConditionValidityStartDate") or current["ConditionValidityStartDate"]
        end = record.get("ConditionValidityEndDate") or current["ConditionValidityEndDate"]
        if validity and (start, end) != (
            validity["ConditionValidityStartDate"],
            validity["ConditionValidityEndDate"],
        ):
            move_validity(erp, record, validity, start, end)
            return record
        _stamp(erp, record, created=False)
        erp.store.replace(CONDITION_RECORD, record)
        return record

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Not offered: mark the record for deletion (ConditionIsDeleted) instead."""
        raise bad_request("Condition records are marked for deletion, not deleted")


class ConditionValidityRules:
    """A validity period: created with its record, its start date changeable afterwards."""

    def create(
        self, erp: Erp, entity: EntityType, payload: Payload, parent: Record | None
    ) -> Record:
        """Only as part of a new condition record (its deep insert)."""
        raise invalid_value(
            VALIDITY_SET,
            "ConditionRecord",
            "A validity period is created with its condition record (deep insert of "
            f"{NAV}); change the record's validity dates instead",
        )

    def update(self, erp: Erp, entity: EntityType, current: Record, changes: Record) -> Record:
        """Change the start date; the record follows and is stamped."""
        validity = current | changes
        record = erp.store.get(CONDITION_RECORD, (str(current["ConditionRecord"]),))
        if record is None:
            raise invalid_value(VALIDITY_SET, "ConditionRecord", "Condition record is missing")
        move_validity(
            erp,
            record,
            current,
            validity["ConditionValidityStartDate"],
            current["ConditionValidityEndDate"],
        )
        return current

    def delete(self, erp: Erp, entity: EntityType, current: Record) -> None:
        """Not offered (the entity set is not deletable)."""
        raise bad_request("Validity periods are not deleted")
