"""The Redis Streams backbone on a real Redis: outbox, order, retries, leases, dead letters,
and recovery when Redis loses its data.

The SQL side (outbox, log, dead letters, subscription state) runs on SQLite and PostgreSQL;
time is the wall clock, since Redis measures leases and retry delays itself.
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
from causeway.runtime.backends.redis_link import RedisLayout
from causeway.runtime.backends.redis_streams import RedisBackbone
from causeway.runtime.backends.sql_dialect import write_transaction
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Park, Retry
from causeway.store.tables.runtime import envelope, relay
from tests.support.redis import REDIS_URL, delete_prefix, throwaway_prefix

pytestmark = pytest.mark.services

TOPIC = "crm.changes"
GROUP = "sync"


@pytest.fixture
def layout() -> Iterator[RedisLayout]:
    """Eight buckets under a key prefix of the test's own, deleted afterwards."""
    with throwaway_prefix() as prefix:
        yield RedisLayout(prefix=prefix, buckets=8)


@pytest.fixture
def backbone(engine: Engine, layout: RedisLayout) -> Iterator[RedisBackbone]:
    """A Redis backbone subscribed to TOPIC for GROUP."""
    with RedisBackbone(engine, REDIS_URL, layout=layout) as opened:
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
    backbone: RedisBackbone, lease: float = 10.0, batch: int = 50, group: str = GROUP
) -> Claim:
    return backbone.claim(TOPIC, group, max_batch=batch, lease_seconds=lease)


def first_claim(
    backbone: RedisBackbone, lease: float = 10.0, within: float = 5.0
) -> tuple[Claim, float]:
    """Claim until something comes (a retry's delay may still run); returns the claim and
    when it came (monotonic)."""
    deadline = time.monotonic() + within
    while True:
        batch = claim(backbone, lease=lease)
        if batch or time.monotonic() > deadline:
            return batch, time.monotonic()
        time.sleep(0.01)


def drain(backbone: RedisBackbone, group: str = GROUP) -> list[Envelope]:
    """Claim and ack until a claim comes back empty (claims are synchronous on Redis)."""
    seen: list[Envelope] = []
    while batch := claim(backbone, group=group):
        seen.extend(batch.envelopes)
        backbone.settle(batch, {item.id: Done() for item in batch.envelopes})
    return seen


def test_rolled_back_outbox_rows_are_never_delivered(
    engine: Engine, backbone: RedisBackbone
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
    engine: Engine, backbone: RedisBackbone
) -> None:
    first = backbone.publish(TOPIC, [change("C-1", 1, idempotency_key="crm-42")])
    again = backbone.publish(TOPIC, [change("C-1", 99, idempotency_key="crm-42")])
    # A relay that crashed after appending, before deleting its rows, sends them again.
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
    engine: Engine, layout: RedisLayout, backbone: RedisBackbone
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

    def consume(instance: RedisBackbone) -> None:
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
            else:
                time.sleep(0.005)

    with RedisBackbone(engine, REDIS_URL, layout=layout) as other:
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


def test_a_retry_with_delay_holds_its_partition(backbone: RedisBackbone) -> None:
    backbone.publish(TOPIC, [change("C-1", 1), change("C-1", 2)])
    first = claim(backbone)
    [item] = first.envelopes
    backbone.settle(first, {item.id: Retry(ErrorClass.RETRYABLE, "timeout", delay=0.6)})
    settled = time.monotonic()
    [waiting] = backbone.stats(TOPIC)

    retried, came = first_claim(backbone)

    assert came - settled >= 0.55  # nothing of the partition came in the meantime
    assert (waiting.scheduled, waiting.in_flight, waiting.ready) == (1, 0, 1)
    assert [(e.payload["n"], e.attempt) for e in retried.envelopes] == [(1, 2)]
    backbone.settle(retried, {retried.envelopes[0].id: Done()})
    assert [e.payload["n"] for e in drain(backbone)] == [2]


