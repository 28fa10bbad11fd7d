"""Suite-wide set-up: quiet logs unless a test asks for more."""

from __future__ import annotations

import structlog

from causeway.observe.logging import configure_logging

configure_logging("WARNING")
# Uncached loggers follow a test's own logging set-up, whatever ran before it in the process.
structlog.configure(cache_logger_on_first_use=False)
