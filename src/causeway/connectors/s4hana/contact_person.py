"""ContactPerson: a person business partner and its contact relationship, as one record.

S/4HANA keeps a B2B contact as a person business partner (category 1) related to the
organisation by a contact relationship (A_BusinessPartnerContact, category BUR001) whose
function, department, e-mail and phone sit in `to_ContactRelationship`
(A_BPContactToFuncAndDept). Causeway reads and writes the pair as one record: the person's
fields plus `Contact`, the relationship with its details, or null when there is none.
Every write step reads the current state first, so a retry after any partial failure converges.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from causeway.connectors.contract import RawRecord
from causeway.connectors.errors import ConnectorError, InvalidRecordError
from causeway.connectors.s4hana.catalogue import CONTACT_PERSON
from causeway.connectors.s4hana.client import S4Client
from causeway.connectors.s4hana.deep_update import plan_patches
from causeway.connectors.s4hana.errors import SYSTEM
from causeway.connectors.s4hana.odata import any_of, compare, parse_datetime

CONTACT = "Contact"
DETAILS = "to_ContactRelationship"
COMPANY = "BusinessPartnerCompany"
PERSON = "BusinessPartnerPerson"
SERVICE = "API_BUSINESS_PARTNER"
RELATIONSHIPS = "A_BusinessPartnerContact"
CHUNK = 40
"""Persons per relationship query, as for reads by id: the URL stays well under 8 KB."""

_KEYS = frozenset({"RelationshipNumber", COMPANY, PERSON, "ValidityEndDate"})


def split_contact(fields: Mapping[str, Any], record_id: str) -> tuple[dict[str, Any], Any]:
    """The person's own fields, and the `Contact` part (None when the payload has none)."""
    person = {name: value for name, value in fields.items() if name != CONTACT}
    contact = fields.get(CONTACT)
    if contact is not None and not isinstance(contact, Mapping):
        raise InvalidRecordError(
            "Contact must be an object holding BusinessPartnerCompany and to_ContactRelationship",
            system=SYSTEM,
            object_name=CONTACT_PERSON,
            record_id=record_id,
            field=CONTACT,
        )
    return person, contact


