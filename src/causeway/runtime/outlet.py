"""A bounded in-process buffer in front of `publish`, for producers that emit one at a time.

Backpressure: `put` blocks while the buffer holds `high_water` envelopes and raises
BackpressureError if no room appears within its timeout, so a stalled store slows the
producers (a change feed stops reading) instead of growing memory. A producer advances its
own cursor only after `flush` returns: the buffer is memory and is lost with the process.
Transactional (outbox) publishing bypasses the outlet and calls the backbone directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from types import TracebackType

import structlog

from causeway.observe.tracing import stamped
from causeway.runtime.backbone import Backbone
from causeway.runtime.envelope import Envelope
from causeway.runtime.errors import BackpressureError

log = structlog.get_logger("causeway.runtime")


class Outlet:
    """Buffers envelopes per process and publishes them in batches from one flusher task."""

    def __init__(
        self,
        backbone: Backbone,
        *,
        high_water: int = 10_000,
        batch_size: int = 200,
        retry_seconds: float = 1.0,
    ) -> None:
        if high_water < 1 or batch_size < 1:
            raise ValueError("high_water and batch_size must be positive")
        self.backbone = backbone
        self.high_water = high_water
        self.batch_size = batch_size
        self.retry_seconds = retry_seconds
        self._buffer: deque[tuple[str, Envelope]] = deque()
        self._in_flight = 0
        self._changed = asyncio.Condition()
        self._flusher: asyncio.Task[None] | None = None

    @property
    def depth(self) -> int:
        """Envelopes accepted but not yet stored."""
        return len(self._buffer) + self._in_flight

    async def __aenter__(self) -> Outlet:
        self._flusher = asyncio.create_task(self._flush_forever())
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc_type is None:
            await self.flush()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher

    async def put(self, topic: str, envelope: Envelope, *, timeout: float | None = None) -> None:
        """Accept one envelope, waiting while the buffer is at its high-water mark."""
        # The flusher publishes later in its own context: take the producer's trace now.
        [envelope] = stamped([envelope])
        started = time.monotonic()
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(lambda: self.depth < self.high_water), timeout
                )
            except TimeoutError:
                raise BackpressureError(
                    topic, self.depth, self.high_water, time.monotonic() - started
                ) from None
            self._buffer.append((topic, envelope))
            self._changed.notify_all()

    async def flush(self) -> None:
        """Return once everything put so far is stored."""
        async with self._changed:
            await self._changed.wait_for(lambda: self.depth == 0)

    async def _flush_forever(self) -> None:
        while True:
            async with self._changed:
                await self._changed.wait_for(lambda: bool(self._buffer))
                topic = self._buffer[0][0]
                batch: list[Envelope] = []
                while self._buffer and self._buffer[0][0] == topic and len(batch) < self.batch_size:
                    batch.append(self._buffer.popleft()[1])
                self._in_flight = len(batch)
            while True:
                try:
                    await asyncio.to_thread(self.backbone.publish, topic, batch)
                    break
                except Exception:  # store unavailable: keep the batch and hold producers back
                    log.exception("outlet publish failed", topic=topic, count=len(batch))
                    await asyncio.sleep(self.retry_seconds)
            async with self._changed:
                self._in_flight = 0
                self._changed.notify_all()
