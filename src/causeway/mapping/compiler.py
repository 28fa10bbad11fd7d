"""Turn a mapping file into a CompiledMapping, checking it against the canonical model.

Every problem found becomes a MappingIssue with file, line and field; the compiler keeps
going after a problem so one run of `causeway validate` reports everything at once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

from causeway.canonical.base import CanonicalObject
from causeway.canonical.errors import UnknownCanonicalFieldError, UnknownCanonicalTypeError
from causeway.canonical.fields import enum_type, field_type, list_item_model, required_fields
from causeway.canonical.registry import canonical_type
from causeway.mapping.compiled import CompiledDirection, CompiledMapping, FieldRule, RuleSet
from causeway.mapping.errors import MappingIssue, RuleContext, Severity
from causeway.mapping.expressions import ExpressionSyntaxError, compile_expression
from causeway.mapping.paths import (
    FieldPath,
    Getter,
    PathSyntaxError,
    Selector,
    compile_getter,
    compile_setter,
    parse_path,
)
from causeway.mapping.rules import (
    LookupTarget,
    ValueMap,
    from_constant,
    from_each,
    from_expression,
    from_join,
    from_lookup,
    from_source,
    only_when,
    refine,
)
from causeway.mapping.spec import DirectionSpec, FieldSpec, MappingSpec
from causeway.mapping.transforms import TRANSFORMS, Transform
from causeway.mapping.value_maps import UnknownValueMapError, build_value_map, enumeration_problems
from causeway.mapping.xref import CANONICAL_SYSTEM
from causeway.mapping.yaml_lines import LocatedDocument, Location

DirectionName = Literal["inbound", "outbound"]
_UNKNOWN = object()


def _absent(record: Any) -> None:
    return None


def issue_label(location: Location) -> str | None:
    """The field a spec location is about.

    ('inbound', 'fields', 'lines', 'fields', 'sku', 'source') -> 'lines[].sku'.
    """
    parts: list[str] = []
    for index, part in enumerate(location[:-1]):
        following = location[index + 1]
        if part == "fields" and isinstance(following, str):
            parts.append(following)
    return "[].".join(parts) or None


class _Compiler:
    def __init__(self, doc: LocatedDocument, spec: MappingSpec, model: type[CanonicalObject]):
        self.doc = doc
        self.spec = spec
        self.model = model
        self.issues: list[MappingIssue] = []

    def issue(
        self,
        location: Location,
        field: str | None,
        message: str,
        code: str,
        severity: Severity = "error",
    ) -> None:
        self.issues.append(
            MappingIssue(self.doc.file, self.doc.line(location), field, message, code, severity)
        )

    def context(self, location: Location, field: str, direction: DirectionName) -> RuleContext:
        return RuleContext(
            file=self.doc.file,
            line=self.doc.line(location),
            field=field,
            system=self.spec.system,
            object_name=self.spec.object,
            canonical=self.spec.canonical,
            direction=direction,
        )

    def compile(self) -> CompiledMapping:
        inbound = outbound = None
        if self.spec.inbound is not None:
            inbound = self.direction("inbound", self.spec.inbound)
        accepts: tuple[str, ...] = ()
        accepted_canonical: tuple[str, ...] = ()
        if self.spec.outbound is not None:
            outbound = self.direction("outbound", self.spec.outbound)
            accepts, accepted_canonical = self.accepts(self.spec.outbound, outbound.rules)
        return CompiledMapping(
            file=self.doc.file,
            system=self.spec.system,
            object_name=self.spec.object,
            canonical_type=self.model,
            inbound=inbound,
            outbound=outbound,
            accepts=accepts,
            accepted_canonical_fields=accepted_canonical,
        )

    def direction(self, name: DirectionName, spec: DirectionSpec) -> CompiledDirection:
        drop_nulls = (spec.nulls or ("drop" if name == "inbound" else "keep")) == "drop"
        rules = self.ruleset(spec.fields, (name, "fields"), "", self.model, name, drop_nulls)
        if name == "inbound" and self.spec.key is not None:
            key_path = self.path(self.spec.key, ("key",), None)
            record_key = compile_getter(key_path) if key_path else _absent
        elif name == "inbound":
            record_key = _absent
        else:
            record_key = CanonicalObject.key_of
        return CompiledDirection(name, rules, self.context((name,), "", name), record_key)

    def path(self, text: str, location: Location, label: str | None) -> FieldPath | None:
        try:
            return parse_path(text)
        except PathSyntaxError as exc:
            self.issue(location, label, str(exc), "path")
            return None

    def canonical_field(
        self, path: FieldPath, model: type[BaseModel], location: Location, label: str
    ) -> Any:
        base = self.model if path.from_root else model
        segments: list[str | int] = []
        try:
            for segment in path.segments:
                if isinstance(segment, Selector):
                    # A selector is an index whose element must have the selected field.
                    segments.append(0)
                    self.check_selector(base, segments, segment, location, label)
                else:
                    segments.append(segment)
            return field_type(base, segments)
        except UnknownCanonicalFieldError as exc:
            self.issue(location, label, str(exc), "unknown_field")
            return _UNKNOWN

    def check_selector(
        self,
        model: type[BaseModel],
        segments: list[str | int],
        selector: Selector,
        location: Location,
        label: str,
    ) -> None:
        selected = enum_type(field_type(model, [*segments, selector.key]))
        if selected is not None and selector.value not in {str(m.value) for m in selected}:
            self.issue(
                location,
                label,
                f"{selector.value!r} is not a value of {selected.__name__}",
                "unknown_field",
            )

    def ruleset(
        self,
        fields: Mapping[str, FieldSpec],
        location: Location,
        prefix: str,
        model: type[BaseModel],
        direction: DirectionName,
        drop_nulls: bool,
    ) -> RuleSet:
        rules = [
            rule
            for target, spec in fields.items()
            if (rule := self.rule(target, spec, location, prefix, model, direction, drop_nulls))
        ]
        for index, first in enumerate(rules):
            for second in rules[index + 1 :]:
                if first.target.startswith(second.target) or second.target.startswith(first.target):
                    self.issue(
                        (*location, second.target.text),
                        prefix + second.target.text,
                        f"target overlaps {first.target.text!r}",
                        "overlap",
                    )
        if direction == "inbound":
            # Count targets whose rule failed too, so one mistake is reported once.
            covered = {re.split(r"[.\[]", target, maxsplit=1)[0] for target in fields}
            for name in required_fields(model):
                if name not in covered:
                    self.issue(
                        location,
                        prefix + name,
                        f"required canonical field {prefix + name!r} is not mapped",
                        "required",
                    )
        return RuleSet(tuple(rules), drop_nulls=drop_nulls)

    def rule(
        self,
        target_text: str,
        spec: FieldSpec,
        parent: Location,
        prefix: str,
        model: type[BaseModel],
        direction: DirectionName,
        drop_nulls: bool,
    ) -> FieldRule | None:
        location = (*parent, target_text)
        label = prefix + target_text
        context = self.context(location, target_text, direction)
        inbound = direction == "inbound"
        target = self.path(target_text, location, label)
        if target is None:
            return None
        if target.from_root:
            self.issue(location, label, "a target cannot start at $root", "path")
            return None
        target_type = self.canonical_field(target, model, location, label) if inbound else None
        source_type: Any = None
        sources: tuple[str, ...] = ()
        element_rules: RuleSet | None = None
        kind = spec.producer
        getter: Getter = _absent
        from_root = False
        path: FieldPath | None = None
        if kind in ("source", "lookup", "each"):
            text = spec.lookup.source if kind == "lookup" and spec.lookup else getattr(spec, kind)
            where = (*location, "lookup", "source") if kind == "lookup" else (*location, kind)
            path = self.path(str(text), where, label)
            if path is None:
                return None
            if not inbound:
                source_type = self.canonical_field(path, model, where, label)
                sources = (path.text,)
            getter = compile_getter(path)
            from_root = path.from_root
        if kind == "source":
            assert path is not None
            raw = from_source(getter, path)
        elif kind == "join":
            parts: list[tuple[Getter, bool]] = []
            for index, text in enumerate(spec.join or ()):
                where = (*location, "join", index)
                part = self.path(text, where, label)
                if part is None:
                    return None
                if not inbound:
                    self.canonical_field(part, model, where, label)
                    sources += (part.text,)
                parts.append((compile_getter(part), part.from_root))
            raw = from_join(parts, spec.separator)
        elif kind == "expr":
            try:
                expression = compile_expression(str(spec.expr))
            except ExpressionSyntaxError as exc:
                at = f" at character {exc.position}" if exc.position is not None else ""
                self.issue((*location, "expr"), label, f"bad expression{at}: {exc}", "expression")
                return None
            raw = from_expression(expression, context)
        elif kind == "constant":
            raw = from_constant(spec.constant)
        elif kind == "lookup":
            assert spec.lookup is not None
            lookup = LookupTarget(
                entity=spec.lookup.entity,
                from_system=spec.lookup.from_system
                or (self.spec.system if inbound else CANONICAL_SYSTEM),
                to_system=spec.lookup.to_system
                or (CANONICAL_SYSTEM if inbound else self.spec.system),
            )
            raw = from_lookup(
                getter,
                from_root=from_root,
                target=lookup,
                required=spec.required,
                context=context,
            )
        else:
            element_type = target_type if inbound else source_type
            element_model = None if element_type is _UNKNOWN else list_item_model(element_type)
            if element_model is None:
                if element_type is not _UNKNOWN:
                    side = "target" if inbound else "source"
                    self.issue(location, label, f"`each` {side} is not a list of objects", "each")
                return None
            assert spec.fields is not None
            element_rules = self.ruleset(
                spec.fields,
                (*location, "fields"),
                label + "[].",
                element_model,
                direction,
                drop_nulls,
            )
            raw = from_each(getter, from_root=from_root, rules=element_rules, context=context)
            sources += (
                tuple(
                    f"{sources[0]}[].{nested}"
                    for nested_rule in element_rules.rules
                    for nested in nested_rule.canonical_sources
                )
                if sources
                else ()
            )
        transforms = self.transforms(spec, location, label)
        value_map = self.value_map(spec, location, label, target_type, source_type)
        if spec.reads is not None:
            if inbound:
                self.issue((*location, "reads"), label, "`reads` is for outbound rules", "reads")
            for index, text in enumerate(spec.reads):
                read = self.path(text, (*location, "reads", index), label)
                if read is not None and not inbound:
                    self.canonical_field(read, model, (*location, "reads", index), label)
                    sources += (read.text,)
        produce = refine(
            raw,
            transforms=transforms,
            value_map=value_map,
            has_default=spec.has_default,
            default=spec.default,
            required=spec.required,
            context=context,
        )
        if spec.when is not None:
            condition = self.path(spec.when, (*location, "when"), label)
            if condition is None:
                return None
            if not inbound:
                self.canonical_field(condition, model, (*location, "when"), label)
            produce = only_when(produce, compile_getter(condition), from_root=condition.from_root)
        return FieldRule(
            target=target,
            context=context,
            produce=produce,
            assign=compile_setter(target),
            canonical_sources=sources,
            element_rules=element_rules,
        )

    def transforms(
        self, spec: FieldSpec, location: Location, label: str
    ) -> list[tuple[str, Transform]]:
        found: list[tuple[str, Transform]] = []
        for name in spec.transforms:
            transform = TRANSFORMS.get(name)
            if transform is None:
                known = ", ".join(sorted(TRANSFORMS))
                self.issue(
                    (*location, "transform"),
                    label,
                    f"unknown transform {name!r} (known: {known})",
                    "transform",
                )
            else:
                found.append((name, transform))
        return found

    def value_map(
        self, spec: FieldSpec, location: Location, label: str, target_type: Any, source_type: Any
    ) -> ValueMap | None:
        where = (*location, "values")
        try:
            value_map = build_value_map(spec, self.spec.value_maps)
        except UnknownValueMapError as exc:
            self.issue(where, label, str(exc), "value_map")
            return None
        if value_map is not None:
            for problem in enumeration_problems(
                value_map,
                None if target_type is _UNKNOWN else target_type,
                None if source_type is _UNKNOWN else source_type,
            ):
                self.issue(where, label, problem, "value_map")
        return value_map

    def accepts(
        self, spec: DirectionSpec, rules: RuleSet
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        tops = [rule for rule in rules.rules if isinstance(rule.target.segments[0], str)]
        if spec.accepts is None:
            names = tuple(dict.fromkeys(str(rule.target.segments[0]) for rule in tops))
        else:
            names = tuple(spec.accepts)
        canonical: list[str] = []
        for index, name in enumerate(names):
            matching = [r for r in tops if r.target.segments[0] == name or r.target.text == name]
            if not matching:
                self.issue(
                    ("outbound", "accepts", index),
                    name,
                    f"accepted field {name!r} is not an outbound target",
                    "accepts",
                )
            for rule in matching:
                canonical.extend(rule.canonical_sources)
        return names, tuple(dict.fromkeys(canonical))


def compile_document(doc: LocatedDocument) -> tuple[CompiledMapping | None, list[MappingIssue]]:
    """Compile a parsed file; the mapping is None when any issue is an error."""
    try:
        spec = MappingSpec.model_validate(doc.data)
    except ValidationError as exc:
        issues = []
        for error in exc.errors(include_url=False):
            location = tuple(error["loc"])
            message = error["msg"].removeprefix("Value error, ")
            issues.append(
                MappingIssue(doc.file, doc.line(location), issue_label(location), message, "schema")
            )
        return None, issues
    try:
        model = canonical_type(spec.canonical, spec.canonical_version)
    except UnknownCanonicalTypeError as exc:
        where = "canonical_version" if spec.canonical_version else "canonical"
        return None, [MappingIssue(doc.file, doc.line((where,)), None, str(exc), "canonical")]
    compiler = _Compiler(doc, spec, model)
    mapping = compiler.compile()
    if any(issue.severity == "error" for issue in compiler.issues):
        return None, compiler.issues
    return mapping, compiler.issues
