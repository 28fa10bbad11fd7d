"""`causeway demo` goes live, stops cleanly when told, and the next run resumes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from causeway.cli import app
from causeway.observe.logging import configure_logging

runner = CliRunner()


@pytest.fixture
def info_logs() -> Iterator[None]:
    """Log at INFO, as `causeway demo` does; the rest of the suite logs warnings only."""
    configure_logging("INFO")
    yield
    configure_logging("WARNING")


@pytest.mark.slow
@pytest.mark.usefixtures("info_logs")
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
    # The log stream went to its file while the screen was live, not onto the screen.
    log = (tmp_path / "var" / "demo" / "causeway.log").read_text(encoding="utf-8")
    assert "demo.live" in log
    assert "demo.stopped" in log
    assert "demo.live" not in first.output
    assert "demo.stopped" not in first.output

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
