"""Failure policy: what a handler's outcome turns into, by error class and attempt count.

| class     | action                                                              |
|-----------|---------------------------------------------------------------------|
| retryable | exponential backoff with jitter, park after `max_attempts`          |
| throttled | wait Retry-After (or `throttle_delay`), slow the topic, park late   |
| conflict  | a few backed-off retries (`conflict_attempts`), then park           |
| invalid   | park at once with record and field                                  |
| fatal     | halt: pause the subscription and alert, no attempt is spent         |
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum

from causeway.connectors.errors import ErrorClass
from causeway.runtime.handler import Done, Outcome, Park, Retry


@dataclass(frozen=True, slots=True)
class Halt:
    """Stop the flow: the subscription is paused and the envelope goes back untouched."""

    reason: str


Decision = Done | Retry | Park | Halt


@dataclass(frozen=True, slots=True)
class Backoff:
    """Exponential backoff with full jitter (AWS style): spreads retries of many partitions."""

    initial: float = 1.0
    maximum: float = 300.0
    multiplier: float = 2.0
    jitter: float = 1.0  # share of the delay drawn at random; 0 gives fixed steps

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The wait after the `attempt`-th failed delivery (1-based)."""
        ceiling = min(self.maximum, self.initial * self.multiplier ** max(attempt - 1, 0))
        spread = ceiling * self.jitter
        draw = (rng or random).random()
        return ceiling - spread + spread * draw


@dataclass(frozen=True, slots=True)
class FailurePolicy:
    """Park thresholds and backoff per error class; `decide` is pure and easy to test."""

    backoff: Backoff = field(default_factory=Backoff)
    max_attempts: int = 8
    conflict_attempts: int = 3
    throttled_attempts: int = 50
    throttle_delay: float = 30.0

    def decide(
        self, outcome: Outcome, attempts: int, rng: random.Random | None = None
    ) -> Decision:
        """The action for `outcome` after `attempts` deliveries of the same envelope."""
        if isinstance(outcome, Done | Park):
            return outcome
        error_class = outcome.error_class
        if error_class is ErrorClass.FATAL:
            return Halt(outcome.reason)
        if error_class is ErrorClass.INVALID:
            return Park(outcome.reason, error_class=ErrorClass.INVALID)
        limit = {
            ErrorClass.RETRYABLE: self.max_attempts,
            ErrorClass.CONFLICT: self.conflict_attempts,
            ErrorClass.THROTTLED: self.throttled_attempts,
        }[error_class]
        if attempts >= limit:
            reason = f"gave up after {attempts} attempts: {outcome.reason}"
            return Park(reason, error_class=error_class)
        if error_class is ErrorClass.THROTTLED:
            delay = outcome.delay if outcome.delay > 0 else self.throttle_delay
        else:
            delay = max(outcome.delay, self.backoff.delay(attempts, rng))
        return Retry(error_class, outcome.reason, delay)


class CircuitState(StrEnum):
    """Closed lets calls through, open refuses them, half-open lets one probe through."""

    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half-open"


class CircuitBreaker:
    """Stops calling a target after `threshold` consecutive retryable failures.

    After `cooldown` seconds one probe batch is let through; its success closes the circuit,
    its failure opens it again. Spares a struggling system and our retry budgets.
    """

    def __init__(
        self,
        target: str,
        *,
        threshold: int = 5,
        cooldown: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.target = target
        self.threshold = threshold
        self.cooldown = cooldown
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._probing = False

    @property
    def state(self) -> CircuitState:
        """The state now, moving from open to half-open once the cooldown has passed."""
        if self._opened_at is None:
            return CircuitState.CLOSED
        if self._probing or self._clock() - self._opened_at >= self.cooldown:
            return CircuitState.HALF_OPEN
        return CircuitState.OPEN

    def retry_in(self) -> float:
        """Seconds to wait before asking again; 0 when a call may go now."""
        if self._opened_at is None:
            return 0.0
        if self._probing:
            return min(1.0, self.cooldown)  # someone else is probing: look again soon
        return max(0.0, self.cooldown - (self._clock() - self._opened_at))

    def allow_now(self) -> bool:
        """Whether a call could go now, without claiming the probe (closed or half-open)."""
        return self.state is not CircuitState.OPEN

    def allow(self) -> bool:
        """Whether to call the target now; in half-open state only the first caller probes."""
        state = self.state
        if state is CircuitState.CLOSED:
            return True
        if state is CircuitState.OPEN or self._probing:
            return False
        self._probing = True
        return True

    def cancel_probe(self) -> None:
        """The probe found nothing to send: let the next caller probe instead."""
        self._probing = False

    def record_success(self) -> None:
        """A call went through: close the circuit."""
        self._failures = 0
        self._opened_at = None
        self._probing = False

    def record_failure(self) -> None:
        """A retryable failure: count it and open the circuit at the threshold or a failed probe."""
        self._failures += 1
        if self._probing or self._failures >= self.threshold:
            self._opened_at = self._clock()
            self._probing = False
