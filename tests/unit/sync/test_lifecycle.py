"""Deletes, merges, fields held for review, and the decision log, on the engine alone."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from sqlalchemy import Connection, create_engine

from causeway.connectors.contract import RawRecord, WriteOperation
from causeway.mapping.loader import compile_text, shipped_mappings
from causeway.store.metadata import metadata
from causeway.store.tables import sync as _sync_tables  # noqa: F401
from causeway.sync.decisions import DecisionLog
from causeway.sync.engine import ChangeOutcome, Endpoint, EntityRoute, SyncEngine
from causeway.sync.golden import GoldenStore
from causeway.sync.ownership import OwnershipPolicy
from causeway.sync.xref import Xref, short_reference

ERP_MAPPING = """
version: 1
system: erp
object: Customer
canonical: customer
key: Number
inbound:
  fields:
    party.name: {source: Name, required: true}
    phone: Phone
    status: {source: Status, transform: blank_to_null}
outbound:
  accepts: [Name, Phone, Status]
  fields:
    Name: party.name
    Phone: phone
    Status: status
"""

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)
OnDelete = Literal["ignore", "archive", "delete"]


@pytest.fixture
def connection() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        yield conn


def make_engine(on_delete: OnDelete = "archive", **policy: Any) -> SyncEngine:
    account = shipped_mappings().get("salesforce", "Account", "customer")
    erp = compile_text(ERP_MAPPING, "erp.yaml")
    route = EntityRoute(
        entity="customer",
        policy=OwnershipPolicy(entity="customer", owners={"party": "salesforce"}, **policy),
        endpoints=(
            Endpoint("salesforce", "Account", account, external_field="Causeway_Id__c"),
            Endpoint(
                "erp",
                "Customer",
                erp,
                external_field="Ref",
                reference=lambda canonical_id, _document: short_reference(canonical_id),
                on_delete=on_delete,
            ),
        ),
        archived={"status": "archived"},
    )
    return SyncEngine({"customer": route})


def account(
    record_id: str, name: str, at: datetime = T0, *, deleted: bool = False, **fields: Any
) -> RawRecord:
    values = {"Id": record_id, "Name": name, "BillingCountryCode": "US", "Credit_Block__c": False}
    return RawRecord(
        "salesforce",
        "Account",
        record_id,
        values | fields,
        modified_at=at,
        deleted=deleted,
        merged_into=fields.get("MasterRecordId"),
    )


def erp(record_id: str, name: str, at: datetime = T0, **fields: Any) -> RawRecord:
    return RawRecord("erp", "Customer", record_id, {"Number": record_id, "Name": name} | fields, at)


def settle(engine: SyncEngine, connection: Connection, outcome: ChangeOutcome) -> None:
    """Pretend every planned write succeeded, creating ERP records as E-<canonical id>."""
    for command in outcome.commands:
        system_id = command.request.key.system_id or f"E-{command.canonical_id[:8]}"
        engine.record_written(connection, command, system_id)


def synced_pair(engine: SyncEngine, connection: Connection, record_id: str, name: str) -> str:
    """A CRM account synced to the ERP and the ERP's copy read back once."""
    created = engine.apply_change(connection, account(record_id, name))
    settle(engine, connection, created)
    erp_id = Xref(connection).system_id("customer", created.canonical_id, "erp")
    assert erp_id is not None
    engine.apply_change(connection, erp(erp_id, name, T0 + timedelta(seconds=1)))
    return created.canonical_id


