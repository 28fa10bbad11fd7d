"""The simulated business clock that drives the order-to-cash lifecycle.

Business time runs `speed` minutes per real second and can be advanced on demand, so a test
moves an order from creation to payment in milliseconds and deterministically.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


class SimulatedClock:
    """Business time = start + elapsed real time x speed + manual advances."""

    def __init__(
        self,
        speed: float,
        start: datetime | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError(f"clock speed must not be negative, got {speed}")
        self._lock = threading.Lock()
        self._speed = speed
        self._monotonic = monotonic
        self._origin = monotonic()
        self._start = (start or datetime.now(UTC)).astimezone(UTC)
        self._advanced = timedelta()

    @property
    def speed(self) -> float:
        """Simulated business minutes per real second."""
        return self._speed

    @property
    def advanced(self) -> timedelta:
        """The total of all manual advances."""
        return self._advanced

    def now(self) -> datetime:
        """The current business time (UTC)."""
        with self._lock:
            elapsed_s = self._monotonic() - self._origin
            return self._start + timedelta(minutes=elapsed_s * self._speed) + self._advanced

    def advance(self, minutes: float) -> datetime:
        """Move business time forward by `minutes` and return the new time."""
        if minutes < 0:
            raise ValueError(f"the clock only moves forward, got {minutes} minutes")
        with self._lock:
            self._advanced += timedelta(minutes=minutes)
        return self.now()

    def restore(self, advanced: timedelta) -> None:
        """Reapply manual advances persisted by an earlier run."""
        with self._lock:
            self._advanced = advanced
