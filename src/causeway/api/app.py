"""`create_app`: Causeway's HTTP API, versioned under /v1, every route behind a token.

The app holds no global state: settings, the token service and the backbone hang off
`app.state`, so tests and `causeway api serve` build apps the same way and several apps can
live in one process.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from causeway import __version__
from causeway.api import problems
from causeway.api.account_view import AccountService
from causeway.api.auth import TOKEN_PATH, authenticate
from causeway.api.middleware import RequestContextMiddleware
from causeway.api.pricing import PricingService
from causeway.api.problems import Problem
from causeway.api.quote_validation import QuoteValidator
from causeway.api.routes import accounts as account_routes
from causeway.api.routes import health, oauth, quote_validation, quotes, runtime, timelines
from causeway.api.settings import ApiSettings
from causeway.api.tokens import TokenService
from causeway.api.upstream import ErpUnavailable, answer_unavailable
from causeway.observe.activity import ActivityLog
from causeway.runtime.backbone import Backbone

OPENAPI_PATH = "/v1/openapi.json"
DOCS_PATH = "/v1/docs"
PUBLIC_PATHS = frozenset(
    {TOKEN_PATH, "/healthz", OPENAPI_PATH, DOCS_PATH, f"{DOCS_PATH}/oauth2-redirect"}
)
"""The only paths served without an access token."""


def create_app(
    settings: ApiSettings,
    backbone: Backbone,
    *,
    env: Mapping[str, str] | None = None,
    clock: Callable[[], float] = time.time,
    pricing: PricingService | None = None,
    quote_validator: QuoteValidator | None = None,
    accounts: AccountService | None = None,
    activity: ActivityLog | None = None,
) -> FastAPI:
    """The API over `backbone`; raises ApiConfigError when no usable signing key is set.

    With `pricing`, the app also serves price and availability (`/v1/quotes/price-availability`),
    with `quote_validator` quote validation (`/v1/quotes/validate`), with `accounts` account
    360 (`/v1/accounts/{key}`), with `activity` process timelines by business number
    (`/v1/timelines`).
    """
    app = FastAPI(
        title="Causeway API",
        version=__version__,
        summary="Operate and query Causeway: dead letters, flows and, later, business data.",
        openapi_url=OPENAPI_PATH,
        docs_url=DOCS_PATH,
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=f"{DOCS_PATH}/oauth2-redirect",
    )
    app.state.settings = settings
    app.state.backbone = backbone
    app.state.tokens = TokenService(
        settings.key(env),
        audience=settings.audience,
        issuer=settings.issuer,
        ttl=settings.token_ttl,
        clock=clock,
    )
    problems.install(app)
    app.add_exception_handler(ErpUnavailable, answer_unavailable)
    app.add_exception_handler(RequestValidationError, _authenticated_first)
    app.include_router(health.router)
    app.include_router(oauth.router)
    runtime.install(app)
    if pricing is not None:
        quotes.install(app, pricing)
    if quote_validator is not None:
        quote_validation.install(app, quote_validator)
    if accounts is not None:
        account_routes.install(app, accounts)
    if activity is not None:
        timelines.install(app, activity)
    app.add_middleware(RequestContextMiddleware, max_body_bytes=settings.max_body_bytes)
    return app


async def _authenticated_first(request: Request, error: Exception) -> JSONResponse:
    """A body or query FastAPI could not parse is only described to an authenticated caller:
    anyone else gets the 401 the route would have given (FastAPI parses before it checks)."""
    if request.url.path not in PUBLIC_PATHS:
        try:
            authenticate(request, request.headers.get("authorization"))
        except Problem as refused:
            return await problems.answer(request, refused)
    return await problems.validation_failed(request, error)