def test_park_edit_replay_is_delivered_once_to_its_group_only(
    backbone: RedisBackbone,
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
    engine: Engine, layout: RedisLayout, backbone: RedisBackbone
) -> None:
    backbone.publish(TOPIC, [change("C-1", 1)])
    backbone.pause(TOPIC, GROUP, "the ERP rejected our credentials")
    with RedisBackbone(engine, REDIS_URL, layout=layout) as other:
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
    engine: Engine, layout: RedisLayout, backbone: RedisBackbone
) -> None:
    backbone.publish(TOPIC, [change("C-1", 1)])
    stale = claim(backbone, lease=0.5)
    held = claim(backbone, lease=0.5)  # the partition's only envelope is in flight
    time.sleep(0.7)
    with RedisBackbone(engine, REDIS_URL, layout=layout) as other:
        fresh, _ = first_claim(other, lease=0.5)
        late = backbone.settle(stale, {stale.envelopes[0].id: Done()})
        applied = other.settle(fresh, {fresh.envelopes[0].id: Done()})

    assert held.envelopes == ()
    assert late.lost == (stale.envelopes[0].id,)
    assert late.acked == 0
    assert (applied.acked, fresh.envelopes[0].attempt) == (1, 2)


def test_renewal_keeps_the_lease_and_release_spends_no_attempt(
    backbone: RedisBackbone,
) -> None:
    backbone.publish(TOPIC, [change("C-1", 1)])
    batch = claim(backbone, lease=1.2)
    for _ in range(3):
        time.sleep(0.5)  # 1.5 s in all: longer than the lease, held thanks to renewals
        assert backbone.renew(batch, 1.2) == 1
        assert claim(backbone).envelopes == ()
    released = backbone.settle(batch, {batch.envelopes[0].id: Release()})
    again, _ = first_claim(backbone, lease=1.2)

    assert released.released == 1
    assert released.lost == ()
    assert [e.attempt for e in again.envelopes] == [1]


def test_replay_of_a_log_range_reaches_the_group_again(backbone: RedisBackbone) -> None:
    backbone.publish(TOPIC, [change(f"C-{n}", n) for n in range(4)])
    first = drain(backbone)
    offsets = sorted(logged_offsets(backbone, first).values())

    count = backbone.replay(TOPIC, GROUP, from_offset=offsets[2])
    again = drain(backbone)

    assert count == 2
    assert sorted(e.payload["n"] for e in again) == [2, 3]


def logged_offsets(backbone: RedisBackbone, items: list[Envelope]) -> dict[str, int]:
    with backbone.engine.connect() as connection:
        rows = connection.execute(
            select(envelope.c.id, envelope.c.seq).where(envelope.c.id.in_([i.id for i in items]))
        ).all()
    return {row.id: row.seq for row in rows}


def test_close_leaves_no_threads_and_a_closed_backbone_s_leases_run_out(
    engine: Engine, layout: RedisLayout
) -> None:
    before = set(threading.enumerate())
    with RedisBackbone(engine, REDIS_URL, layout=layout) as first:
        first.subscribe(TOPIC, GROUP)
        first.publish(TOPIC, [change(f"C-{n}", n) for n in range(12)])
        taken = claim(first, lease=0.4, batch=3)  # never settled: the process went away
    closed = set(threading.enumerate())
    time.sleep(0.5)
    with RedisBackbone(engine, REDIS_URL, layout=layout) as second:
        rest = drain(second)

    assert closed == before
    assert len(taken) == 3
    assert sorted(item.payload["n"] for item in rest) == list(range(12))
    redelivered = {item.id for item in taken.envelopes}
    assert {item.id: item.attempt for item in rest if item.id in redelivered} == dict.fromkeys(
        redelivered, 2
    )


def test_acked_entries_are_trimmed_from_the_streams(
    layout: RedisLayout, backbone: RedisBackbone
) -> None:
    backbone.publish(TOPIC, [change("C-1", n) for n in range(300)])
    bucket = layout.stream(TOPIC, layout.bucket("customer/C-1"))
    before = backbone.link.client.xlen(bucket)

    handled = drain(backbone)

    assert (before, len(handled)) == (300, 300)
    # Trimming drops whole stream nodes (100 entries by default) behind every group.
    assert backbone.link.client.xlen(bucket) <= 100
    [stats] = backbone.stats(TOPIC)
    assert (stats.done, stats.ready, stats.in_flight, stats.scheduled) == (300, 0, 0, 0)


