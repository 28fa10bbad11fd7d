"""The sync core as runtime handlers: changes in, commands out (outbox), commands to writes.

Both handlers answer one outcome per envelope. Bad input parks with record and field;
a record waiting for another (an order before its customer) is retried later; a write
failure takes the outcome its error class asks for.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import Engine

from causeway.canonical.errors import CanonicalError
from causeway.connectors.contract import Connector
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
    """Applies changes to golden records and publishes the writes they call for, atomically."""

    def __init__(self, database: Engine, engine: SyncEngine, backbone: Backbone) -> None:
        self.database = database
        self.engine = engine
        self.backbone = backbone

    def _apply(self, envelope: Envelope) -> None:
        record = record_of(envelope)
        with write_transaction(self.database) as connection:
            outcome = self.engine.apply_change(connection, record)
            by_system: dict[str, list[Envelope]] = defaultdict(list)
            for command in outcome.commands:
                by_system[command.system].append(command_envelope(command, envelope))
            for system, envelopes in by_system.items():
                # Outbox: the commands exist only if the golden record's update commits.
                self.backbone.publish(commands_topic(system), envelopes, connection=connection)

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        outcomes: list[Outcome] = []
        for envelope in batch:
            try:
                with continuing(envelope.headers):
                    # Its log lines and spans belong to this change's trace.
                    await asyncio.to_thread(self._apply, envelope)
            except UnresolvedLookupError as waiting:
                outcomes.append(
                    Retry(ErrorClass.RETRYABLE, waiting.describe(), LOOKUP_RETRY_DELAY_S)
                )
            except MappingError as invalid:
                outcomes.append(Park(invalid.describe(), invalid.field, envelope.key))
            except CanonicalError as invalid:
                outcomes.append(Park(str(invalid), None, envelope.key))
            except MatchReviewPendingError as pending:
                outcomes.append(Park(str(pending), None, envelope.key, ErrorClass.CONFLICT))
            except XrefConflictError as conflict:
                outcomes.append(Park(str(conflict), None, envelope.key, ErrorClass.CONFLICT))
            except Exception as error:
                outcomes.append(outcome_for_error(error))
            else:
                outcomes.append(Done())
        return outcomes


class CommandHandler:
    """Writes a batch of commands to one system and records each success."""

    def __init__(self, database: Engine, engine: SyncEngine, connector: Connector) -> None:
        self.database = database
        self.engine = engine
        self.connector = connector

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        commands = [command_of(envelope) for envelope in batch]
        results = await self.connector.write([command.request for command in commands])
        outcomes: list[Outcome] = []
        for command, result in zip(commands, results, strict=True):
            if result.error is not None:
                outcomes.append(outcome_for_error(result.error))
                continue
            try:
                await asyncio.to_thread(self._record, command, result.system_id)
            except XrefConflictError as conflict:
                outcomes.append(
                    Park(str(conflict), None, command.canonical_id, ErrorClass.CONFLICT)
                )
            else:
                outcomes.append(Done())
        return outcomes

    def _record(self, command: Command, system_id: str | None) -> None:
        with self.database.begin() as connection:
            self.engine.record_written(connection, command, system_id)
