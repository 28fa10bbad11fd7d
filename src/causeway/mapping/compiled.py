"""Compiled mappings: plain closures applied to records, with errors that name the record.

Nothing here parses or checks configuration; the compiler did that once. Applying a mapping
is a loop over (produce, assign) pairs per record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from causeway.canonical.base import CanonicalObject
from causeway.canonical.errors import CanonicalValidationError
from causeway.mapping.errors import (
    MappingApplyError,
    MissingDirectionError,
    RecordInvalidError,
    RuleContext,
)
from causeway.mapping.paths import (
    FieldPath,
    Getter,
    PathSyntaxError,
    Segment,
    Selector,
    Setter,
    parse_path,
)
from causeway.mapping.xref import XrefLookup


@dataclass(slots=True)
class Scope:
    """What every rule may see besides its element: the top-level record and the xref."""

    root: Any
    xref: XrefLookup | None


Producer = Callable[[Any, Scope], Any]

SKIP: Any = object()
"""Returned by a producer whose `when` condition is not met: the target is not written."""


@dataclass(frozen=True, slots=True)
class FieldRule:
    """One compiled target: how to produce its value and where to put it."""

    target: FieldPath
    context: RuleContext
    produce: Producer
    assign: Setter
    canonical_sources: tuple[str, ...] = ()
    element_rules: RuleSet | None = None


class RuleSet:
    """The rules of one direction, or of the elements of one list."""

    __slots__ = ("_steps", "drop_nulls", "rules")

    def __init__(self, rules: tuple[FieldRule, ...], *, drop_nulls: bool) -> None:
        self.rules = rules
        self.drop_nulls = drop_nulls
        self._steps = tuple((rule.produce, rule.assign) for rule in rules)

    def build(self, element: Any, scope: Scope) -> dict[str, Any]:
        """Produce the output dict of one record or list element."""
        out: dict[str, Any] = {}
        drop_nulls = self.drop_nulls
        for produce, assign in self._steps:
            value = produce(element, scope)
            if value is SKIP or (value is None and drop_nulls):
                continue
            assign(out, value)
        return out

    def context_for(self, segments: tuple[Segment, ...]) -> RuleContext | None:
        """The rule that wrote a canonical field path, descending into list elements."""
        for rule in self.rules:
            target = rule.target.segments
            if not _same_place(segments[: len(target)], target):
                continue
            rest = segments[len(target) :]
            if rule.element_rules is not None and rest and isinstance(rest[0], int):
                return rule.element_rules.context_for(rest[1:]) or rule.context
            return rule.context
        return None


@dataclass(frozen=True, slots=True)
class CompiledDirection:
    """One direction of a mapping, ready to apply."""

    name: str
    rules: RuleSet
    context: RuleContext
    record_key: Getter


class CompiledMapping:
    """A mapping file compiled once: `to_canonical` for inbound, `to_system` for outbound."""

    def __init__(
        self,
        *,
        file: str,
        system: str,
        object_name: str,
        canonical_type: type[CanonicalObject],
        inbound: CompiledDirection | None,
        outbound: CompiledDirection | None,
        accepts: tuple[str, ...],
        accepted_canonical_fields: tuple[str, ...],
    ) -> None:
        self.file = file
        self.system = system
        self.object_name = object_name
        self.canonical_type = canonical_type
        self.canonical = canonical_type.SCHEMA.name
        self.inbound = inbound
        self.outbound = outbound
        self.accepts = accepts
        """System fields the outbound direction writes and the system accepts."""
        self.accepted_canonical_fields = accepted_canonical_fields
        """Canonical fields that feed the accepted system fields (for ownership checks)."""

    @property
    def inbound_fields(self) -> frozenset[str]:
        """Top-level canonical fields the inbound direction fills (the rest are defaults)."""
        if self.inbound is None:
            return frozenset()
        return frozenset(
            str(rule.target.segments[0])
            for rule in self.inbound.rules.rules
            if rule.target.segments and isinstance(rule.target.segments[0], str)
        )

    @functools.cached_property
    def outbound_sources(self) -> dict[str, frozenset[str]]:
        """Per top-level system field, the top-level canonical fields its value comes from.

        Ownership decides per canonical field; writes are per system field: this joins them
        (to_Customer reads credit_limit, payment_terms, currency and tax_ids).
        """
        if self.outbound is None:
            return {}
        sources: dict[str, set[str]] = {}
        for rule in self.outbound.rules.rules:
            top = rule.target.segments[0] if rule.target.segments else None
            if not isinstance(top, str):
                continue
            sources.setdefault(top, set()).update(
                _top_field(source) for source in rule.canonical_sources
            )
        return {name: frozenset(found) for name, found in sources.items()}

    @property
    def key(self) -> tuple[str, str, str]:
        """(system, system object, canonical object): how catalogues index mappings."""
        return (self.system, self.object_name, self.canonical)

    def __repr__(self) -> str:
        return f"CompiledMapping({self.system}/{self.object_name} <-> {self.canonical})"

    def _direction(self, direction: CompiledDirection | None, name: str) -> CompiledDirection:
        if direction is None:
            raise MissingDirectionError(
                f"{self.system} {self.object_name} has no {name} mapping",
                file=self.file,
                line=None,
                field=None,
            )
        return direction

    def to_canonical_data(
        self, record: Mapping[str, Any], *, xref: XrefLookup | None = None
    ) -> dict[str, Any]:
        """Inbound without validation: the canonical object as a dict."""
        inbound = self._direction(self.inbound, "inbound")
        try:
            return inbound.rules.build(record, Scope(record, xref))
        except MappingApplyError as exc:
            exc.relocate(record_key=_text(inbound.record_key(record)))
            raise

    def to_canonical(
        self, record: Mapping[str, Any], *, xref: XrefLookup | None = None
    ) -> CanonicalObject:
        """Inbound: a system record to a validated canonical object."""
        inbound = self._direction(self.inbound, "inbound")
        data = self.to_canonical_data(record, xref=xref)
        try:
            return self.canonical_type.parse(data)
        except CanonicalValidationError as exc:
            key = _text(inbound.record_key(record)) or exc.record_key
            context = _context_for_issue(inbound, exc.issues[0].path)
            raise RecordInvalidError(context, exc.issues, key) from exc

    def to_system(
        self, canonical: CanonicalObject | Mapping[str, Any], *, xref: XrefLookup | None = None
    ) -> dict[str, Any]:
        """Outbound: a canonical object (or its JSON form) to the system's record payload."""
        outbound = self._direction(self.outbound, "outbound")
        data = canonical.model_dump(mode="json") if isinstance(canonical, BaseModel) else canonical
        try:
            return outbound.rules.build(data, Scope(data, xref))
        except MappingApplyError as exc:
            exc.relocate(record_key=CanonicalObject.key_of(data))
            raise


def _top_field(path: str) -> str:
    """`party.name` -> party, `addresses[role=billing].city` -> addresses."""
    return path.split(".", 1)[0].split("[", 1)[0]


def _same_place(found: tuple[Segment, ...], target: tuple[Segment, ...]) -> bool:
    # A selector in a target stands for whichever index the validator reports.
    return len(found) == len(target) and all(
        a == b or (isinstance(b, Selector) and isinstance(a, int))
        for a, b in zip(found, target, strict=True)
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _context_for_issue(direction: CompiledDirection, path: str) -> RuleContext:
    try:
        segments = parse_path(path).segments if path else ()
    except PathSyntaxError:
        segments = ()
    found = direction.rules.context_for(segments) if segments else None
    base = found or direction.context
    return RuleContext(
        file=base.file,
        line=base.line,
        field=path or base.field,
        system=base.system,
        object_name=base.object_name,
        canonical=base.canonical,
        direction=base.direction,
    )
