"""`POST /v1/quotes/validate`: can this quote become an order in the ERP as it stands?

The route is async, like price and availability: the validator's ERP calls run on the event
loop (store lookups in a thread). See `causeway.api.quote_validation` for the checks.
"""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Request, Security
from prometheus_client import Histogram

from causeway.api.auth import authorize
from causeway.api.problems import PROBLEM_RESPONSES, documented
from causeway.api.quote_validation import QuoteValidator
from causeway.api.routes.quote_validation_models import QuoteValidation, QuoteValidationRequest
from causeway.api.scopes import QUOTES_VALIDATE
from causeway.api.tokens import Principal
from causeway.api.upstream import ErpUnavailable

LATENCY = Histogram(
    "causeway_api_quote_validation_seconds",
    "Time to validate a quote, by outcome (valid, invalid, unavailable).",
    ["outcome"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0),
)

router = APIRouter(prefix="/v1/quotes", tags=["quotes"], responses=PROBLEM_RESPONSES)
Validator = Annotated[Principal, Security(authorize, scopes=[QUOTES_VALIDATE])]
RESPONSES: dict[int | str, dict[str, Any]] = {
    503: documented("The ERP cannot be asked now; `Retry-After` says when to try again"),
}


@router.post("/validate", summary="Validate a quote against the ERP", responses=RESPONSES)
async def validate_quote(
    body: QuoteValidationRequest, request: Request, _: Validator
) -> QuoteValidation:
    """Whether the quote can become an order: the customer synced to the ERP and not blocked,
    each quoted unit price within the tolerance of the ERP's, the order within the customer's
    credit. Findings name the request field, a code and the ERP's figure; nothing is saved."""
    validator: QuoteValidator = request.app.state.quote_validator
    started = time.perf_counter()
    outcome = "failed"
    try:
        result = await validator.validate(body.customer.ref(), body.currency,
                                          body.lines_to_check())
        outcome = "valid" if result.valid else "invalid"
        return QuoteValidation.of(result, validator.settings)
    except ErpUnavailable:
        outcome = "unavailable"
        raise
    finally:
        LATENCY.labels(outcome).observe(time.perf_counter() - started)


def install(app: FastAPI, validator: QuoteValidator) -> None:
    """Mount the route over `validator` (ErpUnavailable is answered app-wide)."""
    app.state.quote_validator = validator
    app.include_router(router)
