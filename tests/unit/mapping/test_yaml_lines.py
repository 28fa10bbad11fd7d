from __future__ import annotations

import datetime as dt

import pytest

from causeway.mapping.errors import MappingConfigError
from causeway.mapping.yaml_lines import load_located


def test_lines_are_recorded_for_every_location() -> None:
    doc = load_located("a: 1\nb:\n  c: x\n  d:\n    - 1\n    - e: 2\n", "f.yaml")
    assert doc.data == {"a": 1, "b": {"c": "x", "d": [1, {"e": 2}]}}
    assert doc.line(("a",)) == 1
    assert doc.line(("b", "c")) == 3
    assert doc.line(("b", "d", 1, "e")) == 6
    # An unknown location falls back to its nearest known ancestor.
    assert doc.line(("b", "d", 1, "missing", "deeper")) == 6


def test_codes_stay_text() -> None:
    doc = load_located("NO: NO\nyes: on\ncode: 01\nn: 10\nt: true\nday: 2024-01-31\n", "f")
    assert doc.data == {"NO": "NO", "yes": "on", "code": "01", "n": 10, "t": True,
                        "day": dt.date(2024, 1, 31)}


def test_keys_are_kept_as_written() -> None:
    doc = load_located('1: one\ntrue: yes\n"": blank\n', "f")
    assert doc.data == {"1": "one", "true": "yes", "": "blank"}


@pytest.mark.parametrize(("text", "line", "message"), [
    ("a: 1\nb: [1\n", 3, "YAML syntax"),
    ("a: 1\nb: 2\na: 3\n", 3, "duplicate key 'a'"),
    ("base: &b {x: 1}\nother:\n  <<: *b\n", 3, "merge keys"),
    ("? [a, b]\n: 1\n", 1, "plain text"),
    ("", 1, "empty"),
])
def test_errors_carry_the_line(text: str, line: int, message: str) -> None:
    with pytest.raises(MappingConfigError, match=message) as caught:
        load_located(text, "broken.yaml")
    assert caught.value.file == "broken.yaml"
    assert caught.value.line == line
    assert caught.value.issues[0].code == "syntax"
