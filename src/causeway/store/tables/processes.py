"""Tables of the process layer: the operators' work queue of process exceptions, and the
instances that rest between events (with the inbox of events that wake them)."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from causeway.store.metadata import metadata

process_exception = Table(
    "process_exception",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("token", String(255), nullable=False, unique=True,
           comment="instance and occurrence: a step repeated after a crash opens no second row"),
    Column("process", String(64), nullable=False),
    Column("instance_id", String(255), nullable=False),
    Column("step", String(64), nullable=False),
    Column("reason", String(32), nullable=False,
           comment="credit_block, unknown_product, price_mismatch, erp_validation, ..."),
    Column("message", Text, nullable=False),
    Column("crm_order_id", String(64), nullable=True),
    Column("crm_order_number", String(64), nullable=True),
    Column("erp_document", String(64), nullable=True),
    Column("status", String(16), nullable=False, comment="open, retrying, resolved"),
    Column("attempts", Integer, nullable=False, server_default="1"),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("resolved_at", DateTime(timezone=True), nullable=True),
    Index(None, "status", "reason"),
    Index(None, "instance_id"),
)

Offset = BigInteger().with_variant(Integer(), "sqlite")

process_instance = Table(
    "process_instance",
    metadata,
    Column("instance_id", String(255), primary_key=True),
    Column("process", String(64), nullable=False),
    Column("version", Integer, nullable=False,
           comment="the definition version it started on; every segment runs on it"),
    Column("segment", Integer, nullable=False,
           comment="how many times it was woken; segment n runs as workflow <instance>#n"),
    Column("status", String(16), nullable=False, comment="running, dormant, ended"),
    Column("arguments", Text, nullable=False, comment="JSON: what it was started with"),
    Column("state", Text, nullable=True, comment="JSON: what it kept when it went dormant"),
    Column("inbox_seen", Offset, nullable=False, server_default="0",
           comment="the last inbox event it consumed"),
    Column("wake_at", Float, nullable=True,
           comment="epoch seconds: its timer; null when only an event wakes it"),
    Column("result", Text, nullable=True, comment="JSON: its result once ended"),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index(None, "status", "wake_at"),
)

process_inbox = Table(
    "process_inbox",
    metadata,
    Column("id", Offset, primary_key=True, autoincrement=True),
    Column("instance_id", String(255), nullable=False),
    Column("topic", String(64), nullable=False),
    Column("payload", Text, nullable=False, comment="JSON"),
    Column("idempotency_key", String(255), nullable=True,
           comment="the same event sent twice is stored once"),
    Column("received_at", DateTime(timezone=True), nullable=False),
    Index(None, "instance_id", "id"),
    UniqueConstraint("instance_id", "idempotency_key"),
    # Ids only grow, even after the table emptied: instances remember the last one they read.
    sqlite_autoincrement=True,
)
