"""Price and availability for quoting tools: a short cache in front of the ERP's simulation.

A sales rep's quote screen waits for the answer, so each ERP call has a deadline, and an ERP
that is slow, down or throttling does not leave the screen empty: the last answer for the same
quote (customer, currency, lines) is served for a while, flagged `degraded`. Only a quote never
priced within the stale window gets `ErpUnavailable` (the API answers 503 with Retry-After).

- Fresh answers are reused for `ttl` seconds (LRU, `max_entries`), so a quote refreshed by
  many reps costs one simulation.
- Identical requests in flight share one ERP call (single-flight).
- A circuit breaker stops calling an ERP that keeps failing; while it is open, answers come
  from the stale entries or are refused at once instead of waiting for the deadline. The
  deadline and breaker are an `Upstream`, which quote validation and account 360 may share.
- Requests the ERP refuses (unknown material or customer) raise `QuoteRejected` naming the
  line and field; they never count against the ERP's health.

Everything runs on one event loop: the cache, the in-flight table and the breaker need no lock.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Literal, Protocol, cast

import structlog
from prometheus_client import Counter, Histogram

from causeway.api.upstream import ErpUnavailable as ErpUnavailable  # raised by `quote`
from causeway.api.upstream import Upstream, UpstreamFailure
from causeway.connectors.errors import ConnectorError
from causeway.connectors.s4hana.simulation import QuoteLine, Simulation
from causeway.runtime.policies import CircuitBreaker

log = structlog.get_logger("causeway.api.pricing")

LATENCY = Histogram(
    "causeway_api_quote_seconds",
    "Time to answer a price and availability request, by outcome.",
    ["outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 2.5, 5.0),
)
CACHE = Counter(
    "causeway_api_quote_cache", "Quote cache lookups, by result (hit or miss).", ["result"]
)
SHARED = Counter(
    "causeway_api_quote_shared", "Requests that waited for an identical request's ERP call."
)
ERP_CALLS = Counter("causeway_api_quote_erp_calls", "Simulations sent to the ERP, by outcome.",
                    ["outcome"])
DEGRADED = Counter(
    "causeway_api_quote_degraded", "Answers served stale because the ERP failed, by reason.",
    ["reason"],
)
UNAVAILABLE = Counter(
    "causeway_api_quote_unavailable",
    "Requests refused (503) because the ERP failed and nothing was cached, by reason.",
    ["reason"],
)

Reason = Literal["erp-timeout", "erp-unavailable", "erp-throttled", "circuit-open"]
Source = Literal["erp", "cache"]
_ITEM_IN_RECORD = re.compile(r"/(\d+)$")
_ITEM_IN_MESSAGE = re.compile(r"\bItem (\d+)\b")


class PricingBackend(Protocol):
    """What prices quote lines: the S/4HANA connector, or a fake in tests."""

    async def simulate_order(
        self,
        sold_to: str,
        currency: str,
        lines: Sequence[QuoteLine],
        *,
        timeout_s: float | None = None,
    ) -> Simulation: ...


@dataclass(frozen=True)
class PricingSettings:
    """Cache freshness, the stale window, the ERP deadline and the breaker's thresholds."""

    ttl: float = 30.0
    stale_window: float = 900.0
    max_entries: int = 10_000
    erp_timeout: float = 2.0
    breaker_threshold: int = 5
    breaker_cooldown: float = 10.0

    def __post_init__(self) -> None:
        if not (self.ttl > 0 and self.erp_timeout > 0 and self.max_entries >= 1):
            raise ValueError("ttl and erp_timeout must be positive, max_entries at least 1")
        if self.stale_window < self.ttl:
            raise ValueError("stale_window must be at least ttl")


@dataclass(frozen=True)
class Quote:
    """A priced quote and how it was obtained."""

    simulation: Simulation
    source: Source
    as_of: datetime
    degraded: bool = False
    degraded_reason: Reason | None = None


