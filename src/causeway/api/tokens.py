"""Access tokens: HS256-signed JWTs that name the client, its granted scopes and a lifetime.

Self-contained tokens let any API process check a request without a token store; the price
is that a token lives until it expires, so lifetimes are short and every check also asks
whether the client is still configured with those scopes (removing a client revokes it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import jwt

from causeway.runtime.envelope import uuid7

ALGORITHM = "HS256"
REQUIRED_CLAIMS = ("sub", "scope", "exp", "iat", "jti", "aud", "iss")


class InvalidTokenError(Exception):
    """The token is absent, malformed, forged, expired or meant for someone else."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a verified token speaks for: the client id, its scopes and the token's id."""

    subject: str
    scopes: frozenset[str]
    token_id: str


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A signed token and what the token response reports about it."""

    access_token: str
    expires_in: int
    scopes: tuple[str, ...]


class TokenService:
    """Signs and verifies the API's access tokens with one symmetric key."""

    def __init__(
        self,
        key: bytes,
        *,
        audience: str,
        issuer: str,
        ttl: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = key
        self.audience = audience
        self.issuer = issuer
        self.ttl = ttl
        self._clock = clock

    def issue(self, subject: str, scopes: Iterable[str]) -> IssuedToken:
        """A token for `subject` carrying `scopes` (space-separated in the `scope` claim)."""
        granted = tuple(sorted(set(scopes)))
        now = int(self._clock())
        claims = {
            "iss": self.issuer,
            "sub": subject,
            "aud": self.audience,
            "scope": " ".join(granted),
            "iat": now,
            "exp": now + self.ttl,
            "jti": uuid7(),
        }
        token = jwt.encode(claims, self._key, algorithm=ALGORITHM)
        return IssuedToken(access_token=token, expires_in=self.ttl, scopes=granted)

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; InvalidTokenError with a reason otherwise."""
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],  # never "none", never an algorithm the token picks
                audience=self.audience,
                issuer=self.issuer,
                leeway=5,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidTokenError("the access token expired") from None
        except jwt.PyJWTError:
            raise InvalidTokenError("the access token is not valid") from None
        subject, scope, token_id = claims["sub"], claims["scope"], claims["jti"]
        if not all(isinstance(value, str) for value in (subject, scope, token_id)):
            raise InvalidTokenError("the access token is not valid")
        return Principal(subject=subject, scopes=frozenset(scope.split()), token_id=token_id)
