"""The JetStream backbone on a real NATS server: outbox, order, retries, leases, dead letters.

The SQL side (outbox, log, dead letters, subscription state) runs on SQLite and PostgreSQL;
time is the wall clock, since JetStream measures leases and retry delays itself.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, insert, select

from causeway.connectors.errors import ErrorClass
from causeway.runtime.backbone import Claim, Release, Settlement
from causeway.runtime.backends.jetstream import JetStreamBackbone
from causeway.runtime.backends.jetstream_link import Layout
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Park, Retry
from causeway.store.tables.runtime import envelope, relay
from tests.support.nats import NATS_URL, throwaway_prefix

pytestmark = pytest.mark.services

TOPIC = "crm.changes"
GROUP = "sync"


@pytest.fixture
def layout() -> Iterator[Layout]:
    """Eight buckets under a prefix of the test's own, deleted afterwards."""
    with throwaway_prefix() as prefix:
        yield Layout(prefix=prefix, buckets=8)


@pytest.fixture
def backbone(engine: Engine, layout: Layout) -> Iterator[JetStreamBackbone]:
    """A JetStream backbone subscribed to TOPIC for GROUP."""
    with JetStreamBackbone(engine, NATS_URL, layout=layout, fetch_wait=0.03) as opened:
        opened.subscribe(TOPIC, GROUP)
        yield opened


def change(key: str, n: int, *, idempotency_key: str = "") -> Envelope:
    return Envelope(
        kind="change",
        source="crm",
        entity="customer",
        key=key,
        payload={"n": n},
        idempotency_key=idempotency_key,
    )


def claim(
    backbone: JetStreamBackbone, lease: float = 10.0, batch: int = 50, group: str = GROUP
) -> Claim:
    return backbone.claim(TOPIC, group, max_batch=batch, lease_seconds=lease)


def first_claim(
    backbone: JetStreamBackbone, lease: float = 10.0, within: float = 5.0
) -> tuple[Claim, float]:
    """Claim until something comes (the server may still be processing an ack or a delay);
    returns the claim and when it came (monotonic)."""
    deadline = time.monotonic() + within
    while True:
        batch = claim(backbone, lease=lease)
        if batch or time.monotonic() > deadline:
            return batch, time.monotonic()


def drain(backbone: JetStreamBackbone, rounds: int = 3, group: str = GROUP) -> list[Envelope]:
    """Claim and ack until `rounds` claims in a row come back empty."""
    seen: list[Envelope] = []
    empty = 0
    while empty < rounds:
        batch = claim(backbone, group=group)
        if not batch:
            empty += 1
            continue
        empty = 0
        seen.extend(batch.envelopes)
        backbone.settle(batch, {item.id: Done() for item in batch.envelopes})
    return seen


def test_rolled_back_outbox_rows_are_never_delivered(
    engine: Engine, backbone: JetStreamBackbone
) -> None:
    with engine.connect() as connection, connection.begin() as transaction:
        backbone.publish(TOPIC, [change("C-1", 1)], connection=connection)
        transaction.rollback()  # the business write failed
    with write_transaction(engine) as connection:
        backbone.publish(TOPIC, [change("C-1", 2)], connection=connection)
    backbone.relay.flush()

    delivered = drain(backbone)

    assert [item.payload["n"] for item in delivered] == [2]
    with engine.connect() as connection:
        assert connection.execute(select(relay.c.id)).all() == []  # relayed rows are gone


def test_duplicate_idempotency_keys_and_relay_resends_are_delivered_once(
    engine: Engine, backbone: JetStreamBackbone
) -> None:
    first = backbone.publish(TOPIC, [change("C-1", 1, idempotency_key="crm-42")])
    again = backbone.publish(TOPIC, [change("C-1", 99, idempotency_key="crm-42")])
    # A relay that crashed after publishing, before deleting its rows, sends them again.
    with write_transaction(engine) as connection:
        seq = connection.execute(select(envelope.c.seq).where(envelope.c.id == first[0])).scalar()
        connection.execute(
            insert(relay).values(
                seq=seq, topic=TOPIC, message_id=first[0], created_at=backbone.clock()
            )
        )
    backbone.relay.flush()

    delivered = drain(backbone)

    assert again == []
    assert [(item.id, item.payload["n"]) for item in delivered] == [(first[0], 1)]


