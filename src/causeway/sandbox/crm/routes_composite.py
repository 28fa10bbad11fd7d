"""sObject Collections: create, update, upsert, delete and retrieve up to 200 records per call.

One call is one transaction (one transactionKey in change events). With allOrNone every
failure rolls back the whole call; without it each failing record is rolled back alone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from causeway.sandbox.crm.cursors import record_body
from causeway.sandbox.crm.errors import ErrorItem, SalesforceError
from causeway.sandbox.crm.ids import MalformedIdError, to_18
from causeway.sandbox.crm.org import CrmOrg
from causeway.sandbox.crm.routes_sobjects import selected_fields, sobject_of
from causeway.sandbox.crm.store import Transaction
from causeway.sandbox.crm.wire import call_origin, check_version, org, read_json

router = APIRouter(prefix="/services/data/v{version}/composite/sobjects", tags=["composite"],
                   dependencies=[Depends(check_version)])
MAX_RECORDS = 200
_ROLLED_BACK = ErrorItem("ALL_OR_NONE_OPERATION_ROLLED_BACK",
                         "Record rolled back because not all records were valid and the request "
                         "was using AllOrNone header")
Operation = Callable[[Transaction, Any], dict[str, Any]]


class _Abandoned(Exception):
    def __init__(self, results: list[dict[str, Any]]) -> None:
        super().__init__("all-or-none collection rolled back")
        self.results = results


def _record_error(code: str, message: str, fields: tuple[str, ...] = ()) -> SalesforceError:
    return SalesforceError(400, [ErrorItem(code, message, fields)])


def _too_many(count: int) -> None:
    if count > MAX_RECORDS:
        raise SalesforceError.of(400, "EXCEEDED_ID_LIMIT", "Record limit reached. Cannot submit "
                                 f"more than {MAX_RECORDS} records into this call")


async def _body(request: Request) -> tuple[list[Any], bool]:
    body = await read_json(request)
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise SalesforceError.of(400, "JSON_PARSER_ERROR", "Cannot deserialize the request: "
                                 "expected an object with a 'records' list")
    _too_many(len(body["records"]))
    return body["records"], bool(body.get("allOrNone", False))


def _run(crm: CrmOrg, origin: str, items: list[Any], all_or_none: bool,
         operation: Operation) -> list[dict[str, Any]]:
    store = crm.store
    try:
        with store.transaction(origin) as tx:
            results: list[dict[str, Any]] = []
            failed = False
            for item in items:
                mark = tx.mark()
                try:
                    results.append(operation(tx, item))
                except SalesforceError as error:
                    store.rollback_to(tx, mark)
                    failed = True
                    result: dict[str, Any] = {"success": False, "errors": [
                        entry.as_save_result() for entry in error.items]}
                    if error.record_id:
                        result["id"] = error.record_id
                    results.append(result)
            if failed and all_or_none:
                raise _Abandoned(results)
            return results
    except _Abandoned as abandoned:
        return [
            result if not result["success"] else
            {"id": None, "success": False, "errors": [_ROLLED_BACK.as_save_result()]}
            for result in abandoned.results
        ]


def _type_of(crm: CrmOrg, item: Any, record_id: str | None = None) -> str:
    if not isinstance(item, dict):
        raise _record_error("JSON_PARSER_ERROR", "Each record must be a JSON object")
    attributes = item.get("attributes")
    name = attributes.get("type") if isinstance(attributes, dict) else None
    if not name and record_id:
        name = crm.store.kind_of(record_id)
    if not name:
        raise _record_error("INVALID_TYPE", "Must send a concrete entity type.")
    definition = crm.catalog.get(str(name))
    if definition is None:
        raise _record_error("INVALID_TYPE", f"sObject type '{name}' is not supported.")
    return definition.name


def _id_of(item: Any) -> str:
    raw = item.get("id") or item.get("Id") if isinstance(item, dict) else None
    if not raw:
        raise _record_error("MISSING_ARGUMENT", "Id not specified in an update call")
    try:
        return to_18(str(raw))
    except MalformedIdError:
        raise _record_error("MALFORMED_ID", f"bad id {raw}", ("Id",)) from None


@router.post("")
async def create_many(version: str, request: Request) -> JSONResponse:
    """Insert up to 200 records, possibly of several types."""
    crm = org(request)
    items, all_or_none = await _body(request)

    def create_one(tx: Transaction, item: Any) -> dict[str, Any]:
        sobject = _type_of(crm, item)
        if "id" in item or "Id" in item:
            raise _record_error("INVALID_FIELD_FOR_INSERT_UPDATE",
                                "cannot specify Id in an insert call", ("Id",))
        return {"id": crm.store.create(tx, sobject, item), "success": True, "errors": []}

    return JSONResponse(_run(crm, call_origin(request, version), items, all_or_none, create_one))


@router.patch("")
async def update_many(version: str, request: Request) -> JSONResponse:
    """Update up to 200 records by id."""
    crm = org(request)
    items, all_or_none = await _body(request)

    def update_one(tx: Transaction, item: Any) -> dict[str, Any]:
        record_id = _id_of(item)
        sobject = _type_of(crm, item, record_id)
        values = {k: v for k, v in item.items() if k not in ("id", "Id")}
        try:
            crm.store.update(tx, sobject, record_id, values)
        except SalesforceError as error:
            error.record_id = record_id
            raise
        return {"id": record_id, "success": True, "errors": []}

    return JSONResponse(_run(crm, call_origin(request, version), items, all_or_none, update_one))


@router.delete("")
def delete_many(version: str, request: Request, ids: str = "",
                allOrNone: bool = False) -> JSONResponse:
    """Delete up to 200 records by id."""
    crm = org(request)
    wanted = [part.strip() for part in ids.split(",") if part.strip()]
    _too_many(len(wanted))

    def delete_one(tx: Transaction, raw: Any) -> dict[str, Any]:
        try:
            record_id = to_18(str(raw))
        except MalformedIdError:
            raise _record_error("MALFORMED_ID", f"malformed id {raw}") from None
        try:
            crm.store.delete(tx, None, record_id)
        except SalesforceError as error:
            error.record_id = record_id
            if error.items[0].error_code == "NOT_FOUND":
                error.items = [ErrorItem("INVALID_CROSS_REFERENCE_KEY",
                                         "invalid cross reference id")]
            raise
        return {"id": record_id, "success": True, "errors": []}

    return JSONResponse(_run(crm, call_origin(request, version), wanted, allOrNone, delete_one))


@router.get("/{sobject}")
def read_many(version: str, sobject: str, request: Request, ids: str = "",
              fields: str = "Id") -> list[dict[str, Any] | None]:
    """Records of one type by id; null where an id is not found."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    names = selected_fields(definition, fields)
    wanted = [part.strip() for part in ids.split(",") if part.strip()]
    _too_many(len(wanted))
    found: list[dict[str, Any] | None] = []
    with crm.store.lock:
        for raw in wanted:
            try:
                record = crm.store.get(to_18(raw))
            except MalformedIdError:
                record = None
            valid = (record is not None and not record["IsDeleted"]
                     and crm.store.kind_of(record["Id"]) == definition.name)
            found.append(record_body(version, definition.name, record, names)
                         if valid and record is not None else None)
    return found


