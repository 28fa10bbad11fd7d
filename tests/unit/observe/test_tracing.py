"""Trace context in envelope headers, URLs fit for spans, and the exporter configuration."""

from __future__ import annotations

import sys

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import TraceState

from causeway.observe import tracing
from causeway.observe.tracing import (
    TRACER,
    TracingConfigError,
    chosen_exporters,
    extract,
    inject,
    service_resource,
    span_exporter,
    stamped,
    tracer_provider,
    withheld_url,
)
from causeway.runtime.envelope import Envelope, Headers

OTHER_TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


def change(key: str, headers: Headers | None = None) -> Envelope:
    return Envelope(
        kind="change",
        source="salesforce",
        entity="customer",
        key=key,
        payload={"Name": "Jane Roe", "Email": "jane@example.com"},
        headers=headers or Headers(origin="salesforce"),
    )


def test_inject_writes_the_current_span_as_w3c_traceparent(
    spans: InMemorySpanExporter,
) -> None:
    with TRACER.start_as_current_span("publisher") as span:
        headers = inject(Headers(correlation_id="c-1"))
    context = span.get_span_context()
    trace_id, span_id = (
        trace.format_trace_id(context.trace_id),
        trace.format_span_id(context.span_id),
    )
    assert headers.traceparent is not None
    version, carried_trace, carried_span, flags = headers.traceparent.split("-")
    assert (version, carried_trace, carried_span) == ("00", trace_id, span_id)
    assert int(flags, 16) & 0x01  # sampled
    assert headers.tracestate is None
    assert headers.correlation_id == "c-1"


def test_extract_gives_back_the_injected_context(spans: InMemorySpanExporter) -> None:
    with TRACER.start_as_current_span("publisher") as span:
        headers = inject(Headers())
    parent = trace.get_current_span(extract(headers)).get_span_context()
    assert parent.trace_id == span.get_span_context().trace_id
    assert parent.span_id == span.get_span_context().span_id
    assert parent.is_remote


def test_tracestate_travels_both_ways(spans: InMemorySpanExporter) -> None:
    headers = Headers(traceparent=OTHER_TRACEPARENT, tracestate="vendor=abc,other=1")
    context = extract(headers)
    assert trace.get_current_span(context).get_span_context().trace_state == TraceState(
        [("vendor", "abc"), ("other", "1")]
    )
    with TRACER.start_as_current_span("child", context=context):
        carried = inject(Headers())
    assert carried.tracestate == "vendor=abc,other=1"
    assert carried.traceparent is not None
    assert carried.traceparent.split("-")[1] == OTHER_TRACEPARENT.split("-")[1]


def test_without_a_span_nothing_is_injected_or_extracted() -> None:
    headers = Headers(origin="s4hana")
    assert inject(headers) is headers
    assert not trace.get_current_span(extract(headers)).get_span_context().is_valid


def test_stamped_gives_the_current_context_only_to_envelopes_without_one(
    spans: InMemorySpanExporter,
) -> None:
    fresh = change("001A")
    caused = change("001B", Headers(traceparent=OTHER_TRACEPARENT, origin="salesforce"))
    with TRACER.start_as_current_span("publisher") as span:
        first, second = stamped([fresh, caused])
    trace_id = trace.format_trace_id(span.get_span_context().trace_id)
    assert first.headers.traceparent is not None
    assert trace_id in first.headers.traceparent
    assert first.headers.origin == "salesforce"
    assert first.payload == fresh.payload
    assert first.id == fresh.id
    assert second is caused


