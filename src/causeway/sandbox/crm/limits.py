"""The org's daily API request allowance, counted over a rolling 24 hours.

Salesforce reports usage in `Sforce-Limit-Info` on every response and refuses calls with
REQUEST_LIMIT_EXCEEDED once the allowance is spent; integrations must throttle on both.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

_WINDOW_S = 24 * 60 * 60
_BUCKET_S = 60


class ApiUsage:
    """Requests made in the last 24 hours, in one-minute buckets."""

    def __init__(self, limit: int, clock: Callable[[], float] = time.time) -> None:
        self.limit = limit
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: deque[tuple[int, int]] = deque()
        self._used = 0

    def _expire(self, now: float) -> None:
        oldest = int((now - _WINDOW_S) // _BUCKET_S)
        while self._buckets and self._buckets[0][0] <= oldest:
            self._used -= self._buckets.popleft()[1]

    def take(self) -> bool:
        """Count one request; False when the allowance was already spent."""
        now = self._clock()
        with self._lock:
            self._expire(now)
            if self._used >= self.limit:
                return False
            bucket = int(now // _BUCKET_S)
            if self._buckets and self._buckets[-1][0] == bucket:
                self._buckets[-1] = (bucket, self._buckets[-1][1] + 1)
            else:
                self._buckets.append((bucket, 1))
            self._used += 1
            return True

    @property
    def used(self) -> int:
        """Requests counted in the last 24 hours."""
        with self._lock:
            self._expire(self._clock())
            return self._used

    def header(self) -> str:
        """The `Sforce-Limit-Info` value."""
        return f"api-usage={self.used}/{self.limit}"

    def reset(self) -> None:
        """Start counting afresh (admin reset)."""
        with self._lock:
            self._buckets.clear()
            self._used = 0
