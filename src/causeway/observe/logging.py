"""Structured logs: JSON lines for machines or readable lines for people, never payloads.

Log calls in Causeway pass ids, keys and counts only; secrets and personal data never reach
a log line. As a safety net, values under keys that name payloads or credentials are
withheld whatever a caller passes. A line logged inside a span carries its `trace_id` and
`span_id`, so logs and traces join. The level comes from CAUSEWAY_LOG_LEVEL (default INFO);
CAUSEWAY_LOG_JSON=1 renders JSON lines. Colours only when stderr is a terminal.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any

import structlog
from opentelemetry import trace

WITHHELD = "[withheld]"
SENSITIVE_KEYS = frozenset(
    {
        "payload",
        "fields",
        "password",
        "secret",
        "client_secret",
        "token",
        "access_token",
        "refresh_token",
        "authorization",
        "api_key",
    }
)
"""Keys whose values never reach a log line: payloads (record data) and credentials."""


def add_trace_ids(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add the current span's trace_id and span_id (W3C hex), when there is a span."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event["trace_id"] = trace.format_trace_id(context.trace_id)
        event["span_id"] = trace.format_span_id(context.span_id)
    return event


def withhold_sensitive(
    logger: Any, method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace the values of payload and credential keys, should a call ever pass one."""
    for key in SENSITIVE_KEYS.intersection(event):
        event[key] = WITHHELD
    return event


def renderer(json_lines: bool, colours: bool) -> structlog.types.Processor:
    """JSON lines, or readable lines with colours only for a terminal."""
    if json_lines:
        return structlog.processors.JSONRenderer()
    return structlog.dev.ConsoleRenderer(colors=colours)


class CurrentStderr:
    """Whatever `sys.stderr` is when a line is written, rather than when logging was set up:
    a screen that owns the terminal for a while can send the log stream to a file by
    redirecting stderr (`contextlib.redirect_stderr`)."""

    def write(self, text: str) -> int:
        """Write to the current stderr."""
        return sys.stderr.write(text)

    def flush(self) -> None:
        """Flush the current stderr."""
        sys.stderr.flush()


def configure_logging(level: str | None = None, json_lines: bool | None = None) -> None:
    """Set up structlog once for the process."""
    name = (level or os.environ.get("CAUSEWAY_LOG_LEVEL", "INFO")).upper()
    numeric = logging.getLevelNamesMapping().get(name, logging.INFO)
    as_json = json_lines if json_lines is not None else os.environ.get("CAUSEWAY_LOG_JSON") == "1"
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            withhold_sensitive,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            add_trace_ids,
            renderer(as_json, colours=sys.stderr.isatty()),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # Logs go to stderr: stdout stays for a command's own output (JSON, tables).
        logger_factory=structlog.PrintLoggerFactory(CurrentStderr()),  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
