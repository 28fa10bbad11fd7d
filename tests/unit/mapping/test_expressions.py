from __future__ import annotations

import threading
from typing import Any

import pytest

from causeway.mapping.expressions import ExpressionSyntaxError, compile_expression


def test_expressions_evaluate_with_root_bound() -> None:
    expression = compile_expression("Name & ' (' & $root.Country & ')'")
    assert expression.evaluate({"Name": "Acme"}, {"Country": "DE"}) == "Acme (DE)"


def test_causeway_functions() -> None:
    record = {"D": "/Date(1699920000000)/", "C": "deu", "M": "usd"}
    assert compile_expression("$sapDate(D)").evaluate(record, record) == "2023-11-14"
    assert compile_expression("$sapDateTime(D)").evaluate(record, record) == (
        "2023-11-14T00:00:00+00:00"
    )
    assert compile_expression("$toSapDate('2023-11-14')").evaluate(record, record) == (
        "/Date(1699920000000)/"
    )
    assert compile_expression("$country(C) & $currency(M)").evaluate(record, record) == "DEUSD"
    assert compile_expression("$sapDate(Missing)").evaluate(record, record) is None


def test_user_defined_functions_are_allowed() -> None:
    expression = compile_expression("($twice := function($v) { $v * 2 }; $twice(n))")
    assert expression.evaluate({"n": 4}, None) == 8


@pytest.mark.parametrize(("text", "message"), [
    ("Name &", "end of expression"),
    ("$nosuch(Name)", "unknown function \\$nosuch"),
    ("(Name", "Expected \\)"),
])
def test_bad_expressions_fail_at_compile_time(text: str, message: str) -> None:
    with pytest.raises(ExpressionSyntaxError, match=message) as caught:
        compile_expression(text)
    assert caught.value.position is not None


def test_expressions_work_in_other_threads() -> None:
    expression = compile_expression("$map(items, function($v) { $v + 1 })")
    results: list[Any] = []
    worker = threading.Thread(target=lambda: results.append(
        expression.evaluate({"items": [1, 2]}, None)
    ))
    worker.start()
    worker.join(timeout=5)
    assert results == [[2, 3]]