def test_a_crm_delete_archives_the_erp_copy_and_is_logged(connection: Connection) -> None:
    engine = make_engine("archive")
    canonical_id = synced_pair(engine, connection, "001A", "Acme")
    gone = engine.apply_change(
        connection, account("001A", "Acme", T0 + timedelta(minutes=1), deleted=True)
    )
    [command] = gone.commands
    assert command.system == "erp"
    assert command.request.fields["Status"] == "archived"
    golden = GoldenStore(connection).load("customer", canonical_id)
    assert golden.state == "deleted"
    [decision] = DecisionLog(connection).history("customer", canonical_id)
    assert (decision.rule, decision.outcome) == ("delete", "archived")
    # The same deletion delivered again does nothing more.
    again = engine.apply_change(
        connection, account("001A", "Acme", T0 + timedelta(minutes=1), deleted=True)
    )
    assert again.commands == []
    assert again.echo


def test_delete_policy_delete_and_ignore(connection: Connection) -> None:
    deleting = make_engine("delete")
    synced_pair(deleting, connection, "001B", "Bolt")
    outcome = deleting.apply_change(
        connection, account("001B", "Bolt", T0 + timedelta(minutes=1), deleted=True)
    )
    assert [c.request.operation for c in outcome.commands] == [WriteOperation.DELETE]
    ignoring = make_engine("ignore")
    synced_pair(ignoring, connection, "001C", "Cog")
    outcome = ignoring.apply_change(
        connection, account("001C", "Cog", T0 + timedelta(minutes=1), deleted=True)
    )
    assert outcome.commands == []


def test_a_deleted_object_stops_syncing_until_restored_where_it_was_deleted(
    connection: Connection,
) -> None:
    engine = make_engine("archive")
    canonical_id = synced_pair(engine, connection, "001D", "Dyn")
    settle(
        engine,
        connection,
        engine.apply_change(
            connection, account("001D", "Dyn", T0 + timedelta(minutes=1), deleted=True)
        ),
    )
    erp_id = Xref(connection).system_id("customer", canonical_id, "erp")
    assert erp_id is not None
    # An edit of the archived ERP copy must not recreate the deleted CRM account.
    edit = engine.apply_change(
        connection, erp(erp_id, "Dyn", T0 + timedelta(minutes=2), Phone="+1 555 0100")
    )
    assert edit.commands == []
    # Restored in the CRM (undelete): it syncs again.
    back = engine.apply_change(
        connection, account("001D", "Dyn", T0 + timedelta(minutes=3), Phone="+1 555 0199")
    )
    assert GoldenStore(connection).load("customer", canonical_id).state == "active"
    assert any(c.system == "erp" for c in back.commands)


def test_a_merge_archives_the_losers_copy_when_the_survivor_has_one(
    connection: Connection,
) -> None:
    engine = make_engine("archive")
    survivor = synced_pair(engine, connection, "001M", "Main Co")
    loser = synced_pair(engine, connection, "001L", "Main Company")
    merged = engine.apply_change(
        connection,
        account(
            "001L", "Main Company", T0 + timedelta(minutes=1), deleted=True, MasterRecordId="001M"
        ),
    )
    golden = GoldenStore(connection).load("customer", loser)
    assert (golden.state, golden.merged_into) == ("merged", survivor)
    assert [c.request.fields.get("Status") for c in merged.commands] == ["archived"]


def test_a_merge_hands_the_losers_copy_to_a_survivor_without_one(connection: Connection) -> None:
    engine = make_engine("archive")
    loser = synced_pair(engine, connection, "001L", "Lone Co")
    loser_erp = Xref(connection).system_id("customer", loser, "erp")
    # The survivor exists only in the CRM (its ERP create has not happened yet).
    survivor = engine.apply_change(connection, account("001S", "Lone Company")).canonical_id
    merged = engine.apply_change(
        connection,
        account("001L", "Lone Co", T0 + timedelta(minutes=1), deleted=True, MasterRecordId="001S"),
    )
    xref = Xref(connection)
    assert xref.system_id("customer", survivor, "erp") == loser_erp
    assert xref.system_id("customer", loser, "erp") is None
    # The survivor's data goes to the copy it inherited, by that copy's id: no second record.
    [write] = [c for c in merged.commands if c.system == "erp"]
    assert write.canonical_id == survivor
    assert write.request.key.system_id == loser_erp
    assert write.request.fields["Name"] == "Lone Company"
    [decision] = DecisionLog(connection).history("customer", loser)
    assert decision.outcome == "relinked"


