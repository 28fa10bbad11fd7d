"""the history of failed attempts, shown with each dead letter

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-06 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Offset = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "runtime_attempt",
        sa.Column("id", Offset, autoincrement=True, nullable=False),
        sa.Column("consumer_group", sa.String(length=200), nullable=False),
        sa.Column("seq", Offset, nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error_class", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("delay_seconds", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["runtime_envelope.seq"],
            name=op.f("fk_runtime_attempt_seq_runtime_envelope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runtime_attempt")),
    )
    with op.batch_alter_table("runtime_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runtime_attempt_seq_consumer_group"),
            ["seq", "consumer_group"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("runtime_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runtime_attempt_seq_consumer_group"))
    op.drop_table("runtime_attempt")
