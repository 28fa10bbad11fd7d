"""Parse OData v2 $filter expressions and key predicates into a small typed syntax tree.

The grammar lives in filter.lark; this module turns lark's parse tree into frozen dataclasses
and reports syntax errors with the character position, as a client needs to fix its query.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any
from typing import Literal as Kind

from lark import Lark, Token, Transformer, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, VisitError

from causeway.sandbox.erp.odata_json import parse_duration

LiteralKind = Kind[
    "string", "datetime", "datetimeoffset", "time", "guid", "decimal", "double", "int", "bool",
    "null",
]


@dataclass(frozen=True)
class Literal:
    """A typed constant such as 'abc', 12.5M or datetime'2024-01-01T00:00:00'."""

    value: Any
    kind: LiteralKind


@dataclass(frozen=True)
class Member:
    """A property reference, possibly through navigation properties (to_Item/Material)."""

    path: tuple[str, ...]


@dataclass(frozen=True)
class Call:
    """A canonical function call such as startswith(Name,'A')."""

    name: str
    args: tuple[Expr, ...]


@dataclass(frozen=True)
class Compare:
    """A comparison: eq, ne, gt, ge, lt or le."""

    op: str
    left: Expr
    right: Expr


@dataclass(frozen=True)
class Logical:
    """A conjunction or disjunction of two or more operands."""

    op: Kind["and", "or"]
    operands: tuple[Expr, ...]


@dataclass(frozen=True)
class Not:
    """Logical negation."""

    operand: Expr


Expr = Literal | Member | Call | Compare | Logical | Not


class FilterSyntaxError(ValueError):
    """A $filter or key predicate that does not parse; `position` is 0-based."""

    def __init__(self, text: str, position: int, detail: str) -> None:
        super().__init__(f"Invalid expression at position {position} in '{text}': {detail}")
        self.text = text
        self.position = position
        self.detail = detail


@cache
def _parser() -> Lark:
    grammar = resources.files("causeway.sandbox.erp").joinpath("filter.lark").read_text("utf-8")
    return Lark(grammar, start=["filter", "keys"], parser="lalr", maybe_placeholders=False)


def _moment(raw: str, prefix: str) -> datetime:
    body = raw[len(prefix) + 1 : -1]
    moment = datetime.fromisoformat(body.replace("Z", "+00:00").replace("z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _number_body(token: Token) -> str:
    return str(token).rstrip("mMlLdDfF")


@v_args(inline=True)
class _ToAst(Transformer[Token, Expr]):
    def string(self, token: Token) -> Literal:
        return Literal(str(token)[1:-1].replace("''", "'"), "string")

    def datetime(self, token: Token) -> Literal:
        return Literal(_moment(str(token), "datetime"), "datetime")

    def datetimeoffset(self, token: Token) -> Literal:
        return Literal(_moment(str(token), "datetimeoffset"), "datetimeoffset")

    def time(self, token: Token) -> Literal:
        return Literal(parse_duration(str(token)[5:-1]), "time")

    def guid(self, token: Token) -> Literal:
        return Literal(uuid.UUID(str(token)[5:-1]), "guid")

    def decimal(self, token: Token) -> Literal:
        return Literal(Decimal(_number_body(token)), "decimal")

    def double(self, token: Token) -> Literal:
        return Literal(float(_number_body(token)), "double")

    def int64(self, token: Token) -> Literal:
        return Literal(int(_number_body(token)), "int")

    def integer(self, token: Token) -> Literal:
        return Literal(int(token), "int")

    def true(self) -> Literal:
        return Literal(True, "bool")

    def false(self) -> Literal:
        return Literal(False, "bool")

    def null(self) -> Literal:
        return Literal(None, "null")

    def member(self, *names: Token) -> Member:
        return Member(tuple(str(name) for name in names))

    def call(self, name: Token, *args: Expr) -> Call:
        return Call(str(name), tuple(args))

    def compare(self, left: Expr, op: Token, right: Expr) -> Compare:
        return Compare(str(op), left, right)

    def negation(self, operand: Expr) -> Not:
        return Not(operand)

    def and_expr(self, *operands: Expr) -> Logical:
        return Logical("and", tuple(operands))

    def or_expr(self, *operands: Expr) -> Logical:
        return Logical("or", tuple(operands))

    def named_key(self, name: Token, value: Literal) -> tuple[str, Literal]:
        return (str(name), value)

    def single_key(self, value: Literal) -> list[Literal]:
        return [value]

    def named_keys(self, *pairs: tuple[str, Literal]) -> dict[str, Literal]:
        return dict(pairs)


def _parse(text: str, start: str) -> Any:
    try:
        tree = _parser().parse(text, start=start)
        return _ToAst().transform(tree)
    except UnexpectedEOF as error:
        raise FilterSyntaxError(text, len(text), "unexpected end of expression") from error
    except UnexpectedCharacters as error:
        position = error.pos_in_stream or 0
        detail = f"unexpected character {text[position]!r}"
        raise FilterSyntaxError(text, position, detail) from error
    except UnexpectedInput as error:
        token = getattr(error, "token", None)
        if isinstance(token, Token) and token.type == "$END":
            raise FilterSyntaxError(text, len(text), "unexpected end of expression") from error
        position = token.start_pos if isinstance(token, Token) and token.start_pos else 0
        found = f"unexpected {token!s:.40}" if token else "unexpected input"
        raise FilterSyntaxError(text, position, found) from error
    except VisitError as error:
        # A literal that lexes but does not convert, e.g. datetime'2024-13-45'.
        raise FilterSyntaxError(text, 0, f"invalid literal: {error.orig_exc}") from error


def parse_filter(text: str) -> Expr:
    """Parse a $filter expression; raises `FilterSyntaxError` naming the position."""
    result: Expr = _parse(text, "filter")
    return result


def parse_keys(text: str) -> list[Literal] | dict[str, Literal]:
    """Parse a key predicate: "('1')" or "(BusinessPartner='1',AddressID='2')"."""
    result: list[Literal] | dict[str, Literal] = _parse(text, "keys")
    return result


def string_literal(value: str) -> str:
    """Quote a string as an OData literal, doubling single quotes."""
    return "'" + value.replace("'", "''") + "'"
