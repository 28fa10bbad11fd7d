"""JSON paths and path templates."""

from __future__ import annotations

import pytest

from causeway.connectors.rest.selectors import contains, find, parse_path, wrap
from causeway.connectors.rest.templates import check_template, fill_path

BODY = {"data": {"items": [{"id": 1}, {"id": 2}]}, "meta": {"next": None}}


def test_paths_find_keys_and_indexes() -> None:
    assert find(BODY, "data.items[1].id") == 2
    assert find(BODY, "$.data.items[0]") == {"id": 1}
    assert find(BODY, "$") is BODY
    assert find(BODY, "data.missing", "x") == "x"
    assert contains(BODY, "meta.next")
    assert not contains(BODY, "meta.prev")
    assert parse_path("a[0][1].b") == ("a", 0, 1, "b")


@pytest.mark.parametrize("bad", ["a..b", "a.", "a[x]", "a b", ".a"])
def test_bad_paths_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="not a JSON path"):
        parse_path(bad)


def test_wrap_nests_a_body() -> None:
    assert wrap({"a": 1}, "data.ticket") == {"data": {"ticket": {"a": 1}}}
    assert wrap([1], None) == [1]


@pytest.mark.parametrize(
    ("value", "path"),
    [
        ("42", "/tickets/42"),
        ("../admin", "/tickets/..%2Fadmin"),
        ("..", "/tickets/%2E%2E"),
        ("a/b?c=1#d", "/tickets/a%2Fb%3Fc%3D1%23d"),
        ("é ü", "/tickets/%C3%A9%20%C3%BC"),
    ],
)
def test_values_fill_one_encoded_segment(value: str, path: str) -> None:
    assert fill_path("/tickets/{id}", {"id": value}) == path


def test_empty_value_cannot_reach_the_collection() -> None:
    with pytest.raises(ValueError, match="empty"):
        fill_path("/tickets/{id}", {"id": ""})


def test_templates_are_checked_for_their_role() -> None:
    assert check_template("/t/{id}", required={"id"}, allowed={"id"}) == "/t/{id}"
    with pytest.raises(ValueError, match="must contain"):
        check_template("/t", required={"id"}, allowed={"id"})
    with pytest.raises(ValueError, match="starts with"):
        check_template("t/{id}", allowed={"id"})
    with pytest.raises(ValueError, match="plain names"):
        check_template("/t/{id!r}", allowed={"id"})
