"""`POST /oauth2/token`: the client credentials grant (RFC 6749 §4.4).

Errors follow RFC 6749 §5.2 (`{"error": ..., "error_description": ...}`) rather than problem
details, because OAuth client libraries parse exactly that shape. The form is parsed here, not
by FastAPI, so every malformed body gets an OAuth error instead of a framework one.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from causeway.api import audit
from causeway.api.auth import REALM, TOKEN_PATH
from causeway.api.client_secrets import verify_secret
from causeway.api.settings import ApiSettings
from causeway.api.tokens import TokenService

router = APIRouter(tags=["oauth2"])

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
FORM = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 8192


class TokenResponse(BaseModel):
    """A successful token response (RFC 6749 §5.1)."""

    access_token: str
    token_type: str = Field("Bearer", description="always Bearer")
    expires_in: int = Field(description="seconds until the token expires")
    scope: str = Field(description="the granted scopes, space-separated")


class OAuthError(BaseModel):
    """An error response (RFC 6749 §5.2)."""

    error: str = Field(
        description="invalid_request, invalid_client, invalid_scope or unsupported_grant_type"
    )
    error_description: str | None = None


class _Refused(Exception):
    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def response(self) -> JSONResponse:
        headers = dict(NO_STORE)
        if self.status == 401:
            headers["WWW-Authenticate"] = f'Basic realm="{REALM}"'
        return JSONResponse(
            {"error": self.error, "error_description": self.description},
            status_code=self.status,
            headers=headers,
        )


_FORM_SCHEMA: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "required": ["grant_type"],
                    "properties": {
                        "grant_type": {"type": "string", "enum": ["client_credentials"]},
                        "client_id": {"type": "string"},
                        "client_secret": {"type": "string", "format": "password"},
                        "scope": {
                            "type": "string",
                            "description": "space-separated; all the client's when omitted",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    TOKEN_PATH,
    summary="Get an access token (client credentials)",
    response_model=TokenResponse,
    responses={
        400: {"model": OAuthError, "description": "invalid_request, invalid_scope, ..."},
        401: {"model": OAuthError, "description": "invalid_client"},
    },
    openapi_extra=_FORM_SCHEMA,
)
async def token(request: Request) -> JSONResponse:
    """Exchange a client id and secret (form fields or HTTP Basic) for a bearer token."""
    settings: ApiSettings = request.app.state.settings
    tokens: TokenService = request.app.state.tokens
    client_id: str | None = None
    try:
        form = await _form(request)
        client_id, secret = _credentials(request, form)
        grant = form.get("grant_type")
        if not grant:
            raise _Refused(400, "invalid_request", "grant_type is required")
        if grant != "client_credentials":
            raise _Refused(400, "unsupported_grant_type", "only client_credentials is supported")
        client = settings.clients.get(client_id)
        stored = client.stored_hash() if client is not None else None
        if client is None or not await run_in_threadpool(verify_secret, secret, stored):
            raise _Refused(401, "invalid_client", "unknown client or wrong secret")
        requested = form.get("scope")
        wanted = set(requested.split()) if requested is not None else set(client.scopes)
        if not wanted or not wanted <= set(client.scopes):
            raise _Refused(400, "invalid_scope", "the client may not ask for these scopes")
    except _Refused as refused:
        audit.record("token.issue", client_id, refused.error)
        return refused.response()
    issued = tokens.issue(client_id, wanted)
    audit.record("token.issue", client_id, "ok", scopes=list(issued.scopes))
    body = TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        scope=" ".join(issued.scopes),
    )
    return JSONResponse(body.model_dump(), headers=NO_STORE)


async def _form(request: Request) -> dict[str, str]:
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type != FORM:
        raise _Refused(400, "invalid_request", f"send the parameters as {FORM}")
    raw = await request.body()
    if len(raw) > MAX_FORM_BYTES:
        raise _Refused(400, "invalid_request", "the form is too large")
    try:
        pairs = parse_qsl(
            raw.decode("utf-8"), keep_blank_values=True, strict_parsing=False, max_num_fields=20
        )
    except (UnicodeDecodeError, ValueError):
        raise _Refused(400, "invalid_request", "the form cannot be read") from None
    form: dict[str, str] = {}
    for name, value in pairs:
        if name in form:  # RFC 6749 §3.2: no parameter more than once
            raise _Refused(400, "invalid_request", f"{name} is given more than once")
        form[name] = value
    return form


def _credentials(request: Request, form: dict[str, str]) -> tuple[str, str]:
    """(client id, secret); exactly one way of authenticating is allowed."""
    header = request.headers.get("authorization")
    if header is not None:
        if "client_secret" in form:
            raise _Refused(400, "invalid_request", "use HTTP Basic or the form, not both")
        return _basic(header)
    client_id, secret = form.get("client_id"), form.get("client_secret")
    if not client_id or secret is None:
        raise _Refused(401, "invalid_client", "client_id and client_secret are required")
    return client_id, secret


def _basic(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        raise _Refused(401, "invalid_client", "use HTTP Basic for client authentication")
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _Refused(401, "invalid_client", "the Basic credentials cannot be read") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise _Refused(401, "invalid_client", "the Basic credentials cannot be read")
    # RFC 6749 §2.3.1: both parts are form-encoded before Basic encoding.
    return unquote_plus(client_id), unquote_plus(secret)
