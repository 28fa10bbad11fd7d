"""Tables of the sync core: cross-references, golden records, per-system sync state, cursors."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from causeway.store.metadata import metadata

xref = Table(
    "xref",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(64), nullable=False),
    Column("canonical_id", String(64), nullable=False),
    Column("system", String(64), nullable=False),
    Column("system_id", String(255), nullable=False),
    Column("linked_at", DateTime(timezone=True), nullable=False),
    Column("linked_by", String(32), nullable=False, comment="sync, match, operator"),
    # One record per system per canonical object, and one canonical object per record:
    # the database itself refuses the duplicates a race could otherwise create.
    UniqueConstraint("entity", "system", "system_id"),
    UniqueConstraint("entity", "canonical_id", "system"),
)

golden_record = Table(
    "golden_record",
    metadata,
    Column("entity", String(64), primary_key=True),
    Column("canonical_id", String(64), primary_key=True),
    Column("data", JSON, nullable=False),
    Column("field_sources", JSON, nullable=False, comment="field -> [system, modified_at]"),
    Column("version", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("state", String(16), nullable=False, server_default="active",
           comment="active, deleted, merged"),
    Column("merged_into", String(64), nullable=True, comment="surviving canonical id"),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("entity", String(64), primary_key=True),
    Column("canonical_id", String(64), primary_key=True),
    Column("system", String(64), primary_key=True),
    Column(
        "written_hash", String(64), nullable=True, comment="hash of what we last sent or planned"
    ),
    Column("written_at", DateTime(timezone=True), nullable=True),
    Column("seen_modified_at", DateTime(timezone=True), nullable=True),
    Column(
        "held",
        JSON,
        nullable=True,
        comment="canonical values the system held when last read or written",
    ),
    Column(
        "reference",
        String(200),
        nullable=True,
        comment="the reference our writes stamp there, to know our creates before they answer",
    ),
    Index(None, "entity", "system", "reference"),
)

change_cursor = Table(
    "change_cursor",
    metadata,
    Column("system", String(64), primary_key=True),
    Column("object_name", String(128), primary_key=True),
    Column("cursor", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

match_review = Table(
    "match_review",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(64), nullable=False),
    Column("left_system", String(64), nullable=False),
    Column("left_id", String(255), nullable=False),
    Column("right_system", String(64), nullable=False),
    Column("right_id", String(255), nullable=False),
    Column("score", String(16), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("status", String(16), nullable=False, comment="open, accepted, rejected"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "entity", "status"),
)

sync_decision = Table(
    "sync_decision",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(64), nullable=False),
    Column("canonical_id", String(64), nullable=False),
    Column("field", String(128), nullable=False),
    Column("system", String(64), nullable=False, comment="where the contested value came from"),
    Column("rule", String(16), nullable=False, comment="owner_wins, newest_wins, first_wins, ..."),
    Column("outcome", String(24), nullable=False, comment="kept, taken, held_for_review, ..."),
    Column("incoming", JSON, nullable=True),
    Column("kept", JSON, nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=False),
    Index(None, "entity", "canonical_id"),
)

field_review = Table(
    "field_review",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("entity", String(64), nullable=False),
    Column("canonical_id", String(64), nullable=False),
    Column("field", String(128), nullable=False),
    Column("system", String(64), nullable=False),
    Column("proposed", JSON, nullable=True),
    Column("current", JSON, nullable=True),
    Column("status", String(16), nullable=False, comment="open, accepted, rejected"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Index(None, "entity", "status"),
)
