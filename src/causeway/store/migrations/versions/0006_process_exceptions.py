"""the operators' work queue of process exceptions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06 13:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "process_exception",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column(
            "token",
            sa.String(length=255),
            nullable=False,
            comment="instance and occurrence: a step repeated after a crash opens no second row",
        ),
        sa.Column("process", sa.String(length=64), nullable=False),
        sa.Column("instance_id", sa.String(length=255), nullable=False),
        sa.Column("step", sa.String(length=64), nullable=False),
        sa.Column(
            "reason",
            sa.String(length=32),
            nullable=False,
            comment="credit_block, unknown_product, price_mismatch, erp_validation, ...",
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("crm_order_id", sa.String(length=64), nullable=True),
        sa.Column("crm_order_number", sa.String(length=64), nullable=True),
        sa.Column("erp_document", sa.String(length=64), nullable=True),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="open, retrying, resolved"
        ),
        sa.Column("attempts", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_process_exception")),
        sa.UniqueConstraint("token", name=op.f("uq_process_exception_token")),
    )
    with op.batch_alter_table("process_exception", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_process_exception_status_reason"), ["status", "reason"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_process_exception_instance_id"), ["instance_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("process_exception", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_process_exception_instance_id"))
        batch_op.drop_index(batch_op.f("ix_process_exception_status_reason"))
    op.drop_table("process_exception")
