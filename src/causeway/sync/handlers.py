"""The sync core as runtime handlers: changes in, commands out (outbox), commands to writes.

Both handlers answer one outcome per envelope. Bad input parks with record and field;
a record waiting for another (an order before its customer) is retried later; a write
failure takes the outcome its error class asks for.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from collections.abc import Iterator, Sequence

from sqlalchemy import Connection, Engine

from causeway.canonical.errors import CanonicalError
from causeway.connectors.contract import Connector, WriteResult
from causeway.connectors.errors import ErrorClass
from causeway.mapping.errors import MappingError, UnresolvedLookupError
from causeway.observe.tracing import continuing
from causeway.runtime.backbone import Backbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Outcome, Park, Retry, outcome_for_error
from causeway.sync.engine import Command, SyncEngine
from causeway.sync.messages import command_envelope, command_of, commands_topic, record_of
from causeway.sync.review import MatchReviewPendingError
from causeway.sync.xref import XrefConflictError

# An order whose customer is not linked yet waits for the customer's own sync.
LOOKUP_RETRY_DELAY_S = 5.0


class ChangeHandler:
    """Applies changes to golden records and publishes the writes they call for, atomically.

    A batch shares one transaction (one commit, one thread hop). If any change in it fails,
    the transaction is rolled back and the batch runs again with a savepoint per change, so a
    bad record is rolled back and parked alone while the rest of the batch commits; batches
    without a failure, nearly all of them, pay for no savepoints.
    """

    def __init__(self, database: Engine, engine: SyncEngine, backbone: Backbone) -> None:
        self.database = database
        self.engine = engine
        self.backbone = backbone

    def _apply(self, connection: Connection, envelope: Envelope) -> None:
        record = record_of(envelope)
        outcome = self.engine.apply_change(connection, record)
        by_system: dict[str, list[Envelope]] = defaultdict(list)
        for command in outcome.commands:
            by_system[command.system].append(command_envelope(command, envelope))
        for system, envelopes in by_system.items():
            # Outbox: the commands exist only if the golden record's update commits.
            self.backbone.publish(commands_topic(system), envelopes, connection=connection)

    def _apply_batch(self, batch: Sequence[Envelope]) -> list[Outcome]:
        if len(batch) > 1:
            # A failure rolls everything back; the rerun gives each change its own outcome.
            with contextlib.suppress(Exception):
                return self._apply_all(batch, isolate=False)
        return self._apply_all(batch, isolate=True)

    def _apply_all(self, batch: Sequence[Envelope], *, isolate: bool) -> list[Outcome]:
        outcomes: list[Outcome] = []
        with write_transaction(self.database) as connection:
            for envelope in batch:
                try:
                    # Its log lines and spans belong to this change's trace.
                    with savepoint_if(connection, isolate), continuing(envelope.headers):
                        self._apply(connection, envelope)
                except Exception as error:
                    if not isolate:
                        raise
                    outcomes.append(change_outcome(envelope, error))
                else:
                    outcomes.append(Done())
        return outcomes

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        return await asyncio.to_thread(self._apply_batch, batch)


@contextlib.contextmanager
def savepoint_if(connection: Connection, isolate: bool) -> Iterator[None]:
    """A savepoint around one item of a batch that runs item by item; nothing otherwise."""
    if not isolate:
        yield
        return
    with connection.begin_nested():
        yield


def change_outcome(envelope: Envelope, error: Exception) -> Outcome:
    """What a change that raised calls for: wait, park with record and field, or retry."""
    if isinstance(error, UnresolvedLookupError):
        return Retry(
            ErrorClass.RETRYABLE, error.describe(), LOOKUP_RETRY_DELAY_S, blames_target=False
        )
    if isinstance(error, MappingError):
        return Park(error.describe(), error.field, envelope.key)
    if isinstance(error, CanonicalError):
        return Park(str(error), None, envelope.key)
    if isinstance(error, MatchReviewPendingError | XrefConflictError):
        return Park(str(error), None, envelope.key, ErrorClass.CONFLICT)
    return outcome_for_error(error)


class CommandHandler:
    """Writes a batch of commands to one system and records each success."""

    def __init__(self, database: Engine, engine: SyncEngine, connector: Connector) -> None:
        self.database = database
        self.engine = engine
        self.connector = connector

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        commands = [command_of(envelope) for envelope in batch]
        results = await self.connector.write([command.request for command in commands])
        return await asyncio.to_thread(self._record, commands, results)

    def _record(
        self, commands: Sequence[Command], results: Sequence[WriteResult]
    ) -> list[Outcome]:
        """Bookkeeping of a batch's successful writes in one transaction; as with changes, a
        savepoint each only when the batch holds a conflict."""
        if len(commands) > 1:
            with contextlib.suppress(XrefConflictError):
                return self._record_all(commands, results, isolate=False)
        return self._record_all(commands, results, isolate=True)

    def _record_all(
        self, commands: Sequence[Command], results: Sequence[WriteResult], *, isolate: bool
    ) -> list[Outcome]:
        outcomes: list[Outcome] = []
        with write_transaction(self.database) as connection:
            for command, result in zip(commands, results, strict=True):
                if result.error is not None:
                    outcomes.append(outcome_for_error(result.error))
                    continue
                try:
                    with savepoint_if(connection, isolate):
                        self.engine.record_written(connection, command, result.system_id)
                except XrefConflictError as conflict:
                    if not isolate:
                        raise
                    outcomes.append(
                        Park(str(conflict), None, command.canonical_id, ErrorClass.CONFLICT)
                    )
                else:
                    outcomes.append(Done())
        return outcomes
