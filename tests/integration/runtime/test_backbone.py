"""Backbone behaviour, identical on SQLite and PostgreSQL (driven by a hand-moved clock)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, func, select

from causeway.connectors.errors import ErrorClass
from causeway.runtime.backbone import Release
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.envelope import Envelope
from causeway.runtime.errors import DeadLetterStateError, SubscriptionNotFoundError
from causeway.runtime.handler import Done, Park, Retry
from causeway.store.tables.runtime import delivery, envelope

from .conftest import ManualClock

TOPIC = "crm.changes"
GROUP = "erp-writer"


def change(key: str, n: int, *, idempotency_key: str | None = None) -> Envelope:
    return Envelope(
        kind="change",
        source="salesforce",
        entity="customer",
        key=key,
        payload={"n": n, "name": f"Customer {key}"},
        idempotency_key=idempotency_key or f"{key}-{n}",
    )


def numbers(items: tuple[Envelope, ...]) -> list[tuple[str, int]]:
    return [(item.key, item.payload["n"]) for item in items]


def test_publishing_one_idempotency_key_twice_stores_one_envelope(backbone: SqlBackbone) -> None:
    backbone.subscribe(TOPIC, GROUP)
    first = backbone.publish(TOPIC, [change("A", 1, idempotency_key="sf-001-v7")])
    again = backbone.publish(TOPIC, [change("A", 2, idempotency_key="sf-001-v7")])
    claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    assert len(first) == 1
    assert again == []
    assert numbers(claim.envelopes) == [("A", 1)]


def test_the_same_key_on_another_topic_is_a_different_envelope(backbone: SqlBackbone) -> None:
    stored = [backbone.publish(topic, [change("A", 1)]) for topic in ("t1", "t2")]
    assert all(len(ids) == 1 for ids in stored)


def test_a_batch_holds_one_envelope_per_partition_in_publish_order(
    backbone: SqlBackbone,
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1), change("A", 2), change("B", 1), change("A", 3)])

    first = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    blocked = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    backbone.settle(first, {item.id: Done() for item in first.envelopes})
    second = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    assert numbers(first.envelopes) == [("A", 1), ("B", 1)]
    assert blocked.envelopes == ()
    assert numbers(second.envelopes) == [("A", 2)]


def test_a_retry_waits_for_its_delay_and_holds_back_its_partition(
    backbone: SqlBackbone, clock: ManualClock
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1), change("A", 2), change("B", 1)])
    claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    a1, b1 = claim.envelopes
    backbone.settle(claim, {a1.id: Retry(ErrorClass.RETRYABLE, "HTTP 503", 10.0), b1.id: Done()})

    clock.advance(9)
    early = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    clock.advance(2)
    due = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    assert early.envelopes == ()  # A/2 must not overtake A/1
    assert numbers(due.envelopes) == [("A", 1)]
    assert due.envelopes[0].attempt == 2


def test_parking_keeps_a_dead_letter_and_lets_the_partition_move_on(
    backbone: SqlBackbone,
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1), change("A", 2)])
    claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    parked = Park("Email is not a valid address", field="Email", record="001A")
    report = backbone.settle(claim, {claim.envelopes[0].id: parked})
    after = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    [letter] = backbone.dead_letters(topic=TOPIC)
    assert report.parked == 1
    assert (letter.field, letter.record, letter.error_class) == ("Email", "001A", "invalid")
    assert letter.attempts == 1
    assert letter.payload == {"n": 1, "name": "Customer A"}
    assert numbers(after.envelopes) == [("A", 2)]


def test_a_dead_letter_keeps_the_history_of_its_attempts(
    backbone: SqlBackbone, clock: ManualClock
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1)])
    for error in ("503 Service Unavailable", "read timeout"):
        claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
        backbone.settle(claim, {claim.envelopes[0].id: Retry(ErrorClass.RETRYABLE, error, 5)})
        clock.advance(6)
    claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    backbone.settle(claim, {claim.envelopes[0].id: Park("bad email", field="Email")})
    [listed] = backbone.dead_letters(topic=TOPIC)

    letter = backbone.dead_letter(listed.id)

    assert [(a.attempt, a.outcome, a.error) for a in letter.history] == [
        (1, "retried", "503 Service Unavailable"),
        (2, "retried", "read timeout"),
        (3, "parked", "bad email"),
    ]
    assert [a.delay_seconds for a in letter.history] == [5, 5, None]
    assert letter.history[1].at - letter.history[0].at == timedelta(seconds=6)


def test_an_expired_lease_passes_the_envelope_to_another_worker(
    backbone: SqlBackbone, clock: ManualClock
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1)])
    crashed = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    clock.advance(29)
    during = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    clock.advance(2)
    after = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    late = backbone.settle(crashed, {crashed.envelopes[0].id: Done()})
    backbone.settle(after, {after.envelopes[0].id: Done()})

    assert during.envelopes == ()
    assert numbers(after.envelopes) == [("A", 1)]
    assert after.envelopes[0].attempt == 2
    assert late.lost == (crashed.envelopes[0].id,)
    assert late.acked == 0
    [stats] = backbone.stats(TOPIC)
    assert (stats.done, stats.in_flight, stats.ready) == (1, 0, 0)


def test_renewing_a_lease_keeps_the_batch(backbone: SqlBackbone, clock: ManualClock) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1)])
    claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    clock.advance(25)
    renewed = backbone.renew(claim, 30)
    clock.advance(25)
    rival = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    assert renewed == 1
    assert rival.envelopes == ()


def test_release_gives_the_envelope_back_without_spending_an_attempt(
    backbone: SqlBackbone,
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1)])
    claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    backbone.settle(claim, {claim.envelopes[0].id: Release()})
    again = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    assert again.envelopes[0].attempt == 1


def test_a_paused_group_gets_nothing_until_resumed(backbone: SqlBackbone) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1)])
    backbone.pause(TOPIC, GROUP, "ERP rejected the credentials")
    paused = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    [stats] = backbone.stats(TOPIC)
    backbone.resume(TOPIC, GROUP)
    resumed = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    assert paused.envelopes == ()
    assert (stats.paused, stats.pause_reason) == (True, "ERP rejected the credentials")
    assert numbers(resumed.envelopes) == [("A", 1)]


def test_a_slowed_group_waits_until_the_hold_ends(
    backbone: SqlBackbone, clock: ManualClock
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1)])
    backbone.slow(TOPIC, GROUP, clock.now + timedelta(seconds=20))
    held = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    clock.advance(21)
    free = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    assert held.envelopes == ()
    assert len(free) == 1


def test_claiming_without_a_subscription_names_topic_and_group(backbone: SqlBackbone) -> None:
    with pytest.raises(SubscriptionNotFoundError, match="nobody"):
        backbone.claim(TOPIC, "nobody", max_batch=1, lease_seconds=1)


def test_an_edited_dead_letter_replays_after_what_its_partition_queued(
    backbone: SqlBackbone,
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.subscribe(TOPIC, "audit")
    backbone.publish(TOPIC, [change("A", 1)])
    claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    original = claim.envelopes[0]
    backbone.settle(claim, {original.id: Park("bad email", field="Email", record="001A")})
    backbone.publish(TOPIC, [change("A", 2)])
    [letter] = backbone.dead_letters(group=GROUP)

    edited = backbone.edit_dead_letter(letter.id, {"n": 1, "name": "Customer A", "fixed": True})
    replayed_id = backbone.replay_dead_letter(letter.id)
    first = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    backbone.settle(first, {item.id: Done() for item in first.envelopes})
    second = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    audit = backbone.claim(TOPIC, "audit", max_batch=10, lease_seconds=30)

    assert edited.payload["fixed"] is True
    assert numbers(first.envelopes) == [("A", 2)]
    assert [item.id for item in second.envelopes] == [replayed_id]
    assert second.envelopes[0].payload["fixed"] is True
    assert second.envelopes[0].headers.causation_id == original.id
    assert numbers(audit.envelopes) == [("A", 1)]  # other groups never see the replay
    assert backbone.dead_letter(letter.id).status == "replayed"
    with pytest.raises(DeadLetterStateError):
        backbone.replay_dead_letter(letter.id)


def test_replay_from_an_offset_delivers_that_range_again_in_order(
    backbone: SqlBackbone, clock: ManualClock
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.subscribe(TOPIC, "audit")
    backbone.publish(TOPIC, [change("A", n) for n in range(1, 6)])
    offsets: list[int] = []
    for _ in range(5):
        claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
        offsets.extend(claim.offsets.values())
        backbone.settle(claim, {item.id: Done() for item in claim.envelopes})

    count = backbone.replay(TOPIC, GROUP, from_offset=offsets[2])
    seen = []
    while claim := backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30):
        seen.extend(numbers(claim.envelopes))
        backbone.settle(claim, {item.id: Done() for item in claim.envelopes})

    assert count == 3
    assert seen == [("A", 3), ("A", 4), ("A", 5)]
    [audit] = [s for s in backbone.stats(TOPIC) if s.group == "audit"]
    assert audit.ready == 5  # the other group is untouched


def test_replay_since_a_time_and_a_late_subscriber_from_the_start(
    backbone: SqlBackbone, clock: ManualClock
) -> None:
    backbone.publish(TOPIC, [change("A", 1)])
    clock.advance(60)
    cutoff = clock.now
    backbone.publish(TOPIC, [change("B", 1)])
    backbone.subscribe(TOPIC, "late", from_start=True)
    backbone.subscribe(TOPIC, GROUP)
    replayed = backbone.replay(TOPIC, GROUP, since=cutoff)

    late = backbone.claim(TOPIC, "late", max_batch=10, lease_seconds=30)
    recent = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    assert numbers(late.envelopes) == [("A", 1), ("B", 1)]
    assert replayed == 1
    assert numbers(recent.envelopes) == [("B", 1)]


def test_outbox_publish_commits_and_rolls_back_with_the_callers_transaction(
    backbone: SqlBackbone, engine: Engine
) -> None:
    business = MetaData()
    customers = Table(
        "outbox_customer", business, Column("id", Integer, primary_key=True), Column("name", String)
    )
    business.create_all(engine)
    backbone.subscribe(TOPIC, GROUP)

    def save_then_fail() -> None:
        with write_transaction(engine) as connection:
            connection.execute(customers.insert().values(id=1, name="ACME"))
            backbone.publish(TOPIC, [change("1", 1)], connection=connection)
            raise RuntimeError("validation failed after publishing")

    try:
        with pytest.raises(RuntimeError):
            save_then_fail()
        with write_transaction(engine) as connection:
            connection.execute(customers.insert().values(id=2, name="Globex"))
            backbone.publish(TOPIC, [change("2", 1)], connection=connection)

        with engine.connect() as connection:
            names = connection.execute(select(customers.c.name)).scalars().all()
            stored = connection.execute(select(envelope.c.business_key)).scalars().all()
            deliveries = connection.execute(select(func.count()).select_from(delivery)).scalar()
        assert names == ["Globex"]
        assert stored == ["2"]
        assert deliveries == 1
    finally:
        business.drop_all(engine)


def test_prune_drops_only_what_every_group_has_finished(
    backbone: SqlBackbone, clock: ManualClock
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1), change("B", 1)])
    claim = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    backbone.settle(claim, {claim.envelopes[0].id: Done()})
    clock.advance(3600)
    removed = backbone.prune(clock.now - timedelta(seconds=60))
    assert removed == 1
    [stats] = backbone.stats(TOPIC)
    assert (stats.done, stats.in_flight) == (0, 1)


def test_a_replayed_range_waits_while_a_later_envelope_of_its_partition_is_in_flight(
    backbone: SqlBackbone,
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(TOPIC, [change("A", 1), change("A", 2)])
    first = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    backbone.settle(first, {item.id: Done() for item in first.envelopes})
    second = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    backbone.replay(TOPIC, GROUP, from_offset=first.offsets[first.envelopes[0].id])
    during = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)
    backbone.settle(second, {item.id: Done() for item in second.envelopes})
    after = backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30)

    assert numbers(second.envelopes) == [("A", 2)]
    assert during.envelopes == ()
    assert numbers(after.envelopes) == [("A", 1)]


def test_a_batch_with_repeated_and_known_keys_stores_each_key_once_in_order(
    backbone: SqlBackbone,
) -> None:
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(
        TOPIC, [change("A", 1, idempotency_key="k1"), change("B", 1, idempotency_key="k2")]
    )
    stored = backbone.publish(
        TOPIC,
        [
            change("B", 2, idempotency_key="k2"),
            change("C", 1, idempotency_key="k3"),
            change("C", 2, idempotency_key="k3"),
            change("C", 3, idempotency_key="k4"),
        ],
    )
    seen = []
    while claim := backbone.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30):
        seen.extend(numbers(claim.envelopes))
        backbone.settle(claim, {item.id: Done() for item in claim.envelopes})

    assert len(stored) == 2
    assert seen == [("A", 1), ("B", 1), ("C", 1), ("C", 3)]
