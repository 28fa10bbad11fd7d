"""Verification of the OAuth 2.0 JWT bearer assertion (RFC 7523), as Salesforce does it.

The connected app carries a certificate (here: a PEM public key or certificate) and the
assertion must be RS256-signed by its private key; without one configured the sandbox
accepts HS256 signed with the client secret instead, never an unsigned token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

_CLOCK_SKEW_S = 300


class RejectedAssertion(Exception):
    """The assertion is not acceptable; `error` and `description` are OAuth's words."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error = error
        self.description = description


@dataclass(frozen=True)
class Claims:
    """The claims the token endpoint acts on."""

    issuer: str
    subject: str
    audience: str
    expires: float


def _b64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def _public_key(pem: str) -> rsa.RSAPublicKey:
    data = pem.encode()
    if b"CERTIFICATE" in data:
        key: Any = x509.load_pem_x509_certificate(data).public_key()
    else:
        key = serialization.load_pem_public_key(data)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("the connected app's key must be an RSA key")
    return key


def verify(assertion: str, client_secret: str, public_key_pem: str | None,
           now: float | None = None) -> Claims:
    """Check signature and expiry of `assertion`; return its claims."""
    invalid = RejectedAssertion("invalid_grant", "invalid assertion")
    try:
        header_part, payload_part, signature_part = assertion.split(".")
        header = json.loads(_b64(header_part))
        payload = json.loads(_b64(payload_part))
        signature = _b64(signature_part)
    except (ValueError, json.JSONDecodeError):
        raise invalid from None
    signed = f"{header_part}.{payload_part}".encode()
    algorithm = header.get("alg") if isinstance(header, dict) else None
    if public_key_pem:
        if algorithm != "RS256":
            raise invalid
        try:
            _public_key(public_key_pem).verify(signature, signed, padding.PKCS1v15(),
                                               hashes.SHA256())
        except InvalidSignature:
            raise invalid from None
    elif algorithm == "HS256":
        expected = hmac.new(client_secret.encode(), signed, hashlib.sha256).digest()
        if not hmac.compare_digest(expected, signature):
            raise invalid
    else:
        raise invalid
    if not isinstance(payload, dict):
        raise invalid
    try:
        expires = float(payload["exp"])
    except (KeyError, TypeError, ValueError):
        raise invalid from None
    if expires + _CLOCK_SKEW_S < (now if now is not None else time.time()):
        raise RejectedAssertion("invalid_grant", "expired authorization code")
    return Claims(str(payload.get("iss", "")), str(payload.get("sub", "")),
                  str(payload.get("aud", "")), expires)
