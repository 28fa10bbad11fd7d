"""Log lines carry trace ids inside a span, no colours off a terminal, and never payloads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pydantic import SecretStr

from causeway.observe.logging import add_trace_ids, configure_logging, withhold_sensitive
from causeway.observe.tracing import TRACER
from causeway.runtime.envelope import Envelope

ANSI = "\x1b["


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """Put the suite's logging set-up back after a test reconfigures it."""
    saved = structlog.get_config()
    yield
    structlog.configure(**saved)


def lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_a_line_inside_a_span_names_its_trace_and_span(spans: InMemorySpanExporter) -> None:
    with TRACER.start_as_current_span("process sync.changes") as span:
        event = add_trace_ids(None, "info", {"event": "retry scheduled"})
    context = span.get_span_context()
    assert event["trace_id"] == trace.format_trace_id(context.trace_id)
    assert event["span_id"] == trace.format_span_id(context.span_id)
    assert len(event["trace_id"]) == 32
    assert len(event["span_id"]) == 16


def test_a_line_outside_any_span_has_no_trace_ids() -> None:
    assert add_trace_ids(None, "info", {"event": "worker started"}) == {"event": "worker started"}


def test_json_lines_carry_trace_ids(
    spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("INFO", json_lines=True)
    log = structlog.get_logger("causeway.test")
    with TRACER.start_as_current_span("sync.poll") as span:
        log.info("inside", topic="sync.changes")
    log.info("outside")
    inside, outside = lines(capsys.readouterr().err)
    assert inside["event"] == "inside"
    assert inside["trace_id"] == trace.format_trace_id(span.get_span_context().trace_id)
    assert "trace_id" not in outside


def test_plain_lines_without_colours_when_stderr_is_not_a_terminal(
    spans: InMemorySpanExporter, capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("INFO", json_lines=False)
    log = structlog.get_logger("causeway.test")
    with TRACER.start_as_current_span("sync.poll") as span:
        log.warning("poll.failed", system="salesforce")
    text = capsys.readouterr().err
    assert ANSI not in text
    assert "poll.failed" in text
    assert f"trace_id={trace.format_trace_id(span.get_span_context().trace_id)}" in text


def test_payloads_and_credentials_never_reach_a_line(
    capsys: pytest.CaptureFixture[str], restore_logging: None
) -> None:
    configure_logging("INFO", json_lines=True)
    log = structlog.get_logger("causeway.test")
    envelope = Envelope(
        kind="change",
        source="salesforce",
        entity="customer",
        key="001A",
        payload={"Name": "Roe Trading GmbH", "Email": "jane.roe@example.com"},
    )
    # The convention: ids and keys only.
    log.info("retry scheduled", **envelope.loggable())
    # The safety net, should a call ever pass more.
    log.info(
        "careless",
        payload=envelope.payload,
        fields={"Email": "jane.roe@example.com"},
        password=SecretStr("hunter2"),
        client_secret="s3cr3t",
        authorization="Bearer abc.def",
    )
    text = capsys.readouterr().err
    for secret in ("Roe Trading", "jane.roe@example.com", "hunter2", "s3cr3t", "abc.def"):
        assert secret not in text
    retry, careless = lines(text)
    assert retry["envelope_id"] == envelope.id
    assert retry["partition_key"] == "customer/001A"
    assert careless["payload"] == "[withheld]"
    assert careless["password"] == "[withheld]"


def test_withholding_keeps_other_keys() -> None:
    event = withhold_sensitive(None, "info", {"event": "x", "topic": "t", "token": "abc"})
    assert event == {"event": "x", "topic": "t", "token": "[withheld]"}
