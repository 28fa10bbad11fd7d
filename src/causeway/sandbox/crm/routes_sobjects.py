"""sObject resources: describe, create, read, update, delete, and rows by external id."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from causeway.sandbox.crm.cursors import record_body, sobject_url
from causeway.sandbox.crm.describe import full_describe, global_describe, object_summary
from causeway.sandbox.crm.errors import SalesforceError, not_found
from causeway.sandbox.crm.ids import MalformedIdError, to_18
from causeway.sandbox.crm.org import CrmOrg
from causeway.sandbox.crm.schema import SObjectDef
from causeway.sandbox.crm.wire import (
    call_origin,
    check_version,
    org,
    read_record,
    unknown_sobject,
    version_number,
)

router = APIRouter(prefix="/services/data/v{version}", tags=["sobjects"],
                   dependencies=[Depends(check_version)])


def sobject_of(crm: CrmOrg, name: str) -> SObjectDef:
    """The sObject called `name`, or NOT_FOUND."""
    definition = crm.catalog.get(name)
    if definition is None:
        raise unknown_sobject(name)
    return definition


def record_id_of(value: str, sobject: str | None = None) -> str:
    """An 18-character id from a path segment, or the NOT_FOUND a real org answers."""
    try:
        return to_18(value)
    except MalformedIdError:
        raise SalesforceError.of(404, "NOT_FOUND", f"Provided external ID field does not exist "
                                 f"or is not accessible: {value}", sobject=sobject) from None


def selected_fields(definition: SObjectDef, raw: str | None) -> list[str] | None:
    """Canonical names from a `fields=` parameter, or INVALID_FIELD."""
    if raw is None:
        return None
    names = []
    for name in (part.strip() for part in raw.split(",") if part.strip()):
        field = definition.field(name)
        if field is None:
            raise SalesforceError.of(400, "INVALID_FIELD", f"No such column '{name}' on entity "
                                     f"'{definition.name}'. If you are attempting to use a custom "
                                     "field, be sure to append the '__c' after the custom field "
                                     "name. Please reference your WSDL or the describe call for "
                                     "the appropriate names.", sobject=definition.name)
        names.append(field.name)
    return names


@router.get("/sobjects")
def describe_global(version: str, request: Request) -> dict[str, Any]:
    """Every sObject of the org."""
    return global_describe(version, org(request).catalog)


@router.get("/sobjects/{sobject}")
def basic_info(version: str, sobject: str, request: Request) -> dict[str, Any]:
    """Summary of one sObject plus recently created records."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    with crm.store.lock:
        live = [r for r in crm.store.table(definition.name).values() if not r["IsDeleted"]][-5:]
    recent = [record_body(version, definition.name, r,
                          ["Id", *(["Name"] if definition.field("Name") else [])]) for r in live]
    return {"objectDescribe": object_summary(version, definition), "recentItems": recent}


@router.get("/sobjects/{sobject}/describe")
def describe(version: str, sobject: str, request: Request) -> dict[str, Any]:
    """Fields, relationships and flags of one sObject."""
    return full_describe(version, sobject_of(org(request), sobject))


@router.post("/sobjects/{sobject}")
async def create(version: str, sobject: str, request: Request) -> JSONResponse:
    """Insert one record."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    payload = await read_record(request)
    if "Id" in payload or "id" in payload:
        raise SalesforceError.of(400, "INVALID_FIELD_FOR_INSERT_UPDATE",
                                 "cannot specify Id in an insert call", ("Id",))
    with crm.store.transaction(call_origin(request, version)) as tx:
        record_id = crm.store.create(tx, definition.name, payload)
    return JSONResponse({"id": record_id, "success": True, "errors": []}, status_code=201)


@router.get("/sobjects/{sobject}/{record_id}")
def read(version: str, sobject: str, record_id: str, request: Request,
         fields: str | None = None) -> dict[str, Any]:
    """One live record, all fields or the ones asked for."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    names = selected_fields(definition, fields)
    with crm.store.lock:
        _, record = crm.store.live(definition.name, record_id_of(record_id, sobject))
        return record_body(version, definition.name, record, names)


