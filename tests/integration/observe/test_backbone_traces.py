"""The trace context survives the SQL backbone, and workers continue it hop after hop."""

from __future__ import annotations

import asyncio
import io
import json
from collections.abc import Iterator, Sequence

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import TraceState

from causeway.connectors.errors import ErrorClass
from causeway.observe.logging import configure_logging
from causeway.observe.tracing import TRACER, continuing, extract
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.envelope import Envelope, Headers
from causeway.runtime.handler import Done, Outcome, Retry
from causeway.runtime.outlet import Outlet
from causeway.runtime.policies import Backoff, FailurePolicy
from causeway.runtime.worker import Worker, WorkerSettings
from tests.support.tracing import by_name, parent_of

pytestmark = pytest.mark.anyio

CHANGES, COMMANDS = "test.changes", "test.commands.erp"
FAST = FailurePolicy(backoff=Backoff(initial=0.01, maximum=0.05), max_attempts=4)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def change(key: str, headers: Headers | None = None) -> Envelope:
    return Envelope(
        kind="change",
        source="crm",
        entity="customer",
        key=key,
        payload={"Name": "Roe Trading GmbH", "Email": "jane.roe@example.com"},
        headers=headers or Headers(),
    )


def context_of(envelope: Envelope) -> trace.SpanContext:
    return trace.get_current_span(extract(envelope.headers)).get_span_context()


def test_traceparent_survives_publish_and_claim(
    backbone: SqlBackbone, spans: InMemorySpanExporter
) -> None:
    backbone.subscribe(CHANGES, "sync")
    upstream = Headers(
        traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
        tracestate="vendor=abc",
        correlation_id="corr-1",
    )
    with TRACER.start_as_current_span("sync.poll") as poll:
        backbone.publish(CHANGES, [change("001A"), change("001B", upstream)])
    claim = backbone.claim(CHANGES, "sync", max_batch=10, lease_seconds=30)
    fresh, caused = claim.envelopes
    # Published without a context: the publisher's span.
    assert context_of(fresh).trace_id == poll.get_span_context().trace_id
    assert context_of(fresh).span_id == poll.get_span_context().span_id
    assert fresh.payload["Name"] == "Roe Trading GmbH"
    # Published with one: kept exactly, tracestate included.
    assert caused.headers == upstream
    assert context_of(caused).trace_state == TraceState([("vendor", "abc")])


def test_outbox_publish_inside_a_transaction_is_stamped_too(
    backbone: SqlBackbone, spans: InMemorySpanExporter
) -> None:
    backbone.subscribe(CHANGES, "sync")
    with (
        TRACER.start_as_current_span("process sync.changes") as handling,
        write_transaction(backbone.engine) as connection,
    ):
        backbone.publish(CHANGES, [change("001A")], connection=connection)
    [claimed] = backbone.claim(CHANGES, "sync", max_batch=10, lease_seconds=30).envelopes
    assert context_of(claimed).span_id == handling.get_span_context().span_id


async def test_outlet_keeps_the_producers_context(
    backbone: SqlBackbone, spans: InMemorySpanExporter
) -> None:
    backbone.subscribe(CHANGES, "sync")
    async with Outlet(backbone) as outlet:
        with TRACER.start_as_current_span("sync.poll") as poll:
            await outlet.put(CHANGES, change("001A"))
        await outlet.flush()  # the flusher publishes outside the producer's span
    [claimed] = backbone.claim(CHANGES, "sync", max_batch=10, lease_seconds=30).envelopes
    assert context_of(claimed).span_id == poll.get_span_context().span_id


class Forwarder:
    """A change handler: each change becomes a command through the outbox, headers copied."""

    def __init__(self, backbone: SqlBackbone) -> None:
        self.backbone = backbone

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        log = structlog.get_logger("causeway.test")
        for envelope in batch:
            with continuing(envelope.headers):
                log.info("forwarding", **envelope.loggable())
            command = Envelope(
                kind="command",
                source="causeway",
                entity=envelope.entity,
                key=envelope.key,
                payload=envelope.payload,
                headers=envelope.headers.model_copy(update={"causation_id": envelope.id}),
            )
            with write_transaction(self.backbone.engine) as connection:
                self.backbone.publish(COMMANDS, [command], connection=connection)
        return [Done()] * len(batch)


