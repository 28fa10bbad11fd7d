"""`causeway dlq` by filter and `causeway flow` against a real SQLite backbone."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from causeway.cli import app
from causeway.connectors.errors import ErrorClass
from causeway.runtime.backbone import DeadLetterQuery
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Park
from causeway.store.engine import make_engine
from causeway.store.metadata import metadata
from causeway.store.tables.runtime import RUNTIME_TABLES

TOPIC = "sync.commands.s4hana"
GROUP = "sync"


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, SqlBackbone]:
    """A runtime database with a product and two partners parked, one of them a conflict."""
    url = f"sqlite:///{tmp_path / 'causeway.sqlite'}"
    engine = make_engine(url)
    metadata.create_all(engine, tables=list(RUNTIME_TABLES))
    backbone = SqlBackbone(engine)
    backbone.subscribe(TOPIC, GROUP)
    objects = {"A": "A_BusinessPartner", "B": "A_BusinessPartner", "P": "A_Product"}
    backbone.publish(
        TOPIC,
        [
            Envelope(
                kind="command",
                source="causeway",
                entity="customer",
                key=key,
                payload={"system": "s4hana", "object_name": name, "fields": {}},
            )
            for key, name in objects.items()
        ],
    )
    claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    backbone.settle(
        claim,
        {
            item.id: Park(
                f"refused {item.key}",
                "Name",
                item.key,
                ErrorClass.CONFLICT if item.key == "B" else ErrorClass.INVALID,
            )
            for item in claim.envelopes
        },
    )
    return url, backbone


def run(*arguments: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(arguments))
    return result.exit_code, result.output


def test_list_and_replay_by_filter(database: tuple[str, SqlBackbone]) -> None:
    url, backbone = database

    partners = run("dlq", "list", "--object", "A_BusinessPartner", "--url", url)
    products = run("dlq", "list", "--object", "A_Product", "--url", url)
    replayed = run(
        "dlq", "replay", "--object", "A_BusinessPartner", "--error-class", "invalid", "--url", url
    )

    assert partners[0] == 0
    assert "conflict" in partners[1]  # B
    assert "conflict" not in products[1]
    assert replayed[0] == 0
    assert "1 replayed" in replayed[1]
    left = backbone.find_dead_letters(DeadLetterQuery())
    assert sorted(str(letter.record) for letter in left) == ["B", "P"]


def test_a_bulk_action_without_ids_or_filter_is_refused(
    database: tuple[str, SqlBackbone],
) -> None:
    url, backbone = database

    refused = run("dlq", "replay", "--url", url)
    mixed = run("dlq", "discard", "1", "--system", "s4hana", "--url", url)
    everything = run("dlq", "discard", "--all", "--url", url)

    assert refused[0] == 2
    assert "--all" in refused[1]
    assert mixed[0] == 2
    assert everything[0] == 0
    assert "3 discarded" in everything[1]
    assert backbone.find_dead_letters(DeadLetterQuery()) == []


def test_flows_are_listed_paused_and_resumed(database: tuple[str, SqlBackbone]) -> None:
    url, backbone = database
    backbone.publish(
        TOPIC, [Envelope(kind="command", source="causeway", entity="customer", key="C", payload={})]
    )

    paused = run("flow", "pause", TOPIC, GROUP, "--reason", "ERP upgrade", "--url", url)
    listed = run("flow", "list", "--url", url)
    [flow] = backbone.stats(TOPIC)
    held = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    resumed = run("flow", "resume", TOPIC, GROUP, "--url", url)
    after = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    assert [paused[0], listed[0], resumed[0]] == [0, 0, 0]
    assert "paused" in listed[1]
    assert (flow.paused, flow.pause_reason, flow.ready) == (True, "ERP upgrade", 1)
    assert held.envelopes == ()
    assert [item.key for item in after.envelopes] == ["C"]


def test_an_unknown_error_class_or_status_is_named(database: tuple[str, SqlBackbone]) -> None:
    url, _ = database

    wrong_class = run("dlq", "list", "--error-class", "invalidd", "--url", url)
    wrong_status = run("dlq", "list", "--status", "parkd", "--url", url)

    assert wrong_class[0] == 2
    assert "--error-class" in wrong_class[1]
    assert wrong_status[0] == 2
    assert "--status" in wrong_status[1]
