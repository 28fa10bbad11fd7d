"""Spans recorded in memory for the observe unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support.tracing import recording


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    """Every span finished during the test."""
    with recording() as memory:
        yield memory
