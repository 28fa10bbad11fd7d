"""Every table module, imported so their tables register on the shared metadata.

Alembic's environment imports this package; a table module missing here would be
invisible to migrations.
"""

from causeway.store.tables import activity, processes, runtime, sync

__all__ = ["activity", "processes", "runtime", "sync"]
