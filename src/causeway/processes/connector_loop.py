"""An event loop of its own for the connectors that synchronous process steps call.

Process steps run in the engine's worker threads and are synchronous; connectors are
asynchronous and keep sessions (OAuth token, CSRF token, pooled connections) that belong to
one event loop. The loop runs in a background thread, and steps hand their calls to it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Generic, Protocol, TypeVar

from causeway.processes.engine import ProcessError

T = TypeVar("T")
S = TypeVar("S")


class Closable(Protocol):
    """A connector or client holding an HTTP session."""

    async def aclose(self) -> None:
        """Close the session."""


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

    def close_on_loop(self, *sessions: Closable) -> None:
        """Close the sessions on the loop that owns them, then stop the loop."""

        async def close_all() -> None:
            for session in sessions:
                await session.aclose()

        self.run(close_all)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)


class Installed(Generic[S]):
    """The systems this OS process's steps use: steps cannot receive connections as
    arguments (those are checkpointed), so the host installs them before the engine runs."""

    def __init__(self, missing: str) -> None:
        self._missing = missing
        self._value: S | None = None

    def install(self, value: S | None) -> None:
        """Make `value` the one steps use (None uninstalls)."""
        self._value = value

    def current(self) -> S:
        """The installed value, or a clear error if the host forgot to install it."""
        if self._value is None:
            raise ProcessError(self._missing)
        return self._value
