"""Client secrets kept as scrypt hashes: the project file never holds a usable secret.

scrypt is in the standard library (no native dependency to build) and is memory-hard. The
parameters travel inside each hash, so stronger settings later need no migration: old hashes
still verify with the parameters they were made with.

A hash reads `scrypt$n=16384,r=8,p=5$<salt>$<key>` (salt and key in unpadded base64url).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

# OWASP's scrypt floor in its lower-memory form (N=2^14, r=8, p=5: 16 MiB per verification,
# the same work as N=2^17 with p=1), so concurrent token requests cannot exhaust memory.
DEFAULT_N = 2**14
DEFAULT_R = 8
DEFAULT_P = 5
SALT_BYTES = 16
KEY_BYTES = 32

_FORMAT = re.compile(
    r"^scrypt\$n=(?P<n>[0-9]{1,8}),r=(?P<r>[0-9]{1,2}),p=(?P<p>[0-9]{1,2})"
    r"\$(?P<salt>[A-Za-z0-9_-]{16,})\$(?P<key>[A-Za-z0-9_-]{32,})$"
)


class SecretHashError(ValueError):
    """A configured secret hash is not one `hash_secret` could have written."""


@dataclass(frozen=True, slots=True)
class SecretHash:
    """A parsed hash: the scrypt parameters, the salt and the derived key."""

    n: int
    r: int
    p: int
    salt: bytes
    key: bytes

    @classmethod
    def parse(cls, text: str) -> SecretHash:
        """Read a stored hash; the error says what is wrong, never echoing the text."""
        match = _FORMAT.match(text)
        if match is None:
            raise SecretHashError(
                "not a scrypt hash; make one with `causeway api hash-secret`"
            )
        n, r, p = int(match["n"]), int(match["r"]), int(match["p"])
        if n < 2 or n & (n - 1) or n > 2**20 or not 1 <= r <= 32 or not 1 <= p <= 16:
            raise SecretHashError("scrypt parameters out of range (n a power of two up to 2^20)")
        return cls(n, r, p, _decode(match["salt"]), _decode(match["key"]))

    def matches(self, secret: str) -> bool:
        """True when `secret` derives the stored key (compared in constant time)."""
        derived = _derive(secret, self.salt, self.n, self.r, self.p, len(self.key))
        return hmac.compare_digest(derived, self.key)

    def __str__(self) -> str:
        return (
            f"scrypt$n={self.n},r={self.r},p={self.p}${_encode(self.salt)}${_encode(self.key)}"
        )


def hash_secret(
    secret: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R, p: int = DEFAULT_P
) -> str:
    """A new salted hash of `secret`, to paste into the project file."""
    salt = secrets.token_bytes(SALT_BYTES)
    return str(SecretHash(n, r, p, salt, _derive(secret, salt, n, r, p, KEY_BYTES)))


def new_secret() -> str:
    """A fresh client secret with 256 bits of entropy."""
    return secrets.token_urlsafe(32)


# A hash to verify against when the client id is unknown, so a wrong id costs the same time
# as a wrong secret and response times do not reveal which client ids exist.
_DECOY = SecretHash(DEFAULT_N, DEFAULT_R, DEFAULT_P, b"\0" * SALT_BYTES, b"\0" * KEY_BYTES)


def verify_secret(secret: str, stored: SecretHash | None) -> bool:
    """Check a presented secret; with no stored hash, spend the same work and answer False."""
    if stored is None:
        _DECOY.matches(secret)
        return False
    return stored.matches(secret)


def _derive(secret: str, salt: bytes, n: int, r: int, p: int, length: int) -> bytes:
    return hashlib.scrypt(
        secret.encode("utf-8", "surrogatepass"),
        salt=salt,
        n=n,
        r=r,
        p=p,
        maxmem=256 * n * r + 1024 * 1024,
        dklen=length,
    )


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
