from __future__ import annotations

from typing import Any

import pytest

from causeway.canonical.party import Address, AddressRole, Customer, Party
from causeway.mapping.paths import (
    PathConflictError,
    PathSyntaxError,
    Selector,
    compile_getter,
    compile_setter,
    parse_path,
)


def get(path: str, record: Any) -> Any:
    return compile_getter(parse_path(path))(record)


def test_parse_paths() -> None:
    assert parse_path("a.b[0].c").segments == ("a", "b", 0, "c")
    assert parse_path("m[1][2]").segments == ("m", 1, 2)
    assert parse_path("addresses[role=billing].city").segments == (
        "addresses", Selector("role", "billing"), "city",
    )
    root = parse_path("$root.Currency")
    assert root.from_root
    assert root.segments == ("Currency",)


@pytest.mark.parametrize("text", ["", "a..b", "a.[0]", "a[x]", "1a", "a-b", "$root.", "a[]"])
def test_bad_paths(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        parse_path(text)


def test_getters_answer_none_for_anything_missing() -> None:
    record = {"A": {"B": [{"C": 1}, {"C": 2}]}, "S": "x"}
    assert get("A.B[1].C", record) == 2
    assert get("A.B[5].C", record) is None
    assert get("A.X.C", record) is None
    assert get("S.T", record) is None
    assert get("S[0]", record) is None
    assert get("A.B", record) == [{"C": 1}, {"C": 2}]


def test_getters_read_odata_collections_and_plain_lists_alike() -> None:
    expanded = {"to_Item": {"results": [{"Material": "M1"}]}}
    deep_insert = {"to_Item": [{"Material": "M1"}]}
    for record in (expanded, deep_insert):
        assert get("to_Item[0].Material", record) == "M1"
    assert get("to_Item.results[0].Material", expanded) == "M1"


def test_selectors_pick_the_matching_element() -> None:
    record = {"addresses": [{"role": "shipping", "city": "Hamburg"},
                            {"role": "billing", "city": "Berlin"}]}
    assert get("addresses[role=billing].city", record) == "Berlin"
    assert get("addresses[role=other].city", record) is None
    assert get("addresses[role=billing].city", {"addresses": None}) is None


def test_getters_read_models() -> None:
    customer = Customer(
        party=Party(name="Acme"),
        addresses=[Address(role=AddressRole.BILLING, city="Berlin")],
        external_ids={"s4hana": "1000001"},
    )
    assert get("party.name", customer) == "Acme"
    assert get("addresses[0].city", customer) == "Berlin"
    assert get("addresses[role=billing].city", customer) == "Berlin"
    assert get("external_ids.s4hana", customer) == "1000001"
    assert get("party.missing", customer) is None


def test_setters_build_nested_dicts_and_lists() -> None:
    out: dict[str, Any] = {}
    for path, value in [("a", 1), ("b.c", 2), ("b.d", 3), ("l[1].x", 4), ("l[0].y", 5),
                        ("deep.list[0].inner.v", 6)]:
        compile_setter(parse_path(path))(out, value)
    assert out == {"a": 1, "b": {"c": 2, "d": 3}, "l": [{"y": 5}, {"x": 4}],
                   "deep": {"list": [{"inner": {"v": 6}}]}}


def test_setters_with_selectors_append_or_reuse() -> None:
    out: dict[str, Any] = {}
    compile_setter(parse_path("addresses[role=billing].city"))(out, "Berlin")
    compile_setter(parse_path("addresses[role=shipping].city"))(out, "Hamburg")
    compile_setter(parse_path("addresses[role=billing].street"))(out, "Hauptstrasse")
    compile_setter(parse_path("nested.addresses[role=billing].zip"))(out, "10115")
    assert out == {
        "addresses": [{"role": "billing", "city": "Berlin", "street": "Hauptstrasse"},
                      {"role": "shipping", "city": "Hamburg"}],
        "nested": {"addresses": [{"role": "billing", "zip": "10115"}]},
    }


@pytest.mark.parametrize(("first", "second"), [
    ("a", "a.b"), ("a", "a[0].b"), ("l", "l[role=x].y"), ("a.b", "a.b.c"),
])
def test_setters_refuse_to_reshape_a_value(first: str, second: str) -> None:
    out: dict[str, Any] = {}
    compile_setter(parse_path(first))(out, "scalar")
    with pytest.raises(PathConflictError):
        compile_setter(parse_path(second))(out, 1)


def test_a_target_cannot_start_at_root() -> None:
    with pytest.raises(PathSyntaxError):
        compile_setter(parse_path("$root.x"))
