from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from causeway.sync.ownership import OwnershipPolicy, merge, owned_fields

POLICY = OwnershipPolicy(entity="customer", owners={"name": "crm", "credit_limit": "erp"})
T0 = datetime(2024, 1, 1, tzinfo=UTC)

changes = st.lists(
    st.tuples(
        st.sampled_from(["crm", "erp"]),
        st.integers(0, 10_000),  # seconds after T0: when the system made the change
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.sampled_from(["A", "B", "C"]),
                "credit_limit": st.integers(0, 5),
                "phone": st.sampled_from(["1", "2", "3"]),
            },
        ),
    ),
    max_size=12,
    unique_by=lambda change: change[1],  # distinct times: "newest" is well defined
)


def apply_all(sequence: list[tuple[str, int, dict[str, Any]]]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    sources: dict[str, list[str]] = {}
    for system, seconds, fields in sequence:
        result = merge(POLICY, data, sources, fields, system, T0 + timedelta(seconds=seconds))
        data, sources = result.data, result.sources
    return data


@given(changes)
def test_owned_fields_take_the_owners_newest_change(
    sequence: list[tuple[str, int, dict[str, Any]]],
) -> None:
    data = apply_all(sequence)
    crm_names = sorted(
        (seconds, fields["name"])
        for system, seconds, fields in sequence
        if system == "crm" and "name" in fields
    )
    erp_names = sorted(
        (seconds, fields["name"])
        for system, seconds, fields in sequence
        if system == "erp" and "name" in fields
    )
    if crm_names:
        assert data["name"] == crm_names[-1][1]  # the owner's newest change
    elif erp_names:
        # Until the owner has spoken, another system's value stands in (the newest one).
        assert data["name"] == erp_names[-1][1]
    else:
        assert "name" not in data


@given(changes, st.randoms())
def test_unowned_fields_converge_whatever_the_arrival_order(
    sequence: list[tuple[str, int, dict[str, Any]]], random: Any
) -> None:
    shuffled = list(sequence)
    random.shuffle(shuffled)
    phones = sorted(
        (seconds, fields["phone"]) for _, seconds, fields in sequence if "phone" in fields
    )
    expected = phones[-1][1] if phones else None
    assert apply_all(sequence).get("phone") == expected
    assert apply_all(shuffled).get("phone") == expected


def test_foreign_edit_is_reported_not_applied() -> None:
    sources = {"credit_limit": ["erp", T0.isoformat()]}
    result = merge(POLICY, {"credit_limit": 5}, sources, {"credit_limit": 1}, "crm", T0)
    assert result.data["credit_limit"] == 5
    assert result.foreign_edits == {"credit_limit"}
    assert result.changed == set()


def test_owned_fields_for_a_system() -> None:
    assert owned_fields(POLICY, "crm", {"name", "credit_limit", "phone"}) == {"name", "phone"}


REVIEWED = OwnershipPolicy(entity="customer", owners={"name": "crm"}, conflicts={"phone": "review"})


@given(changes)
def test_a_review_field_never_changes_hands_without_an_operator(
    sequence: list[tuple[str, int, dict[str, Any]]],
) -> None:
    data: dict[str, Any] = {}
    sources: dict[str, list[str]] = {}
    for system, seconds, fields in sequence:
        result = merge(REVIEWED, data, sources, fields, system, T0 + timedelta(seconds=seconds))
        held = result.review.get("phone")
        if held is not None:
            # Held: the golden value stays, and the decision says so.
            assert result.data.get("phone") == data.get("phone") != held
            assert any(
                d.field == "phone" and d.outcome == "held_for_review" for d in result.decisions
            )
        if "phone" in data and result.data.get("phone") != data["phone"]:
            # The value only ever changes by the system that set it.
            assert sources["phone"][0] == system
        data, sources = result.data, result.sources


@given(changes)
def test_every_overruled_or_stale_value_is_a_logged_decision(
    sequence: list[tuple[str, int, dict[str, Any]]],
) -> None:
    data: dict[str, Any] = {}
    sources: dict[str, list[str]] = {}
    for system, seconds, fields in sequence:
        result = merge(POLICY, data, sources, fields, system, T0 + timedelta(seconds=seconds))
        logged = {d.field for d in result.decisions if d.outcome == "kept"}
        assert result.foreign_edits | result.stale <= logged
        for name, value in fields.items():
            if name not in result.changed and name in data and data[name] != value:
                assert name in logged  # a differing value that lost is always explained
        data, sources = result.data, result.sources
