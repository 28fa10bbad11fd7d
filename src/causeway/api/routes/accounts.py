"""`GET /v1/accounts/{key}`: one customer across Causeway, the CRM and the ERP (account 360).

The key is a Salesforce account id, an ERP customer number or a canonical id, told apart by
shape. See `causeway.api.account_view` for how the parts are gathered and what a partial
answer says.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Path, Query, Request, Security
from fastapi.responses import JSONResponse
from prometheus_client import Histogram

from causeway.api.account_view import AccountNotFound, AccountService
from causeway.api.auth import authorize
from causeway.api.customer_directory import key_kind
from causeway.api.problems import PROBLEM_RESPONSES, Problem, documented, problem_response
from causeway.api.routes.accounts_models import Account, AccountQuery
from causeway.api.scopes import ACCOUNTS_READ
from causeway.api.tokens import Principal
from causeway.api.upstream import ErpUnavailable

LATENCY = Histogram(
    "causeway_api_account_seconds",
    "Time to answer account 360, by outcome (complete, partial, not_found, unavailable).",
    ["outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0),
)
KEY_PATTERN = (
    r"^(?:[A-Z0-9]{1,10}|[A-Za-z0-9]{15}|[A-Za-z0-9]{18}"
    r"|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$"
)

router = APIRouter(prefix="/v1/accounts", tags=["accounts"], responses=PROBLEM_RESPONSES)
Reader = Annotated[Principal, Security(authorize, scopes=[ACCOUNTS_READ])]
RESPONSES: dict[int | str, dict[str, Any]] = {
    404: documented("No system and no cross-reference knows the key"),
    503: documented("The key is unknown to Causeway and its system cannot be asked now"),
}


@router.get("/{key}", summary="One customer across CRM and ERP", responses=RESPONSES)
async def read_account(
    key: Annotated[
        str,
        Path(pattern=KEY_PATTERN, description="Salesforce account id (15 or 18 characters), "
             "ERP customer number (up to 10) or canonical id (UUID)"),
    ],
    query: Annotated[AccountQuery, Query()],
    request: Request,
    _: Reader,
) -> Account:
    """The golden record, each system's id, the ERP's blocks, credit, open sales orders, open
    invoices and latest payments, and the CRM's unfinished orders, each list paged with its
    count and totals. A system that cannot be reached is named in `sources`."""
    service: AccountService = request.app.state.accounts
    kind = key_kind(key)
    if kind is None:  # the pattern admits only the three shapes; kept for the type checker
        raise Problem(422, "invalid-request", "Invalid request", "invalid: path.key")
    started = time.perf_counter()
    outcome = "failed"
    try:
        view = await service.view(key, kind)
        outcome = "partial" if view.partial else "complete"
        return Account.of(view, query)
    except AccountNotFound:
        outcome = "not_found"
        raise
    except ErpUnavailable:
        outcome = "unavailable"
        raise
    finally:
        LATENCY.labels(outcome).observe(time.perf_counter() - started)


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, AccountNotFound)
    return problem_response(
        request, 404, "account-not-found", "Account not found",
        f"no customer is known by {error.kind} key {error.key}",
        extensions={"key": error.key, "key_type": error.kind},
    )


def install(app: FastAPI, service: AccountService) -> None:
    """Mount the route over `service` and answer an unknown key as a 404 problem."""
    app.state.accounts = service
    app.include_router(router)
    app.add_exception_handler(AccountNotFound, _not_found)
