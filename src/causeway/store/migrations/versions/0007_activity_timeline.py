"""business activity: each process instance's steps and system calls, by business key

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Offset = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "activity_key",
        sa.Column("instance_id", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column("process", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("instance_id", "kind", "value", name=op.f("pk_activity_key")),
    )
    op.create_index("ix_activity_key_value", "activity_key", ["value"])
    op.create_table(
        "activity_event",
        sa.Column("id", Offset, autoincrement=True, nullable=False),
        sa.Column("instance_id", sa.String(length=200), nullable=False),
        sa.Column("process", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("system", sa.String(length=100), nullable=True),
        sa.Column("status", sa.String(length=60), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.Column("trace_id", sa.String(length=32), nullable=True),
        sa.Column("parent_id", Offset, nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_event")),
    )
    op.create_index("ix_activity_event_instance_id", "activity_event", ["instance_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_activity_event_instance_id", table_name="activity_event")
    op.drop_table("activity_event")
    op.drop_index("ix_activity_key_value", table_name="activity_key")
    op.drop_table("activity_key")
