"""Compensation: undo what a process did in other systems when it cannot finish.

A process that created an ERP sales order and then fails (or is cancelled before delivery)
must cancel that order; one that also reserved stock releases it first. Each step that
changes another system registers its undo right after it succeeds; on failure the undos run
newest first. The undos are steps too, so a crash halfway through compensating resumes
there and none runs twice.

    with Compensations() as undo:
        order = create_erp_order(...)
        undo.add(cancel_erp_order, order)
        reserve_stock(order)
        undo.add(release_stock, order)
    # leaving the block with an exception runs release_stock, then cancel_erp_order,
    # and raises the error again wrapped in Compensated
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Any


class Compensated(Exception):
    """The process could not finish; what it had done was undone. `cause` says why."""

    def __init__(self, cause: BaseException, undone: list[str]) -> None:
        super().__init__(f"{cause}; undone: {', '.join(undone) or 'nothing'}")
        self.cause = cause
        self.undone = undone


class Compensations:
    """Undo actions registered as a process goes; run newest first if it fails."""

    def __init__(self) -> None:
        self._undo: list[tuple[Callable[..., Any], tuple[Any, ...]]] = []

    def add(self, undo: Callable[..., Any], *arguments: Any) -> None:
        """Register how to undo the step that just succeeded (an @step function)."""
        self._undo.append((undo, arguments))

    def run(self) -> list[str]:
        """Run every registered undo, newest first; returns their names."""
        undone = []
        while self._undo:
            undo, arguments = self._undo.pop()
            undo(*arguments)
            undone.append(getattr(undo, "__qualname__", repr(undo)))
        return undone

    def __enter__(self) -> Compensations:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if error is None or not isinstance(error, Exception):
            return
        raise Compensated(error, self.run()) from error
