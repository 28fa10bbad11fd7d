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