def current_relationship(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
    """The relationship a person's record shows: the standard one, else the latest started."""
    if not rows:
        return None

    def rank(row: dict[str, Any]) -> tuple[bool, float, str]:
        start = parse_datetime(row.get("ValidityStartDate"))
        return (
            bool(row.get("IsStandardRelationship")),
            start.timestamp() if start else 0.0,
            str(row.get("RelationshipNumber") or ""),
        )

    return max(rows, key=rank)


class ContactPersons:
    """Relationship reads and writes for ContactPerson records, over the connector's client."""

    def __init__(self, client: S4Client) -> None:
        self.client = client

    async def relationships(self, persons: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Valid (not ended) contact relationships per person, `to_ContactRelationship` expanded."""
        today = self.client.server_now().date()
        found: dict[str, list[dict[str, Any]]] = {}
        for start in range(0, len(persons), CHUNK):
            chunk = list(persons[start : start + CHUNK])
            condition = any_of(PERSON, chunk) & compare("ValidityEndDate", "ge", today)
            params = {"$filter": condition.text, "$expand": DETAILS}
            pages = self.client.pages(SERVICE, RELATIONSHIPS, params, object_name=CONTACT_PERSON)
            async for page in pages:
                for row in page:
                    found.setdefault(str(row[PERSON]), []).append(row)
        return found

    async def attach(self, records: Sequence[RawRecord]) -> list[RawRecord]:
        """The person records with `Contact` filled in.

        A person without a valid relationship is no (longer a) contact person: it is handed
        out as deleted, so ending a relationship reads as deleting the contact.
        """
        if not records:
            return []
        found = await self.relationships([record.id for record in records])
        attached = []
        for record in records:
            contact = current_relationship(found.get(record.id, []))
            attached.append(
                replace(record, fields=record.fields | {CONTACT: contact}, deleted=contact is None)
            )
        return attached

    async def ensure(self, person: str, contact: Mapping[str, Any]) -> None:
        """Bring the person's relationship to what `contact` says; end those to other companies.

        The new relationship is created before an old one ends, so a refused company leaves
        the person where it was instead of with no company at all.
        """
        company = contact.get(COMPANY)
        if not company:
            raise InvalidRecordError(
                "a contact person needs the organisation it belongs to",
                system=SYSTEM,
                object_name=CONTACT_PERSON,
                record_id=person,
                field=f"{CONTACT}.{COMPANY}",
            )
        details = contact.get(DETAILS) or {}
        if not isinstance(details, Mapping):
            raise InvalidRecordError(
                "to_ContactRelationship must be an object",
                system=SYSTEM,
                object_name=CONTACT_PERSON,
                record_id=person,
                field=f"{CONTACT}.{DETAILS}",
            )
        own = {
            name: value
            for name, value in contact.items()
            if name not in _KEYS and name != DETAILS and not name.startswith("__")
        }
        current = (await self.relationships([person])).get(person, [])
        same = [row for row in current if str(row.get(COMPANY)) == str(company)]
        if same:
            await self._align(person, same[0], own, details)
        else:
            await self._create(person, str(company), own, details)
        for old in current:
            if str(old.get(COMPANY)) != str(company):
                await self._end(person, old)

    async def end_all(self, person: str) -> None:
        """End every valid contact relationship of the person (the person itself stays)."""
        for row in (await self.relationships([person])).get(person, []):
            await self._end(person, row)

    async def _create(
        self, person: str, company: str, own: dict[str, Any], details: Mapping[str, Any]
    ) -> None:
        body = {COMPANY: company, PERSON: person, **own, DETAILS: dict(details)}
        try:
            await self.client.request(
                "POST",
                SERVICE,
                RELATIONSHIPS,
                json=body,
                object_name=CONTACT_PERSON,
                record_id=person,
            )
        except ConnectorError as error:
            raise relabel(error, person, _field(error.field, details)) from None

    async def _align(
        self, person: str, row: dict[str, Any], own: dict[str, Any], details: Mapping[str, Any]
    ) -> None:
        wanted = {**own, DETAILS: dict(details)}
        for patch in plan_patches(wanted, row, CONTACT, person):
            try:
                await self.client.request(
                    "PATCH",
                    SERVICE,
                    patch.uri,
                    json=patch.fields,
                    object_name=CONTACT_PERSON,
                    record_id=person,
                )
            except ConnectorError as error:
                raise relabel(error, person, _field(error.field, details)) from None

    async def _end(self, person: str, row: dict[str, Any]) -> None:
        uri = (row.get("__metadata") or {}).get("uri")
        if not uri:
            raise InvalidRecordError(
                "the service gave no URI to end this relationship",
                system=SYSTEM,
                object_name=CONTACT_PERSON,
                record_id=person,
                field=CONTACT,
            )
        try:
            await self.client.request(
                "DELETE", SERVICE, str(uri), object_name=CONTACT_PERSON, record_id=person
            )
        except ConnectorError as error:
            raise relabel(error, person, CONTACT) from None


def _field(name: str | None, details: Mapping[str, Any]) -> str:
    """Where a property the service names sits in the ContactPerson payload."""
    if name is None:
        return CONTACT
    if name in details:
        return f"{CONTACT}.{DETAILS}.{name}"
    return f"{CONTACT}.{name}"


def relabel(error: ConnectorError, record_id: str, field: str | None) -> ConnectorError:
    """The same failure, told as one of the ContactPerson record and its payload field."""
    return type(error)(
        error.message,
        system=error.system,
        object_name=CONTACT_PERSON,
        record_id=record_id,
        field=field,
        status=error.status,
        code=error.code,
        retry_after=error.retry_after,
        ambiguous=error.ambiguous,
    )
