"""`configure_tracing` in a fresh process, driven by the standard OTEL_* variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys

SCRIPT = """
import httpx
from causeway.observe.tracing import TRACER, configure_tracing

provider = configure_tracing()
with TRACER.start_as_current_span("sync.poll"):
    try:
        httpx.get("http://127.0.0.1:9/services/data/v60.0/query?q=SELECT+Name", timeout=2)
    except httpx.HTTPError:
        pass
provider.shutdown()
print("done")
"""


def run(**env: str) -> subprocess.CompletedProcess[str]:
    variables = {name: value for name, value in os.environ.items() if not name.startswith("OTEL_")}
    return subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=variables | env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def spans_in(stderr: str) -> list[dict[str, object]]:
    """The console exporter's JSON documents, one per span."""
    decoder = json.JSONDecoder()
    found, at = [], stderr.find("{")
    while at != -1:
        document, end = decoder.raw_decode(stderr, at)
        found.append(document)
        at = stderr.find("{", end)
    return found


def test_console_exporter_and_service_name_from_otel_variables() -> None:
    result = run(
        OTEL_TRACES_EXPORTER="console",
        OTEL_SERVICE_NAME="causeway-eu",
        OTEL_RESOURCE_ATTRIBUTES="deployment.environment=test",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"  # spans go to stderr, never into a command's output
    spans = {str(span["name"]): span for span in spans_in(result.stderr)}
    assert set(spans) == {"sync.poll", "GET"}
    poll, request = spans["sync.poll"], spans["GET"]
    resource = poll["resource"]
    assert isinstance(resource, dict)
    assert resource["attributes"]["service.name"] == "causeway-eu"
    assert resource["attributes"]["deployment.environment"] == "test"
    assert isinstance(request["attributes"], dict)
    assert request["attributes"]["http.url"] == (
        "http://127.0.0.1:9/services/data/v60.0/query?q=REDACTED"
    )
    assert isinstance(poll["context"], dict)
    assert request["parent_id"] == poll["context"]["span_id"]


def test_sampler_variable_is_honoured() -> None:
    result = run(OTEL_TRACES_EXPORTER="console", OTEL_TRACES_SAMPLER="always_off")
    assert result.returncode == 0, result.stderr
    assert spans_in(result.stderr) == []


def test_no_exporter_means_no_provider_and_no_spans() -> None:
    script = SCRIPT.replace("provider.shutdown()", "assert provider is None")
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={name: value for name, value in os.environ.items() if not name.startswith("OTEL_")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "done\n"
    assert "sync.poll" not in result.stderr


def test_an_unknown_exporter_fails_before_anything_runs() -> None:
    result = run(OTEL_TRACES_EXPORTER="zipkin")
    assert result.returncode != 0
    assert "traces exporter 'zipkin': unknown; choose from none, console, otlp" in result.stderr
