"""Typed mapping errors: every one names the mapping file, the line and the field.

Load-time problems are collected as MappingIssue values (a configuration check reports them
all at once); apply-time problems are exceptions carrying the record they happened to, so the
sync layer can park the record with a reason an operator can act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from causeway.canonical.errors import FieldIssue

Severity = Literal["error", "warning"]


def _where(file: str, line: int | None, field: str | None) -> str:
    place = f"{file}:{line}" if line is not None else file
    return f"{place}: field {field}" if field else place


@dataclass(frozen=True, slots=True)
class MappingIssue:
    """One problem found in a mapping file, with its place; `code` classifies it for tooling."""

    file: str
    line: int | None
    field: str | None
    message: str
    code: str = "invalid"
    severity: Severity = "error"

    def describe(self) -> str:
        """'file:line: field F: message', the form editors and CI logs understand."""
        return f"{_where(self.file, self.line, self.field)}: {self.message}"


class MappingError(Exception):
    """Base of every mapping error; `file`, `line` and `field` say where to look."""

    def __init__(self, message: str, *, file: str, line: int | None, field: str | None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.describe())

    def describe(self) -> str:
        """One line: place, then what is wrong."""
        return f"{_where(self.file, self.line, self.field)}: {self.message}"

    def _refresh(self) -> None:
        self.args = (self.describe(),)


class MappingConfigError(MappingError):
    """A mapping file cannot be loaded; `issues` lists every problem found, first one first."""

    def __init__(self, issues: Sequence[MappingIssue]) -> None:
        if not issues:
            raise ValueError("a configuration error needs at least one issue")
        self.issues = tuple(issues)
        first = self.issues[0]
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(first.message + more, file=first.file, line=first.line, field=first.field)


class MissingDirectionError(MappingError):
    """The mapping was asked for a direction (inbound/outbound) it does not define."""


@dataclass(frozen=True, slots=True)
class RuleContext:
    """Where a compiled rule came from, captured once at load so apply errors cost nothing."""

    file: str
    line: int | None
    field: str
    system: str
    object_name: str
    canonical: str
    direction: Literal["inbound", "outbound"]


class MappingApplyError(MappingError):
    """Mapping one record failed; names the record as well as the file, line and field."""

    def __init__(self, message: str, context: RuleContext, record_key: str | None = None) -> None:
        self.context = context
        self.system = context.system
        self.object_name = context.object_name
        self.canonical = context.canonical
        self.direction = context.direction
        self.record_key = record_key
        super().__init__(message, file=context.file, line=context.line, field=context.field)

    def describe(self) -> str:
        """Place, record and problem: 'file:12: field status: Account 001...: ...'."""
        record = f" {self.record_key}" if self.record_key else ""
        return (
            f"{_where(self.file, self.line, self.field)}: "
            f"{self.direction} {self.system} {self.object_name}{record}: {self.message}"
        )

    def relocate(self, *, field: str | None = None, record_key: str | None = None) -> None:
        """Add context learned while the error travels up (list index, record key)."""
        if field is not None:
            self.field = field
        if record_key is not None and self.record_key is None:
            self.record_key = record_key
        self._refresh()


class MissingRequiredError(MappingApplyError):
    """A required field has no value in the record and no default."""


class UnmappedValueError(MappingApplyError):
    """A value is not in the field's value map, and the map has no `otherwise`."""

    def __init__(self, context: RuleContext, value: Any, value_map: str) -> None:
        self.value = value
        self.value_map = value_map
        super().__init__(f"value {value!r} is not in value map {value_map}", context)


class UnresolvedLookupError(MappingApplyError):
    """A required cross-reference lookup found nothing; the sync layer defers the record."""

    def __init__(
        self,
        context: RuleContext,
        *,
        entity: str,
        from_system: str,
        from_id: str,
        to_system: str,
    ) -> None:
        self.entity = entity
        self.from_system = from_system
        self.from_id = from_id
        self.to_system = to_system
        super().__init__(
            f"no {to_system} id for {entity} {from_system}:{from_id} in the cross-reference",
            context,
        )


class TransformError(MappingApplyError):
    """A named transform rejected a value (a malformed date, an unknown country...)."""

    def __init__(self, context: RuleContext, transform: str, value: Any, reason: str) -> None:
        self.transform = transform
        self.value = value
        super().__init__(f"transform {transform} failed on {value!r}: {reason}", context)


class ExpressionEvaluationError(MappingApplyError):
    """A JSONata expression failed while evaluating one record."""


class RecordInvalidError(MappingApplyError):
    """The mapped record does not satisfy its canonical object; lists every faulty field."""

    def __init__(
        self, context: RuleContext, issues: Sequence[FieldIssue], record_key: str | None
    ) -> None:
        self.issues = tuple(issues)
        details = "; ".join(issue.describe() for issue in self.issues)
        super().__init__(f"{context.canonical} is invalid: {details}", context, record_key)
