"""Fault injection for the sandboxes: latency, error rates, outages, ambiguous writes.

Integrations fail in production on exactly these conditions, so the sandboxes let an operator
set them at start and change them at run time, deterministically when a seed is given.
"""

from __future__ import annotations

import asyncio
import math
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ErrorRenderer = Callable[[int, str, str], Response]
"""Renders (status, error code, message) in the system's own error dialect."""

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "MERGE", "DELETE"})
_ADMITTED_KEPT = 3_600
"""Seconds of admitted-call counts kept, to report the peak rate of the last hour."""
_ERROR_CODES = {
    429: "REQUEST_LIMIT_EXCEEDED",
    500: "UNKNOWN_EXCEPTION",
    502: "BAD_GATEWAY",
    503: "SERVER_UNAVAILABLE",
    504: "GATEWAY_TIMEOUT",
}


class LatencySpec(BaseModel):
    """Delay added before each API response."""

    model_config = ConfigDict(extra="forbid")

    distribution: Literal["fixed", "uniform", "lognormal"] = "fixed"
    ms: float = Field(0.0, ge=0, description="fixed value, uniform lower bound or lognormal median")
    max_ms: float = Field(0.0, ge=0, description="uniform upper bound or lognormal p99")

    @model_validator(mode="after")
    def _bounds(self) -> LatencySpec:
        if self.distribution != "fixed" and self.max_ms < self.ms:
            raise ValueError("latency.max_ms must be at least latency.ms")
        return self

    def sample_ms(self, rng: random.Random) -> float:
        """Draw one delay in milliseconds."""
        if self.distribution == "fixed" or self.ms == self.max_ms:
            return self.ms
        if self.distribution == "uniform":
            return rng.uniform(self.ms, self.max_ms)
        if self.ms <= 0:
            return 0.0
        # p99 of a lognormal is median * exp(2.326 * sigma).
        sigma = math.log(max(self.max_ms, self.ms) / self.ms) / 2.326
        return self.ms * math.exp(sigma * rng.gauss(0.0, 1.0))


class OutageWindow(BaseModel):
    """A period in which every API call fails with `status`."""

    model_config = ConfigDict(extra="forbid")

    start: datetime
    end: datetime
    status: int = 503

    @model_validator(mode="after")
    def _ordered(self) -> OutageWindow:
        if self.end <= self.start:
            raise ValueError("outage end must be after its start")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("outage start and end need a time zone")
        return self

    def covers(self, moment: datetime) -> bool:
        """True while the outage lasts."""
        return self.start <= moment < self.end


class RateLimitSpec(BaseModel):
    """A spike arrest in front of the API, as an API gateway enforces it: at most
    `requests_per_second` on average with bursts up to `burst`; beyond that, 429."""

    model_config = ConfigDict(extra="forbid")

    requests_per_second: float = Field(gt=0, le=100_000)
    burst: int = Field(1, ge=1, le=100_000)
    writes_only: bool = False
    """Count only writes (POST, PUT, PATCH, MERGE, DELETE), as a gateway guarding a back
    end's posting capacity does."""


class FaultPlan(BaseModel):
    """Everything that can go wrong, with how often."""

    model_config = ConfigDict(extra="forbid")

    latency: LatencySpec = LatencySpec()
    error_rates: dict[int, float] = Field(default_factory=dict)
    retry_after_s: int = Field(1, ge=0)
    outages: list[OutageWindow] = Field(default_factory=list)
    ambiguous_write_rate: float = Field(0.0, ge=0, le=1)
    ambiguous_delay_s: float = Field(30.0, ge=0)
    duplicate_event_rate: float = Field(0.0, ge=0, le=1)
    rate_limit: RateLimitSpec | None = None
    seed: int | None = None

    @field_validator("error_rates")
    @classmethod
    def _rates(cls, rates: dict[int, float]) -> dict[int, float]:
        for status, rate in rates.items():
            if not 400 <= status <= 599:
                raise ValueError(f"error_rates: {status} is not an HTTP error status")
            if not 0 <= rate <= 1:
                raise ValueError(f"error_rates[{status}]: rate {rate} is not between 0 and 1")
        if sum(rates.values()) > 1:
            raise ValueError("error_rates: the rates add up to more than 1")
        return rates


