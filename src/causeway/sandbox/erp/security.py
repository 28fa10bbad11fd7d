"""SAP Gateway logon and CSRF protection: Basic auth, session cookies and x-csrf-token.

A client fetches a token with `x-csrf-token: Fetch` on a GET (or HEAD); the token is bound to
the session cookie the same response sets, and every modifying request must send both. Tokens
expire after a configurable time, so long-running clients must handle 403 and refetch.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

SYSTEM_ID = "CWY"
MODIFYING_METHODS = frozenset({"POST", "PUT", "PATCH", "MERGE", "DELETE"})


@dataclass
class _Session:
    token: str | None
    token_issued: float
    last_seen: float


class SessionRegistry:
    """Logon sessions and their CSRF tokens, kept in memory like an application server's."""

    def __init__(
        self,
        token_ttl_s: float,
        session_ttl_s: float = 3600.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, _Session] = {}
        self._token_ttl_s = token_ttl_s
        self._session_ttl_s = session_ttl_s
        self._monotonic = monotonic

    def touch(self, session_id: str | None) -> str:
        """The id of a live session: `session_id` if still valid, else a new one."""
        now = self._monotonic()
        with self._lock:
            self._expire(now)
            session = self._sessions.get(session_id or "")
            if session_id and session is not None:
                session.last_seen = now
                return session_id
            new_id = secrets.token_urlsafe(24)
            self._sessions[new_id] = _Session(None, 0.0, now)
            return new_id

    def is_live(self, session_id: str | None) -> bool:
        """True if `session_id` names a session that has not timed out."""
        with self._lock:
            self._expire(self._monotonic())
            return bool(session_id) and session_id in self._sessions

    def fetch_token(self, session_id: str) -> str:
        """The session's valid token, issuing a new one if it has none or it expired."""
        now = self._monotonic()
        with self._lock:
            session = self._sessions.setdefault(session_id, _Session(None, 0.0, now))
            if session.token is None or now - session.token_issued >= self._token_ttl_s:
                session.token = secrets.token_urlsafe(18)
                session.token_issued = now
            return session.token

    def validate(self, session_id: str | None, token: str | None) -> bool:
        """True if `token` is the unexpired token of session `session_id`."""
        if not session_id or not token:
            return False
        now = self._monotonic()
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None or session.token is None:
                return False
            if now - session.token_issued >= self._token_ttl_s:
                return False
            return secrets.compare_digest(session.token, token)

    def _expire(self, now: float) -> None:
        stale = [
            key for key, session in self._sessions.items()
            if now - session.last_seen >= self._session_ttl_s
        ]
        for key in stale:
            del self._sessions[key]


def session_cookie_name(sap_client: str) -> str:
    """The name SAP gives its session cookie: SAP_SESSIONID_<SID>_<client>."""
    return f"SAP_SESSIONID_{SYSTEM_ID}_{sap_client}"


def basic_credentials(authorization: str | None) -> tuple[str, str] | None:
    """(user, password) from a Basic Authorization header, or None."""
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, separator, password = decoded.partition(":")
    return (user, password) if separator else None


def credentials_match(given: tuple[str, str] | None, user: str, password: str) -> bool:
    """Compare credentials in constant time; SAP user names are case-insensitive."""
    if given is None:
        return False
    same_user = secrets.compare_digest(given[0].upper(), user.upper())
    same_password = secrets.compare_digest(given[1], password)
    return same_user and same_password


def www_authenticate(sap_client: str) -> str:
    """The challenge SAP NetWeaver sends with 401."""
    return f'Basic realm="SAP NetWeaver Application Server [{SYSTEM_ID}/{sap_client}]"'
