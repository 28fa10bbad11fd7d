"""The `api:` section of a project file: token settings and the clients allowed in.

    api:
      signing_key: ${CAUSEWAY_API_SIGNING_KEY}   # optional: that variable is read anyway
      token_ttl: 900
      clients:
        ops-console:
          secret_hash: scrypt$n=16384,r=8,p=5$...   # `causeway api hash-secret`
          scopes: [runtime:read, runtime:operate]

Only hashes of client secrets are configured, so a leaked project file grants nothing; the
signing key is a secret and, like every secret of a project, comes from the environment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from causeway.api.client_secrets import SecretHash
from causeway.api.scopes import SCOPES

SIGNING_KEY_ENV = "CAUSEWAY_API_SIGNING_KEY"
MIN_SIGNING_KEY_BYTES = 32  # RFC 7518 §3.2: an HS256 key at least as long as the hash


class ApiConfigError(ValueError):
    """The API cannot start as configured; the message says which setting to fix."""


class ApiClient(BaseModel):
    """One machine client: the hash of its secret and the scopes it may ask for."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secret_hash: str = Field(description="scrypt hash from `causeway api hash-secret`")
    scopes: tuple[str, ...] = Field(min_length=1)
    description: str | None = None

    @field_validator("secret_hash")
    @classmethod
    def _parses(cls, value: str) -> str:
        SecretHash.parse(value)
        return value

    @field_validator("scopes")
    @classmethod
    def _known(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(SCOPES))
        if unknown:
            raise ValueError(f"unknown scopes {unknown}; known: {sorted(SCOPES)}")
        return value

    def stored_hash(self) -> SecretHash:
        """The parsed hash (validated when the settings were loaded)."""
        return SecretHash.parse(self.secret_hash)


class ApiSettings(BaseModel):
    """Token lifetime, audience, signing key and clients of the HTTP API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    signing_key: SecretStr | None = Field(
        None, description=f"HS256 key; ${SIGNING_KEY_ENV} when not set here"
    )
    audience: str = Field("causeway", min_length=1, max_length=200)
    issuer: str = Field("causeway", min_length=1, max_length=200)
    token_ttl: int = Field(900, ge=60, le=86_400, description="access token lifetime, seconds")
    max_body_bytes: int = Field(1_048_576, ge=1024, description="largest request body accepted")
    clients: dict[str, ApiClient] = Field(default_factory=dict)

    @field_validator("clients")
    @classmethod
    def _client_ids(cls, value: dict[str, ApiClient]) -> dict[str, ApiClient]:
        for client_id in value:
            if not client_id or len(client_id) > 100 or not client_id.isprintable():
                raise ValueError(f"client id {client_id!r}: 1 to 100 printable characters")
            if ":" in client_id:
                raise ValueError(f"client id {client_id!r}: no ':' (HTTP Basic splits on it)")
        return value

    def key(self, env: Mapping[str, str] | None = None) -> bytes:
        """The signing key from the settings or the environment, long enough for HS256."""
        configured = self.signing_key.get_secret_value() if self.signing_key else None
        raw = configured or (os.environ if env is None else env).get(SIGNING_KEY_ENV, "")
        if not raw:
            raise ApiConfigError(
                f"no signing key: set api.signing_key or ${SIGNING_KEY_ENV} "
                "(e.g. `openssl rand -base64 48`)"
            )
        key = raw.encode("utf-8")
        if len(key) < MIN_SIGNING_KEY_BYTES:
            raise ApiConfigError(
                f"the signing key must be at least {MIN_SIGNING_KEY_BYTES} bytes"
            )
        return key
