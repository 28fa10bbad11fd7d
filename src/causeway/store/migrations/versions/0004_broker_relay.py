"""the outbox relay and released deliveries of broker backends

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Offset = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "runtime_relay",
        sa.Column("id", Offset, autoincrement=True, nullable=False),
        sa.Column("seq", Offset, nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=80), nullable=False),
        sa.Column("target_group", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["runtime_envelope.seq"],
            name=op.f("fk_runtime_relay_seq_runtime_envelope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runtime_relay")),
    )
    with op.batch_alter_table("runtime_relay", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_runtime_relay_topic"), ["topic"], unique=False)
    op.create_table(
        "runtime_release",
        sa.Column("consumer_group", sa.String(length=200), nullable=False),
        sa.Column("envelope_id", sa.String(length=36), nullable=False),
        sa.Column("released", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "consumer_group", "envelope_id", name=op.f("pk_runtime_release")
        ),
    )


def downgrade() -> None:
    op.drop_table("runtime_release")
    with op.batch_alter_table("runtime_relay", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runtime_relay_topic"))
    op.drop_table("runtime_relay")
