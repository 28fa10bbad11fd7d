"""Token buckets pace calls per target and honour Retry-After holds."""

from __future__ import annotations

import asyncio
import math

import pytest

from causeway.runtime.throttle import TargetGuards, TokenBucket

from .conftest import Ticker


def test_a_bucket_allows_its_burst_then_paces_at_its_rate(ticker: Ticker) -> None:
    bucket = TokenBucket(rate=10.0, burst=5.0, clock=ticker, sleep=ticker.sleep)

    async def take(count: int) -> None:
        for _ in range(count):
            await bucket.acquire()

    asyncio.run(take(5))
    assert ticker.slept == []
    asyncio.run(take(10))
    assert sum(ticker.slept) == pytest.approx(1.0)


def test_a_batch_larger_than_the_burst_pays_its_debt_afterwards(ticker: Ticker) -> None:
    bucket = TokenBucket(rate=100.0, burst=10.0, clock=ticker, sleep=ticker.sleep)
    asyncio.run(bucket.acquire(50))
    assert ticker.slept == []
    asyncio.run(bucket.acquire(1))
    assert sum(ticker.slept) == pytest.approx(0.41)


def test_a_hold_blocks_even_an_unlimited_bucket(ticker: Ticker) -> None:
    bucket = TokenBucket(clock=ticker, sleep=ticker.sleep)
    bucket.hold(20.0)
    assert bucket.held_for() == 20.0
    asyncio.run(bucket.acquire())
    assert sum(ticker.slept) == pytest.approx(20.0)
    assert bucket.held_for() == 0.0


def test_guards_are_shared_per_target_with_their_own_rate() -> None:
    guards = TargetGuards({"salesforce": 25.0})
    assert guards("salesforce") is guards("salesforce")
    assert guards("salesforce").bucket.rate == 25.0
    assert math.isinf(guards("erp").bucket.rate)


def test_a_rate_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(rate=0)
