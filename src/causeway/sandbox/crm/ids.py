"""Salesforce record ids: key prefixes, the case-safe 18-character form and its checksum.

Integrations store, compare and validate these ids, so they must look and behave exactly
like Salesforce's: a 15-character case-sensitive id plus a 3-character suffix that encodes
the case of the first 15 characters.
"""

from __future__ import annotations

import re

_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_ID_SHAPE = re.compile(r"^[a-zA-Z0-9]{15}(?:[a-zA-Z0-5]{3})?$")
# Salesforce ids carry a pod/instance marker after the key prefix; ours is fixed.
_INSTANCE = "Kc"
_RESERVED = "0"
_COUNTER_WIDTH = 15 - 3 - len(_INSTANCE) - len(_RESERVED)

ORG_ID_PREFIX = "00D"
USER_ID_PREFIX = "005"
QUERY_LOCATOR_PREFIX = "01g"


class MalformedIdError(ValueError):
    """A string that cannot be a Salesforce id."""

    def __init__(self, value: str) -> None:
        super().__init__(f"invalid id: {value!r}")
        self.value = value


def checksum(id15: str) -> str:
    """The three suffix characters that make a 15-character id case-insensitively unique."""
    suffix = []
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(id15[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix.append(_SUFFIX_ALPHABET[bits])
    return "".join(suffix)


def to_18(value: str) -> str:
    """Normalise a 15- or 18-character id to 18 characters.

    An 18-character id is case-insensitive: its suffix says which of the first 15
    characters are upper case, so the case is restored from it.
    """
    if not _ID_SHAPE.match(value):
        raise MalformedIdError(value)
    if len(value) == 15:
        return value + checksum(value)
    suffix = value[15:].upper()
    chars = list(value[:15])
    for chunk, code in enumerate(suffix):
        bits = _SUFFIX_ALPHABET.index(code)
        for position in range(5):
            index = chunk * 5 + position
            upper = bool(bits >> position & 1)
            if upper and not chars[index].isalpha():
                raise MalformedIdError(value)
            chars[index] = chars[index].upper() if upper else chars[index].lower()
    return "".join(chars) + suffix


def is_id(value: str) -> bool:
    """True when `value` is a well-formed 15- or 18-character id."""
    try:
        to_18(value)
    except MalformedIdError:
        return False
    return True


def encode_counter(counter: int, width: int = _COUNTER_WIDTH) -> str:
    """A base-62 rendering of `counter`, left-padded with zeros to `width`."""
    if counter < 0:
        raise ValueError("id counters are never negative")
    digits = []
    while counter:
        counter, remainder = divmod(counter, 62)
        digits.append(_BASE62[remainder])
    text = "".join(reversed(digits)) or "0"
    if len(text) > width:
        raise OverflowError(f"id counter {counter} does not fit in {width} characters")
    return text.rjust(width, "0")


def make_id(prefix: str, counter: int) -> str:
    """The 18-character id of the `counter`-th record of the object with key `prefix`."""
    if len(prefix) != 3:
        raise ValueError(f"key prefixes have three characters, not {prefix!r}")
    return to_18(prefix + _INSTANCE + _RESERVED + encode_counter(counter))


def prefix_of(record_id: str) -> str:
    """The key prefix, which names the object an id belongs to."""
    return record_id[:3]