class FaultInjector:
    """Holds the current plan and draws faults from it; safe to change while serving."""

    def __init__(
        self, plan: FaultPlan | None = None, *, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._monotonic = monotonic
        self._lock = threading.Lock()
        self._plan = plan or FaultPlan()
        self._rng = random.Random(self._plan.seed)
        self.counters: Counter[str] = Counter()
        limit = self._plan.rate_limit
        self._tokens = float(limit.burst) if limit else 0.0
        self._stamp = self._monotonic()
        self.admitted: deque[tuple[int, int]] = deque(maxlen=_ADMITTED_KEPT)
        """(second since the epoch, requests admitted in it) for the most recent seconds."""

    @property
    def plan(self) -> FaultPlan:
        """The plan in force."""
        return self._plan

    def replace(self, plan: FaultPlan) -> None:
        """Put a new plan in force; a seed restarts the fault sequence."""
        with self._lock:
            self._plan = plan
            self._rng = random.Random(plan.seed)
            self._tokens = float(plan.rate_limit.burst) if plan.rate_limit else 0.0
            self._stamp = self._monotonic()

    def patch(self, changes: dict[str, Any]) -> FaultPlan:
        """Change some settings of the plan in force, validating the result."""
        merged = self._plan.model_dump() | changes
        plan = FaultPlan.model_validate(merged)
        self.replace(plan)
        return plan

    def clear(self) -> None:
        """No more faults."""
        self.replace(FaultPlan())

    def start_outage(self, seconds: float, status: int = 503) -> OutageWindow:
        """Begin an outage now that lasts `seconds`."""
        now = datetime.now(UTC)
        window = OutageWindow(
            start=now, end=datetime.fromtimestamp(now.timestamp() + seconds, UTC), status=status
        )
        with self._lock:
            self._plan = self._plan.model_copy(update={"outages": [*self._plan.outages, window]})
        return window

    def over_limit(self, method: str) -> float | None:
        """Seconds until the call would be admitted if it exceeds the rate limit, else None
        (and the call is counted as admitted)."""
        limit = self._plan.rate_limit
        counted = limit is not None and (not limit.writes_only or method in _WRITE_METHODS)
        with self._lock:
            if limit is not None and counted:
                now = self._monotonic()
                rate = limit.requests_per_second
                self._tokens = min(limit.burst, self._tokens + (now - self._stamp) * rate)
                self._stamp = now
                if self._tokens < 1.0:
                    return (1.0 - self._tokens) / rate
                self._tokens -= 1.0
            if counted or limit is None:
                second = int(time.time())
                if self.admitted and self.admitted[-1][0] == second:
                    self.admitted[-1] = (second, self.admitted[-1][1] + 1)
                else:
                    self.admitted.append((second, 1))
        return None

    def peak_admitted(self, since: float = 0.0) -> int:
        """The most calls admitted in one wall-clock second since `since` (epoch seconds);
        counted calls only when a rate limit is in force."""
        with self._lock:
            return max((n for second, n in self.admitted if second >= since), default=0)

    def _chance(self, rate: float) -> bool:
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def should_duplicate_event(self) -> bool:
        """Whether the change event being emitted is delivered twice."""
        duplicate = self._chance(self._plan.duplicate_event_rate)
        if duplicate:
            self.counters["duplicate_event"] += 1
        return duplicate

    def outage_status(self, now: datetime | None = None) -> int | None:
        """The status to answer with if an outage is in force."""
        moment = now or datetime.now(UTC)
        for window in self._plan.outages:
            if window.covers(moment):
                return window.status
        return None

    def latency_s(self) -> float:
        """The delay to add to this request, in seconds."""
        with self._lock:
            return self._plan.latency.sample_ms(self._rng) / 1000.0

    def random_error(self) -> int | None:
        """An error status drawn from the error rates, or None."""
        rates = self._plan.error_rates
        if not rates:
            return None
        with self._lock:
            draw = self._rng.random()
        cumulative = 0.0
        for status, rate in sorted(rates.items()):
            cumulative += rate
            if draw < cumulative:
                return status
        return None

    def ambiguous_write(self, method: str) -> bool:
        """Whether this write commits but its answer is withheld."""
        return method in _WRITE_METHODS and self._chance(self._plan.ambiguous_write_rate)


class FaultMiddleware:
    """ASGI middleware applying the plan: outage, latency, random error, ambiguous write."""

    def __init__(
        self,
        app: ASGIApp,
        injector: FaultInjector,
        render: ErrorRenderer,
        exempt_prefixes: tuple[str, ...] = ("/__admin",),
    ) -> None:
        self.app = app
        self.injector = injector
        self.render = render
        self.exempt_prefixes = exempt_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or str(scope["path"]).startswith(self.exempt_prefixes):
            await self.app(scope, receive, send)
            return
        injector = self.injector
        outage = injector.outage_status()
        if outage is not None:
            injector.counters["outage"] += 1
            await self._fail(outage, "The service is down for maintenance.", scope, receive, send)
            return
        wait = injector.over_limit(str(scope["method"]).upper())
        if wait is not None:
            injector.counters["rate_limited"] += 1
            retry_after = max(1, math.ceil(wait))
            await self._fail(429, "Rate limit exceeded.", scope, receive, send, retry_after)
            return
        delay = injector.latency_s()
        if delay > 0:
            injector.counters["latency"] += 1
            await asyncio.sleep(delay)
        status = injector.random_error()
        if status is not None:
            injector.counters[f"error_{status}"] += 1
            await self._fail(status, "Injected fault.", scope, receive, send)
            return
        if injector.ambiguous_write(str(scope["method"]).upper()):
            injector.counters["ambiguous_write"] += 1
            await self._commit_then_time_out(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _fail(
        self,
        status: int,
        message: str,
        scope: Scope,
        receive: Receive,
        send: Send,
        retry_after: int | None = None,
    ) -> None:
        response = self.render(status, _ERROR_CODES.get(status, f"HTTP_{status}"), message)
        response.status_code = status
        if status in (429, 503):
            seconds = self.injector.plan.retry_after_s if retry_after is None else retry_after
            response.headers["Retry-After"] = str(seconds)
        await response(scope, receive, send)

    async def _commit_then_time_out(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def swallow(_message: Message) -> None:
            return None

        # The write runs to completion and commits; only its answer is lost, as when a
        # gateway times out in front of a slow but successful back end.
        await self.app(scope, receive, swallow)
        await asyncio.sleep(self.injector.plan.ambiguous_delay_s)
        response = self.render(504, "GATEWAY_TIMEOUT", "The request timed out.")
        response.status_code = 504
        await response(scope, receive, send)


def install_faults(
    app: Any,
    injector: FaultInjector,
    render: ErrorRenderer,
    exempt_prefixes: tuple[str, ...] = ("/__admin",),
) -> None:
    """Wrap a FastAPI or Starlette app so every API call goes through the fault plan."""
    app.add_middleware(
        FaultMiddleware, injector=injector, render=render, exempt_prefixes=exempt_prefixes
    )
