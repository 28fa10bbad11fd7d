"""The asyncio worker: claim a batch, call the handler, settle each envelope by policy.

Database calls run in threads (`asyncio.to_thread`) so a slow commit never stalls the loop
that other workers and the lease renewals share.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import signal
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import structlog
from opentelemetry import trace

from causeway.connectors.errors import ErrorClass
from causeway.runtime import metrics
from causeway.runtime.backbone import Backbone, Claim, Release, Settlement
from causeway.runtime.envelope import Envelope, utc_now
from causeway.runtime.handler import Done, Handler, Outcome, Retry, outcome_for_error
from causeway.runtime.policies import FailurePolicy, Halt
from causeway.runtime.spans import HandlingSpans
from causeway.runtime.throttle import TargetGuard, TargetGuards

log = structlog.get_logger("causeway.runtime")


@dataclass(frozen=True, slots=True)
class WorkerSettings:
    """Where a worker reads, which system it writes to, and how it paces itself."""

    topic: str
    group: str
    target: str
    batch_size: int = 100
    lease_seconds: float = 30.0
    idle_seconds: float = 0.5
    policy: FailurePolicy = field(default_factory=FailurePolicy)


class Worker:
    """Consumes one topic for one consumer group with one handler."""

    def __init__(
        self,
        backbone: Backbone,
        handler: Handler,
        settings: WorkerSettings,
        *,
        guards: TargetGuards | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.backbone = backbone
        self.handler = handler
        self.settings = settings
        self.guard: TargetGuard = (guards or TargetGuards())(settings.target)
        self._rng = rng or random.Random()
        self._stopping = asyncio.Event()
        self._labels = (settings.topic, settings.group)

    def stop(self) -> None:
        """Finish the batch in hand, then return from `run`."""
        self._stopping.set()

    async def run(self) -> None:
        """Process batches until `stop`; sleeps `idle_seconds` when nothing is due."""
        settings = self.settings
        await asyncio.to_thread(self.backbone.subscribe, settings.topic, settings.group)
        log.info("worker started", topic=settings.topic, group=settings.group)
        while not self._stopping.is_set():
            try:
                handled = await self.run_once()
            except Exception:  # the store may be briefly unreachable; keep the worker alive
                log.exception("batch failed", topic=settings.topic, group=settings.group)
                handled = 0
            if handled == 0:
                pause = max(settings.idle_seconds, self.guard.breaker.retry_in())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), pause)
        log.info("worker stopped", topic=settings.topic, group=settings.group)

    async def run_once(self) -> int:
        """Claim, handle and settle one batch; returns its size (0 when nothing was due)."""
        settings = self.settings
        breaker = self.guard.breaker
        if not breaker.allow():
            return 0
        claim = await asyncio.to_thread(
            self.backbone.claim,
            settings.topic,
            settings.group,
            max_batch=settings.batch_size,
            lease_seconds=settings.lease_seconds,
        )
        if not claim.envelopes:
            breaker.cancel_probe()
            return 0
        spans = HandlingSpans(claim, settings.target)
        try:
            with spans.current():
                try:
                    await self.guard.bucket.acquire(len(claim))
                    outcomes = await self._handle(claim, spans.envelopes)
                except asyncio.CancelledError:
                    # Shutting down mid-batch: hand the batch back without spending an attempt.
                    spans.released()
                    releases: dict[str, Settlement] = {
                        item.id: Release() for item in claim.envelopes
                    }
                    await asyncio.shield(asyncio.to_thread(self.backbone.settle, claim, releases))
                    raise
                settlements = await self._settle(claim, outcomes)
            spans.settled(outcomes, settlements)
        finally:
            spans.end()
        return len(claim)

    async def _handle(self, claim: Claim, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        """Call the handler while renewing the lease; failures become outcomes.

        `batch` is the claim's envelopes with each trace context pointing at its own span.
        """
        renewal = asyncio.create_task(self._renew(claim))
        started = time.perf_counter()
        try:
            outcomes = await self.handler(batch)
            if len(outcomes) != len(claim.envelopes):
                reason = f"handler returned {len(outcomes)} outcomes for {len(claim)} envelopes"
                outcomes = [Retry(ErrorClass.RETRYABLE, reason)] * len(claim)
        except Exception as error:  # any handler failure is an outcome, not a crash
            log.warning(
                "handler failed",
                topic=claim.topic,
                group=claim.group,
                envelopes=[item.id for item in claim.envelopes],
                error=f"{type(error).__name__}: {error}",
            )
            trace.get_current_span().set_attribute("error.type", type(error).__name__)
            outcomes = [outcome_for_error(error)] * len(claim)
        finally:
            renewal.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewal
            metrics.HANDLER_LATENCY.labels(*self._labels).observe(time.perf_counter() - started)
        return outcomes

    async def _renew(self, claim: Claim) -> None:
        lease = self.settings.lease_seconds
        while True:
            await asyncio.sleep(lease / 3)
            try:
                renewed = await asyncio.to_thread(self.backbone.renew, claim, lease)
            except Exception:  # try again next round; the lease may still hold until then
                log.exception("lease renewal failed", topic=claim.topic, group=claim.group)
                continue
            if renewed < len(claim):
                log.warning("lease renewal fell short", topic=claim.topic, renewed=renewed)

    async def _settle(self, claim: Claim, outcomes: Sequence[Outcome]) -> dict[str, Settlement]:
        """Turn outcomes into settlements by policy, then pause or slow the flow if asked."""
        policy = self.settings.policy
        settlements: dict[str, Settlement] = {}
        halt: Halt | None = None
        throttle = 0.0
        self._feed_breaker(outcomes)
        # A whole batch failing transiently means the target is down, not these records:
        # once the breaker holds the flow, they go back untouched (no attempt spent, no
        # backoff of their own), so a long outage parks nothing and the backlog flows again
        # as soon as a probe gets through.
        held = len(claim) > 1 and _target_down(outcomes) and not self.guard.breaker.allow_now()
        for item, outcome in zip(claim.envelopes, outcomes, strict=True):
            if held and isinstance(outcome, Retry) and outcome.blames_target:
                settlements[item.id] = Release()
                continue
            decision = policy.decide(outcome, item.attempt, self._rng)
            if isinstance(decision, Halt):
                halt = decision
                settlements[item.id] = Release()
                continue
            if isinstance(decision, Retry) and decision.error_class is ErrorClass.THROTTLED:
                throttle = max(throttle, decision.delay)
            settlements[item.id] = decision
            self._log_decision(claim, item, decision)
        await asyncio.to_thread(self.backbone.settle, claim, settlements)
        if held:
            log.warning(
                "target down: batch handed back until the breaker lets a probe through",
                topic=claim.topic,
                group=claim.group,
                target=self.settings.target,
                envelopes=len(claim),
                retry_in=round(self.guard.breaker.retry_in(), 1),
            )
        if halt is not None:
            await asyncio.to_thread(
                self.backbone.pause, claim.topic, claim.group, halt.reason
            )
            log.error(
                "flow halted by a fatal failure",
                topic=claim.topic,
                group=claim.group,
                target=self.settings.target,
                reason=halt.reason,
            )
        if throttle > 0:
            self.guard.bucket.hold(throttle)
            until = utc_now() + timedelta(seconds=throttle)
            await asyncio.to_thread(self.backbone.slow, claim.topic, claim.group, until)
        return settlements

    def _feed_breaker(self, outcomes: Iterable[Outcome]) -> None:
        """A batch that got nothing through because the target failed counts as one failure."""
        if _target_down(outcomes):
            self.guard.breaker.record_failure()
        else:
            self.guard.breaker.record_success()

    def _log_decision(self, claim: Claim, item: Envelope, decision: Settlement) -> None:
        if isinstance(decision, Retry):
            log.info(
                "retry scheduled",
                topic=claim.topic,
                group=claim.group,
                delay=round(decision.delay, 3),
                error_class=str(decision.error_class),
                **item.loggable(),
            )


def _target_down(outcomes: Iterable[Outcome]) -> bool:
    """True when some envelope failed transiently because of the target and none got through."""
    listed = list(outcomes)
    transient = (ErrorClass.RETRYABLE, ErrorClass.THROTTLED)
    failed = [
        o
        for o in listed
        if isinstance(o, Retry) and o.error_class in transient and o.blames_target
    ]
    return bool(failed) and not any(isinstance(o, Done) for o in listed)


async def run_until_signalled(workers: Sequence[Worker], *, grace: float = 30.0) -> None:
    """Run workers until SIGINT or SIGTERM, then let each finish its batch within `grace`."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        waiter = asyncio.create_task(stopping.wait())
        await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        waiter.cancel()
        for worker in workers:
            worker.stop()
        _, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
