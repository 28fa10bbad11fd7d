"""Operators' verbs over dead letters and flows, on any backend: find, replay or discard
by filter, and see each flow's state.

The CLI (`causeway dlq`, `causeway flow`) and the API both go through here, so "replay every
invalid Account parked since Monday" means the same thing wherever it is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

from causeway.runtime.backbone import Backbone, DeadLetter, DeadLetterQuery

__all__ = [
    "DeadLetterQuery",
    "Flow",
    "discard_matching",
    "find",
    "flows",
    "replay_matching",
]

PAGE = 500


def find(backbone: Backbone, query: DeadLetterQuery) -> list[DeadLetter]:
    """One page of dead letters matching `query` (at most `query.limit`), oldest first."""
    return backbone.find_dead_letters(query)


def _every(backbone: Backbone, query: DeadLetterQuery) -> Iterator[DeadLetter]:
    """All matching dead letters, page by page, whatever `query.limit` says."""
    page = replace(query, limit=PAGE)
    while True:
        letters = backbone.find_dead_letters(page)
        yield from letters
        if len(letters) < PAGE:
            return
        page = replace(page, after_id=letters[-1].id)


def _each(
    backbone: Backbone, query: DeadLetterQuery, act: Callable[[int], str | None]
) -> list[tuple[int, str | None]]:
    if query.status != "parked":
        raise ValueError("only parked dead letters can be replayed or discarded")
    # Read first, act after: acting changes the letters' status under the pager.
    return [(letter.id, act(letter.id)) for letter in list(_every(backbone, query))]


def replay_matching(backbone: Backbone, query: DeadLetterQuery) -> list[tuple[int, str]]:
    """Replay every parked dead letter matching `query`, oldest first.

    Each goes back at the tail of its partition, after whatever its entity queued since, so
    per-entity order holds. Returns (dead letter id, new envelope id) pairs.
    """
    done = _each(backbone, query, backbone.replay_dead_letter)
    return [(letter_id, str(envelope_id)) for letter_id, envelope_id in done]


def discard_matching(backbone: Backbone, query: DeadLetterQuery) -> list[int]:
    """Close every parked dead letter matching `query` without replaying it."""

    def discard(letter_id: int) -> None:
        backbone.discard_dead_letter(letter_id)

    return [letter_id for letter_id, _ in _each(backbone, query, discard)]


@dataclass(frozen=True, slots=True)
class Flow:
    """One consumer group on one topic, as an operator sees it."""

    topic: str
    group: str
    paused: bool
    pause_reason: str | None
    ready: int
    in_flight: int
    scheduled: int
    parked: int
    done: int
    lag_seconds: float


def flows(backbone: Backbone) -> list[Flow]:
    """Every flow with its backlog, dead-letter depth and whether it is paused."""
    return [
        Flow(
            topic=stats.topic,
            group=stats.group,
            paused=stats.paused,
            pause_reason=stats.pause_reason,
            ready=stats.ready,
            in_flight=stats.in_flight,
            scheduled=stats.scheduled,
            parked=stats.parked,
            done=stats.done,
            lag_seconds=stats.lag_seconds,
        )
        for stats in backbone.stats()
    ]
