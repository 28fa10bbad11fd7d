"""Traces: one trace per change, from its poll through the backbone to the write it caused.

The trace context travels inside each envelope's headers as W3C `traceparent` and
`tracestate`, so a hop in another process, or after a retry an hour later, still joins the
trace of the change that caused it. Until `configure_tracing` (or another SDK set-up) installs
a tracer provider, the OpenTelemetry API is a no-op and these helpers cost next to nothing.

This module imports nothing else from Causeway, so every layer may use it.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.trace import Span, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

if TYPE_CHECKING:
    from causeway.runtime.envelope import Envelope, Headers

TRACER = trace.get_tracer("causeway")
"""The tracer of every span Causeway opens itself (HTTP client spans come from httpx's)."""

EXPORTERS = ("none", "console", "otlp")
DEFAULT_SERVICE_NAME = "causeway"
OTLP_MODULE = "opentelemetry.exporter.otlp.proto.http.trace_exporter"
WITHHELD = "REDACTED"

# Always W3C, whatever OTEL_PROPAGATORS says: the envelope has exactly these two fields.
_W3C = TraceContextTextMapPropagator()


class TracingConfigError(ValueError):
    """Tracing was configured with an exporter that is unknown or not installed."""

    def __init__(self, exporter: str, reason: str) -> None:
        super().__init__(f"traces exporter {exporter!r}: {reason}")
        self.exporter = exporter
        self.reason = reason


def tracing_enabled() -> bool:
    """False while no tracer provider is installed, when every span is a no-op."""
    return not isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)


# -- context in envelopes ----------------------------------------------------------------


def _trace_fields(context: Context | None = None) -> dict[str, str | None] | None:
    """traceparent and tracestate of the current span (or `context`); None without a span."""
    carrier: dict[str, str] = {}
    _W3C.inject(carrier, context)
    if "traceparent" not in carrier:
        return None
    return {"traceparent": carrier["traceparent"], "tracestate": carrier.get("tracestate")}


def inject(headers: Headers, context: Context | None = None) -> Headers:
    """`headers` carrying the current span (or the one in `context`) as traceparent/tracestate.

    Unchanged when there is no valid span to carry.
    """
    fields = _trace_fields(context)
    return headers if fields is None else headers.model_copy(update=fields)


def extract(headers: Headers) -> Context:
    """The context an envelope was published in: the parent of the spans that handle it."""
    carrier: dict[str, str] = {}
    if headers.traceparent:
        carrier["traceparent"] = headers.traceparent
        if headers.tracestate:
            carrier["tracestate"] = headers.tracestate
    return _W3C.extract(carrier)


def stamped(envelopes: Sequence[Envelope]) -> Sequence[Envelope]:
    """Envelopes without a trace context get the current one; the others keep theirs.

    An envelope that already carries a context was caused by an earlier hop (a command copies
    the context of the change it came from) and stays in that hop's trace.
    """
    if all(item.headers.traceparent for item in envelopes):
        return envelopes
    fields = _trace_fields()
    if fields is None:
        return envelopes
    return [
        item
        if item.headers.traceparent
        else item.model_copy(update={"headers": item.headers.model_copy(update=fields)})
        for item in envelopes
    ]


@contextmanager
def continuing(headers: Headers) -> Iterator[None]:
    """Make an envelope's trace context current while a handler works on that envelope alone.

    Inside, log lines carry the envelope's trace id and new spans join its trace. Workers hand
    a handler each envelope with the context of the span handling it, so this is all a batch
    handler needs to keep its per-envelope work in the right trace.
    """
    token = otel_context.attach(extract(headers))
    try:
        yield
    finally:
        otel_context.detach(token)


# -- spans -------------------------------------------------------------------------------


@contextmanager
def poll_span(system: str, object_name: str) -> Iterator[Span]:
    """The current span while a poller reads one page of changes and publishes it.

    Set `causeway.records` on the span once the page is read. Every change of the page is
    published inside this span and so starts its trace here.
    """
    attributes = {"causeway.system": system, "causeway.object": object_name}
    # The exception's class only: a message may quote a record's values.
    with TRACER.start_as_current_span(
        "sync.poll", attributes=attributes, record_exception=False, set_status_on_exception=False
    ) as span:
        try:
            yield span
        except Exception as error:
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(StatusCode.ERROR)
            raise


# -- HTTP client spans -------------------------------------------------------------------


