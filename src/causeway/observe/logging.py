"""Structured logs: JSON lines for machines or readable lines for people, never payloads.

Log calls in Causeway pass ids, keys and counts only; secrets and personal data never reach
a log line. The level comes from CAUSEWAY_LOG_LEVEL (default INFO).
"""

from __future__ import annotations

import logging
import os
import sys

import structlog


def configure_logging(level: str | None = None, json_lines: bool | None = None) -> None:
    """Set up structlog once for the process."""
    name = (level or os.environ.get("CAUSEWAY_LOG_LEVEL", "INFO")).upper()
    numeric = logging.getLevelNamesMapping().get(name, logging.INFO)
    as_json = json_lines if json_lines is not None else os.environ.get("CAUSEWAY_LOG_JSON") == "1"
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        # Logs go to stderr: stdout stays for a command's own output (JSON, tables).
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
