"""The audit trail of the API: who changed what, on which ids, and how it ended.

Every state-changing call and every token request writes one structured event on the
`causeway.audit` logger, whether it succeeded or not, so a ship-the-logs setup keeps the trail
without any extra store. Events name ids and outcomes, never payloads, secrets or tokens.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog

from causeway.api.context import current_correlation_id
from causeway.api.problems import Problem
from causeway.api.tokens import Principal
from causeway.runtime.errors import (
    DeadLetterNotFoundError,
    DeadLetterStateError,
    SubscriptionNotFoundError,
)

LOGGER = "causeway.audit"

_log = structlog.get_logger(LOGGER)


def record(action: str, actor: str | None, outcome: str, **details: Any) -> None:
    """Write one audit event (`actor` is the token's subject, the client id)."""
    _log.info(
        "audit",
        logger=LOGGER,
        action=action,
        actor=actor,
        outcome=outcome,
        correlation_id=current_correlation_id(),
        **details,
    )


@contextmanager
def audited(action: str, principal: Principal, **targets: Any) -> Iterator[dict[str, Any]]:
    """Record `action` once it ends: `ok`, `not_found`, `conflict`, `rejected` or `failed`.

    The body may add to the yielded mapping (e.g. the ids a bulk call touched); those details
    join the event.
    """
    details: dict[str, Any] = {}
    outcome = "failed"
    try:
        yield details
        outcome = "ok"
    except (DeadLetterNotFoundError, SubscriptionNotFoundError):
        outcome = "not_found"
        raise
    except DeadLetterStateError:
        outcome = "conflict"
        raise
    except Problem:
        outcome = "rejected"
        raise
    finally:
        token_id = principal.token_id
        record(action, principal.subject, outcome, token_id=token_id, **targets, **details)