def test_stamped_outside_a_span_leaves_the_envelopes_alone() -> None:
    batch = [change("001A"), change("001B")]
    assert stamped(batch) is batch


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "https://crm.example:8443/services/data/v60.0/query?q=SELECT+Id+FROM+Contact"
            "+WHERE+Email%3D%27jane%40example.com%27",
            "https://crm.example:8443/services/data/v60.0/query?q=REDACTED",
        ),
        (
            "http://erp.local/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_BusinessPartner"
            "?$filter=SearchTerm2%20eq%20'Jane'&$top=50#frag",
            "http://erp.local/sap/opu/odata/sap/API_BUSINESS_PARTNER/A_BusinessPartner"
            "?$filter=REDACTED&$top=REDACTED",
        ),
        ("https://user:pw@api.example/v1/tickets/17", "https://api.example/v1/tickets/17"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/"),
    ],
)
def test_urls_in_spans_keep_path_and_parameter_names_only(url: str, shown: str) -> None:
    assert withheld_url(url) == shown


def test_the_exporter_comes_from_the_argument_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    monkeypatch.delenv("OTEL_SDK_DISABLED", raising=False)
    assert chosen_exporters() == []
    assert chosen_exporters("console") == ["console"]
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "otlp, console")
    assert chosen_exporters() == ["otlp", "console"]
    assert chosen_exporters("none") == []
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
    assert chosen_exporters("console") == []


def test_an_unknown_exporter_is_refused_by_name() -> None:
    with pytest.raises(TracingConfigError, match=r"'jaeger'.*none, console, otlp"):
        chosen_exporters("jaeger")


def test_otlp_without_its_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, tracing.OTLP_MODULE, None)
    with pytest.raises(TracingConfigError) as caught:
        span_exporter("otlp")
    assert "opentelemetry-exporter-otlp-proto-http" in str(caught.value)
    assert "pip install 'causeway[otlp]'" in str(caught.value)


def test_otlp_exporter_reads_the_standard_endpoint_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The exporter is in the dev extra: a missing one is a failure, not a skip.
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://127.0.0.1:4318/v1/traces")
    exporter = span_exporter("otlp")
    assert type(exporter).__name__ == "OTLPSpanExporter"
    exporter.shutdown()


def test_service_name_defaults_to_causeway_and_follows_otel_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.delenv("OTEL_RESOURCE_ATTRIBUTES", raising=False)
    assert service_resource().attributes["service.name"] == "causeway"
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attributes,team=erp")
    assert service_resource().attributes["service.name"] == "from-attributes"
    assert service_resource().attributes["team"] == "erp"
    monkeypatch.setenv("OTEL_SERVICE_NAME", "causeway-eu")
    assert service_resource().attributes["service.name"] == "causeway-eu"
    assert service_resource("explicit").attributes["service.name"] == "explicit"


def test_console_exporter_writes_spans_to_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    provider = tracer_provider(["console"], service_name="causeway-test")
    provider.get_tracer("test").start_span("sync.poll").end()
    provider.force_flush()
    provider.shutdown()
    captured = capsys.readouterr()
    assert '"name": "sync.poll"' in captured.err
    assert "causeway-test" in captured.err
    assert captured.out == ""


def test_configure_tracing_with_none_installs_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    before = trace.get_tracer_provider()
    assert tracing.configure_tracing() is None
    assert tracing.configure_tracing("none") is None
    assert trace.get_tracer_provider() is before


def test_configure_tracing_keeps_a_provider_already_installed(
    spans: InMemorySpanExporter, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = trace.get_tracer_provider()
    assert tracing.tracing_enabled()
    assert tracing.configure_tracing("console") is None  # the tests' provider is no SDK one
    assert trace.get_tracer_provider() is before
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "bogus")
    with pytest.raises(TracingConfigError):
        tracing.configure_tracing()


def test_a_failed_poll_names_the_error_class_not_its_message(spans: InMemorySpanExporter) -> None:
    with pytest.raises(ValueError, match="Roe"), tracing.poll_span("salesforce", "Account"):
        raise ValueError("no such country for Roe Trading GmbH")
    [span] = spans.get_finished_spans()
    assert span.name == "sync.poll"
    assert span.status.status_code is trace.StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "ValueError"
    assert span.attributes["causeway.system"] == "salesforce"
    assert span.events == ()
    assert "Roe" not in f"{span.attributes} {span.status.description}"
