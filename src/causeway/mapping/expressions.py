"""JSONata expressions (`expr:`), parsed once at load with Causeway's own functions bound.

Extra functions: `$sapDate(s)` and `$sapDateTime(s)` read OData v2 `/Date(ms)/` into ISO text,
`$toSapDate(s)` writes it, `$country(s)` and `$currency(s)` normalise ISO codes,
`$streetLine(street, number, country)` joins a street line in the country's order. `$root` is the
top-level record, useful inside a list element. Calls to unknown functions are refused at load
(JSONata itself would only notice on the first record that reaches the call).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Final

import jsonata

from causeway.canonical.codes import normalise_country, normalise_currency
from causeway.mapping.transforms import sap_date, sap_datetime, street_line, to_sap_date


def _python(value: Any) -> Any:
    # JSONata hands JSON null to functions as its own NullValue object.
    return None if isinstance(value, jsonata.utils.Utils.NullValue) else value


def _optional(function: Callable[[Any], Any]) -> Callable[..., Any]:
    def call(value: Any = None) -> Any:
        return None if value is None else function(value)

    return call


FUNCTIONS: Final[Mapping[str, Callable[..., Any]]] = MappingProxyType(
    {
        "sapDate": _optional(lambda v: sap_date(v).isoformat()),
        "sapDateTime": _optional(lambda v: sap_datetime(v).isoformat()),
        "toSapDate": _optional(to_sap_date),
        "country": _optional(lambda v: normalise_country(str(v))),
        "currency": _optional(lambda v: normalise_currency(str(v))),
        "streetLine": lambda *parts: street_line(*(_python(part) for part in parts)),
    }
)
"""Functions Causeway adds to JSONata, by name (called as `$name(...)`)."""

_CALL = re.compile(r"\$([A-Za-z_]\w*)\s*\(")
_ASSIGN = re.compile(r"\$([A-Za-z_]\w*)\s*:=")
_BUILTINS: Final = frozenset(jsonata.Jsonata.static_frame.bindings)


class ExpressionSyntaxError(ValueError):
    """An expression that does not parse, or calls a function that does not exist."""

    def __init__(self, message: str, position: int | None) -> None:
        self.position = position
        super().__init__(message)


class CompiledExpression:
    """A parsed JSONata expression; evaluate it with a record and the top-level record."""

    __slots__ = ("_expression", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        try:
            expression = jsonata.Jsonata(text)
        except jsonata.JException as exc:
            raise ExpressionSyntaxError(str(exc), exc.location) from exc
        errors = expression.get_errors()
        if errors:
            raise ExpressionSyntaxError(str(errors[0]), None)
        defined = set(_ASSIGN.findall(text))
        for match in _CALL.finditer(text):
            name = match.group(1)
            if name not in _BUILTINS and name not in FUNCTIONS and name not in defined:
                raise ExpressionSyntaxError(f"unknown function ${name}", match.start())
        for name, function in FUNCTIONS.items():
            expression.register_lambda(name, function)
        # Our inputs are JSON documents already; checking them again per record is pure cost.
        expression.set_validate_input(False)
        self._expression = expression

    def evaluate(self, data: Any, root: Any) -> Any:
        """Evaluate against `data`, with `$root` bound; JSONata errors propagate as JException."""
        # jsonata-python finds the running expression through a thread-local for higher-order
        # functions ($map with a lambda); a worker thread would not have it set otherwise.
        jsonata.Jsonata.CURRENT.jsonata = self._expression
        # Passing bindings gives every call its own frame, so threads do not share `$`.
        return self._expression.evaluate(data, {"root": root})


def compile_expression(text: str) -> CompiledExpression:
    """Parse an expression once; raises ExpressionSyntaxError with the character position."""
    return CompiledExpression(text)
