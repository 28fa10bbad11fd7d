"""Spans recorded in memory for tests: one SDK provider per process, on only while a test asks.

A global tracer provider can be installed once per process, and the tracers handed out before
cache it. So the provider installed here delegates to the SDK while a test records and to the
no-op tracer otherwise: tests that do not record see tracing off, as in production.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from causeway.observe.tracing import instrument_http

_memory = InMemorySpanExporter()
_sdk = TracerProvider()
_sdk.add_span_processor(SimpleSpanProcessor(_memory))
_NOOP = trace.NoOpTracer()
_recording = False


class _SwitchedTracer(trace.Tracer):
    """The SDK's tracer while a test records, the no-op tracer otherwise."""

    def __init__(self, real: trace.Tracer) -> None:
        self._real = real

    def _now(self) -> trace.Tracer:
        return self._real if _recording else _NOOP

    def start_span(self, *args: Any, **kwargs: Any) -> trace.Span:
        return self._now().start_span(*args, **kwargs)

    @contextmanager
    def start_as_current_span(self, *args: Any, **kwargs: Any) -> Iterator[trace.Span]:
        with self._now().start_as_current_span(*args, **kwargs) as span:
            yield span


class _SwitchedProvider(trace.TracerProvider):
    def get_tracer(self, *args: Any, **kwargs: Any) -> trace.Tracer:
        return _SwitchedTracer(_sdk.get_tracer(*args, **kwargs))


_installed = False


def _install() -> None:
    global _installed
    if not _installed:
        trace.set_tracer_provider(_SwitchedProvider())
        _installed = True


@contextmanager
def recording() -> Iterator[InMemorySpanExporter]:
    """Record every span (Causeway's and httpx's) until the block ends."""
    global _recording
    _install()
    _memory.clear()
    instrument_http()
    _recording = True
    try:
        yield _memory
    finally:
        _recording = False
        HTTPXClientInstrumentor().uninstrument()
        _memory.clear()


def by_name(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    """The spans called `name`."""
    return [span for span in spans if span.name == name]


def parent_of(span: ReadableSpan) -> int | None:
    """The span id of the parent, or None for a root."""
    return span.parent.span_id if span.parent is not None else None
