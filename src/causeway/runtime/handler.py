"""The batch handler contract shared by the runtime and the sync engine.

A handler receives a batch (at most one envelope per partition) and answers one outcome per
envelope, in the same order. The runtime's failure policy turns outcomes into actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from causeway.connectors.errors import ConnectorError, ErrorClass
from causeway.runtime.envelope import Envelope


@dataclass(frozen=True, slots=True)
class Done:
    """The envelope was handled; it will not be delivered to this group again."""


@dataclass(frozen=True, slots=True)
class Retry:
    """Deliver again later; `delay` is a floor (Retry-After), the policy may wait longer."""

    error_class: ErrorClass
    reason: str
    delay: float = 0.0
    blames_target: bool = True
    """False when the record waits for something of ours (a lookup not yet resolvable):
    such a retry says nothing about the target's health and never feeds its breaker."""


@dataclass(frozen=True, slots=True)
class Park:
    """Stop delivering and keep the envelope as a dead letter for an operator to fix."""

    reason: str
    field: str | None = None
    record: str | None = None
    error_class: ErrorClass = ErrorClass.INVALID


Outcome = Done | Retry | Park


class Handler(Protocol):
    """Processes a batch of envelopes and reports one outcome per envelope, in order."""

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]: ...


def outcome_for_error(error: BaseException) -> Outcome:
    """The outcome a failure asks for: connector errors by their class, anything else retryable."""
    if not isinstance(error, ConnectorError):
        return Retry(ErrorClass.RETRYABLE, f"{type(error).__name__}: {error}")
    if error.error_class is ErrorClass.INVALID:
        return Park(error.describe(), field=error.field, record=error.record_id)
    return Retry(error.error_class, error.describe(), delay=error.retry_after or 0.0)
