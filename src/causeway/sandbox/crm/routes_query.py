"""SOQL over REST: /query and /queryAll, with paging through nextRecordsUrl."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request

from causeway.sandbox.crm.cursors import Cursor, batch_size, page
from causeway.sandbox.crm.errors import SalesforceError
from causeway.sandbox.crm.query import Planner, select
from causeway.sandbox.crm.soql import parse
from causeway.sandbox.crm.wire import check_version, org

router = APIRouter(prefix="/services/data/v{version}", tags=["query"],
                   dependencies=[Depends(check_version)])


def _run(version: str, request: Request, soql: str | None, include_deleted: bool
         ) -> dict[str, Any]:
    if not soql:
        raise SalesforceError.of(400, "MALFORMED_QUERY", "A query string has to be specified")
    crm = org(request)
    plan = Planner(crm.catalog, soql).plan(parse(soql))
    store = crm.store
    with store.lock:
        table = store.table(plan.sobject.name).values()
        rows = table if include_deleted else (r for r in table if not r["IsDeleted"])
        matched = select(plan, rows, store.clock(), store.get)
        if plan.query.count_all:
            return {"totalSize": len(matched), "done": True, "records": []}
        if plan.counts:
            row: dict[str, Any] = {"attributes": {"type": "AggregateResult"}}
            for alias, column in plan.counts:
                row[alias] = sum(1 for r in matched if column.read(r, store.get) is not None)
            return {"totalSize": 1, "done": True, "records": [row]}
        size = batch_size(request.headers.get("sforce-query-options"),
                          crm.settings.query_batch_size)
        cursor = Cursor(plan, [r["Id"] for r in matched], size)
        return page(crm.cursors, cursor, 0, store.get, version)


@router.get("/query")
def query(version: str, request: Request, q: str | None = None) -> dict[str, Any]:
    """Run a SOQL query over live records."""
    return _run(version, request, q, include_deleted=False)


@router.get("/queryAll")
def query_all(version: str, request: Request, q: str | None = None) -> dict[str, Any]:
    """Run a SOQL query over live and deleted records."""
    return _run(version, request, q, include_deleted=True)


def _more(version: str, request: Request, locator: str) -> dict[str, Any]:
    crm = org(request)
    cursor_id, _, start = locator.partition("-")
    if not start.isdigit():
        raise SalesforceError.of(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
    cursor = crm.cursors.get(cursor_id)
    with crm.store.lock:
        return page(crm.cursors, cursor, int(start), crm.store.get, version, cursor_id)


@router.get("/query/{locator}")
def query_more(version: str, locator: str, request: Request) -> dict[str, Any]:
    """The next page of an open query."""
    return _more(version, request, locator)


@router.get("/queryAll/{locator}")
def query_all_more(version: str, locator: str, request: Request) -> dict[str, Any]:
    """The next page of an open queryAll."""
    return _more(version, request, locator)
