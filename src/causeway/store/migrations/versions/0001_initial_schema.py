"""initial schema: runtime backbone and sync core

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 11:15:06.802817
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "change_cursor",
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("object_name", sa.String(length=128), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("system", "object_name", name=op.f("pk_change_cursor")),
    )
    op.create_table(
        "golden_record",
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("canonical_id", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column(
            "field_sources", sa.JSON(), nullable=False, comment="field -> [system, modified_at]"
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("entity", "canonical_id", name=op.f("pk_golden_record")),
    )
    op.create_table(
        "match_review",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("left_system", sa.String(length=64), nullable=False),
        sa.Column("left_id", sa.String(length=255), nullable=False),
        sa.Column("right_system", sa.String(length=64), nullable=False),
        sa.Column("right_id", sa.String(length=255), nullable=False),
        sa.Column("score", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column(
            "status", sa.String(length=16), nullable=False, comment="open, accepted, rejected"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_match_review")),
    )
    with op.batch_alter_table("match_review", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_match_review_entity_status"), ["entity", "status"], unique=False
        )

    op.create_table(
        "runtime_envelope",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("entity", sa.String(length=100), nullable=False),
        sa.Column("business_key", sa.String(length=300), nullable=False),
        sa.Column("partition_key", sa.String(length=400), nullable=False),
        sa.Column("idempotency_key", sa.String(length=400), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("target_group", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_runtime_envelope")),
        sa.UniqueConstraint("id", name=op.f("uq_runtime_envelope_id")),
        sa.UniqueConstraint(
            "topic", "idempotency_key", name=op.f("uq_runtime_envelope_topic_idempotency_key")
        ),
    )
    with op.batch_alter_table("runtime_envelope", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runtime_envelope_topic_published_at"),
            ["topic", "published_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_runtime_envelope_topic_seq"), ["topic", "seq"], unique=False
        )

    op.create_table(
        "runtime_subscription",
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("consumer_group", sa.String(length=200), nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("paused_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("throttled_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("topic", "consumer_group", name=op.f("pk_runtime_subscription")),
    )
    op.create_table(
        "sync_state",
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("canonical_id", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column(
            "written_hash",
            sa.String(length=64),
            nullable=True,
            comment="hash of what we last wrote",
        ),
        sa.Column("written_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("seen_modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("entity", "canonical_id", "system", name=op.f("pk_sync_state")),
    )
    op.create_table(
        "xref",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("canonical_id", sa.String(length=64), nullable=False),
        sa.Column("system", sa.String(length=64), nullable=False),
        sa.Column("system_id", sa.String(length=255), nullable=False),
        sa.Column("linked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "linked_by", sa.String(length=32), nullable=False, comment="sync, match, operator"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_xref")),
        sa.UniqueConstraint(
            "entity", "canonical_id", "system", name=op.f("uq_xref_entity_canonical_id_system")
        ),
        sa.UniqueConstraint(
            "entity", "system", "system_id", name=op.f("uq_xref_entity_system_system_id")
        ),
    )
    op.create_table(
        "runtime_dead_letter",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("consumer_group", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("envelope_id", sa.String(length=36), nullable=False),
        sa.Column("partition_key", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("error_class", sa.String(length=16), nullable=False),
        sa.Column("record", sa.String(length=300), nullable=True),
        sa.Column("field", sa.String(length=300), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("replayed_as", sa.String(length=36), nullable=True),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["runtime_envelope.seq"],
            name=op.f("fk_runtime_dead_letter_seq_runtime_envelope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runtime_dead_letter")),
    )
    with op.batch_alter_table("runtime_dead_letter", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_runtime_dead_letter_status_topic_consumer_group"),
            ["status", "topic", "consumer_group"],
            unique=False,
        )

    op.create_table(
        "runtime_delivery",
        sa.Column("consumer_group", sa.String(length=200), nullable=False),
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("partition_key", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_token", sa.String(length=36), nullable=True),
        sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_class", sa.String(length=16), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("first_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["seq"],
            ["runtime_envelope.seq"],
            name=op.f("fk_runtime_delivery_seq_runtime_envelope"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("consumer_group", "seq", name=op.f("pk_runtime_delivery")),
    )
    with op.batch_alter_table("runtime_delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_runtime_delivery_leased",
            ["consumer_group", "topic", "partition_key"],
            unique=False,
            postgresql_where=sa.text("status = 'leased'"),
            sqlite_where=sa.text("status = 'leased'"),
        )
        batch_op.create_index(
            "ix_runtime_delivery_pending",
            ["consumer_group", "topic", "seq"],
            unique=False,
            postgresql_where=sa.text("status IN ('ready', 'leased')"),
            sqlite_where=sa.text("status IN ('ready', 'leased')"),
        )
        batch_op.create_index(
            "ix_runtime_delivery_pending_partition",
            ["consumer_group", "topic", "partition_key", "seq"],
            unique=False,
            postgresql_where=sa.text("status IN ('ready', 'leased')"),
            sqlite_where=sa.text("status IN ('ready', 'leased')"),
        )


def downgrade() -> None:
    with op.batch_alter_table("runtime_delivery", schema=None) as batch_op:
        batch_op.drop_index(
            "ix_runtime_delivery_pending_partition",
            postgresql_where=sa.text("status IN ('ready', 'leased')"),
            sqlite_where=sa.text("status IN ('ready', 'leased')"),
        )
        batch_op.drop_index(
            "ix_runtime_delivery_pending",
            postgresql_where=sa.text("status IN ('ready', 'leased')"),
            sqlite_where=sa.text("status IN ('ready', 'leased')"),
        )
        batch_op.drop_index(
            "ix_runtime_delivery_leased",
            postgresql_where=sa.text("status = 'leased'"),
            sqlite_where=sa.text("status = 'leased'"),
        )

    op.drop_table("runtime_delivery")
    with op.batch_alter_table("runtime_dead_letter", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runtime_dead_letter_status_topic_consumer_group"))

    op.drop_table("runtime_dead_letter")
    op.drop_table("xref")
    op.drop_table("sync_state")
    op.drop_table("runtime_subscription")
    with op.batch_alter_table("runtime_envelope", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_runtime_envelope_topic_seq"))
        batch_op.drop_index(batch_op.f("ix_runtime_envelope_topic_published_at"))

    op.drop_table("runtime_envelope")
    with op.batch_alter_table("match_review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_match_review_entity_status"))

    op.drop_table("match_review")
    op.drop_table("golden_record")
    op.drop_table("change_cursor")
