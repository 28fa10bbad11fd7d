"""Tables of the process layer: the operators' work queue of process exceptions."""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

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
