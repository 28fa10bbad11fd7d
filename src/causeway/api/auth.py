"""Bearer-token checks for every protected route, with RFC 6750 answers.

Each route declares the one scope it needs with `Security(authorize, scopes=[...])`; FastAPI
then also lists the route under the OAuth2 client-credentials scheme in the OpenAPI document,
so the docs and the checks cannot drift apart.
"""

from __future__ import annotations

from typing import Annotated

import structlog
from fastapi import Depends, Request
from fastapi.openapi.models import OAuthFlowClientCredentials, OAuthFlows
from fastapi.security import OAuth2, SecurityScopes

from causeway.api.problems import Problem
from causeway.api.scopes import SCOPES
from causeway.api.settings import ApiSettings
from causeway.api.tokens import InvalidTokenError, Principal, TokenService

TOKEN_PATH = "/oauth2/token"  # noqa: S105  (a path, not a password)
REALM = "causeway"

log = structlog.get_logger("causeway.api")

oauth2 = OAuth2(
    flows=OAuthFlows(
        clientCredentials=OAuthFlowClientCredentials(tokenUrl=TOKEN_PATH, scopes=SCOPES)
    ),
    scheme_name="oauth2",
    description="OAuth 2.0 client credentials (RFC 6749 §4.4); send `Bearer <token>`.",
    auto_error=False,
)


def _unauthorized(detail: str, *, presented: bool) -> Problem:
    # RFC 6750 §3.1: a request with no credentials gets the challenge without an error code.
    challenge = f'Bearer realm="{REALM}"'
    if presented:
        challenge += f', error="invalid_token", error_description="{detail}"'
    return Problem(
        401,
        "unauthorized",
        "Unauthorized",
        detail,
        headers={"WWW-Authenticate": challenge},
    )


def authorize(
    security_scopes: SecurityScopes,
    request: Request,
    authorization: Annotated[str | None, Depends(oauth2)],
) -> Principal:
    """The caller behind a valid bearer token holding every scope the route asks for."""
    principal = authenticate(request, authorization)
    missing = [scope for scope in security_scopes.scopes if scope not in principal.scopes]
    if missing:
        needed = " ".join(missing)
        log.info("scope refused", client_id=principal.subject, needed=needed)
        raise Problem(
            403,
            "insufficient-scope",
            "Insufficient scope",
            f"this call needs the scope {needed}",
            headers={
                "WWW-Authenticate": (
                    f'Bearer realm="{REALM}", error="insufficient_scope", scope="{needed}"'
                )
            },
            required_scope=needed,
        )
    return principal


def authenticate(request: Request, authorization: str | None) -> Principal:
    """The caller behind a valid bearer token (scopes narrowed to what its client may still
    hold); a 401 problem otherwise."""
    tokens: TokenService = request.app.state.tokens
    settings: ApiSettings = request.app.state.settings
    if not authorization:
        raise _unauthorized("an access token is required", presented=False)
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() != "bearer" or not credentials.strip():
        raise _unauthorized("send the access token as `Authorization: Bearer <token>`",
                            presented=True)
    try:
        principal = tokens.verify(credentials.strip())
    except InvalidTokenError as error:
        log.info("token refused", reason=str(error), path=request.url.path)
        raise _unauthorized(str(error), presented=True) from None
    client = settings.clients.get(principal.subject)
    if client is None:
        log.info("token of an unknown client", client_id=principal.subject)
        raise _unauthorized("the client is no longer allowed in", presented=True)
    # A client's scopes may have been narrowed since the token was issued: the config wins.
    return Principal(
        subject=principal.subject,
        scopes=principal.scopes & frozenset(client.scopes),
        token_id=principal.token_id,
    )