@router.patch("/{sobject}/{field_name}")
async def upsert_many(version: str, sobject: str, field_name: str,
                      request: Request) -> JSONResponse:
    """Create or update up to 200 records of one type by an external id field."""
    crm = org(request)
    definition = sobject_of(crm, sobject)
    field = definition.field(field_name)
    if field is None or not field.external_id:
        raise SalesforceError.of(400, "INVALID_FIELD", f"Field name provided, {field_name} is "
                                 f"not an External ID or indexed field for {definition.name}")
    items, all_or_none = await _body(request)

    def upsert_one(tx: Transaction, item: Any) -> dict[str, Any]:
        if _type_of(crm, item) != definition.name:
            raise _record_error("INVALID_TYPE", "sObject type does not match the URL")
        value = item.get(field.name)
        if value is None:
            raise _record_error("MISSING_ARGUMENT", f"{field.name} not specified", (field.name,))
        matches = crm.store.find_external(definition.name, field.name, value)
        if len(matches) > 1:
            raise _record_error("DUPLICATE_EXTERNAL_ID", f"{field.name}: more than one record "
                                f"found for external id field: {matches}", (field.name,))
        if matches:
            values = {k: v for k, v in item.items() if k != field.name}
            crm.store.update(tx, definition.name, matches[0], values)
            return {"id": matches[0], "success": True, "errors": [], "created": False}
        record_id = crm.store.create(tx, definition.name, item)
        return {"id": record_id, "success": True, "errors": [], "created": True}

    return JSONResponse(_run(crm, call_origin(request, version), items, all_or_none, upsert_one))
