"""The sync runtime killed with SIGKILL while customers change: nothing lost, nothing
created twice, and each customer's writes reach the ERP in order; on the embedded default
and on PostgreSQL with the NATS JetStream backbone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from benchmarks.crash_safety import measure

from tests.support.nats import NATS_URL, throwaway_prefix
from tests.support.postgres import throwaway_database

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


def check(figures: dict[str, Any]) -> None:
    report = figures["reconcile"]
    assert figures["kills"] == 3
    assert figures["final_run_exit_code"] == 0  # in step, nothing parked
    assert report["left_records"] == report["right_records"] == report["agreeing_pairs"]
    assert report["clean"], report
    assert report["duplicates_left"] == report["duplicates_right"] == 0
    assert figures["renames_by_reps"] > 0
    assert figures["erp_versions_checked"] > 0
    assert figures["order_violations"] == 0, figures["violation_examples"]


async def test_killed_runtime_loses_nothing_duplicates_nothing_and_keeps_order(
    tmp_path: Path,
) -> None:
    check(await measure(accounts=60, kills=3, folder=tmp_path, gap=(3.0, 6.0), rate=10.0))


@pytest.mark.services
async def test_the_same_on_postgresql_with_jetstream(tmp_path: Path) -> None:
    with throwaway_database("causeway_crash") as url, throwaway_prefix() as prefix:
        figures = await measure(
            accounts=60,
            kills=3,
            folder=tmp_path,
            gap=(3.0, 6.0),
            rate=10.0,
            database_url=url,
            runtime={"backend": "jetstream", "nats_url": NATS_URL, "prefix": prefix},
        )
    assert (figures["database"], figures["backbone"]) == ("postgresql", "jetstream")
    check(figures)
