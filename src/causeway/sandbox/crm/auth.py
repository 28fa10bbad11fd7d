"""Access tokens: issued by the OAuth and SOAP logins, checked on every API call.

A token is valid until it times out or the org is reset; an unknown or expired token gets
INVALID_SESSION_ID, which is what makes clients log in again.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Session:
    """Who holds an access token, through which app, and until when."""

    token: str
    user_id: str
    client_id: str
    expires_at: float


class Sessions:
    """Issued access tokens."""

    def __init__(self, org_id: str, timeout_s: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._org_id = org_id
        self._timeout_s = timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._sessions: dict[str, Session] = {}

    def issue(self, user_id: str, client_id: str) -> Session:
        """A new token shaped like Salesforce's: the org id, '!', then opaque text."""
        token = f"{self._org_id[:15]}!{secrets.token_urlsafe(72)}"
        session = Session(token, user_id, client_id, self._clock() + self._timeout_s)
        with self._lock:
            self._sessions[token] = session
        return session

    def check(self, token: str) -> Session | None:
        """The live session of `token`, or None (unknown or timed out)."""
        with self._lock:
            session = self._sessions.get(token)
            if session is None:
                return None
            if session.expires_at <= self._clock():
                del self._sessions[token]
                return None
            return session

    def revoke(self, token: str) -> None:
        """End one session."""
        with self._lock:
            self._sessions.pop(token, None)

    def clear(self) -> None:
        """End every session."""
        with self._lock:
            self._sessions.clear()


def bearer_token(authorization: str | None) -> str | None:
    """The token in `Authorization: Bearer x` (or the older `OAuth x`)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() in ("bearer", "oauth") and token.strip():
        return token.strip()
    return None
