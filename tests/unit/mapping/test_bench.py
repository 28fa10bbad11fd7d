from __future__ import annotations

from causeway.mapping.bench import run_mapping_benchmark


def test_benchmark_runs_every_case() -> None:
    results = run_mapping_benchmark(records=20)
    assert [r.case for r in results] == [
        "20 fields inbound to dict", "20 fields inbound validated",
        "20 fields outbound from JSON", "20 fields outbound from model",
        "salesforce Account inbound to dict", "salesforce Account inbound validated",
        "salesforce Account outbound from JSON", "salesforce Account outbound from model",
    ]
    assert all(r.records == 20 for r in results)
    assert "records/s" in results[0].describe()
