"""The operators' commands against running sandboxes, from a project file alone."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from causeway.cli import app
from causeway.demo import write_project_file
from causeway.sandbox.seed import SeedConfig
from causeway.store.engine import make_engine
from causeway.store.tables.sync import xref
from tests.support.sandboxes import sandboxes

pytestmark = pytest.mark.slow
runner = CliRunner()


def test_sync_reconcile_and_xref_from_a_project_file(tmp_path: Path) -> None:
    seed = SeedConfig(accounts=14, erp_customers=10, products=4, contacts_per_account=0)
    with sandboxes(tmp_path / "boxes", seed) as boxes:
        project = write_project_file(boxes.running, tmp_path)
        assert "password" in project.read_text()  # sandbox-only credentials, in its own file
        time.sleep(2.5)  # the connectors read up to a settle horizon behind "now"
        synced = runner.invoke(
            app, ["sync", "run", "-p", str(project), "--until-quiet", "--match-first"]
        )
        assert synced.exit_code == 0, synced.output
        assert "in step" in synced.output
        assert "customer: {'left_records': 14, 'right_records': 10" in synced.output

        checked = runner.invoke(app, ["reconcile", "customers", "-p", str(project), "--json"])
        assert checked.exit_code == 0, checked.output
        report = json.loads(checked.stdout)["summary"]
        assert report["clean"] is True
        assert report["left_records"] == report["right_records"] == report["agreeing_pairs"]
        assert report["duplicates_left"] == report["duplicates_right"] == 0

        as_text = runner.invoke(app, ["reconcile", "products", "-p", str(project)])
        assert as_text.exit_code == 0, as_text.output
        assert "pairs agreeing" in as_text.output

        database = yaml.safe_load(project.read_text())["database"]
        shown = runner.invoke(app, ["review", "list", "--url", database])
        assert shown.exit_code == 0, shown.output

        engine = make_engine(database)
        with engine.connect() as connection:
            account_id = connection.execute(
                select(xref.c.system_id).where(xref.c.system == "salesforce").limit(1)
            ).scalar_one()
        engine.dispose()
        links = runner.invoke(
            app,
            ["xref", "show", "customer", account_id, "--system", "salesforce", "--url", database],
        )
        assert links.exit_code == 0, links.output
        linked = json.loads(links.stdout)["links"]
        assert linked["salesforce"] == account_id
        assert linked["s4hana"]
        unknown = runner.invoke(app, ["xref", "show", "customer", "nope", "--url", database])
        assert unknown.exit_code == 1


def test_bad_project_files_name_the_key(tmp_path: Path) -> None:
    missing = tmp_path / "missing-secret.yaml"
    missing.write_text(
        "systems:\n  s4hana:\n    type: s4hana\n    base_url: http://x\n"
        "    username: U\n    password: ${CAUSEWAY_TEST_UNSET_SECRET}\n"
    )
    result = runner.invoke(app, ["reconcile", "customers", "-p", str(missing)])
    assert result.exit_code != 0
    assert "systems.s4hana.password" in result.output
    assert "CAUSEWAY_TEST_UNSET_SECRET" in result.output

    unknown = tmp_path / "unknown-type.yaml"
    unknown.write_text("systems:\n  erp:\n    type: navision\n")
    result = runner.invoke(app, ["sync", "run", "-p", str(unknown)])
    assert result.exit_code != 0
    assert "systems.erp.type" in result.output
