"""`causeway demo` goes live, stops cleanly when told, and the next run resumes."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from causeway.cli import app

runner = CliRunner()


@pytest.mark.slow
def test_the_demo_goes_live_stops_cleanly_and_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    first = runner.invoke(
        app,
        ["demo", "--accounts", "20", "--products", "5", "--seconds", "12"],
        terminal_width=200,
        env={"COLUMNS": "200"},
    )
    assert first.exit_code == 0, first.output
    assert "Causeway: live flows" in first.stdout
    for flow in ("changes merged", "writes to s4hana", "writes to salesforce", "quotes"):
        assert flow in first.stdout
    assert "Stopped cleanly" in first.stdout
    # The log stream went to its file while the screen was live.
    log = tmp_path / "var" / "demo" / "causeway.log"
    assert "Injected fault" in log.read_text(encoding="utf-8")
    assert "Injected fault" not in first.output

    second = runner.invoke(
        app,
        ["demo", "--accounts", "20", "--products", "5", "--seconds", "4"],
        terminal_width=200,
        env={"COLUMNS": "200"},
    )
    assert second.exit_code == 0, second.output
    assert "Resuming the demo" in second.stdout
    assert "Matching and syncing" not in second.stdout
    rows = {
        line.split("│")[2].strip(): line.split("│")[3].strip()
        for line in second.stdout.splitlines()
        if line.count("│") >= 4 and ("salesforce" in line or "s4hana" in line)
    }
    synced = {
        line.split("│")[1].strip(): line.split("│")[2].strip()
        for line in first.stdout.splitlines()
        if line.count("│") == 3
    }
    # The same org and ERP as the first run left them: nothing seeded twice.
    assert rows["Account"] == synced["CRM accounts after sync"]
    assert rows["A_BusinessPartner"] == synced["ERP partners after sync"]
