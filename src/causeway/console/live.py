"""The terminal's live view of a running Causeway: flows, throughput, p95, exceptions, SLA.

Each flow (a topic and the group consuming it) is measured from the store, so the view shows
what is durable rather than what one process believes: throughput is envelopes settled per
second since the last look, latency is the time each envelope spent in Causeway (published
to done) over a sliding window, and SLA attainment is the share of that window done within
the flow's target. Processes and APIs that are not envelopes (quotes, orders) report their
own samples through a `Meter`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from sqlalchemy import Engine, select

from causeway.runtime.backbone import Backbone, TopicStats
from causeway.store.tables.runtime import delivery, envelope

WINDOW = timedelta(seconds=60)
"""How far back latency and SLA attainment look."""
DEFAULT_SLA_S = 30.0


def percentile(values: Sequence[float], share: float) -> float | None:
    """The nearest-rank percentile, or None without values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


@dataclass(frozen=True)
class FlowRow:
    """One line of the board."""

    name: str
    per_second: float
    p95_s: float | None
    backlog: int
    exceptions: int
    sla_s: float
    attained: float | None
    """Share of the window's items done within `sla_s`; None when nothing was done."""
    note: str = ""


@dataclass
class Meter:
    """Samples of something that is not an envelope (a quote answered, an order created)."""

    name: str
    sla_s: float
    samples: deque[tuple[float, float]] = field(default_factory=deque)
    """(monotonic time done, seconds taken)."""
    failures: int = 0
    backlog: Callable[[], int] = lambda: 0
    note: Callable[[], str] = lambda: ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float) -> None:
        """One item done, taking `seconds`."""
        with self._lock:
            self.samples.append((time.monotonic(), seconds))

    def fail(self) -> None:
        """One item that ended in an exception."""
        with self._lock:
            self.failures += 1

    def row(self, now: float) -> FlowRow:
        """The meter's line over the window."""
        horizon = now - WINDOW.total_seconds()
        with self._lock:
            while self.samples and self.samples[0][0] < horizon:
                self.samples.popleft()
            taken = [seconds for _, seconds in self.samples]
            recent = sum(1 for done, _ in self.samples if done >= now - 10)
            failures = self.failures
        attained = sum(1 for s in taken if s <= self.sla_s) / len(taken) if taken else None
        return FlowRow(
            self.name,
            recent / 10,
            percentile(taken, 0.95),
            self.backlog(),
            failures,
            self.sla_s,
            attained,
            self.note(),
        )


class FlowBoard:
    """Measures every flow of a backbone (and any meters) and renders the board."""

    def __init__(
        self,
        database: Engine,
        backbone: Backbone,
        sla_s: Mapping[str, float] | None = None,
        meters: Sequence[Meter] = (),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.database = database
        self.backbone = backbone
        self.sla_s = dict(sla_s or {})
        self.meters = list(meters)
        self.clock = clock
        self._last_done: dict[tuple[str, str], tuple[float, int]] = {}
        self._rates: dict[tuple[str, str], float] = {}

    def flows(self) -> list[FlowRow]:
        """One row per flow, then one per meter."""
        stats = self.backbone.stats()
        latencies = self._latencies()
        now = time.monotonic()
        rows = [
            self._flow_row(item, latencies.get((item.topic, item.group), []), now) for item in stats
        ]
        rows.extend(meter.row(now) for meter in self.meters)
        return rows

    def _flow_row(self, item: TopicStats, taken: list[float], now: float) -> FlowRow:
        key = (item.topic, item.group)
        settled = item.done + item.parked
        previous = self._last_done.get(key)
        if previous is not None and now > previous[0]:
            rate = (settled - previous[1]) / (now - previous[0])
            # Smoothed, so one refresh landing between two batches does not read as a stall.
            self._rates[key] = 0.5 * self._rates.get(key, rate) + 0.5 * rate
        self._last_done[key] = (now, settled)
        sla = self.sla_for(item.topic)
        attained = sum(1 for s in taken if s <= sla) / len(taken) if taken else None
        note = f"paused: {item.pause_reason or 'by an operator'}" if item.paused else ""
        return FlowRow(
            flow_name(item.topic, item.group),
            self._rates.get(key, 0.0),
            percentile(taken, 0.95),
            item.ready + item.in_flight + item.scheduled,
            item.dead_letters,
            sla,
            attained,
            note,
        )

    def sla_for(self, topic: str) -> float:
        """The target of a topic: its own, the longest configured prefix's, or the default."""
        matches = [name for name in self.sla_s if topic.startswith(name)]
        return self.sla_s[max(matches, key=len)] if matches else DEFAULT_SLA_S

    def _latencies(self) -> dict[tuple[str, str], list[float]]:
        since = self.clock() - WINDOW
        found: dict[tuple[str, str], list[float]] = {}
        with self.database.connect() as connection:
            rows = connection.execute(
                select(
                    delivery.c.topic,
                    delivery.c.consumer_group,
                    envelope.c.published_at,
                    delivery.c.done_at,
                )
                .join(envelope, envelope.c.seq == delivery.c.seq)
                .where(delivery.c.status == "done", delivery.c.done_at >= since)
            )
            for topic, group, published, done in rows:
                seconds = (_utc(done) - _utc(published)).total_seconds()
                found.setdefault((str(topic), str(group)), []).append(max(0.0, seconds))
        return found

    def render(self, title: str, footer: Sequence[str] = ()) -> RenderableType:
        """The board as a Rich renderable."""
        table = Table(title=title, expand=True)
        for column, justify in (
            ("flow", "left"),
            ("per s", "right"),
            ("p95", "right"),
            ("backlog", "right"),
            ("exceptions", "right"),
            ("SLA", "right"),
            ("attained", "right"),
            ("", "left"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for row in self.flows():
            table.add_row(
                row.name,
                f"{row.per_second:.1f}",
                _seconds(row.p95_s),
                str(row.backlog),
                Text(str(row.exceptions), style="bold red" if row.exceptions else ""),
                _seconds(row.sla_s),
                _share(row.attained),
                row.note,
            )
        return Group(table, *(Text(line) for line in footer))


def flow_name(topic: str, group: str) -> str:
    """A flow as people call it: the sync's own topics by what they carry."""
    if topic == "sync.changes":
        return "changes merged"
    if topic.startswith("sync.commands."):
        return f"writes to {topic.removeprefix('sync.commands.')}"
    return f"{topic} → {group}"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seconds(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


def _share(value: float | None) -> Text:
    if value is None:
        return Text("-")
    style = "green" if value >= 0.95 else "yellow" if value >= 0.8 else "red"
    return Text(f"{value:.1%}", style=style)
