"""One sandbox org: its records, change events, sessions, cursors and API allowance.

This is `app.state.crm`; routes reach everything through it and the admin reset puts it
back to the seeded state.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from causeway.sandbox.crm.auth import Sessions
from causeway.sandbox.crm.catalog import CATALOG
from causeway.sandbox.crm.cursors import Cursors
from causeway.sandbox.crm.events import EventLog
from causeway.sandbox.crm.ids import ORG_ID_PREFIX, make_id
from causeway.sandbox.crm.limits import ApiUsage
from causeway.sandbox.crm.persistence import Persistence
from causeway.sandbox.crm.seeding import INTEGRATION_USER_ID, seed_org
from causeway.sandbox.crm.settings import CrmSettings
from causeway.sandbox.crm.store import CrmStore
from causeway.sandbox.faults import FaultInjector
from causeway.sandbox.seed import SeedUniverse

ORG_ID = make_id(ORG_ID_PREFIX, 1)


class CrmOrg:
    """Everything the sandbox org holds, with reset back to its seed."""

    def __init__(
        self,
        settings: CrmSettings,
        seed: SeedUniverse | None,
        injector: FaultInjector,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings
        self.seed = seed
        self.injector = injector
        self.org_id = ORG_ID
        self.user_id = INTEGRATION_USER_ID
        self.catalog = CATALOG
        self.events = EventLog(settings.event_retention, injector.should_duplicate_event)
        persistence = None if settings.database == ":memory:" else Persistence(settings.database)
        self.store = CrmStore(CATALOG, self.events, persistence, clock, self.user_id)
        self.sessions = Sessions(self.org_id, settings.session_timeout_s)
        self.usage = ApiUsage(settings.daily_api_limit)
        self.cursors = Cursors()
        self.seed_index: dict[str, str] = {}
        """Seed key -> Account id: the ground truth matching is scored against."""
        if not self.store.restore():
            self.seed_index = seed_org(self.store, seed, settings.username)

    def reset(self) -> None:
        """Back to the seeded state: records, ids, events, cursors and API usage."""
        with self.store.lock:
            self.seed_index = seed_org(self.store, self.seed, self.settings.username)
            self.cursors.clear()
            self.usage.reset()

    def load_seed(self, universe: SeedUniverse | None) -> None:
        """Replace the seed and reset to it."""
        self.seed = universe
        self.reset()

    def close(self) -> None:
        """Release the database file."""
        if self.store.persistence is not None:
            self.store.persistence.close()
