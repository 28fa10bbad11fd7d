"""The change handler commits a batch at once, and parks a bad change alone."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, Connection, MetaData, String, Table, create_engine, select

from causeway.connectors.contract import RawRecord
from causeway.mapping.errors import MappingError
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Park
from causeway.sync.engine import ChangeOutcome, SyncEngine
from causeway.sync.handlers import ChangeHandler
from causeway.sync.messages import change_envelope

metadata = MetaData()
applied = Table("applied", metadata, Column("record_id", String(32), primary_key=True))


class RecordingEngine(SyncEngine):
    """Writes one row per change it applies; refuses records named in `bad`."""

    def __init__(self, bad: set[str]) -> None:
        super().__init__({})
        self.bad = bad
        self.calls = 0

    def apply_change(self, connection: Connection, record: RawRecord) -> ChangeOutcome:
        self.calls += 1
        connection.execute(applied.insert().values(record_id=record.id))
        if record.id in self.bad:
            raise MappingError("Name is required", file="customer.yaml", line=3, field="Name")
        return ChangeOutcome(record.id, created=True)


def _batch(*ids: str) -> list[Envelope]:
    return [
        change_envelope(RawRecord("salesforce", "Account", ident, {"Name": ident}), "customer")
        for ident in ids
    ]


def test_a_clean_batch_commits_in_one_pass(tmp_path: Path) -> None:
    database = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    metadata.create_all(database)
    engine = RecordingEngine(bad=set())
    handler = ChangeHandler(database, engine, backbone=None)  # type: ignore[arg-type]
    outcomes = handler._apply_batch(_batch("a", "b", "c"))
    assert outcomes == [Done(), Done(), Done()]
    assert engine.calls == 3
    with database.connect() as connection:
        assert set(connection.execute(select(applied.c.record_id)).scalars()) == {"a", "b", "c"}


def test_a_bad_change_is_parked_alone_and_the_rest_commits(tmp_path: Path) -> None:
    database = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")
    metadata.create_all(database)
    engine = RecordingEngine(bad={"b"})
    handler = ChangeHandler(database, engine, backbone=None)  # type: ignore[arg-type]
    outcomes = handler._apply_batch(_batch("a", "b", "c"))
    assert [outcomes[0], outcomes[2]] == [Done(), Done()]
    assert isinstance(outcomes[1], Park)
    assert outcomes[1].field == "Name"
    assert engine.calls == 2 + 3  # the first pass stopped at b; the rerun took all three
    with database.connect() as connection:
        # The first pass was rolled back whole; the rerun kept a and c, and nothing of b.
        assert sorted(connection.execute(select(applied.c.record_id)).scalars()) == ["a", "c"]
