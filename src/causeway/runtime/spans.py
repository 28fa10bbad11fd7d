"""The worker's spans: one per envelope handled, in the trace of the change it belongs to.

Why a span per envelope rather than one span per batch with links: a batch mixes envelopes
of unrelated changes, and a batch span can sit in one trace only. A span per envelope, child
of the context the envelope was published in, puts the poll of a change, its sync step, the
command it caused and the write into ONE trace, which is what an operator follows when one
record went wrong. The handler receives each envelope with its traceparent pointing at that
envelope's span, so whatever it publishes (a command copies its cause's headers) continues
the same trace, even in a batch of a hundred.

The work a handler does in one call for several envelopes (one HTTP request writing a whole
batch) cannot belong to several traces. With one envelope in the batch, that envelope's span
is current and the work joins its trace; with several, a batch span is current for the call,
linked both ways with the envelopes' spans.

Attributes identify the hop (topic, group, target, entity, envelope id, partition key,
attempt, batch size, outcome, error class), never payload values or failure reasons, which
may quote a record's data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from opentelemetry import trace
from opentelemetry.trace import Link, Span, SpanKind, Status, StatusCode

from causeway.observe.tracing import TRACER, extract, inject, tracing_enabled
from causeway.runtime.backbone import Claim, Release, Settlement
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Outcome, Park, Retry

AttributeMap = dict[str, str | int]


def _hop(claim: Claim, target: str) -> AttributeMap:
    return {
        "messaging.operation.type": "process",
        "messaging.destination.name": claim.topic,
        "messaging.consumer.group.name": claim.group,
        "messaging.batch.message_count": len(claim),
        "causeway.target": target,
    }


def _envelope(item: Envelope) -> AttributeMap:
    return {
        "messaging.message.id": item.id,
        "causeway.envelope.kind": item.kind,
        "causeway.source": item.source,
        "causeway.entity": item.entity,
        "causeway.partition_key": item.partition_key,
        "causeway.attempt": item.attempt,
    }


class HandlingSpans:
    """The spans of one claimed batch, from the claim until every envelope is settled."""

    def __init__(self, claim: Claim, target: str) -> None:
        self.batch: Span | None = None
        self.spans: list[Span] = []
        self.envelopes: tuple[Envelope, ...] = claim.envelopes
        """The batch as the handler sees it: each traceparent names the envelope's own span."""
        if tracing_enabled():
            self._start(claim, target)

    def _start(self, claim: Claim, target: str) -> None:
        name = f"process {claim.topic}"
        hop = _hop(claim, target)
        parents = [extract(item.headers) for item in claim.envelopes]
        batch_links: list[Link] = []
        if len(claim) > 1:
            links = [
                Link(context)
                for context in (trace.get_current_span(p).get_span_context() for p in parents)
                if context.is_valid
            ]
            self.batch = TRACER.start_span(
                f"{name} batch", kind=SpanKind.CONSUMER, attributes=hop, links=links
            )
            batch_links = [Link(self.batch.get_span_context())]
        self.spans = [
            TRACER.start_span(
                name,
                context=parent,
                kind=SpanKind.CONSUMER,
                attributes=hop | _envelope(item),
                links=batch_links,
            )
            for item, parent in zip(claim.envelopes, parents, strict=True)
        ]
        self.envelopes = tuple(
            _continued(item, span) for item, span in zip(claim.envelopes, self.spans, strict=True)
        )

    @contextmanager
    def current(self) -> Iterator[Span]:
        """Make the batch span (or the single envelope's span) current for the handler call."""
        span = self.batch if self.batch is not None else next(iter(self.spans), None)
        if span is None:
            yield trace.INVALID_SPAN
            return
        # No exception text on spans: database errors quote statement parameters.
        with trace.use_span(
            span, end_on_exit=False, record_exception=False, set_status_on_exception=False
        ):
            yield span

    def settled(self, outcomes: Sequence[Outcome], settlements: Mapping[str, Settlement]) -> None:
        """Record what happened to each envelope: the settlement, and the failure's class."""
        if not self.spans:
            return
        for item, outcome, span in zip(self.envelopes, outcomes, self.spans, strict=True):
            if not span.is_recording():
                continue
            settlement = settlements.get(item.id, Release())
            span.set_attribute("causeway.outcome", _outcome_name(settlement))
            if isinstance(outcome, Retry | Park):
                error_class = str(outcome.error_class)
                span.set_attribute("causeway.error_class", error_class)
                span.set_status(Status(StatusCode.ERROR, error_class))

    def released(self) -> None:
        """The batch went back untouched (shutdown): no attempt was spent."""
        for span in self.spans:
            span.set_attribute("causeway.outcome", "release")

    def end(self) -> None:
        """End every span of the batch."""
        for span in self.spans:
            span.end()
        if self.batch is not None:
            self.batch.end()


def _continued(item: Envelope, span: Span) -> Envelope:
    """`item` with its trace context pointing at the span handling it."""
    if not span.is_recording():
        return item
    context = trace.set_span_in_context(span)
    return item.model_copy(update={"headers": inject(item.headers, context)})


def _outcome_name(settlement: Settlement) -> str:
    if isinstance(settlement, Done):
        return "done"
    if isinstance(settlement, Retry):
        return "retry"
    if isinstance(settlement, Park):
        return "park"
    return "release"
