"""`/v1/quotes/...`: price and availability for quoting tools, answered in real time.

The route is async: the pricing service and the S/4HANA connector live on the event loop, and
the service's cache and single-flight table need no lock there. See `causeway.api.pricing`
for the cache, the ERP deadline and the degraded answers.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request, Security
from fastapi.responses import JSONResponse

from causeway.api.auth import authorize
from causeway.api.pricing import LATENCY, ErpUnavailable, PricingService, QuoteRejected
from causeway.api.problems import PROBLEM_RESPONSES, documented, problem_response
from causeway.api.routes.quotes_models import PriceAvailability, PriceAvailabilityRequest
from causeway.api.scopes import QUOTES_PRICE
from causeway.api.tokens import Principal

ERP_FIELDS = {
    "Material": "material",
    "RequestedQuantity": "quantity",
    "SoldToParty": "customer",
    "TransactionCurrency": "currency",
}
"""The ERP's field names as the request's."""


router = APIRouter(prefix="/v1/quotes", tags=["quotes"], responses=PROBLEM_RESPONSES)
Pricer = Annotated[Principal, Security(authorize, scopes=[QUOTES_PRICE])]
RESPONSES: dict[int | str, dict[str, Any]] = {
    422: documented("Invalid fields, or a line the ERP refuses; `errors` names each"),
    503: documented("The ERP cannot price the quote and no recent answer is known"),
}


@router.post("/price-availability", summary="Price and confirm quote lines", responses=RESPONSES)
async def price_availability(
    body: PriceAvailabilityRequest, request: Request, _: Pricer
) -> PriceAvailability:
    """Net prices and confirmed quantities and dates of the lines, as the ERP would take the
    order (nothing is saved). Answers from a short cache; when the ERP fails, the last known
    answer of the same quote is served with `degraded: true`, or 503 when there is none."""
    service: PricingService = request.app.state.pricing
    started = time.perf_counter()
    outcome = "failed"
    try:
        quote = await service.quote(
            body.customer, body.currency, [line.quote_line() for line in body.lines]
        )
        outcome = "degraded" if quote.degraded else quote.source
        return PriceAvailability.of(quote)
    except QuoteRejected:
        outcome = "rejected"
        raise
    except ErpUnavailable:
        outcome = "unavailable"
        raise
    finally:
        LATENCY.labels(outcome).observe(time.perf_counter() - started)


async def _rejected(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, QuoteRejected)
    name = ERP_FIELDS.get(error.field or "", error.field or "")
    if error.line is not None and name in ("material", "quantity", "currency"):
        field = f"lines.{error.line}.{name}" if name != "currency" else "currency"
    else:
        field = name
    extensions: dict[str, Any] = {
        "errors": [
            {"location": "body", "field": field, "message": error.message, "code": "erp_rejected"}
        ],
        "line": error.line,
        "erp_field": error.field,
    }
    return problem_response(
        request, 422, "quote-rejected", "Quote refused by the ERP",
        f"invalid: body.{field}" if field else error.message, extensions=extensions,
    )


def install(app: FastAPI, service: PricingService) -> None:
    """Mount the routes over `service` and answer its errors as problems."""
    app.state.pricing = service
    app.include_router(router)
    app.add_exception_handler(QuoteRejected, _rejected)
