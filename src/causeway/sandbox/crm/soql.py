"""SOQL text to a typed query tree, with Salesforce's MALFORMED_QUERY messages.

The grammar lives in soql.lark; this module turns lark's tree into small dataclasses that
the evaluator (query.py) checks against the schema and runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import (
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from causeway.sandbox.crm.errors import SalesforceError

LiteralKind = Literal["string", "number", "date", "datetime", "date_literal", "null", "boolean"]
_ESCAPES = {"n": "\n", "r": "\r", "t": "\t", "b": "\b", "f": "\f", '"': '"', "'": "'",
            "\\": "\\", "%": "\\%", "_": "\\_"}
_QUOTES = {"\\": "\\\\", "'": "\\'", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b",
           "\f": "\\f", '"': '\\"'}


@dataclass(frozen=True)
class FieldRef:
    """A field or a parent-relationship path (Account.Owner.Name), where it was written."""

    path: tuple[str, ...]
    line: int
    column: int

    @property
    def text(self) -> str:
        """The path as written."""
        return ".".join(self.path)


@dataclass(frozen=True)
class CountField:
    """COUNT(field) with its optional alias."""

    field: FieldRef
    alias: str | None


@dataclass(frozen=True)
class Value:
    """A literal in a filter; LIKE keeps `raw` to tell escaped wildcards apart."""

    kind: LiteralKind
    value: Any
    raw: str = ""


@dataclass(frozen=True)
class Compare:
    """field <op> value."""

    field: FieldRef
    operator: str
    value: Value


@dataclass(frozen=True)
class InList:
    """field [NOT] IN (values)."""

    field: FieldRef
    values: tuple[Value, ...]
    negated: bool


@dataclass(frozen=True)
class Like:
    """field LIKE 'pattern'."""

    field: FieldRef
    pattern: Value


@dataclass(frozen=True)
class Junction:
    """AND or OR over two or more conditions."""

    operator: Literal["AND", "OR"]
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Negation:
    """NOT condition."""

    item: Condition


Condition = Compare | InList | Like | Junction | Negation


@dataclass(frozen=True)
class OrderItem:
    """One ORDER BY key."""

    field: FieldRef
    descending: bool
    nulls_last: bool


@dataclass(frozen=True)
class Query:
    """A parsed SELECT."""

    fields: tuple[FieldRef | CountField, ...]
    count_all: bool
    sobject: str
    sobject_column: int
    where: Condition | None
    order_by: tuple[OrderItem, ...]
    limit: int | None
    offset: int | None


def quote(text: str) -> str:
    """A SOQL string literal for `text`, quotes included."""
    return "'" + "".join(_QUOTES.get(char, char) for char in text) + "'"


def unescape(body: str, keep_wildcards: bool = False) -> str:
    """The text of a string literal body; `\\%` and `\\_` stay escaped for LIKE."""
    out: list[str] = []
    index = 0
    while index < len(body):
        char = body[index]
        if char != "\\":
            out.append(char)
            index += 1
            continue
        escaped = body[index + 1] if index + 1 < len(body) else ""
        if escaped == "u" and len(body) >= index + 6:
            out.append(chr(int(body[index + 2 : index + 6], 16)))
            index += 6
            continue
        if escaped not in _ESCAPES:
            raise ValueError(f"Illegal character sequence '\\{escaped}' in string literal.")
        replacement = _ESCAPES[escaped]
        out.append(replacement if keep_wildcards or escaped not in "%_" else escaped)
        index += 2
    return "".join(out)


@v_args(inline=True)
class _ToQuery(Transformer[Token, Query]):
    def start(self, select: tuple[Any, ...], sobject: Token, *clauses: Any) -> Query:
        count_all, fields = select
        parts: dict[str, Any] = dict(clauses)
        return Query(tuple(fields), count_all, str(sobject), sobject.column or 0,
                     parts.get("where"), tuple(parts.get("order", ())), parts.get("limit"),
                     parts.get("offset"))

    def select_list(self, *items: Any) -> tuple[bool, list[Any]]:
        if len(items) == 1 and items[0] == "COUNT()":
            return True, []
        return False, list(items)

    def count_all(self, _count: Token) -> str:
        return "COUNT()"

    def count_field(self, _count: Token, field: FieldRef, alias: Token | None = None) -> CountField:
        return CountField(field, str(alias) if alias else None)

    def field_path(self, *names: Token) -> FieldRef:
        return FieldRef(tuple(str(n) for n in names), names[0].line or 1, names[0].column or 1)

    def where_clause(self, condition: Condition) -> tuple[str, Condition]:
        return "where", condition

    def or_expr(self, *items: Condition) -> Junction:
        return Junction("OR", items)

    def and_expr(self, *items: Condition) -> Junction:
        return Junction("AND", items)

    def negation(self, item: Condition) -> Negation:
        return Negation(item)

    def compare(self, field: FieldRef, operator: Token, value: Value) -> Compare:
        return Compare(field, "!=" if str(operator) == "<>" else str(operator), value)

    def in_list(self, field: FieldRef, values: tuple[Value, ...]) -> InList:
        return InList(field, values, False)

    def not_in_list(self, field: FieldRef, values: tuple[Value, ...]) -> InList:
        return InList(field, values, True)

    def like(self, field: FieldRef, pattern: Value) -> Like:
        return Like(field, pattern)

    def value_list(self, *values: Value) -> tuple[Value, ...]:
        return values

    def string(self, token: Token) -> Value:
        body = str(token)[1:-1]
        try:
            return Value("string", unescape(body), body)
        except ValueError as error:
            raise _malformed_at(token, f"Invalid string literal '{body}'. {error}") from None

    def number(self, token: Token) -> Value:
        text = str(token)
        return Value("number", float(text) if "." in text or "e" in text.lower() else int(text))

    def datetime(self, token: Token) -> Value:
        return Value("datetime", str(token))

    def date(self, token: Token) -> Value:
        return Value("date", str(token))

    def date_literal(self, token: Token) -> Value:
        name, _, amount = str(token).upper().partition(":")
        return Value("date_literal", (name, int(amount) if amount else 0), str(token))

    def null(self) -> Value:
        return Value("null", None)

    def true(self) -> Value:
        return Value("boolean", True)

    def false(self) -> Value:
        return Value("boolean", False)

    def order_clause(self, *items: OrderItem) -> tuple[str, list[OrderItem]]:
        return "order", list(items)

    def order_item(self, field: FieldRef, *options: Any) -> OrderItem:
        descending = any(isinstance(o, Token) and o.upper() == "DESC" for o in options)
        nulls = [o for o in options if isinstance(o, str) and o in ("FIRST", "LAST")]
        # Salesforce sorts nulls first ascending and last descending unless told.
        nulls_last = nulls[0] == "LAST" if nulls else descending
        return OrderItem(field, descending, nulls_last)

    def nulls(self, position: Token) -> str:
        return str(position).upper()

    def limit_clause(self, amount: Token) -> tuple[str, int]:
        return "limit", int(amount)

    def offset_clause(self, amount: Token) -> tuple[str, int]:
        return "offset", int(amount)


class _MalformedLiteral(Exception):
    def __init__(self, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.line, self.column, self.message = line, column, message


def _malformed_at(token: Token, message: str) -> _MalformedLiteral:
    return _MalformedLiteral(token.line or 1, token.column or 1, message)


@cache
def _parser() -> Lark:
    grammar = resources.files("causeway.sandbox.crm").joinpath("soql.lark").read_text("utf-8")
    return Lark(grammar, parser="lalr", lexer="contextual", propagate_positions=False)


def located_error(code: str, soql: str, line: int, column: int, message: str) -> SalesforceError:
    """An error naming the row and column, drawn the way Salesforce draws it."""
    lines = soql.splitlines() or [""]
    shown = lines[min(line, len(lines)) - 1]
    pointer = " " * max(column - 1, 0) + "^"
    return SalesforceError.of(
        400, code, f"\n{shown}\n{pointer}\nERROR at Row:{line}:Column:{column}\n{message}")


def parse(soql: str) -> Query:
    """The query tree of `soql`, or a MALFORMED_QUERY error pointing at the problem."""
    try:
        tree = _parser().parse(soql)
        return _ToQuery().transform(tree)
    except UnexpectedEOF:
        return _eof(soql)
    except UnexpectedToken as error:
        if error.token.type == "$END":
            return _eof(soql)
        raise located_error("MALFORMED_QUERY", soql, error.line, error.column,
                            f"unexpected token: '{error.token}'") from None
    except UnexpectedCharacters as error:
        raise located_error("MALFORMED_QUERY", soql, error.line, error.column,
                            f"unexpected token: '{soql[error.pos_in_stream or 0]}'") from None
    except UnexpectedInput as error:  # pragma: no cover - other lark input errors
        raise located_error("MALFORMED_QUERY", soql, error.line, error.column,
                            "unexpected token") from None
    except VisitError as error:
        cause = error.orig_exc
        if isinstance(cause, _MalformedLiteral):
            raise located_error("MALFORMED_QUERY", soql, cause.line, cause.column,
                                cause.message) from None
        raise


def _eof(soql: str) -> Query:
    lines = soql.rstrip().splitlines() or [""]
    raise located_error("MALFORMED_QUERY", soql.rstrip(), len(lines), len(lines[-1]) + 1,
                        "unexpected token: '<EOF>'")
