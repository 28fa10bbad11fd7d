"""conflict decisions, field reviews, and the lifecycle of golden records

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 13:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "state",
                sa.String(length=16),
                server_default="active",
                nullable=False,
                comment="active, deleted, merged",
            )
        )
        batch_op.add_column(
            sa.Column(
                "merged_into", sa.String(length=64), nullable=True, comment="surviving canonical id"
            )
        )
    op.create_table(
        "sync_decision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("canonical_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=128), nullable=False),
        sa.Column(
            "system",
            sa.String(length=64),
            nullable=False,
            comment="where the contested value came from",
        ),
        sa.Column(
            "rule",
            sa.String(length=16),
            nullable=False,
            comment="owner_wins, newest_wins, first_wins, ...",
        ),
        sa.Column(
            "outcome",
            sa.String(length=24),
            nullable=False,
            comment="kept, taken, held_for_review, ...",
        ),
        sa.Column("incoming", sa.JSON(), nullable=True),
        sa.Column("kept", sa.JSON(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sync_decision")),
    )
    with op.batch_alter_table("sync_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sync_decision_entity_canonical_id"),
            ["entity", "canonical_id"],
            unique=False,
        )
    op.create_table(
        "field_review",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("canonical_id", sa.String(length=64), nullable=False),
        sa.Column("field", sa.String(length=128), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("proposed", sa.JSON(), nullable=True),
        sa.Column("current", sa.JSON(), nullable=True),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="open, accepted, rejected"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_field_review")),
    )
    with op.batch_alter_table("field_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_field_review_entity_status"), ["entity", "status"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("field_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_field_review_entity_status"))
    op.drop_table("field_review")
    with op.batch_alter_table("sync_decision", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sync_decision_entity_canonical_id"))
    op.drop_table("sync_decision")
    with op.batch_alter_table("golden_record", schema=None) as batch_op:
        batch_op.drop_column("merged_into")
        batch_op.drop_column("state")
