"""The sync runtime killed with SIGKILL while customers change: nothing lost, nothing
created twice, and each customer's writes reach the ERP in order."""

from __future__ import annotations

from pathlib import Path

import pytest
from benchmarks.crash_safety import measure

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_killed_runtime_loses_nothing_duplicates_nothing_and_keeps_order(
    tmp_path: Path,
) -> None:
    figures = await measure(accounts=60, kills=3, folder=tmp_path, gap=(3.0, 6.0), rate=10.0)
    report = figures["reconcile"]
    assert figures["kills"] == 3
    assert figures["final_run_exit_code"] == 0  # in step, nothing parked
    assert report["left_records"] == report["right_records"] == report["agreeing_pairs"]
    assert report["clean"], report
    assert report["duplicates_left"] == report["duplicates_right"] == 0
    assert figures["renames_by_reps"] > 0
    assert figures["erp_versions_checked"] > 0
    assert figures["order_violations"] == 0, figures["violation_examples"]