def test_a_redis_that_lost_its_data_gets_the_unfinished_log_again_in_order(
    engine: Engine, layout: RedisLayout, backbone: RedisBackbone
) -> None:
    backbone.publish(TOPIC, [change("C-1", n) for n in range(3)])
    backbone.publish(TOPIC, [change("C-2", 0)])
    done = claim(backbone, batch=1)  # C-1 #0 or C-2 #0, whichever bucket comes first
    backbone.settle(done, {item.id: Done() for item in done.envelopes})
    parked = first_claim(backbone)[0]
    backbone.settle(parked, {item.id: Park("bad") for item in parked.envelopes})
    in_flight = claim(backbone)
    assert delete_prefix(layout.prefix) > 0  # Redis restarted without persistence
    # Published while Redis was empty: must come after what it lost, not before.
    backbone.publish(TOPIC, [change("C-1", 3), change("C-2", 1)])
    late = backbone.settle(in_flight, {item.id: Done() for item in in_flight.envelopes})

    after = drain(backbone)

    by_key: dict[str, list[int]] = defaultdict(list)
    for item in after:
        by_key[item.key].append(item.payload["n"])
    parked_n = {(item.key, item.payload["n"]) for item in parked.envelopes}
    expected = {
        key: [n for n in range(last + 1) if (key, n) not in parked_n]
        for key, last in (("C-1", 3), ("C-2", 1))
    }
    # Everything since the group subscribed except what was parked for it, in log order:
    # what it had finished comes again (writers are idempotent).
    assert dict(by_key) == expected
    assert in_flight.envelopes  # its leases went with Redis: nothing of it was acked
    assert late.lost == tuple(item.id for item in in_flight.envelopes)
    assert backbone.link.has_group(TOPIC, GROUP)


def test_a_stream_that_lost_its_consumer_group_is_recovered(
    layout: RedisLayout, backbone: RedisBackbone
) -> None:
    backbone.publish(TOPIC, [change(f"C-{p}", n) for n in range(3) for p in range(16)])
    evicted = layout.stream(TOPIC, layout.bucket("customer/C-0"))
    backbone.link.client.delete(evicted)  # as an eviction under memory pressure would

    after = drain(backbone)

    by_key: dict[str, list[int]] = defaultdict(list)
    for item in after:
        by_key[item.key].append(item.payload["n"])
    assert sorted(by_key) == sorted(f"C-{p}" for p in range(16))
    # Order kept everywhere; the other buckets kept their entries and get the copies too.
    assert all(seqs in ([0, 1, 2], [0, 1, 2, 0, 1, 2]) for seqs in by_key.values())
    assert by_key["C-0"] == [0, 1, 2]
    assert all(item.attempt == 1 for item in after)


def test_a_topic_nobody_subscribes_to_keeps_nothing_on_redis(
    engine: Engine, layout: RedisLayout, backbone: RedisBackbone
) -> None:
    backbone.publish("erp.changes", [change("C-1", 1)])
    kept = list(backbone.link.client.scan_iter(match=f"{layout.tag('erp.changes')}*"))
    backbone.subscribe("erp.changes", GROUP)
    backbone.publish("erp.changes", [change("C-1", 2)])

    later = backbone.claim("erp.changes", GROUP, max_batch=10, lease_seconds=10)

    assert kept == []
    assert [e.payload["n"] for e in later.envelopes] == [2]  # as on SQL: not before subscribing
    with engine.connect() as connection:
        assert connection.execute(select(relay.c.id)).all() == []


def test_a_dead_letter_keeps_the_history_of_its_attempts(backbone: RedisBackbone) -> None:
    backbone.publish(TOPIC, [change("H-1", 1)])
    first, _ = first_claim(backbone)
    backbone.settle(first, {first.envelopes[0].id: Retry(ErrorClass.RETRYABLE, "503", delay=0.1)})
    second, _ = first_claim(backbone, within=15)
    item = second.envelopes[0]
    backbone.settle(second, {item.id: Park("VAT number rejected", field="vat", record="H-1")})
    [letter] = backbone.dead_letters(topic=TOPIC)

    history = backbone.dead_letter(letter.id).history

    assert [(a.attempt, a.outcome, a.error_class, a.error) for a in history] == [
        (1, "retried", "retryable", "503"),
        (2, "parked", "invalid", "VAT number rejected"),
    ]
    assert history[0].delay_seconds == 0.1
