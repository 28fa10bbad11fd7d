"""`causeway review list|accept|reject` on a database holding a held field value."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import yaml
from typer.testing import CliRunner

from causeway.cli import app
from causeway.runtime.backends.sql import SqlBackbone
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from causeway.sync.config import default_sync_config
from causeway.sync.decisions import DecisionLog
from causeway.sync.golden import Golden, GoldenStore
from causeway.sync.messages import commands_topic
from causeway.sync.ownership import Decision
from causeway.sync.xref import Xref

runner = CliRunner()
CANONICAL = "0f8fad5b-d9cb-469f-a165-70867728950e"
NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC).isoformat()


def held_phone(url: str) -> None:
    """A customer both systems hold, whose phone from the ERP waits for a person."""
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        xref = Xref(connection)
        xref.link("customer", CANONICAL, "salesforce", "001000000000001AAA")
        xref.link("customer", CANONICAL, "s4hana", "10000001")
        store = GoldenStore(connection)
        data = {
            "party": {"name": "Acme Inc"},
            "addresses": [{"role": "billing", "country": "US"}],
            "phone": "+1 555 0100",
        }
        sources = {name: ["salesforce", NOW] for name in data}
        store.save(Golden("customer", CANONICAL, data, sources))
        for system in ("salesforce", "s4hana"):
            store.note_seen("customer", CANONICAL, system, datetime.now(UTC))
            store.record_write("customer", CANONICAL, system, "old-digest")
        DecisionLog(connection).record(
            "customer",
            CANONICAL,
            [
                Decision(
                    "phone", "s4hana", "review", "held_for_review", "+1 555 0199", "+1 555 0100"
                )
            ],
        )
    engine.dispose()


def project_with_phone_under_review(folder: Path) -> Path:
    """A project whose sync leaves the phone to nobody, contested values to a person."""
    config = default_sync_config().model_dump(mode="json")
    customer = config["entities"]["customer"]
    del customer["owners"]["phone"]
    customer["conflicts"] = {"phone": "review"}
    (folder / "sync.yaml").write_text(yaml.safe_dump(config))
    project = folder / "causeway.yaml"
    project.write_text(
        yaml.safe_dump(
            {
                "systems": {
                    "s4hana": {
                        "type": "s4hana",
                        "base_url": "http://erp.invalid",
                        "username": "U",
                        "password": "P",
                    }
                },
                "sync": "sync.yaml",
            }
        )
    )
    return project


def test_accepting_a_held_value_queues_its_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'causeway.sqlite'}"
    held_phone(url)
    project = project_with_phone_under_review(tmp_path)
    listed = runner.invoke(app, ["review", "list", "--url", url], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    assert "F1" in listed.output
    assert "phone" in listed.output

    accepted = runner.invoke(app, ["review", "accept", "F1", "--url", url, "-p", str(project)])
    assert accepted.exit_code == 0, accepted.output
    assert "accepted" in accepted.output
    engine = make_engine(url)
    with engine.connect() as connection:
        assert GoldenStore(connection).load("customer", CANONICAL).data["phone"] == "+1 555 0199"
    backbone = SqlBackbone(engine)
    backbone.subscribe(commands_topic("salesforce"), "probe", from_start=True)
    claim = backbone.claim(commands_topic("salesforce"), "probe", max_batch=10, lease_seconds=5)
    [command] = claim.envelopes
    assert command.payload["fields"]["Phone"] == "+1 555 0199"
    engine.dispose()

    again = runner.invoke(app, ["review", "reject", "F1", "--url", url])
    assert again.exit_code != 0
    assert "already accepted" in again.output


def test_a_review_id_must_name_its_kind(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'causeway.sqlite'}"
    held_phone(url)
    result = runner.invoke(app, ["review", "accept", "7", "--url", url])
    assert result.exit_code != 0
    assert "M<number> or F<number>" in result.output
