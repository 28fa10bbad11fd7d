"""The embedded demo: seeded sandboxes, the sync, the API and a live view, in one process."""

from causeway.demo.walkthrough import (
    ObjectCount,
    connectors_for,
    count_all,
    run_demo,
    survey,
    sync_both,
    write_project_file,
)

__all__ = [
    "ObjectCount",
    "connectors_for",
    "count_all",
    "run_demo",
    "survey",
    "sync_both",
    "write_project_file",
]
