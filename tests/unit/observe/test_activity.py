"""Timelines: steps and calls recorded in order, found by any business number, failures kept."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from causeway.cli import app
from causeway.observe.activity import ActivityLog, call
from causeway.store.engine import make_engine
from causeway.store.schema import upgrade
from tests.support.tracing import recording

PROCESS = "order_to_cash"
INSTANCE = "order_to_cash:801000000000001AAA"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'causeway.sqlite'}")
    upgrade(engine)
    yield engine
    engine.dispose()


def run_order(log: ActivityLog) -> None:
    log.remember(PROCESS, INSTANCE, {"crm_order_id": "801000000000001AAA", "crm_order": "00000101"})
    with log.step(PROCESS, INSTANCE, "validate", system="salesforce"):
        with call("GET Order", system="salesforce"):
            pass
        with call("GET OrderItem", system="salesforce"):
            pass
    with (
        log.step(PROCESS, INSTANCE, "create ERP sales order", system="s4hana"),
        call("POST A_SalesOrder", system="s4hana"),
    ):
        pass
    log.remember(PROCESS, INSTANCE, {"erp_sales_order": "5000017"})
    log.milestone(PROCESS, INSTANCE, "released", "credit check passed", system="s4hana")


def test_steps_and_their_calls_come_back_in_order_under_every_number(database: Engine) -> None:
    log = ActivityLog(database)
    run_order(log)
    for number in ("00000101", "801000000000001AAA", "5000017", INSTANCE):
        (timeline,) = log.find(number)
        assert timeline.instance_id == INSTANCE
        assert timeline.process == PROCESS
        assert [(e.kind, e.name) for e in timeline.events] == [
            ("step", "validate"),
            ("call", "GET Order"),
            ("call", "GET OrderItem"),
            ("step", "create ERP sales order"),
            ("call", "POST A_SalesOrder"),
            ("milestone", "released"),
        ]
    (timeline,) = log.find("5000017")
    validate, first_call = timeline.events[0], timeline.events[1]
    assert first_call.parent_id == validate.id
    assert validate.duration_ms >= first_call.duration_ms >= 0
    assert timeline.keys == {
        "crm_order": ["00000101"],
        "crm_order_id": ["801000000000001AAA"],
        "erp_sales_order": ["5000017"],
    }
    assert timeline.status == "credit check passed"


def fail_inside(log: ActivityLog) -> Callable[[], None]:
    def attempt() -> None:
        with (
            log.step(PROCESS, INSTANCE, "create ERP sales order", system="s4hana"),
            call("POST A_SalesOrder", system="s4hana"),
        ):
            raise RuntimeError("ERP answered 503")

    return attempt


def test_a_failed_attempt_is_kept_with_its_reason_and_the_retry_follows(database: Engine) -> None:
    log = ActivityLog(database)
    failing = fail_inside(log)
    with pytest.raises(RuntimeError, match="ERP answered 503"):
        failing()
    with log.step(PROCESS, INSTANCE, "create ERP sales order", system="s4hana"):
        pass
    (timeline,) = log.find(INSTANCE)
    assert [(e.kind, e.status) for e in timeline.events] == [
        ("step", "failed: RuntimeError"),
        ("call", "failed: RuntimeError"),
        ("step", "done"),
    ]
    assert timeline.events[0].detail == "ERP answered 503"
    assert timeline.status == "done"


def test_numbers_are_remembered_once_and_unknown_numbers_find_nothing(database: Engine) -> None:
    log = ActivityLog(database)
    log.remember(PROCESS, INSTANCE, {"crm_order": "00000101", "erp_sales_order": None})
    log.remember(PROCESS, INSTANCE, {"crm_order": "00000101"})
    assert log.find("00000101")[0].keys == {"crm_order": ["00000101"]}
    assert log.find("no-such-number") == []


def test_a_call_outside_any_step_records_nothing(database: Engine) -> None:
    log = ActivityLog(database)
    with call("GET Order", system="salesforce"):
        pass
    assert log.find(INSTANCE) == []


def test_steps_carry_the_trace_id_while_tracing_records(database: Engine) -> None:
    log = ActivityLog(database)
    with log.step(PROCESS, INSTANCE, "untraced"):
        pass
    with recording() as spans:
        with log.step(PROCESS, INSTANCE, "traced"), call("GET Order", system="salesforce"):
            pass
        exported = {f"{s.context.trace_id:032x}" for s in spans.get_finished_spans()}
    untraced, traced, inner = log.find(INSTANCE)[0].events
    assert untraced.trace_id is None
    assert traced.trace_id is not None
    assert traced.trace_id in exported
    assert inner.trace_id == traced.trace_id


def test_causeway_trace_prints_the_timeline_or_says_nothing_is_known(database: Engine) -> None:
    run_order(ActivityLog(database))
    url = str(database.url)
    runner = CliRunner(env={"COLUMNS": "200"})
    shown = runner.invoke(app, ["trace", "00000101", "--url", url])
    assert shown.exit_code == 0, shown.output
    assert "create ERP sales order" in shown.output
    assert "POST A_SalesOrder" in shown.output
    as_json = runner.invoke(app, ["trace", "5000017", "--url", url, "--json"])
    (document,) = json.loads(as_json.output)
    assert document["instance_id"] == INSTANCE
    assert [e["name"] for e in document["events"]][:2] == ["validate", "GET Order"]
    missing = runner.invoke(app, ["trace", "99999", "--url", url])
    assert missing.exit_code == 1
    assert "no process instance is known by '99999'" in missing.output
