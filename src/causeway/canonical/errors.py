"""Typed errors of the canonical layer: each names the object, the record and the fields."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


def format_path(loc: Iterable[str | int]) -> str:
    """Render a pydantic location as a field path: ('lines', 0, 'sku') -> 'lines[0].sku'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


@dataclass(frozen=True, slots=True)
class FieldIssue:
    """One problem with one field of a record; an empty path means the record as a whole."""

    path: str
    message: str
    input: Any = None

    def describe(self) -> str:
        """'path: message', for logs and operators."""
        return f"{self.path or '<record>'}: {self.message}"


class CanonicalError(Exception):
    """Base of every canonical-layer error."""


class CanonicalValidationError(CanonicalError):
    """A record does not satisfy its canonical object; says which record and which fields."""

    def __init__(
        self, object_name: str, record_key: str | None, issues: Sequence[FieldIssue]
    ) -> None:
        self.object_name = object_name
        self.record_key = record_key
        self.issues = tuple(issues)
        super().__init__(self.describe())

    @property
    def fields(self) -> tuple[str, ...]:
        """The field paths at fault, in the order pydantic reported them."""
        return tuple(issue.path for issue in self.issues)

    def describe(self) -> str:
        """One line naming object, record and every faulty field."""
        record = f" {self.record_key}" if self.record_key else ""
        details = "; ".join(issue.describe() for issue in self.issues)
        return f"{self.object_name}{record}: {details}"

    @classmethod
    def from_pydantic(
        cls, object_name: str, record_key: str | None, error: ValidationError
    ) -> CanonicalValidationError:
        """Translate pydantic's error list into field issues with our path syntax."""
        issues = [
            FieldIssue(path=format_path(item["loc"]), message=item["msg"], input=item.get("input"))
            for item in error.errors(include_url=False)
        ]
        return cls(object_name, record_key, issues)


class UnknownCanonicalTypeError(CanonicalError, LookupError):
    """A name that is not a registered canonical object (typo in a mapping or a command)."""

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = tuple(sorted(known))
        super().__init__(f"unknown canonical object {name!r}; known: {', '.join(self.known)}")


class UnknownCanonicalFieldError(CanonicalError, LookupError):
    """A field path that does not exist in a canonical object."""

    def __init__(self, object_name: str, path: str, reason: str) -> None:
        self.object_name = object_name
        self.path = path
        self.reason = reason
        super().__init__(f"{object_name} has no field {path!r} ({reason})")


class StatusTransitionError(CanonicalError):
    """A status change the object's lifecycle does not allow (e.g. cancelled -> delivered)."""

    def __init__(self, object_name: str, record_key: str | None, current: str, new: str) -> None:
        self.object_name = object_name
        self.record_key = record_key
        self.current = current
        self.new = new
        record = f" {record_key}" if record_key else ""
        super().__init__(f"{object_name}{record}: status cannot change from {current} to {new}")
