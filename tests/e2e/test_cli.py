from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from causeway import __version__
from causeway.cli import app

runner = CliRunner()


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == __version__


def test_sandbox_seed_writes_a_universe(tmp_path: Path) -> None:
    target = tmp_path / "universe.json"
    result = runner.invoke(
        app, ["sandbox", "seed", "--accounts", "30", "--products", "5", "--output", str(target)]
    )
    assert result.exit_code == 0, result.output
    counts = json.loads(result.stdout)
    assert counts["crm_accounts"] == 30
    assert counts["shared_customers"] == 18
    assert len(json.loads(target.read_text())["products"]) == 5


def test_bad_option_is_named() -> None:
    result = runner.invoke(app, ["sandbox", "seed", "--overlap", "3"])
    assert result.exit_code != 0
    assert "overlap" in result.output


def test_schema_export_writes_every_canonical_object(tmp_path: Path) -> None:
    result = runner.invoke(app, ["schema", "export", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(path.name for path in tmp_path.iterdir())
    assert "customer.v1.schema.json" in names
    assert "sales_order.v1.schema.json" in names
    schema = json.loads((tmp_path / "customer.v1.schema.json").read_text())
    assert "party" in schema["properties"]


def test_validate_the_shipped_mappings() -> None:
    result = runner.invoke(app, ["validate"])
    assert result.exit_code == 0, result.output
    assert " 0 errors" in result.stdout


def test_validate_names_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text(
        "version: 1\nsystem: crm\nobject: Account\ncanonical: customer\nkey: Id\n"
        "inbound:\n  fields:\n    party.nmae: Name\n"
    )
    result = runner.invoke(app, ["validate", str(tmp_path)])
    assert result.exit_code == 1
    assert "broken.yaml:8" in result.stdout
    assert "party.nmae" in result.stdout


def test_demo_reads_both_sandboxes_through_the_connectors() -> None:
    result = runner.invoke(
        app, ["demo", "--no-serve", "--accounts", "20", "--products", "5"], terminal_width=200
    )
    assert result.exit_code == 0, result.output
    rows = {
        line.split("│")[2].strip(): line.split("│")[3].strip()
        for line in result.stdout.splitlines()
        if line.count("│") >= 4 and ("salesforce" in line or "s4hana" in line)
    }
    assert rows["Account"] == "20"
    assert rows["Product2"] == "5"
    assert rows["A_BusinessPartner"] == "20"
    assert rows["A_Product"] == "5"
    synced = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in result.stdout.splitlines()
        if line.count("│") == 3
    }
    assert synced["customer pairs differing"] == "0"
    assert synced["CRM accounts after sync"] == synced["ERP partners after sync"]
    assert synced["customer pairs agreeing"] == synced["CRM accounts after sync"]
    # Two contacts per account, each now a contact person in the ERP too.
    assert synced["CRM contacts / ERP contact persons"] == "40 / 40"
    assert synced["contact pairs agreeing"] == "40"
    assert synced["contact pairs differing"] == "0"
