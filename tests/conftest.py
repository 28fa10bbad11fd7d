"""Suite-wide set-up: quiet logs unless a test asks for more."""

from __future__ import annotations

from causeway.observe.logging import configure_logging

configure_logging("WARNING")
