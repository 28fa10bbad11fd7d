"""Fixtures for runtime unit tests: a hand-driven monotonic clock."""

from __future__ import annotations

import pytest


class Ticker:
    """A monotonic clock and sleep that only move when told, for breakers and buckets."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def ticker() -> Ticker:
    """A fresh hand-driven clock."""
    return Ticker()
