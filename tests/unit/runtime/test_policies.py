"""The failure policy table, backoff bounds, the circuit breaker and error classification."""

from __future__ import annotations

import random

import pytest

from causeway.connectors.errors import (
    ConflictError,
    ErrorClass,
    FatalError,
    InvalidRecordError,
    RetryableError,
    ThrottledError,
)
from causeway.runtime.handler import Done, Park, Retry, outcome_for_error
from causeway.runtime.policies import Backoff, CircuitBreaker, CircuitState, FailurePolicy, Halt

from .conftest import Ticker

POLICY = FailurePolicy(
    backoff=Backoff(initial=1.0, maximum=60.0),
    max_attempts=5,
    conflict_attempts=2,
    throttled_attempts=10,
    throttle_delay=30.0,
)


def test_done_and_park_pass_through() -> None:
    park = Park("bad", field="Email", record="1")
    assert POLICY.decide(Done(), 1) == Done()
    assert POLICY.decide(park, 1) is park


def test_retryable_backs_off_then_parks_at_the_limit() -> None:
    rng = random.Random(7)
    early = POLICY.decide(Retry(ErrorClass.RETRYABLE, "503"), 1, rng)
    late = POLICY.decide(Retry(ErrorClass.RETRYABLE, "503"), 5, rng)
    assert isinstance(early, Retry)
    assert 0 <= early.delay <= 1.0
    assert isinstance(late, Park)
    assert late.error_class is ErrorClass.RETRYABLE
    assert "5 attempts" in late.reason


def test_a_retry_after_hint_is_a_floor_on_the_backoff() -> None:
    decision = POLICY.decide(Retry(ErrorClass.RETRYABLE, "503", delay=45.0), 1)
    assert isinstance(decision, Retry)
    assert decision.delay >= 45.0


def test_throttled_waits_for_retry_after_or_the_default() -> None:
    told = POLICY.decide(Retry(ErrorClass.THROTTLED, "429", delay=12.0), 7)
    untold = POLICY.decide(Retry(ErrorClass.THROTTLED, "429"), 1)
    assert told == Retry(ErrorClass.THROTTLED, "429", 12.0)
    assert untold == Retry(ErrorClass.THROTTLED, "429", 30.0)
    assert isinstance(POLICY.decide(Retry(ErrorClass.THROTTLED, "429"), 10), Park)


def test_conflict_gets_few_retries_then_parks() -> None:
    assert isinstance(POLICY.decide(Retry(ErrorClass.CONFLICT, "version"), 1), Retry)
    parked = POLICY.decide(Retry(ErrorClass.CONFLICT, "version"), 2)
    assert isinstance(parked, Park)
    assert parked.error_class is ErrorClass.CONFLICT


def test_invalid_parks_at_once_and_fatal_halts() -> None:
    assert isinstance(POLICY.decide(Retry(ErrorClass.INVALID, "picklist"), 1), Park)
    assert POLICY.decide(Retry(ErrorClass.FATAL, "invalid_grant"), 1) == Halt("invalid_grant")


@pytest.mark.parametrize("attempt", [1, 2, 3, 6, 10, 30])
def test_backoff_stays_within_its_exponential_ceiling(attempt: int) -> None:
    backoff = Backoff(initial=0.5, maximum=20.0, jitter=0.5)
    ceiling = min(20.0, 0.5 * 2 ** (attempt - 1))
    delays = [backoff.delay(attempt, random.Random(seed)) for seed in range(50)]
    assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
    assert len(set(delays)) > 1


def test_backoff_without_jitter_doubles() -> None:
    backoff = Backoff(initial=1.0, maximum=100.0, jitter=0.0)
    assert [backoff.delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 8.0, 16.0]


def state_of(breaker: CircuitBreaker) -> CircuitState:
    """Read the state afresh (the clock moves it between reads)."""
    return breaker.state


def test_breaker_opens_after_consecutive_failures_and_probes_once(ticker: Ticker) -> None:
    breaker = CircuitBreaker("erp", threshold=3, cooldown=30.0, clock=ticker)
    for _ in range(2):
        breaker.record_failure()
    breaker.record_success()  # a success resets the count
    for _ in range(3):
        breaker.record_failure()
    assert state_of(breaker) is CircuitState.OPEN
    assert not breaker.allow()
    assert breaker.retry_in() == 30.0

    ticker.now += 30.0
    assert state_of(breaker) is CircuitState.HALF_OPEN
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one probe at a time
    breaker.record_failure()
    assert state_of(breaker) is CircuitState.OPEN

    ticker.now += 30.0
    assert breaker.allow()
    breaker.record_success()
    assert state_of(breaker) is CircuitState.CLOSED
    assert breaker.allow()


def test_a_probe_that_found_no_work_lets_the_next_caller_probe(ticker: Ticker) -> None:
    breaker = CircuitBreaker("erp", threshold=1, cooldown=5.0, clock=ticker)
    breaker.record_failure()
    ticker.now += 5.0
    assert breaker.allow()
    breaker.cancel_probe()
    assert breaker.allow()


def test_connector_errors_map_to_outcomes_by_class() -> None:
    invalid = InvalidRecordError(
        "required field missing", system="erp", object_name="A_Customer",
        record_id="10000042", field="Country",
    )
    throttled = ThrottledError("429", system="salesforce", retry_after=17.0)
    assert outcome_for_error(invalid) == Park(invalid.describe(), "Country", "10000042")
    assert outcome_for_error(throttled) == Retry(ErrorClass.THROTTLED, throttled.describe(), 17.0)
    for error, expected in [
        (ConflictError("dup", system="erp"), ErrorClass.CONFLICT),
        (FatalError("denied", system="erp"), ErrorClass.FATAL),
        (RetryableError("reset", system="erp"), ErrorClass.RETRYABLE),
    ]:
        outcome = outcome_for_error(error)
        assert isinstance(outcome, Retry)
        assert outcome.error_class is expected


def test_any_other_exception_is_retryable_with_its_text() -> None:
    outcome = outcome_for_error(KeyError("Name"))
    assert outcome == Retry(ErrorClass.RETRYABLE, "KeyError: 'Name'")
