"""The triggers of returns: a watermark poll of return Cases in the CRM starts instances, a
poll of changed customer returns in the ERP wakes the instance that follows each one.

Both watermarks live in the change-cursor table under their own object names
(`returns:Case`, `returns:A_CustomerReturn`), apart from the master-data sync's. Starting an
instance twice gives the same instance, so a Case seen again (our own stamps move its
SystemModstamp too) costs one lookup; an ERP change is signalled once per change stamp.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, and_, func, select

from causeway.connectors.watermark import Watermark, settled_until
from causeway.observe.activity import ActivityLog
from causeway.processes.engine import ProcessEngine
from causeway.processes.returns import ERP_TOPIC, NEEDS_ATTENTION, PROCESS, RETRY_TOPIC
from causeway.processes.returns_systems import ReturnSystems
from causeway.store.tables.activity import activity_event, activity_key
from causeway.sync.poller import load_cursor, save_cursor

CASES_CURSOR = "returns:Case"
RETURNS_CURSOR = "returns:A_CustomerReturn"


class ReturnsPoller:
    """One round at a time (`poll_once`), or rounds until stopped (`run`)."""

    def __init__(self, engine: ProcessEngine, systems: ReturnSystems) -> None:
        self.engine = engine
        self.systems = systems
        self.log = ActivityLog(systems.database)

    def poll_cases(self) -> int:
        """Start an instance for every return Case changed since the watermark."""
        settings = self.systems.settings
        with self.systems.database.connect() as connection:
            after = Watermark.decode(load_cursor(connection, settings.crm_system, CASES_CURSOR))
        until = settled_until(datetime.now(UTC), timedelta(seconds=settings.settle_s))
        changed = self.systems.run(
            lambda: self.systems.cases.changed(after, until, settings.batch)
        )
        for case_id, _ in changed:
            self.engine.start(PROCESS, case_id, case_id)
        if changed:
            last_id, last_at = changed[-1]
            with self.systems.database.begin() as connection:
                save_cursor(
                    connection, settings.crm_system, CASES_CURSOR,
                    Watermark(last_at, last_id).encode(),
                )
        return len(changed)

    def poll_returns(self) -> int:
        """Signal the instance of every ERP return changed since the watermark."""
        settings = self.systems.settings
        with self.systems.database.connect() as connection:
            cursor = load_cursor(connection, settings.erp_system, RETURNS_CURSOR)
        since = datetime.fromisoformat(cursor) if cursor else datetime(2000, 1, 1, tzinfo=UTC)
        changed = self.systems.run(lambda: self.systems.erp.changed_since(since))
        signalled = 0
        for number, _reference, stamp in changed:
            for timeline in self.log.find(number):
                if timeline.process != PROCESS:
                    continue
                key = timeline.instance_id.removeprefix(f"{PROCESS}:")
                self.engine.signal(
                    PROCESS, key, ERP_TOPIC, number,
                    idempotency_key=f"{number}@{stamp.isoformat()}",
                )
                signalled += 1
        if changed:
            with self.systems.database.begin() as connection:
                save_cursor(
                    connection, settings.erp_system, RETURNS_CURSOR, changed[-1][2].isoformat()
                )
        return signalled

    def poll_once(self) -> tuple[int, int]:
        """(Cases seen, instances signalled) in one round."""
        return self.poll_cases(), self.poll_returns()

    def run(self, stop: threading.Event) -> None:
        """Poll every `poll_interval_s` until `stop` is set."""
        while not stop.is_set():
            self.poll_once()
            stop.wait(self.systems.settings.poll_interval_s)


def retry(engine: ProcessEngine, case_id: str, note: str) -> None:
    """Wake a waiting return so it checks its Case again (after a person fixed it)."""
    engine.signal(PROCESS, case_id, RETRY_TOPIC, note)


@dataclass(frozen=True)
class WaitingReturn:
    """A return that waits for a person, with the reason it gave."""

    instance_id: str
    case_number: str | None
    since: datetime
    reason: str


def waiting_returns(database: Engine) -> list[WaitingReturn]:
    """Returns whose latest milestone is "needs attention", oldest first."""
    milestones = activity_event.c
    latest = (
        select(milestones.instance_id, func.max(milestones.id).label("last"))
        .where(and_(milestones.process == PROCESS, milestones.kind == "milestone"))
        .group_by(milestones.instance_id)
        .subquery()
    )
    query = (
        select(milestones.instance_id, milestones.started_at, milestones.detail)
        .join(latest, milestones.id == latest.c.last)
        .where(milestones.name == NEEDS_ATTENTION)
        .order_by(milestones.started_at)
    )
    found: list[WaitingReturn] = []
    with database.connect() as connection:
        for instance, started, detail in connection.execute(query):
            number = connection.execute(
                select(activity_key.c.value).where(
                    and_(activity_key.c.instance_id == instance, activity_key.c.kind == "case")
                )
            ).scalar()
            moment = started if started.tzinfo else started.replace(tzinfo=UTC)
            found.append(WaitingReturn(str(instance), number, moment, str(detail or "")))
    return found


def case_id_for(database: Engine, number: str) -> str | None:
    """The Case id of a return known by `number` (case number, ERP return, credit memo)."""
    for timeline in ActivityLog(database).find(number):
        if timeline.process == PROCESS:
            return timeline.instance_id.removeprefix(f"{PROCESS}:")
    return None
