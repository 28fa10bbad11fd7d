"""process instances that rest between events, and the inbox of events that wake them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 16:15:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Offset = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "process_instance",
        sa.Column("instance_id", sa.String(length=255), nullable=False),
        sa.Column("process", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False,
                  comment="the definition version it started on; every segment runs on it"),
        sa.Column("segment", sa.Integer(), nullable=False,
                  comment="how many times it was woken; segment n runs as workflow "
                  "<instance>#n"),
        sa.Column("status", sa.String(length=16), nullable=False,
                  comment="running, dormant, ended"),
        sa.Column("arguments", sa.Text(), nullable=False,
                  comment="JSON: what it was started with"),
        sa.Column("state", sa.Text(), nullable=True,
                  comment="JSON: what it kept when it went dormant"),
        sa.Column("inbox_seen", Offset, server_default="0", nullable=False,
                  comment="the last inbox event it consumed"),
        sa.Column("wake_at", sa.Float(), nullable=True,
                  comment="epoch seconds: its timer; null when only an event wakes it"),
        sa.Column("result", sa.Text(), nullable=True, comment="JSON: its result once ended"),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", name=op.f("pk_process_instance")),
    )
    op.create_index(
        op.f("ix_process_instance_status_wake_at"), "process_instance", ["status", "wake_at"]
    )
    op.create_table(
        "process_inbox",
        sa.Column("id", Offset, autoincrement=True, nullable=False),
        sa.Column("instance_id", sa.String(length=255), nullable=False),
        sa.Column("topic", sa.String(length=64), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False, comment="JSON"),
        sa.Column("idempotency_key", sa.String(length=255), nullable=True,
                  comment="the same event sent twice is stored once"),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_inbox")),
        sa.UniqueConstraint("instance_id", "idempotency_key",
                            name=op.f("uq_process_inbox_instance_id_idempotency_key")),
        sqlite_autoincrement=True,
    )
    op.create_index(op.f("ix_process_inbox_instance_id_id"), "process_inbox",
                    ["instance_id", "id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_process_inbox_instance_id_id"), table_name="process_inbox")
    op.drop_table("process_inbox")
    op.drop_index(op.f("ix_process_instance_status_wake_at"), table_name="process_instance")
    op.drop_table("process_instance")
