from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, create_engine

from causeway.connectors.contract import RawRecord
from causeway.mapping.loader import compile_text, shipped_mappings
from causeway.store.metadata import metadata
from causeway.store.tables import sync as _sync_tables  # noqa: F401
from causeway.sync.engine import Endpoint, EntityRoute, SyncEngine
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
    id: {source: Ref, transform: blank_to_null}
    party.name: {source: Name, required: true}
    addresses[role=billing].country: Country
    currency: Currency
    credit_limit: {source: CreditLimit, transform: decimal}
outbound:
  accepts: [Name, Country, Currency, CreditLimit]
  fields:
    Name: party.name
    Country: addresses[role=billing].country
    Currency: currency
    CreditLimit: {source: credit_limit, transform: number}
"""

T0 = datetime(2024, 5, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def connection() -> Iterator[Connection]:
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    with engine.begin() as conn:
        yield conn


@pytest.fixture
def engine() -> SyncEngine:
    account = shipped_mappings().get("salesforce", "Account", "customer")
    erp = compile_text(ERP_MAPPING, "erp.yaml")
    route = EntityRoute(
        entity="customer",
        policy=OwnershipPolicy(
            entity="customer",
            owners={"credit_limit": "erp", "party": "salesforce"},
        ),
        endpoints=(
            Endpoint("salesforce", "Account", account, external_field="Causeway_Id__c"),
            Endpoint(
                "erp",
                "Customer",
                erp,
                external_field="Ref",
                reference=lambda canonical_id, _document: short_reference(canonical_id),
            ),
        ),
    )
    return SyncEngine({"customer": route})


def account(fields: dict[str, Any], at: datetime = T0) -> RawRecord:
    base = {
        "Id": "001000000000001AAA",
        "Name": "Acme Inc",
        "BillingCountryCode": "US",
        "CurrencyIsoCode": "USD",
        "Credit_Block__c": False,
    }
    return RawRecord("salesforce", "Account", "001000000000001AAA", base | fields, modified_at=at)


def erp_customer(fields: dict[str, Any], at: datetime = T0) -> RawRecord:
    return RawRecord("erp", "Customer", "E1", {"Number": "E1"} | fields, modified_at=at)


def test_new_crm_account_creates_erp_customer_and_stamps_our_id(
    engine: SyncEngine, connection: Connection
) -> None:
    outcome = engine.apply_change(connection, account({}))
    assert outcome.created
    by_system = {command.system: command for command in outcome.commands}
    assert set(by_system) == {"salesforce", "erp"}
    erp = by_system["erp"].request
    assert erp.key.external_field == "Ref"
    assert erp.key.external_value == short_reference(outcome.canonical_id)
    assert erp.fields["Name"] == "Acme Inc"
    stamp = by_system["salesforce"].request
    assert stamp.key.system_id == "001000000000001AAA"
    assert stamp.fields == {"Causeway_Id__c": outcome.canonical_id}


def test_the_echo_of_our_own_write_produces_nothing(
    engine: SyncEngine, connection: Connection
) -> None:
    first = engine.apply_change(connection, account({}))
    for command in first.commands:
        engine.record_written(connection, command, "E1" if command.system == "erp" else None)
    stamped = account({"Causeway_Id__c": first.canonical_id}, T0 + timedelta(seconds=1))
    echo = engine.apply_change(connection, stamped)
    assert echo.echo
    assert echo.commands == []
    ref = short_reference(first.canonical_id)
    erp_echo = engine.apply_change(
        connection,
        erp_customer({"Name": "Acme Inc", "Country": "US", "Currency": "USD", "Ref": ref}),
    )
    assert erp_echo.canonical_id == first.canonical_id
    assert erp_echo.commands == []


def test_owned_field_flows_one_way_and_foreign_edits_are_reverted(
    engine: SyncEngine, connection: Connection
) -> None:
    first = engine.apply_change(connection, account({}))
    for command in first.commands:
        engine.record_written(connection, command, "E1" if command.system == "erp" else None)
    ref = short_reference(first.canonical_id)
    erp_change = erp_customer(
        {
            "Name": "ACME INC (ERP)",
            "Country": "US",
            "Currency": "USD",
            "Ref": ref,
            "CreditLimit": 50000,
        },
        T0 + timedelta(minutes=1),
    )
    outcome = engine.apply_change(connection, erp_change)
    assert outcome.changed_fields == {"credit_limit"}  # the ERP does not own the name
    to_crm = [c for c in outcome.commands if c.system == "salesforce"]
    assert to_crm[0].request.fields["Credit_Limit__c"] == 50000
    for command in outcome.commands:
        engine.record_written(connection, command, None)
    # A CRM user edits the credit limit the ERP owns: the ERP's value is written back.
    edit = account(
        {"Causeway_Id__c": first.canonical_id, "Credit_Limit__c": 1, "Name": "Acme Inc"},
        T0 + timedelta(minutes=2),
    )
    revert = engine.apply_change(connection, edit)
    assert revert.changed_fields == set()
    fix = [c for c in revert.commands if c.system == "salesforce"]
    assert fix[0].request.fields == {"Credit_Limit__c": 50000}


def test_a_late_older_change_does_not_override_a_newer_one(
    engine: SyncEngine, connection: Connection
) -> None:
    first = engine.apply_change(
        connection, account({"Website": "https://new.example"}, T0 + timedelta(minutes=5))
    )
    ref = short_reference(first.canonical_id)
    Xref(connection).link("customer", first.canonical_id, "erp", "E1")
    late = engine.apply_change(
        connection,
        erp_customer({"Name": "Acme", "Country": "US", "Currency": "EUR", "Ref": ref}, T0),
    )
    assert "currency" in late.stale_fields
    assert "currency" not in late.changed_fields


def test_bad_input_names_the_field(engine: SyncEngine, connection: Connection) -> None:
    with pytest.raises(Exception, match=r"account\.customer\.yaml:\d+: field party\.name"):
        engine.apply_change(connection, account({"Name": None}))
