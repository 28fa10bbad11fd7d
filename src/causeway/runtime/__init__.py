"""The event backbone: envelopes, durable topics with per-entity order, workers and policies.

Start here: `SqlBackbone` (SQLite or PostgreSQL), `Worker` with a `Handler`, and the
outcomes `Done`, `Retry` and `Park`. docs/runtime.md explains the guarantees.
"""

from causeway.runtime.backbone import Backbone, Claim, DeadLetter, Release, TopicStats
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.envelope import Envelope, Headers, uuid7
from causeway.runtime.handler import Done, Handler, Outcome, Park, Retry, outcome_for_error
from causeway.runtime.outlet import Outlet
from causeway.runtime.policies import Backoff, CircuitBreaker, FailurePolicy
from causeway.runtime.throttle import TargetGuards, TokenBucket
from causeway.runtime.worker import Worker, WorkerSettings, run_until_signalled

__all__ = [
    "Backbone",
    "Backoff",
    "CircuitBreaker",
    "Claim",
    "DeadLetter",
    "Done",
    "Envelope",
    "FailurePolicy",
    "Handler",
    "Headers",
    "Outcome",
    "Outlet",
    "Park",
    "Release",
    "Retry",
    "SqlBackbone",
    "TargetGuards",
    "TokenBucket",
    "TopicStats",
    "Worker",
    "WorkerSettings",
    "outcome_for_error",
    "run_until_signalled",
    "uuid7",
    "write_transaction",
]