def test_partitions_keep_their_order_with_retries_across_two_backbones(
    engine: Engine, layout: Layout, backbone: JetStreamBackbone
) -> None:
    partitions, per_partition = 12, 6
    backbone.publish(
        TOPIC,
        [change(f"C-{p}", n) for n in range(per_partition) for p in range(partitions)],
    )
    handled: dict[str, list[int]] = defaultdict(list)
    attempts: dict[str, list[int]] = defaultdict(list)
    lock = threading.Lock()
    total = partitions * per_partition

    def consume(instance: JetStreamBackbone) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with lock:
                if sum(len(seqs) for seqs in handled.values()) == total:
                    return
            batch = claim(instance, batch=4)
            settlements: dict[str, Settlement] = {}
            for item in batch.envelopes:
                with lock:
                    attempts[item.key].append(item.payload["n"])
                    if item.payload["n"] % 3 == 1 and item.attempt == 1:
                        settlements[item.id] = Retry(ErrorClass.RETRYABLE, "busy", delay=0.05)
                        continue
                    handled[item.key].append(item.payload["n"])
                settlements[item.id] = Done()
            if batch:
                assert instance.settle(batch, settlements).lost == ()

    with JetStreamBackbone(engine, NATS_URL, layout=layout, fetch_wait=0.03) as other:
        threads = [threading.Thread(target=consume, args=(b,)) for b in (backbone, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert all(seqs == list(range(per_partition)) for seqs in handled.values())
    assert len(handled) == partitions
    # The retried envelope was seen twice, and nothing of its partition came in between.
    for seen in attempts.values():
        for n in (1, 4):
            assert seen[seen.index(n) : seen.index(n) + 2] == [n, n]


def test_a_retry_with_delay_holds_its_partition(backbone: JetStreamBackbone) -> None:
    backbone.publish(TOPIC, [change("C-1", 1), change("C-1", 2)])
    first = claim(backbone)
    [item] = first.envelopes
    backbone.settle(first, {item.id: Retry(ErrorClass.RETRYABLE, "timeout", delay=0.6)})
    settled = time.monotonic()

    # A redelivery that races a pull request's expiry waits out the lease and counts one
    # attempt more (decision 0004): wait longer than the lease, accept either count.
    retried, came = first_claim(backbone, within=15.0)

    assert came - settled >= 0.55  # nothing of the partition came in the meantime
    assert [e.payload["n"] for e in retried.envelopes] == [1]
    assert retried.envelopes[0].attempt in (2, 3)
    backbone.settle(retried, {retried.envelopes[0].id: Done()})
    assert [e.payload["n"] for e in drain(backbone)] == [2]


def test_park_edit_replay_is_delivered_once_to_its_group_only(
    backbone: JetStreamBackbone,
) -> None:
    backbone.subscribe(TOPIC, "audit")
    backbone.publish(TOPIC, [change("C-1", 1), change("C-1", 2)])
    batch = claim(backbone)
    [item] = batch.envelopes
    park = Park("VAT number rejected", field="vat", record="C-1")
    report = backbone.settle(batch, {item.id: park})
    [letter] = backbone.dead_letters(topic=TOPIC)
    after_park = drain(backbone)
    audit = drain(backbone, group="audit")

    backbone.edit_dead_letter(letter.id, {"n": 1, "fixed": True})
    new_id = backbone.replay_dead_letter(letter.id)
    replayed = drain(backbone)
    audit_after = drain(backbone, group="audit")

    assert report.parked == 1
    assert (letter.reason, letter.field, letter.record, letter.attempts) == (
        "VAT number rejected", "vat", "C-1", 1,
    )
    assert letter.error_class == str(ErrorClass.INVALID)
    assert [e.payload["n"] for e in after_park] == [2]  # the partition moves on
    assert [e.payload["n"] for e in audit] == [1, 2]
    assert [(e.id, e.payload) for e in replayed] == [(new_id, {"n": 1, "fixed": True})]
    assert audit_after == []  # the replay was for the parked group only
    assert backbone.dead_letter(letter.id).status == "replayed"
    stats = {item.group: item for item in backbone.stats(TOPIC)}
    # As on SQL, the original stays counted as parked; its replay is done.
    assert [(stats[g].done, stats[g].parked, stats[g].ready) for g in (GROUP, "audit")] == [
        (2, 1, 0), (2, 0, 0)
    ]


def test_pause_resume_and_slow_hold_every_process(
    engine: Engine, layout: Layout, backbone: JetStreamBackbone
) -> None:
    backbone.publish(TOPIC, [change("C-1", 1)])
    backbone.pause(TOPIC, GROUP, "the ERP rejected our credentials")
    with JetStreamBackbone(engine, NATS_URL, layout=layout, fetch_wait=0.03) as other:
        paused = claim(other)
        [stats] = backbone.stats(TOPIC)
        backbone.resume(TOPIC, GROUP)
        backbone.slow(TOPIC, GROUP, until=backbone.clock() + timedelta(seconds=0.5))
        slowed = claim(other)
        time.sleep(0.6)
        after = drain(other)

    assert paused.envelopes == ()
    assert (stats.paused, stats.ready) == (True, 1)
    assert slowed.envelopes == ()
    assert [e.payload["n"] for e in after] == [1]


def test_a_lease_that_ran_out_is_reported_lost(
    engine: Engine, layout: Layout, backbone: JetStreamBackbone
) -> None:
    backbone.publish(TOPIC, [change("C-1", 1)])
    stale = claim(backbone, lease=0.5)
    time.sleep(0.7)
    with JetStreamBackbone(engine, NATS_URL, layout=layout, fetch_wait=0.03) as other:
        fresh, _ = first_claim(other, lease=0.5)
        late = backbone.settle(stale, {stale.envelopes[0].id: Done()})
        applied = other.settle(fresh, {fresh.envelopes[0].id: Done()})

    assert late.lost == (stale.envelopes[0].id,)
    assert late.acked == 0
    assert (applied.acked, fresh.envelopes[0].attempt) == (1, 2)


def test_renewal_keeps_the_lease_and_release_spends_no_attempt(
    backbone: JetStreamBackbone,
) -> None:
    backbone.publish(TOPIC, [change("C-1", 1)])
    batch = claim(backbone, lease=1.2)
    for _ in range(3):
        time.sleep(0.5)  # 1.5 s in all: longer than the lease, held thanks to renewals
        assert backbone.renew(batch, 1.2) == 1
    released = backbone.settle(batch, {batch.envelopes[0].id: Release()})
    again, _ = first_claim(backbone, lease=1.2)

    assert released.released == 1
    assert released.lost == ()
    assert [e.attempt for e in again.envelopes] == [1]


def test_replay_of_a_log_range_reaches_the_group_again(backbone: JetStreamBackbone) -> None:
    backbone.publish(TOPIC, [change(f"C-{n}", n) for n in range(4)])
    first = drain(backbone)
    offsets = sorted({**claim_offsets(backbone, first)}.values())

    count = backbone.replay(TOPIC, GROUP, from_offset=offsets[2])
    again = drain(backbone)

    assert count == 2
    assert sorted(e.payload["n"] for e in again) == [2, 3]


def claim_offsets(backbone: JetStreamBackbone, items: list[Envelope]) -> dict[str, int]:
    with backbone.engine.connect() as connection:
        rows = connection.execute(
            select(envelope.c.id, envelope.c.seq).where(envelope.c.id.in_([i.id for i in items]))
        ).all()
    return {row.id: row.seq for row in rows}


def test_close_gives_back_unclaimed_heads_and_leaves_no_threads(
    engine: Engine, layout: Layout
) -> None:
    before = set(threading.enumerate())
    with JetStreamBackbone(engine, NATS_URL, layout=layout, fetch_wait=0.5) as first:
        first.subscribe(TOPIC, GROUP)
        first.publish(TOPIC, [change("C-0", 0)])
        taken = claim(first)  # requests to the seven empty buckets are left running ...
        first.settle(taken, {item.id: Done() for item in taken.envelopes})
        first.publish(TOPIC, [change(f"C-{n}", n) for n in range(1, 12)])  # ... and answer
    with JetStreamBackbone(engine, NATS_URL, layout=layout, fetch_wait=0.03) as second:
        rest = drain(second)

    assert set(threading.enumerate()) == before
    assert [item.payload["n"] for item in taken.envelopes] == [0]
    assert sorted(item.payload["n"] for item in rest) == list(range(1, 12))
    assert all(item.attempt == 1 for item in rest)  # given back, not counted


def test_a_dead_letter_keeps_the_history_of_its_attempts(backbone: JetStreamBackbone) -> None:
    backbone.publish(TOPIC, [change("H-1", 1)])
    first, _ = first_claim(backbone)
    backbone.settle(first, {first.envelopes[0].id: Retry(ErrorClass.RETRYABLE, "503", delay=0.1)})
    second, _ = first_claim(backbone, within=15)
    item = second.envelopes[0]
    backbone.settle(second, {item.id: Park("VAT number rejected", field="vat", record="H-1")})
    [letter] = backbone.dead_letters(topic=TOPIC)

    history = backbone.dead_letter(letter.id).history

    # A redelivery can race a pull request's expiry and wait out the ack wait (JetStream
    # counts it as a delivery): the second attempt may be numbered 3.
    assert [(a.outcome, a.error_class, a.error) for a in history] == [
        ("retried", "retryable", "503"),
        ("parked", "invalid", "VAT number rejected"),
    ]
    assert history[0].attempt == 1
    assert history[1].attempt > 1
    assert history[0].delay_seconds == 0.1