def withheld_url(url: str) -> str:
    """A URL fit for a span: scheme, host, port and path; query values and userinfo withheld.

    Query strings carry filters (an OData `$filter`, a SOQL `WHERE`) whose values may be names
    or emails; the parameter names stay, so the kind of request remains visible.
    """
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    shown = f"{parts.scheme}://{host}{parts.path}"
    names = [part.partition("=")[0] for part in parts.query.split("&") if part]
    if not names:
        return shown
    return f"{shown}?" + "&".join(f"{name}={WITHHELD}" for name in names)


def _withhold_query(span: Span, request: Any) -> None:
    """httpx instrumentation hook: replace the URL attribute set at span start."""
    if not span.is_recording():
        return
    shown = withheld_url(str(request.url))
    present: Mapping[str, Any] = getattr(span, "attributes", None) or {}
    keys = [key for key in ("url.full", "http.url") if key in present] or ["url.full"]
    for key in keys:
        span.set_attribute(key, shown)


async def _withhold_query_async(span: Span, request: Any) -> None:
    _withhold_query(span, request)


def instrument_http() -> None:
    """Trace every httpx request as a client span (method, URL without query values, status).

    Uses opentelemetry-instrumentation-httpx, which wraps httpx's transports process-wide,
    so every connector's client is covered without touching it. Calling it again is harmless.
    """
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor = HTTPXClientInstrumentor()
    if instrumentor.is_instrumented_by_opentelemetry:
        return
    instrumentor.instrument(request_hook=_withhold_query, async_request_hook=_withhold_query_async)


# -- configuration -----------------------------------------------------------------------


def chosen_exporters(exporter: str | None = None) -> list[str]:
    """The exporters to use: `exporter`, else OTEL_TRACES_EXPORTER, else none.

    Both accept a comma-separated list (`otlp,console`). OTEL_SDK_DISABLED=true wins over all.
    """
    if os.environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return []
    text = exporter if exporter is not None else os.environ.get("OTEL_TRACES_EXPORTER", "none")
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in EXPORTERS:
            raise TracingConfigError(name, f"unknown; choose from {', '.join(EXPORTERS)}")
    return [name for name in names if name != "none"]


def span_exporter(name: str) -> SpanExporter:
    """A span exporter by name; `otlp` needs the optional extra causeway[otlp]."""
    if name == "console":
        # stderr: stdout carries a command's own output (JSON, tables).
        return ConsoleSpanExporter(out=sys.stderr)
    if name == "otlp":
        try:
            module = importlib.import_module(OTLP_MODULE)
        except ImportError as missing:
            raise TracingConfigError(
                name,
                "needs opentelemetry-exporter-otlp-proto-http, which is not installed; "
                "install it with: pip install 'causeway[otlp]'",
            ) from missing
        # Endpoint, headers, timeout and compression come from OTEL_EXPORTER_OTLP_*.
        exporter: SpanExporter = module.OTLPSpanExporter()
        return exporter
    raise TracingConfigError(name, f"unknown; choose from {', '.join(EXPORTERS)}")


def service_resource(service_name: str | None = None) -> Resource:
    """The resource spans are reported under: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
    apply; `service_name` overrides them; `causeway` when nothing names the service."""
    resource = Resource.create({SERVICE_NAME: service_name} if service_name else {})
    if str(resource.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        resource = resource.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return resource


def tracer_provider(exporters: Sequence[str], service_name: str | None = None) -> TracerProvider:
    """An SDK tracer provider exporting in batches to each named exporter.

    The sampler follows OTEL_TRACES_SAMPLER and the batching OTEL_BSP_*, as the SDK reads them.
    """
    provider = TracerProvider(resource=service_resource(service_name))
    for name in exporters:
        provider.add_span_processor(BatchSpanProcessor(span_exporter(name)))
    return provider


def configure_tracing(
    exporter: str | None = None, *, service_name: str | None = None
) -> TracerProvider | None:
    """Set up tracing once for the process; returns the provider, or None when tracing is off.

    `exporter` is `none`, `console` or `otlp` (default: OTEL_TRACES_EXPORTER, else `none`,
    which installs nothing and leaves the API a no-op). Raises `TracingConfigError` for an
    unknown exporter or a missing OTLP package, before anything is installed. A provider
    installed earlier (by a previous call or another SDK set-up) stays.
    """
    exporters = chosen_exporters(exporter)
    if not exporters:
        return None
    if tracing_enabled():
        # A process has one provider, set once: keep the one already in place.
        current = trace.get_tracer_provider()
        return current if isinstance(current, TracerProvider) else None
    provider = tracer_provider(exporters, service_name)
    trace.set_tracer_provider(provider)
    instrument_http()
    return provider
