"""An event loop of its own for the connectors that synchronous process steps call.

Process steps run in the engine's worker threads and are synchronous; connectors are
asynchronous and keep sessions (OAuth token, CSRF token, pooled connections) that belong to
one event loop. The loop runs in a background thread, and steps hand their calls to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


class ConnectorLoop:
    """A background event loop that runs the connectors' calls for synchronous callers."""

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, call: Callable[[], Awaitable[T]]) -> T:
        """Run an async call on the loop and wait for its result."""

        async def wrapped() -> T:
            return await call()

        return asyncio.run_coroutine_threadsafe(wrapped(), self._loop).result()

    def stop_loop(self) -> None:
        """Stop the loop once the connectors are closed."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
