"""Per-target protection shared by every worker of a process: a token bucket and a breaker.

Workers that write to the same system (say the ERP) draw from one bucket, so the configured
rate holds however many topics feed that system; a Retry-After holds the whole bucket.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from causeway.runtime.policies import CircuitBreaker

# Float slack: a deficit smaller than the clock's resolution would otherwise spin forever.
_EPSILON = 1e-6


class TokenBucket:
    """Allows `rate` calls per second with bursts up to `burst`; `hold` stops it for a while."""

    def __init__(
        self,
        rate: float = math.inf,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive (math.inf for no limit)")
        self.rate = rate
        self.burst = burst if burst is not None else max(rate, 1.0)
        self._clock = clock
        self._sleep = sleep
        self._tokens = self.burst
        self._stamp = clock()
        self._held_until = 0.0
        self._lock = asyncio.Lock()

    def hold(self, seconds: float) -> None:
        """Refuse every acquisition for `seconds` (the target sent Retry-After)."""
        self._held_until = max(self._held_until, self._clock() + seconds)

    def held_for(self) -> float:
        """Seconds left on the current hold."""
        return max(0.0, self._held_until - self._clock())

    async def acquire(self, tokens: float = 1.0) -> None:
        """Wait until `tokens` may be spent; a batch larger than the burst waits for its debt."""
        async with self._lock:
            while True:
                now = self._clock()
                if self._held_until > now:
                    await self._sleep(self._held_until - now)
                    continue
                if math.isinf(self.rate):
                    return
                self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                needed = min(tokens, self.burst)
                if self._tokens >= needed - _EPSILON:
                    self._tokens -= tokens  # may go negative: the next caller pays the debt
                    return
                await self._sleep(max((needed - self._tokens) / self.rate, _EPSILON))


@dataclass(frozen=True, slots=True)
class TargetGuard:
    """The bucket and breaker guarding one target system."""

    target: str
    bucket: TokenBucket
    breaker: CircuitBreaker


class TargetGuards:
    """One guard per target system, created on first use with the configured rate."""

    def __init__(
        self,
        rates: Mapping[str, float] | None = None,
        *,
        default_rate: float = math.inf,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 30.0,
    ) -> None:
        self._rates = dict(rates or {})
        self._default_rate = default_rate
        self._threshold = breaker_threshold
        self._cooldown = breaker_cooldown
        self._guards: dict[str, TargetGuard] = {}

    def __call__(self, target: str) -> TargetGuard:
        """The guard of `target`, shared by every caller in this process."""
        guard = self._guards.get(target)
        if guard is None:
            guard = TargetGuard(
                target,
                TokenBucket(self._rates.get(target, self._default_rate)),
                CircuitBreaker(target, threshold=self._threshold, cooldown=self._cooldown),
            )
            self._guards[target] = guard
        return guard