@router.patch("/sobjects/{sobject}/{record_id}")
async def update(version: str, sobject: str, record_id: str, request: Request) -> Response:
    """Change fields of one record."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    payload = await read_record(request)
    target = record_id_of(record_id, sobject)
    if str(payload.get("Id", target)) not in (target, target[:15]):
        raise SalesforceError.of(400, "INVALID_ID_FIELD", "The Id field should not be specified "
                                 "in the sobject data.", ("Id",))
    payload.pop("Id", None)
    with crm.store.transaction(call_origin(request, version)) as tx:
        crm.store.update(tx, definition.name, target, payload)
    return Response(status_code=204)


@router.delete("/sobjects/{sobject}/{record_id}")
def delete(version: str, sobject: str, record_id: str, request: Request) -> Response:
    """Move one record to the recycle bin."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    with crm.store.transaction(call_origin(request, version)) as tx:
        crm.store.delete(tx, definition.name, record_id_of(record_id, sobject))
    return Response(status_code=204)


def _external_matches(crm: CrmOrg, definition: SObjectDef, field_name: str,
                      value: str) -> tuple[str, list[str]]:
    field = definition.field(field_name)
    if field is None or not (field.external_id or field.name == "Id"):
        raise SalesforceError.of(404, "NOT_FOUND", "The requested resource does not exist",
                                 sobject=definition.name)
    if field.name == "Id":
        try:
            record_id = to_18(value)
        except MalformedIdError:
            return field.name, []
        status = crm.store.status(record_id)
        live = status is not None and status[0] == definition.name and not status[1]
        return field.name, [record_id] if live else []
    return field.name, crm.store.find_external(definition.name, field.name, value)


def _multiple_choices(version: str, sobject: str, ids: list[str]) -> JSONResponse:
    return JSONResponse([sobject_url(version, sobject, record_id) for record_id in ids],
                        status_code=300)


@router.get("/sobjects/{sobject}/{field_name}/{value}")
def read_by_external_id(version: str, sobject: str, field_name: str, value: str,
                        request: Request, fields: str | None = None) -> Response:
    """The record whose external id `field_name` is `value`."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    names = selected_fields(definition, fields)
    with crm.store.lock:
        _, ids = _external_matches(crm, definition, field_name, value)
        if not ids:
            raise not_found(definition.name)
        if len(ids) > 1:
            return _multiple_choices(version, definition.name, ids)
        _, record = crm.store.live(definition.name, ids[0])
        return JSONResponse(record_body(version, definition.name, record, names))


@router.patch("/sobjects/{sobject}/{field_name}/{value}")
async def upsert(version: str, sobject: str, field_name: str, value: str,
                 request: Request, updateOnly: bool = False) -> Response:
    """Create or update the record whose external id `field_name` is `value`."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    payload = await read_record(request)
    with crm.store.transaction(call_origin(request, version)) as tx:
        name, ids = _external_matches(crm, definition, field_name, value)
        if len(ids) > 1:
            return _multiple_choices(version, definition.name, ids)
        if ids:
            body = {k: v for k, v in payload.items() if k.lower() != name.lower()}
            crm.store.update(tx, definition.name, ids[0], body)
            if version_number(version) < 46:
                return Response(status_code=204)
            return JSONResponse({"id": ids[0], "success": True, "errors": [],
                                 "created": False}, status_code=200)
        if updateOnly or name == "Id":
            raise not_found(definition.name)
        payload = {k: v for k, v in payload.items() if k.lower() != name.lower()}
        payload[name] = value
        record_id = crm.store.create(tx, definition.name, payload)
    return JSONResponse({"id": record_id, "success": True, "errors": [], "created": True},
                        status_code=201)


@router.delete("/sobjects/{sobject}/{field_name}/{value}")
def delete_by_external_id(version: str, sobject: str, field_name: str, value: str,
                          request: Request) -> Response:
    """Delete the record whose external id `field_name` is `value`."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    with crm.store.transaction(call_origin(request, version)) as tx:
        _, ids = _external_matches(crm, definition, field_name, value)
        if not ids:
            raise not_found(definition.name)
        if len(ids) > 1:
            return _multiple_choices(version, definition.name, ids)
        crm.store.delete(tx, definition.name, ids[0])
    return Response(status_code=204)
