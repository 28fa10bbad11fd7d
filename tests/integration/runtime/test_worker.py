"""Workers on a real clock against both backends: ordering, retries, parking, halting."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections import defaultdict
from collections.abc import Sequence

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from causeway.connectors.errors import (
    ErrorClass,
    FatalError,
    InvalidRecordError,
    RetryableError,
    ThrottledError,
)
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Outcome, Retry
from causeway.runtime.policies import Backoff, FailurePolicy
from causeway.runtime.throttle import TargetGuards
from causeway.runtime.worker import Worker, WorkerSettings, run_until_signalled

FAST = FailurePolicy(backoff=Backoff(initial=0.01, maximum=0.05), max_attempts=4)


def change(key: str, n: int) -> Envelope:
    return Envelope(
        kind="change", source="salesforce", entity="customer", key=key, payload={"n": n}
    )


def settings_for(topic: str, **overrides: object) -> WorkerSettings:
    values: dict[str, object] = {
        "topic": topic,
        "group": "erp-writer",
        "target": "erp",
        "batch_size": 10,
        "lease_seconds": 5.0,
        "idle_seconds": 0.01,
        "policy": FAST,
    }
    values.update(overrides)
    return WorkerSettings(**values)  # type: ignore[arg-type]


async def run_until(
    backbone: SqlBackbone, workers: Sequence[Worker], topic: str, done: int
) -> None:
    """Run the workers until `done` envelopes are handled (or fail after 15 s)."""
    tasks = [asyncio.create_task(worker.run()) for worker in workers]
    try:
        async with asyncio.timeout(15):
            while True:
                stats = await asyncio.to_thread(backbone.stats, topic)
                if stats and stats[0].done + stats[0].parked >= done:
                    return
                await asyncio.sleep(0.02)
    finally:
        for worker in workers:
            worker.stop()
        await asyncio.gather(*tasks)


class Recorder:
    """A handler that records deliveries, checks no partition is handled twice at once,
    and fails the first attempt of chosen envelopes."""

    def __init__(self, fail_first: set[int] | None = None) -> None:
        self.fail_first = fail_first or set()
        self.deliveries: dict[str, list[int]] = defaultdict(list)
        self.handled: dict[str, list[int]] = defaultdict(list)
        self.in_flight: set[str] = set()
        self.overlaps = 0

    async def __call__(self, batch: Sequence[Envelope]) -> Sequence[Outcome]:
        keys = [item.partition_key for item in batch]
        self.overlaps += len(self.in_flight & set(keys)) + len(keys) - len(set(keys))
        self.in_flight |= set(keys)
        await asyncio.sleep(0.002)  # let the other workers claim meanwhile
        outcomes: list[Outcome] = []
        for item in batch:
            n = item.payload["n"]
            self.deliveries[item.key].append(n)
            if n in self.fail_first and item.attempt == 1:
                outcomes.append(Retry(ErrorClass.RETRYABLE, "HTTP 503 from the ERP"))
            else:
                self.handled[item.key].append(n)
                outcomes.append(Done())
        self.in_flight -= set(keys)
        return outcomes


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    partitions=st.lists(st.sampled_from("ABCDE"), min_size=1, max_size=30),
    failing=st.sets(st.integers(min_value=0, max_value=29), max_size=6),
)
def test_concurrent_workers_keep_each_partition_in_publish_order(
    live_backbone: SqlBackbone, partitions: list[str], failing: set[int]
) -> None:
    topic = f"orders-{uuid.uuid4().hex[:8]}"
    live_backbone.subscribe(topic, "erp-writer")
    live_backbone.publish(topic, [change(key, n) for n, key in enumerate(partitions)])
    recorder = Recorder(fail_first=failing)
    guards = TargetGuards()
    workers = [
        Worker(live_backbone, recorder, settings_for(topic, batch_size=3), guards=guards)
        for _ in range(3)
    ]

    asyncio.run(run_until(live_backbone, workers, topic, len(partitions)))

    expected: dict[str, list[int]] = defaultdict(list)
    for n, key in enumerate(partitions):
        expected[key].append(n)
    assert recorder.overlaps == 0
    assert dict(recorder.handled) == dict(expected)
    for delivered in recorder.deliveries.values():
        assert delivered == sorted(delivered)  # nothing overtook a retry


def test_a_retryable_failure_is_retried_with_backoff_until_it_succeeds(
    live_backbone: SqlBackbone,
) -> None:
    attempts: list[int] = []

    async def flaky(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        attempts.extend(item.attempt for item in batch)
        if batch[0].attempt < 3:
            raise RetryableError("connection reset", system="erp", object_name="A_Customer")
        return [Done() for _ in batch]

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change("A", 1)])
    worker = Worker(live_backbone, flaky, settings_for("t"))
    asyncio.run(run_until(live_backbone, [worker], "t", 1))

    assert attempts == [1, 2, 3]
    [stats] = live_backbone.stats("t")
    assert (stats.done, stats.parked) == (1, 0)


def test_retries_stop_at_the_limit_and_park_with_the_last_error(
    live_backbone: SqlBackbone,
) -> None:
    async def broken(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        raise TimeoutError("ERP did not answer within 30 s")

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change("A", 1)])
    guards = TargetGuards(breaker_threshold=100)
    worker = Worker(live_backbone, broken, settings_for("t"), guards=guards)
    asyncio.run(run_until(live_backbone, [worker], "t", 1))

    [letter] = live_backbone.dead_letters(topic="t")
    assert letter.attempts == FAST.max_attempts
    assert letter.error_class == "retryable"
    assert "ERP did not answer" in (letter.last_error or "")


def test_an_outage_longer_than_the_retry_budget_parks_nothing_and_drains_on_recovery(
    live_backbone: SqlBackbone,
) -> None:
    down = {"calls": 0}
    handled: list[tuple[str, int, int]] = []

    async def erp(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        # Down for many more batches than any record's retry budget (FAST: 4 attempts).
        if down["calls"] < 40:
            down["calls"] += 1
            raise RetryableError("503 Service Unavailable", system="erp")
        handled.extend((item.key, item.payload["n"], item.attempt) for item in batch)
        return [Done() for _ in batch]

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change(key, n) for n in range(3) for key in "ABCDE"])
    guards = TargetGuards(breaker_threshold=2, breaker_cooldown=0.02)
    worker = Worker(live_backbone, erp, settings_for("t"), guards=guards)
    asyncio.run(run_until(live_backbone, [worker], "t", 15))

    assert down["calls"] == 40
    assert live_backbone.dead_letters(topic="t") == []
    by_key: dict[str, list[int]] = defaultdict(list)
    for key, n, attempt in handled:
        by_key[key].append(n)
        # Batches handed back while the breaker held the flow spent no attempt.
        assert attempt <= FAST.max_attempts
    assert by_key == {key: [0, 1, 2] for key in "ABCDE"}


def test_a_single_record_failing_alone_still_spends_its_attempts(
    live_backbone: SqlBackbone,
) -> None:
    async def broken(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        raise RetryableError("500 Internal Server Error", system="erp")

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change("A", 1)])
    guards = TargetGuards(breaker_threshold=1, breaker_cooldown=0.01)
    worker = Worker(live_backbone, broken, settings_for("t"), guards=guards)
    asyncio.run(run_until(live_backbone, [worker], "t", 1))

    [letter] = live_backbone.dead_letters(topic="t")
    assert letter.attempts == FAST.max_attempts


def test_records_waiting_for_a_lookup_spend_attempts_and_leave_the_breaker_closed(
    live_backbone: SqlBackbone,
) -> None:
    async def waiting(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        # Nothing wrong with the target: these records wait for something of ours.
        return [Retry(ErrorClass.RETRYABLE, "account not linked yet", blames_target=False)] * len(
            batch
        )

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change(key, 1) for key in "ABC"])
    guards = TargetGuards(breaker_threshold=1, breaker_cooldown=60.0)
    worker = Worker(live_backbone, waiting, settings_for("t"), guards=guards)
    asyncio.run(run_until(live_backbone, [worker], "t", 3))

    letters = live_backbone.dead_letters(topic="t")
    assert sorted(letter.attempts for letter in letters) == [FAST.max_attempts] * 3
    assert worker.guard.breaker.allow_now()


def test_an_invalid_record_is_parked_at_once_with_record_and_field(
    live_backbone: SqlBackbone,
) -> None:
    handled: list[int] = []

    async def strict(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        if batch[0].payload["n"] == 1:
            raise InvalidRecordError(
                "unknown picklist value 'Gold'",
                system="erp",
                object_name="A_Customer",
                record_id="0010001",
                field="CustomerClass",
            )
        handled.extend(item.payload["n"] for item in batch)
        return [Done() for _ in batch]

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change("A", 1), change("A", 2)])
    worker = Worker(live_backbone, strict, settings_for("t"))
    asyncio.run(run_until(live_backbone, [worker], "t", 2))

    [letter] = live_backbone.dead_letters(topic="t")
    assert (letter.record, letter.field, letter.attempts) == ("0010001", "CustomerClass", 1)
    assert handled == [2]


def test_a_fatal_failure_pauses_the_flow_without_spending_attempts(
    live_backbone: SqlBackbone,
) -> None:
    calls = 0

    async def locked_out(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        nonlocal calls
        calls += 1
        raise FatalError("invalid_grant", system="salesforce", status=400)

    async def scenario() -> None:
        worker = Worker(live_backbone, locked_out, settings_for("t"))
        task = asyncio.create_task(worker.run())
        async with asyncio.timeout(10):
            while not (await asyncio.to_thread(live_backbone.stats, "t"))[0].paused:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)  # the paused worker keeps polling but gets nothing
        worker.stop()
        await task

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change("A", 1)])
    asyncio.run(scenario())

    [stats] = live_backbone.stats("t")
    assert calls == 1
    assert "invalid_grant" in (stats.pause_reason or "")
    live_backbone.resume("t", "erp-writer")
    again = live_backbone.claim("t", "erp-writer", max_batch=1, lease_seconds=5)
    assert again.envelopes[0].attempt == 1


def test_throttling_honours_retry_after_for_the_topic_and_the_target(
    live_backbone: SqlBackbone,
) -> None:
    async def limited(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        raise ThrottledError("REQUEST_LIMIT_EXCEEDED", system="salesforce", retry_after=60)

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change("A", 1), change("B", 1)])
    guards = TargetGuards()
    worker = Worker(live_backbone, limited, settings_for("t"), guards=guards)
    asyncio.run(worker.run_once())

    [stats] = live_backbone.stats("t")
    assert stats.scheduled == 2
    assert 55 < guards("erp").bucket.held_for() <= 60
    assert live_backbone.claim("t", "erp-writer", max_batch=5, lease_seconds=5).envelopes == ()


def test_a_handler_answering_the_wrong_number_of_outcomes_is_retried(
    live_backbone: SqlBackbone,
) -> None:
    async def sloppy(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        return [Done()]

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change("A", 1), change("B", 1)])
    asyncio.run(Worker(live_backbone, sloppy, settings_for("t")).run_once())
    [stats] = live_backbone.stats("t")
    assert (stats.done, stats.scheduled + stats.ready) == (0, 2)


def test_a_long_batch_keeps_its_lease_by_renewing_it(live_backbone: SqlBackbone) -> None:
    rival_claims: list[int] = []

    async def slow(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        for _ in range(4):
            await asyncio.sleep(0.25)  # well past the 0.3 s lease in total
            rival = await asyncio.to_thread(
                live_backbone.claim, "t", "erp-writer", max_batch=5, lease_seconds=5
            )
            rival_claims.append(len(rival))
        return [Done() for _ in batch]

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change("A", 1)])
    worker = Worker(live_backbone, slow, settings_for("t", lease_seconds=0.3))
    handled = asyncio.run(worker.run_once())

    [stats] = live_backbone.stats("t")
    assert handled == 1
    assert rival_claims == [0, 0, 0, 0]
    assert (stats.done, stats.in_flight) == (1, 0)


def test_a_termination_signal_stops_workers_after_their_batch(
    live_backbone: SqlBackbone,
) -> None:
    handled: list[int] = []

    async def record(batch: Sequence[Envelope]) -> Sequence[Outcome]:
        handled.extend(item.payload["n"] for item in batch)
        return [Done() for _ in batch]

    async def scenario() -> None:
        worker = Worker(live_backbone, record, settings_for("t"))
        runner = asyncio.create_task(run_until_signalled([worker], grace=5))
        async with asyncio.timeout(10):
            while not handled:
                await asyncio.sleep(0.01)
        os.kill(os.getpid(), signal.SIGTERM)
        await runner

    live_backbone.subscribe("t", "erp-writer")
    live_backbone.publish("t", [change("A", 1)])
    asyncio.run(scenario())
    assert handled == [1]
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
