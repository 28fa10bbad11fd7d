"""Authentication strategies: bearer, API key, HTTP basic and OAuth2 client credentials.

Each is a configuration model (selected by `type`) plus credentials that stamp a request.
Secrets are pydantic `SecretStr` from the first moment they are read, so no repr, error or
log line can show them. OAuth2 tokens are cached until shortly before they expire and
fetched again once when the API answers 401 to a token we believed valid.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from causeway.connectors.errors import FatalError, RetryableError


class _AuthModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BearerAuth(_AuthModel):
    """A fixed token sent as `Authorization: Bearer <token>`."""

    type: Literal["bearer"] = "bearer"
    token: SecretStr


class ApiKeyAuth(_AuthModel):
    """A key sent in a header or a query parameter."""

    type: Literal["api_key"] = "api_key"
    name: str = Field("X-API-Key", description="header or query parameter name")
    api_key: SecretStr
    location: Literal["header", "query"] = "header"


class HttpBasicAuth(_AuthModel):
    """A user name and password sent as HTTP basic authentication."""

    type: Literal["http_basic"] = "http_basic"
    username: str
    password: SecretStr


class OAuth2ClientCredentialsAuth(_AuthModel):
    """The OAuth2 client-credentials grant; the token is cached until it expires."""

    type: Literal["oauth2_client_credentials"] = "oauth2_client_credentials"
    token_url: str = Field(description="absolute URL of the token endpoint")
    client_id: str
    client_secret: SecretStr
    scope: str | None = None
    token_request_data: dict[str, str] = Field(
        default_factory=dict, description="extra form fields, e.g. audience"
    )
    client_auth: Literal["body", "basic"] = Field(
        "body", description="send the client credentials in the form or as basic auth"
    )
    default_expires_in_s: float = Field(3600, gt=0, description="when expires_in is missing")
    refresh_margin_s: float = Field(30, ge=0, description="fetch a new token this early")


AuthConfig = Annotated[
    BearerAuth | ApiKeyAuth | HttpBasicAuth | OAuth2ClientCredentialsAuth,
    Field(discriminator="type"),
]


class Credentials(Protocol):
    """Stamps requests with credentials; `renew` says whether a retry after 401 may help."""

    async def apply(self, request: httpx.Request) -> None:
        """Add the credentials to a request about to be sent."""
        ...

    async def renew(self, rejected: httpx.Request) -> bool:
        """Forget credentials the server rejected; True if fresh ones can be fetched."""
        ...


class NoCredentials:
    """For open APIs."""

    async def apply(self, request: httpx.Request) -> None:
        """Nothing to add."""

    async def renew(self, rejected: httpx.Request) -> bool:
        """Nothing to renew."""
        return False

    def __repr__(self) -> str:
        return "NoCredentials()"


class StaticCredentials:
    """Bearer tokens, API keys and basic authentication: fixed for the life of the process."""

    def __init__(self, config: BearerAuth | ApiKeyAuth | HttpBasicAuth) -> None:
        self._config = config

    def __repr__(self) -> str:
        return f"StaticCredentials(type={self._config.type!r})"

    async def apply(self, request: httpx.Request) -> None:
        """Set the header (or query parameter) the configuration names."""
        config = self._config
        if isinstance(config, BearerAuth):
            request.headers["Authorization"] = f"Bearer {config.token.get_secret_value()}"
        elif isinstance(config, HttpBasicAuth):
            request.headers["Authorization"] = basic_header(
                config.username, config.password.get_secret_value()
            )
        elif config.location == "header":
            request.headers[config.name] = config.api_key.get_secret_value()
        else:
            request.url = request.url.copy_merge_params(
                {config.name: config.api_key.get_secret_value()}
            )

    async def renew(self, rejected: httpx.Request) -> bool:
        """A fixed secret cannot be renewed: a 401 is final."""
        return False


class OAuth2ClientCredentials:
    """Fetches, caches and renews an access token with the client-credentials grant."""

    def __init__(
        self,
        config: OAuth2ClientCredentialsAuth,
        http: httpx.AsyncClient,
        *,
        system: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._config = config
        self._http = http
        self._system = system
        self._clock = clock
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()
        self.fetches = 0
        """How many tokens were fetched: lets operators see a renewal storm."""

    def __repr__(self) -> str:
        return f"OAuth2ClientCredentials(token_url={self._config.token_url!r})"

    async def apply(self, request: httpx.Request) -> None:
        """Send the cached token, fetching one first when none is valid."""
        async with self._lock:
            if self._token is None or self._clock() >= self._expires_at:
                await self._fetch()
            assert self._token is not None
            request.headers["Authorization"] = f"Bearer {self._token}"

    async def renew(self, rejected: httpx.Request) -> bool:
        """Drop the token the server refused, unless another task already replaced it."""
        async with self._lock:
            if rejected.headers.get("Authorization") == f"Bearer {self._token}":
                self._token = None
        return True

    async def _fetch(self) -> None:
        config = self._config
        form = {"grant_type": "client_credentials", **config.token_request_data}
        if config.scope:
            form["scope"] = config.scope
        headers = {"Accept": "application/json"}
        secret = config.client_secret.get_secret_value()
        if config.client_auth == "basic":
            headers["Authorization"] = basic_header(config.client_id, secret)
        else:
            form["client_id"] = config.client_id
            form["client_secret"] = secret
        try:
            response = await self._http.post(config.token_url, data=form, headers=headers)
        except httpx.HTTPError as error:
            raise RetryableError(
                f"token request failed: {type(error).__name__}", system=self._system
            ) from None
        body = _json_object(response)
        if response.status_code >= 500:
            raise RetryableError(
                f"token endpoint answered {response.status_code}",
                system=self._system,
                status=response.status_code,
            )
        token = body.get("access_token")
        if response.status_code != 200 or not isinstance(token, str) or not token:
            detail = body.get("error_description") or body.get("error") or response.status_code
            raise FatalError(
                f"token request refused: {detail}",
                system=self._system,
                status=response.status_code,
                code=str(body["error"]) if body.get("error") else None,
            )
        lifetime = _seconds(body.get("expires_in"), config.default_expires_in_s)
        self._token = token
        self._expires_at = self._clock() + max(lifetime - config.refresh_margin_s, 0.0)
        self.fetches += 1


def credentials_for(
    config: AuthConfig | None, http: httpx.AsyncClient, *, system: str
) -> Credentials:
    """The credentials a configured strategy stands for."""
    if config is None:
        return NoCredentials()
    if isinstance(config, OAuth2ClientCredentialsAuth):
        return OAuth2ClientCredentials(config, http, system=system)
    return StaticCredentials(config)


def basic_header(username: str, password: str) -> str:
    """The value of an HTTP basic `Authorization` header (RFC 7617, UTF-8)."""
    pair = f"{username}:{password}".encode()
    return f"Basic {base64.b64encode(pair).decode('ascii')}"


def _json_object(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _seconds(value: Any, default: float) -> float:
    try:
        return float(value) if value is not None else default
    except (TypeError, ValueError):
        return default
