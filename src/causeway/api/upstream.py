"""Calls from an API route to a system behind it: a deadline, a circuit breaker, failure kinds.

A caller waits for every answer, so each call to the ERP or the CRM gets a deadline, and a
system that keeps failing is not called again for a while: the route answers at once (503 or
a partial answer) instead of waiting for each deadline. Price and availability, quote
validation and account 360 share one guard per system, so they also share its breaker.

A request the system refuses (`ErrorClass.INVALID`) is passed through unchanged: the system
answered, so it counts as a success for the breaker.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable, Callable
from typing import Literal, TypeVar

import structlog
from fastapi import Request
from fastapi.responses import JSONResponse
from prometheus_client import Counter

from causeway.api.problems import problem_response
from causeway.connectors.errors import ConnectorError, ErrorClass, ThrottledError
from causeway.connectors.s4hana.simulation import SimulationTimeout
from causeway.runtime.policies import CircuitBreaker

log = structlog.get_logger("causeway.api.upstream")

CALLS = Counter(
    "causeway_api_upstream_calls",
    "Calls from the API to a system behind it, by system and outcome.",
    ["system", "outcome"],
)

T = TypeVar("T")
Kind = Literal["timeout", "unavailable", "throttled", "circuit-open"]
DEFAULT_RETRY_AFTER = 5.0
_SLACK = 0.5
"""Seconds past the deadline before the guard's own timeout cuts a call that ignores it."""


class UpstreamFailure(Exception):
    """A system did not answer usefully: timed out, failed, throttled, or its circuit is open."""

    def __init__(self, label: str, kind: Kind, detail: str, retry_after: float | None) -> None:
        super().__init__(detail)
        self.label = label
        self.kind = kind
        self.detail = detail
        self.retry_after = retry_after

    @property
    def reason(self) -> str:
        """`erp-timeout`, `crm-unavailable`, ... or `circuit-open`."""
        return "circuit-open" if self.kind == "circuit-open" else f"{self.label}-{self.kind}"


class ErpUnavailable(Exception):
    """The API cannot answer because a system it needs failed (answered as 503 + Retry-After)."""

    def __init__(self, reason: str, detail: str, retry_after: float) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.retry_after = retry_after

    @property
    def retry_after_header(self) -> str:
        """Whole seconds, at least one (RFC 9110 §10.2.3)."""
        return str(max(1, math.ceil(self.retry_after)))


class Upstream:
    """One system behind the API (`label`: `erp` or `crm`), with its deadline and breaker."""

    def __init__(
        self,
        label: str,
        *,
        timeout: float = 2.0,
        breaker_threshold: int = 5,
        breaker_cooldown: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        self.label = label
        self.timeout = timeout
        self.breaker = CircuitBreaker(
            f"api:{label}", threshold=breaker_threshold, cooldown=breaker_cooldown, clock=clock
        )

    async def call(self, make: Callable[[float], Awaitable[T]]) -> T:
        """Run `make(deadline)`; raises `UpstreamFailure`, or the system's refusal as is."""
        if not self.breaker.allow():
            CALLS.labels(self.label, "skipped").inc()
            raise UpstreamFailure(
                self.label, "circuit-open",
                f"the {self._name} failed repeatedly; not calling it for now",
                self.breaker.retry_in(),
            )
        try:
            # Connectors keep their own deadline; this one also bounds anything else.
            async with asyncio.timeout(self.timeout + _SLACK):
                result = await make(self.timeout)
        except TimeoutError:
            raise self._timeout() from None
        except ConnectorError as error:
            if error.error_class is ErrorClass.INVALID:
                self.breaker.record_success()  # it answered: it is up
                CALLS.labels(self.label, "rejected").inc()
                raise
            if isinstance(error, SimulationTimeout):
                raise self._timeout() from None
            if isinstance(error, ThrottledError):
                raise self._failed(
                    "throttled", f"the {self._name} is throttling requests", error.retry_after
                ) from None
            log.warning("upstream_failed", system=self.label, error=error.describe(),
                        error_class=str(error.error_class))
            raise self._failed(
                "unavailable", f"the {self._name} failed to answer", error.retry_after
            ) from None
        except Exception as error:  # an unmapped failure must not become a 500
            log.exception("upstream_crashed", system=self.label, error=repr(error))
            raise self._failed("unavailable", f"the {self._name} failed to answer", None) from None
        self.breaker.record_success()
        CALLS.labels(self.label, "ok").inc()
        return result

    def unavailable(self, failure: UpstreamFailure, detail: str) -> ErpUnavailable:
        """The 503 a failure becomes, with a Retry-After from the system or the breaker."""
        retry_after = failure.retry_after
        if retry_after is None or retry_after <= 0:
            retry_after = self.breaker.retry_in() or DEFAULT_RETRY_AFTER
        return ErpUnavailable(failure.reason, detail, retry_after)

    @property
    def _name(self) -> str:
        return self.label.upper()

    def _timeout(self) -> UpstreamFailure:
        return self._failed(
            "timeout", f"the {self._name} did not answer within {self.timeout:g} s", None
        )

    def _failed(self, kind: Kind, detail: str, retry_after: float | None) -> UpstreamFailure:
        self.breaker.record_failure()
        CALLS.labels(self.label, kind).inc()
        return UpstreamFailure(self.label, kind, detail, retry_after)


async def answer_unavailable(request: Request, error: Exception) -> JSONResponse:
    """The 503 problem of an `ErpUnavailable`, with Retry-After."""
    assert isinstance(error, ErpUnavailable)
    return problem_response(
        request, 503, "erp-unavailable", "ERP unavailable", error.detail,
        headers={"Retry-After": error.retry_after_header},
        extensions={"reason": error.reason},
    )