class QuoteRejected(Exception):
    """The ERP refused the request itself: `line` (0-based, None for the header) and `field`."""

    def __init__(self, message: str, field: str | None, line: int | None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.line = line


QuoteKey = tuple[str, str, tuple[tuple[str, str, str | None, str | None], ...]]


def quote_key(customer: str, currency: str, lines: Sequence[QuoteLine]) -> QuoteKey:
    """The cache key: the same quote with quantities written differently (2, 2.0) is one key."""
    return (
        customer,
        currency,
        tuple(
            (line.material, _normal(line.quantity), line.unit, line.plant) for line in lines
        ),
    )


def _normal(quantity: Decimal) -> str:
    return format(Decimal(quantity).normalize(), "f")


@dataclass
class _Entry:
    simulation: Simulation
    priced_at: datetime
    priced_mono: float


class PricingService:
    """Answers quotes from the cache or the ERP, degrading to stale answers when it fails."""

    def __init__(
        self,
        backend: PricingBackend,
        settings: PricingSettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        erp: Upstream | None = None,
    ) -> None:
        """`erp` shares a deadline and breaker with other routes; by default one of its own is
        made from `settings`."""
        self.backend = backend
        self.settings = settings or PricingSettings()
        self._clock = clock
        self._now = now
        self._cache: OrderedDict[QuoteKey, _Entry] = OrderedDict()
        self._inflight: dict[QuoteKey, asyncio.Task[_Entry]] = {}
        self.erp = erp or Upstream(
            "erp",
            timeout=self.settings.erp_timeout,
            breaker_threshold=self.settings.breaker_threshold,
            breaker_cooldown=self.settings.breaker_cooldown,
            clock=clock,
        )

    @property
    def breaker(self) -> CircuitBreaker:
        """The ERP's circuit breaker (shared with the routes sharing `erp`)."""
        return self.erp.breaker

    def __len__(self) -> int:
        return len(self._cache)

    async def quote(self, customer: str, currency: str, lines: Sequence[QuoteLine]) -> Quote:
        """Price `lines`; raises `QuoteRejected` or `ErpUnavailable` (see the module doc)."""
        key = quote_key(customer, currency, lines)
        entry = self._lookup(key)
        if entry is not None and self._age(entry) < self.settings.ttl:
            CACHE.labels("hit").inc()
            return Quote(entry.simulation, "cache", entry.priced_at)
        CACHE.labels("miss").inc()
        try:
            fresh = await self._shared(key, customer, currency, lines)
        except UpstreamFailure as failure:
            return self._degrade(key, failure)
        return Quote(fresh.simulation, "erp", fresh.priced_at)

    async def aclose(self) -> None:
        """Close the backend when it has something to close (the connector's HTTP client)."""
        close = getattr(self.backend, "aclose", None)
        if close is not None:
            await close()

    def _lookup(self, key: QuoteKey) -> _Entry | None:
        entry = self._cache.get(key)
        if entry is None:
            return None
        if self._age(entry) >= self.settings.stale_window:
            del self._cache[key]
            return None
        self._cache.move_to_end(key)
        return entry

    def _age(self, entry: _Entry) -> float:
        return self._clock() - entry.priced_mono

    def _store(self, key: QuoteKey, entry: _Entry) -> None:
        self._cache[key] = entry
        self._cache.move_to_end(key)
        while len(self._cache) > self.settings.max_entries:
            self._cache.popitem(last=False)

    async def _shared(
        self, key: QuoteKey, customer: str, currency: str, lines: Sequence[QuoteLine]
    ) -> _Entry:
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.create_task(self._call(key, customer, currency, lines))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._forget(key, done))
        else:
            SHARED.inc()
        # A caller that goes away (client disconnect) must not cancel the others' call.
        return await asyncio.shield(task)

    def _forget(self, key: QuoteKey, task: asyncio.Task[_Entry]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # retrieved: an unawaited failure is not logged as lost

    async def _call(
        self, key: QuoteKey, customer: str, currency: str, lines: Sequence[QuoteLine]
    ) -> _Entry:
        try:
            simulation = await self.erp.call(
                lambda deadline: self.backend.simulate_order(
                    customer, currency, lines, timeout_s=deadline
                )
            )
        except UpstreamFailure as failure:
            ERP_CALLS.labels("skipped" if failure.kind == "circuit-open" else failure.reason).inc()
            raise
        except ConnectorError as error:  # the ERP refused the request itself
            ERP_CALLS.labels("rejected").inc()
            raise rejection(error, len(lines)) from None
        ERP_CALLS.labels("ok").inc()
        entry = _Entry(simulation, self._now(), self._clock())
        self._store(key, entry)
        return entry

    def _degrade(self, key: QuoteKey, failure: UpstreamFailure) -> Quote:
        entry = self._lookup(key)
        reason = cast(Reason, failure.reason)
        if entry is not None:
            DEGRADED.labels(reason).inc()
            return Quote(entry.simulation, "cache", entry.priced_at, True, reason)
        UNAVAILABLE.labels(reason).inc()
        raise self.erp.unavailable(failure, f"{failure.detail}; no recent answer for this quote")


def rejection(error: ConnectorError, line_count: int) -> QuoteRejected:
    """Which line the ERP refused: the item number in the record id or in the message."""
    line: int | None = None
    for pattern, text in ((_ITEM_IN_RECORD, error.record_id or ""),
                          (_ITEM_IN_MESSAGE, error.message)):
        found = pattern.search(text)
        if found:
            item = int(found.group(1))
            if item % 10 == 0 and 1 <= item // 10 <= line_count:
                line = item // 10 - 1
            break
    return QuoteRejected(error.message, error.field, line)