class Writer:
    """A command handler that writes the batch in one call and fails the first time."""

    def __init__(self) -> None:
        self.calls = 0

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        self.calls += 1
        with TRACER.start_as_current_span("PATCH"):
            pass
        if self.calls == 1:
            return [Retry(ErrorClass.RETRYABLE, "503 for Roe Trading GmbH")] * len(batch)
        return [Done()] * len(batch)


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """JSON log lines into a buffer; nothing caches a logger bound to it."""
    saved = structlog.get_config()
    buffer = io.StringIO()
    configure_logging("INFO", json_lines=True)
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(buffer), cache_logger_on_first_use=False
    )
    yield buffer
    structlog.configure(**saved)


async def test_each_change_keeps_one_trace_through_two_workers(
    backbone: SqlBackbone,
    spans: InMemorySpanExporter,
    json_logs: io.StringIO,
) -> None:
    backbone.subscribe(CHANGES, "sync")
    backbone.subscribe(COMMANDS, "writer")
    polls: dict[str, trace.SpanContext] = {}
    for key in ("001A", "001B", "001C"):
        with TRACER.start_as_current_span("sync.poll") as poll:
            backbone.publish(CHANGES, [change(key)])
        polls[key] = poll.get_span_context()
    sync = Worker(
        backbone, Forwarder(backbone), WorkerSettings(CHANGES, "sync", "causeway", policy=FAST)
    )
    write = Worker(backbone, Writer(), WorkerSettings(COMMANDS, "writer", "erp", policy=FAST))
    assert await sync.run_once() == 3
    assert await write.run_once() == 3
    retried = 0
    async with asyncio.timeout(10):
        while retried < 3:
            retried += await write.run_once()
            await asyncio.sleep(0.02)

    finished = spans.get_finished_spans()
    changes = by_key(by_name(finished, f"process {CHANGES}"))
    commands = by_key(by_name(finished, f"process {COMMANDS}"))
    for key, poll in polls.items():
        [handled] = changes[key]
        assert handled.context is not None
        assert handled.context.trace_id == poll.trace_id
        assert parent_of(handled) == poll.span_id
        first, second = commands[key]
        for command in (first, second):
            assert command.context is not None
            assert command.context.trace_id == poll.trace_id
            # The command's parent is the span that handled its change, not the poll.
            assert parent_of(command) == handled.context.span_id
        assert first.attributes is not None
        assert second.attributes is not None
        assert (first.attributes["causeway.attempt"], first.attributes["causeway.outcome"]) == (
            1,
            "retry",
        )
        assert first.attributes["causeway.error_class"] == "retryable"
        assert (second.attributes["causeway.attempt"], second.attributes["causeway.outcome"]) == (
            2,
            "done",
        )
    # Three envelopes in one call: the shared work sits under a batch span linked both ways.
    batch = min(
        by_name(finished, f"process {COMMANDS} batch"), key=lambda span: span.start_time or 0
    )
    assert batch.context is not None
    assert {link.context.span_id for link in batch.links} == {
        span.context.span_id for [span] in changes.values() if span.context is not None
    }
    first_write = min(by_name(finished, "PATCH"), key=lambda span: span.start_time or 0)
    assert parent_of(first_write) == batch.context.span_id
    for first, _ in commands.values():
        assert [link.context.span_id for link in first.links] == [batch.context.span_id]
    for span in finished:
        shown = f"{span.attributes} {span.status.description} {span.events}"
        assert "Roe" not in shown
        assert "jane.roe" not in shown

    logged = [json.loads(line) for line in json_logs.getvalue().splitlines()]
    forwarding = [line for line in logged if line["event"] == "forwarding"]
    assert len(forwarding) == 3
    assert {line["trace_id"] for line in forwarding} == {
        trace.format_trace_id(poll.trace_id) for poll in polls.values()
    }
    assert all("Roe" not in json.dumps(line) for line in logged)


def by_key(spans: Sequence[ReadableSpan]) -> dict[str, list[ReadableSpan]]:
    """Spans per business key, in the order they started."""
    found: dict[str, list[ReadableSpan]] = {}
    for span in sorted(spans, key=lambda span: span.start_time or 0):
        assert span.attributes is not None
        key = str(span.attributes["causeway.partition_key"]).rpartition("/")[2]
        found.setdefault(key, []).append(span)
    return found
