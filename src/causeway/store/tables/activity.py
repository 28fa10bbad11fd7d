"""Tables of business activity: what each process instance did, findable by business key.

An instance (one order's order-to-cash) is known by several numbers as it goes: the CRM
order id and number, later the ERP sales order, deliveries and invoices. `activity_key`
maps each of them to the instance; `activity_event` holds its steps and the system calls
made inside them, in order, with status, duration and trace id.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Float, Index, Integer, String, Table, Text

from causeway.store.metadata import metadata

Offset = BigInteger().with_variant(Integer(), "sqlite")

activity_key = Table(
    "activity_key",
    metadata,
    Column("instance_id", String(200), primary_key=True),
    Column("kind", String(60), primary_key=True),
    Column("value", String(200), primary_key=True),
    Column("process", String(100), nullable=False),
    Index("ix_activity_key_value", "value"),
)

activity_event = Table(
    "activity_event",
    metadata,
    Column("id", Offset, primary_key=True, autoincrement=True),
    Column("instance_id", String(200), nullable=False),
    Column("process", String(100), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("name", String(300), nullable=False),
    Column("system", String(100), nullable=True),
    Column("status", String(60), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("trace_id", String(32), nullable=True),
    Column("parent_id", Offset, nullable=True),
    Column("detail", Text, nullable=True),
    Index("ix_activity_event_instance_id", "instance_id", "id"),
)
