"""Tables of the event backbone: the envelope log, subscriptions, deliveries, dead letters.

The log is append-only (replay reads it); per consumer group state lives in
`runtime_delivery`, one row per envelope and group, so groups progress independently.
Times are written as UTC by the runtime (SQLite keeps them as naive UTC text).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from causeway.store.metadata import metadata

# Deliveries still to hand out; queries must spell it the same way (inline literals) for
# SQLite and PostgreSQL to use the partial index below.
PENDING_SQL = "status IN ('ready', 'leased')"
LEASED_SQL = "status = 'leased'"

# SQLite only auto-increments an INTEGER PRIMARY KEY, PostgreSQL wants a 64-bit offset.
Offset = BigInteger().with_variant(Integer(), "sqlite")

envelope = Table(
    "runtime_envelope",
    metadata,
    Column("seq", Offset, primary_key=True, autoincrement=True),
    Column("id", String(36), nullable=False, unique=True),
    Column("topic", String(200), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("source", String(100), nullable=False),
    Column("entity", String(100), nullable=False),
    Column("business_key", String(300), nullable=False),
    Column("partition_key", String(400), nullable=False),
    Column("idempotency_key", String(400), nullable=False),
    Column("payload", Text, nullable=False),
    Column("headers", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("published_at", DateTime(timezone=True), nullable=False),
    # Set only for a dead letter replayed to one consumer group; NULL means every group.
    Column("target_group", String(200), nullable=True),
    UniqueConstraint("topic", "idempotency_key"),
    Index(None, "topic", "seq"),
    Index(None, "topic", "published_at"),
)

subscription = Table(
    "runtime_subscription",
    metadata,
    Column("topic", String(200), primary_key=True),
    Column("consumer_group", String(200), primary_key=True),
    Column("paused", Boolean, nullable=False, default=False),
    Column("pause_reason", Text, nullable=True),
    Column("paused_at", DateTime(timezone=True), nullable=True),
    Column("throttled_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

delivery = Table(
    "runtime_delivery",
    metadata,
    Column("consumer_group", String(200), primary_key=True),
    Column(
        "seq",
        Offset,
        ForeignKey("runtime_envelope.seq", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("topic", String(200), nullable=False),
    Column("partition_key", String(400), nullable=False),
    # ready | leased | done | parked
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("available_at", DateTime(timezone=True), nullable=False),
    Column("lease_token", String(36), nullable=True),
    Column("lease_expires_at", DateTime(timezone=True), nullable=True),
    Column("error_class", String(16), nullable=True),
    Column("last_error", Text, nullable=True),
    Column("first_attempt_at", DateTime(timezone=True), nullable=True),
    Column("last_attempt_at", DateTime(timezone=True), nullable=True),
    Column("done_at", DateTime(timezone=True), nullable=True),
    # The partial indexes skip handled history: a claim walks pending deliveries in offset
    # order, and finds each partition's head, without reading what is already done.
    Index(
        "ix_runtime_delivery_pending",
        "consumer_group",
        "topic",
        "seq",
        postgresql_where=text(PENDING_SQL),
        sqlite_where=text(PENDING_SQL),
    ),
    Index(
        "ix_runtime_delivery_pending_partition",
        "consumer_group",
        "topic",
        "partition_key",
        "seq",
        postgresql_where=text(PENDING_SQL),
        sqlite_where=text(PENDING_SQL),
    ),
    # In-flight deliveries only (a few batches' worth): the claim's "is this partition
    # already leased?" probe stays tiny whatever the backlog.
    Index(
        "ix_runtime_delivery_leased",
        "consumer_group",
        "topic",
        "partition_key",
        postgresql_where=text(LEASED_SQL),
        sqlite_where=text(LEASED_SQL),
    ),
)

dead_letter = Table(
    "runtime_dead_letter",
    metadata,
    Column("id", Offset, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False),
    Column("consumer_group", String(200), nullable=False),
    Column(
        "seq",
        Offset,
        ForeignKey("runtime_envelope.seq", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("envelope_id", String(36), nullable=False),
    Column("partition_key", String(400), nullable=False),
    # parked | replayed | discarded
    Column("status", String(16), nullable=False),
    Column("reason", Text, nullable=False),
    Column("error_class", String(16), nullable=False),
    Column("record", String(300), nullable=True),
    Column("field", String(300), nullable=True),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text, nullable=True),
    # A copy operators may fix before a replay; the log itself stays immutable.
    Column("payload", Text, nullable=False),
    Column("first_seen", DateTime(timezone=True), nullable=False),
    Column("last_seen", DateTime(timezone=True), nullable=False),
    Column("replayed_as", String(36), nullable=True),
    Index(None, "status", "topic", "consumer_group"),
)

relay = Table(
    "runtime_relay",
    metadata,
    # The outbox of a broker backend: envelopes committed but not yet forwarded. Rows are
    # deleted once the broker confirmed them, so the table stays as small as the backlog.
    Column("id", Offset, primary_key=True, autoincrement=True),
    Column(
        "seq",
        Offset,
        ForeignKey("runtime_envelope.seq", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("topic", String(200), nullable=False),
    # The broker's deduplication id: the envelope id, or a fresh one for a replay.
    Column("message_id", String(80), nullable=False),
    # Set for replays meant for one consumer group; NULL means every group.
    Column("target_group", String(200), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index(None, "topic"),
)

release = Table(
    "runtime_release",
    metadata,
    # Deliveries handed back untouched (Release) on a broker that counts every delivery:
    # subtracted from its count so a shutdown does not spend a retry.
    Column("consumer_group", String(200), primary_key=True),
    Column("envelope_id", String(36), primary_key=True),
    Column("released", Integer, nullable=False),
)

attempt = Table(
    "runtime_attempt",
    metadata,
    # Every failed delivery of an envelope to a group (retried or parked), so a dead letter
    # shows its whole history, not only the last error. Successes are not kept here.
    Column("id", Offset, primary_key=True, autoincrement=True),
    Column("consumer_group", String(200), nullable=False),
    Column(
        "seq",
        Offset,
        ForeignKey("runtime_envelope.seq", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("attempt", Integer, nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    # retried | parked
    Column("outcome", String(16), nullable=False),
    Column("error_class", String(16), nullable=False),
    Column("error", Text, nullable=False),
    Column("delay_seconds", Float, nullable=True),
    Index(None, "seq", "consumer_group"),
)

RUNTIME_TABLES = (envelope, subscription, delivery, dead_letter, relay, release, attempt)
