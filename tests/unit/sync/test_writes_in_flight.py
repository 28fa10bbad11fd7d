"""Changes that arrive while a write is still on its way: one write per real edit.

A write is planned in one transaction and lands later; meanwhile the same record may change
again, and the target may be read before the write reaches it. Neither may cause a second
write, yet an edit made in the target after our write landed must still be reverted.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Connection, create_engine

from causeway.store.metadata import metadata
from causeway.store.tables import sync as _sync_tables  # noqa: F401
from causeway.sync.engine import ChangeOutcome
from causeway.sync.ownership import OwnershipPolicy, merge
from causeway.sync.xref import Xref
from tests.unit.sync.test_lifecycle import T0, account, erp, make_engine, settle, synced_pair


@pytest.fixture
def connection() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        yield conn


def names(outcome: ChangeOutcome) -> list[tuple[str, object]]:
    """The names written (the fixture's records lack our reference stamp, which is written
    back to them whatever else happens)."""
    return [
        (c.system, c.request.fields["Name"]) for c in outcome.commands if "Name" in c.request.fields
    ]


def test_merge_tells_a_system_that_is_behind_from_one_that_edited() -> None:
    policy = OwnershipPolicy(entity="customer", owners={"name": "crm"})
    golden = {"name": "New"}
    sources = {"name": ["crm", "2024-05-01T10:00:00+00:00"]}
    later = T0 + timedelta(minutes=1)
    sent = {"name": ["Sent", "New"]}  # writes of ours in flight, the newest with "New"
    expected = {"name": ["Old", *sent["name"]]}  # and what the ERP reported last
    behind = merge(policy, golden, sources, {"name": "Old"}, "erp", later, expected, sent)
    assert (behind.behind, behind.foreign_edits, behind.decisions) == ({"name"}, set(), [])
    echo = merge(policy, golden, sources, {"name": "Sent"}, "erp", later, expected, sent)
    assert (echo.behind, echo.foreign_edits) == ({"name"}, set())
    edited = merge(policy, golden, sources, {"name": "Typo"}, "erp", later, expected, sent)
    assert (edited.behind, edited.foreign_edits) == (set(), {"name"})
    unknown = merge(policy, golden, sources, {"name": "Old"}, "erp", later)
    assert unknown.foreign_edits == {"name"}
    # Nothing carrying "New" was sent (the write was skipped): the ERP must get it.
    not_sent = merge(
        policy, golden, sources, {"name": "Sent"}, "erp", later, expected, {"name": ["Sent"]}
    )
    assert not_sent.foreign_edits == {"name"}


def test_a_second_change_before_the_write_lands_is_not_written_twice(
    connection: Connection,
) -> None:
    engine = make_engine()
    synced_pair(engine, connection, "001A", "Acme")
    renamed = engine.apply_change(connection, account("001A", "Acme Ltd", T0 + timedelta(1)))
    assert names(renamed) == [("erp", "Acme Ltd")]
    # Not settled yet: the CRM record changes again in a field the ERP does not receive.
    again = engine.apply_change(
        connection, account("001A", "Acme Ltd", T0 + timedelta(2), Description="note")
    )
    assert names(again) == []


def test_a_read_from_before_our_write_landed_is_not_an_edit(connection: Connection) -> None:
    engine = make_engine()
    canonical_id = synced_pair(engine, connection, "001B", "Bolt")
    erp_id = Xref(connection).system_id("customer", canonical_id, "erp")
    assert erp_id is not None
    renamed = engine.apply_change(connection, account("001B", "Bolt Inc", T0 + timedelta(1)))
    assert names(renamed) == [("erp", "Bolt Inc")]
    # The ERP's copy changes elsewhere (a phone the ERP may set) before the rename lands.
    stale = engine.apply_change(
        connection, erp(erp_id, "Bolt", T0 + timedelta(2), Phone="+1 555 0100")
    )
    assert names(stale) == []
    settle(engine, connection, renamed)
    # The same stale copy processed after the write's answer: still not an edit.
    late = engine.apply_change(
        connection, erp(erp_id, "Bolt", T0 + timedelta(2), Phone="+1 555 0100")
    )
    assert names(late) == []
    # Once the ERP has shown our write, a clerk putting the old name back is an edit.
    engine.apply_change(connection, erp(erp_id, "Bolt Inc", T0 + timedelta(3)))
    reverted = engine.apply_change(connection, erp(erp_id, "Bolt", T0 + timedelta(4)))
    assert names(reverted) == [("erp", "Bolt Inc")]


def test_the_echo_of_an_older_write_after_the_owner_moved_on_is_not_an_edit(
    connection: Connection,
) -> None:
    engine = make_engine()
    canonical_id = synced_pair(engine, connection, "001E", "Echo")
    erp_id = Xref(connection).system_id("customer", canonical_id, "erp")
    assert erp_id is not None
    first = engine.apply_change(connection, account("001E", "Echo One", T0 + timedelta(1)))
    second = engine.apply_change(connection, account("001E", "Echo Two", T0 + timedelta(2)))
    assert names(first) == [("erp", "Echo One")]
    assert names(second) == [("erp", "Echo Two")]
    # The first write's echo arrives before the second write has landed.
    echo = engine.apply_change(connection, erp(erp_id, "Echo One", T0 + timedelta(3)))
    assert names(echo) == []


def test_an_edit_in_the_target_while_our_write_is_on_its_way_is_reverted(
    connection: Connection,
) -> None:
    engine = make_engine()
    canonical_id = synced_pair(engine, connection, "001C", "Cog")
    erp_id = Xref(connection).system_id("customer", canonical_id, "erp")
    assert erp_id is not None
    engine.apply_change(connection, account("001C", "Cog Co", T0 + timedelta(1)))
    clerk = engine.apply_change(connection, erp(erp_id, "COG CLERK", T0 + timedelta(2)))
    assert names(clerk) == [("erp", "Cog Co")]


def test_our_create_read_before_its_answer_is_recorded_is_not_a_new_customer(
    connection: Connection,
) -> None:
    engine = make_engine()
    created = engine.apply_change(connection, account("001D", "Dyn"))
    [create] = [c for c in created.commands if c.system == "erp"]
    reference = create.request.fields["Ref"]
    # The runtime died after the ERP created the record and before the answer was recorded;
    # the new record is read back carrying only the short reference our write stamped.
    echo = engine.apply_change(
        connection, erp("E-77", "Dyn", T0 + timedelta(seconds=5), Ref=reference, Status="active")
    )
    assert echo.canonical_id == created.canonical_id
    assert not echo.created
    assert Xref(connection).system_id("customer", created.canonical_id, "erp") == "E-77"
    assert [c.system for c in echo.commands if c.system == "salesforce"] == []


def test_a_rename_before_our_create_is_read_back_still_reaches_the_erp(
    connection: Connection,
) -> None:
    engine = make_engine()
    created = engine.apply_change(connection, account("001F", "First Name"))
    settle(engine, connection, created)
    erp_id = Xref(connection).system_id("customer", created.canonical_id, "erp")
    assert erp_id is not None
    # Renamed before the ERP's copy has been read: no write yet (it could carry stand-ins).
    renamed = engine.apply_change(connection, account("001F", "Second Name", T0 + timedelta(1)))
    assert names(renamed) == []
    # The create's echo shows the name the create sent; the rename must follow it.
    echo = engine.apply_change(connection, erp(erp_id, "First Name", T0 + timedelta(2)))
    assert names(echo) == [("erp", "Second Name")]