def test_review_policy_holds_a_contested_value_until_an_operator_decides(
    connection: Connection,
) -> None:
    engine = make_engine(conflicts={"phone": "review"})
    canonical_id = synced_pair(engine, connection, "001P", "Phone Co")
    settle(
        engine,
        connection,
        engine.apply_change(
            connection, account("001P", "Phone Co", T0 + timedelta(minutes=1), Phone="111")
        ),
    )
    erp_id = Xref(connection).system_id("customer", canonical_id, "erp")
    assert erp_id is not None
    held = engine.apply_change(
        connection, erp(erp_id, "Phone Co", T0 + timedelta(minutes=2), Phone="222")
    )
    assert "phone" not in held.changed_fields
    log = DecisionLog(connection)
    [review] = log.reviews("customer")
    assert (review.field, review.proposed, review.current) == ("phone", "222", "111")
    # The ERP says it again: still one open review, refreshed.
    engine.apply_change(connection, erp(erp_id, "Phone Co", T0 + timedelta(minutes=3), Phone="222"))
    assert len(log.reviews("customer")) == 1
    accepted = engine.resolve_review(connection, review.id, accept=True)
    assert GoldenStore(connection).load("customer", canonical_id).data["phone"] == "222"
    to_crm = [c for c in accepted.commands if c.system == "salesforce"]
    assert to_crm
    assert to_crm[0].request.fields["Phone"] == "222"
    outcomes = [entry.outcome for entry in log.history("customer", canonical_id)]
    assert outcomes[-1] == "accepted"
    assert "held_for_review" in outcomes
    with pytest.raises(LookupError, match="already accepted"):
        engine.resolve_review(connection, review.id, accept=False)


def test_a_rejected_value_is_written_back_to_the_system_that_proposed_it(
    connection: Connection,
) -> None:
    engine = make_engine(conflicts={"phone": "review"})
    canonical_id = synced_pair(engine, connection, "001R", "Reject Co")
    settle(
        engine,
        connection,
        engine.apply_change(
            connection, account("001R", "Reject Co", T0 + timedelta(minutes=1), Phone="111")
        ),
    )
    erp_id = Xref(connection).system_id("customer", canonical_id, "erp")
    assert erp_id is not None
    engine.apply_change(connection, erp(erp_id, "Reject Co", T0 + timedelta(minutes=2), Phone="9"))
    [review] = DecisionLog(connection).reviews("customer")
    rejected = engine.resolve_review(connection, review.id, accept=False)
    [write] = [c for c in rejected.commands if c.system == "erp"]
    assert write.request.fields["Phone"] == "111"


def test_owner_wins_and_newest_wins_decisions_are_logged(connection: Connection) -> None:
    engine = make_engine()
    canonical_id = synced_pair(engine, connection, "001O", "Owner Co")
    erp_id = Xref(connection).system_id("customer", canonical_id, "erp")
    assert erp_id is not None
    # The ERP renames a customer whose name the CRM owns: the CRM's name stays.
    engine.apply_change(connection, erp(erp_id, "OWNER CO (ERP)", T0 + timedelta(minutes=1)))
    # A late phone change from the CRM, older than the ERP's newer one, loses.
    engine.apply_change(connection, erp(erp_id, "Owner Co", T0 + timedelta(minutes=5), Phone="new"))
    engine.apply_change(
        connection, account("001O", "Owner Co", T0 + timedelta(minutes=4), Phone="old")
    )
    history = [
        (d.field, d.rule, d.outcome)
        for d in DecisionLog(connection).history("customer", canonical_id)
    ]
    assert ("party", "owner_wins", "kept") in history
    assert ("phone", "newest_wins", "kept") in history
