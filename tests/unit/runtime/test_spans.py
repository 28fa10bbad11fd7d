"""The worker's spans: one per envelope in its change's trace, a linked batch span for several."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from causeway.connectors.errors import ErrorClass
from causeway.observe.tracing import TRACER, extract, inject
from causeway.runtime.backbone import Claim
from causeway.runtime.envelope import Envelope, Headers
from causeway.runtime.handler import Done, Park, Retry
from causeway.runtime.spans import HandlingSpans
from tests.support.tracing import by_name, parent_of, recording

TOPIC = "sync.commands.s4hana"


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    with recording() as memory:
        yield memory


def published(key: str) -> tuple[Envelope, int]:
    """A command published inside its own producer span; returns it and that span's id."""
    with TRACER.start_as_current_span(f"produce {key}") as producer:
        headers = inject(Headers(correlation_id=f"corr-{key}"))
    envelope = Envelope(
        kind="command",
        source="causeway",
        entity="customer",
        key=key,
        payload={"fields": {"OrganizationBPName1": "Roe Trading GmbH"}},
        headers=headers,
        attempt=2,
    )
    return envelope, producer.get_span_context().span_id


def claim_of(*envelopes: Envelope) -> Claim:
    return Claim(
        TOPIC,
        "writer",
        "token",
        datetime(2026, 1, 5, tzinfo=UTC),
        envelopes,
        {item.id: n for n, item in enumerate(envelopes, 1)},
    )


def test_one_envelope_gets_one_span_child_of_its_producer(spans: InMemorySpanExporter) -> None:
    envelope, producer = published("C-1")
    handling = HandlingSpans(claim_of(envelope), "s4hana")
    with handling.current() as current:
        [handed] = handling.envelopes
        # The handler's own work, and whatever it publishes, belongs to this envelope's span.
        assert trace.get_current_span() is current
        carried = trace.get_current_span(extract(handed.headers)).get_span_context()
        assert carried.span_id == current.get_span_context().span_id
    handling.settled([Done()], {envelope.id: Done()})
    handling.end()
    [span] = by_name(spans.get_finished_spans(), f"process {TOPIC}")
    assert parent_of(span) == producer
    assert span.kind is SpanKind.CONSUMER
    assert span.links == ()
    assert dict(span.attributes or {}) == {
        "messaging.operation.type": "process",
        "messaging.destination.name": TOPIC,
        "messaging.consumer.group.name": "writer",
        "messaging.batch.message_count": 1,
        "messaging.message.id": envelope.id,
        "causeway.target": "s4hana",
        "causeway.envelope.kind": "command",
        "causeway.source": "causeway",
        "causeway.entity": "customer",
        "causeway.partition_key": "customer/C-1",
        "causeway.attempt": 2,
        "causeway.outcome": "done",
    }
    assert handed.headers.correlation_id == "corr-C-1"
    assert handed.payload == envelope.payload


def test_a_batch_keeps_each_envelope_in_its_own_trace(spans: InMemorySpanExporter) -> None:
    batch = [published(f"C-{n}") for n in range(3)]
    envelopes = [envelope for envelope, _ in batch]
    handling = HandlingSpans(claim_of(*envelopes), "s4hana")
    with handling.current() as current:
        batch_span = current
        handed = handling.envelopes
    outcomes = [
        Done(),
        Retry(ErrorClass.THROTTLED, "429 for Roe Trading GmbH", 5.0),
        Park("country 'ZZ' unknown", "address.country", "C-2"),
    ]
    settlements = {item.id: outcome for item, outcome in zip(envelopes, outcomes, strict=True)}
    handling.settled(outcomes, settlements)
    handling.end()

    finished = spans.get_finished_spans()
    [batch_record] = by_name(finished, f"process {TOPIC} batch")
    per_envelope = by_name(finished, f"process {TOPIC}")
    assert len(per_envelope) == 3
    batch_context = batch_span.get_span_context()
    assert batch_record.parent is None
    assert {link.context.span_id for link in batch_record.links} == {p for _, p in batch}
    for (envelope, producer), span, handed_one in zip(batch, per_envelope, handed, strict=True):
        assert parent_of(span) == producer
        assert span.context is not None
        assert (
            span.context.trace_id
            == trace.get_current_span(extract(envelope.headers)).get_span_context().trace_id
        )
        assert [link.context.span_id for link in span.links] == [batch_context.span_id]
        carried = trace.get_current_span(extract(handed_one.headers)).get_span_context()
        assert carried.span_id == span.context.span_id

    done, retried, parked = per_envelope
    assert done.status.status_code is StatusCode.UNSET
    assert retried.attributes is not None
    assert parked.attributes is not None
    assert retried.attributes["causeway.outcome"] == "retry"
    assert retried.attributes["causeway.error_class"] == "throttled"
    assert retried.status.status_code is StatusCode.ERROR
    assert parked.attributes["causeway.outcome"] == "park"
    assert parked.attributes["causeway.error_class"] == "invalid"
    # Reasons quote record data: they stay in the dead letter, never in a span.
    for span in finished:
        shown = f"{span.attributes} {span.status.description} {span.events}"
        assert "Roe" not in shown
        assert "ZZ" not in shown


def test_released_batches_say_so(spans: InMemorySpanExporter) -> None:
    envelope, _ = published("C-1")
    handling = HandlingSpans(claim_of(envelope), "s4hana")
    handling.released()
    handling.end()
    [span] = by_name(spans.get_finished_spans(), f"process {TOPIC}")
    assert span.attributes is not None
    assert span.attributes["causeway.outcome"] == "release"


def test_with_tracing_off_the_handler_gets_the_envelopes_untouched() -> None:
    envelope = Envelope(
        kind="change",
        source="salesforce",
        entity="customer",
        key="001A",
        headers=Headers(traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"),
    )
    handling = HandlingSpans(claim_of(envelope), "causeway")
    with handling.current():
        pass
    handling.settled([Done()], {envelope.id: Done()})
    handling.end()
    assert handling.envelopes == (envelope,)
    assert handling.envelopes[0] is envelope


def test_without_a_tracer_provider_nothing_is_started(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("causeway.runtime.spans.tracing_enabled", lambda: False)
    envelope, _ = published("C-1")
    handling = HandlingSpans(claim_of(envelope), "s4hana")
    with handling.current() as current:
        assert current is trace.INVALID_SPAN
    handling.settled([Done()], {envelope.id: Done()})
    handling.released()
    handling.end()
    assert handling.spans == []
    assert handling.envelopes[0] is envelope
