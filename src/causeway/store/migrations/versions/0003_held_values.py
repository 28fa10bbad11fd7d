"""what each system held of a record, the reference stamped there; the write hash is planned

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 16:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "held",
                sa.JSON(),
                nullable=True,
                comment="canonical values the system held when last read or written",
            )
        )
        batch_op.add_column(
            sa.Column(
                "reference",
                sa.String(length=200),
                nullable=True,
                comment="the reference our writes stamp there, to know our creates before they "
                "answer",
            )
        )
        batch_op.create_index(
            batch_op.f("ix_sync_state_entity_system_reference"),
            ["entity", "system", "reference"],
            unique=False,
        )
        batch_op.alter_column(
            "written_hash",
            existing_type=sa.String(length=64),
            existing_nullable=True,
            comment="hash of what we last sent or planned",
            existing_comment="hash of what we last wrote",
        )


def downgrade() -> None:
    with op.batch_alter_table("sync_state", schema=None) as batch_op:
        batch_op.alter_column(
            "written_hash",
            existing_type=sa.String(length=64),
            existing_nullable=True,
            comment="hash of what we last wrote",
            existing_comment="hash of what we last sent or planned",
        )
        batch_op.drop_index(batch_op.f("ix_sync_state_entity_system_reference"))
        batch_op.drop_column("reference")
        batch_op.drop_column("held")
