"""Dead letters found, replayed and discarded by filter, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from causeway.connectors.errors import ErrorClass
from causeway.runtime import dead_letters
from causeway.runtime.backbone import DeadLetterQuery
from causeway.runtime.backends.sql import SqlBackbone
from causeway.runtime.envelope import Envelope
from causeway.runtime.handler import Done, Park

from .conftest import ManualClock

TOPIC = "sync.commands.s4hana"
GROUP = "sync"


def write(key: str, system: str, object_name: str) -> Envelope:
    return Envelope(
        kind="command",
        source="causeway",
        entity="customer",
        key=key,
        payload={"system": system, "object_name": object_name, "fields": {"Name": key}},
    )


def park_claimed(backbone: SqlBackbone, error_class: ErrorClass = ErrorClass.INVALID) -> int:
    """Park whatever one claim hands out; how many that was."""
    claim = backbone.claim(TOPIC, GROUP, max_batch=500, lease_seconds=30)
    backbone.settle(
        claim,
        {
            item.id: Park(f"refused {item.key}", "Name", item.key, error_class)
            for item in claim.envelopes
        },
    )
    return len(claim)


@pytest.fixture
def parked(backbone: SqlBackbone, clock: ManualClock) -> SqlBackbone:
    """Monday: two invalid partners and one invalid product; Tuesday: one conflict."""
    backbone.subscribe(TOPIC, GROUP)
    backbone.publish(
        TOPIC,
        [
            write("A", "s4hana", "A_BusinessPartner"),
            write("B", "s4hana", "A_BusinessPartner"),
            write("P", "s4hana", "A_Product"),
        ],
    )
    park_claimed(backbone, ErrorClass.INVALID)
    clock.advance(timedelta(days=1).total_seconds())
    backbone.publish(TOPIC, [write("C", "s4hana", "A_BusinessPartner")])
    park_claimed(backbone, ErrorClass.CONFLICT)
    return backbone


def keys(letters: list[dead_letters.DeadLetter]) -> list[str]:
    return [str(letter.record) for letter in letters]


def test_each_field_of_the_query_narrows_the_dead_letters(
    parked: SqlBackbone, clock: ManualClock
) -> None:
    tuesday = clock.now - timedelta(hours=1)

    def found(**fields: object) -> list[str]:
        return keys(dead_letters.find(parked, DeadLetterQuery(**fields)))  # type: ignore[arg-type]

    assert found() == ["A", "B", "P", "C"]
    assert found(object_name="A_BusinessPartner") == ["A", "B", "C"]
    assert found(system="s4hana", error_class="invalid") == ["A", "B", "P"]
    assert found(system="salesforce") == []
    assert found(since=tuesday) == ["C"]
    assert found(until=tuesday, object_name="A_Product") == ["P"]
    assert found(topic="elsewhere") == []
    assert found(limit=2) == ["A", "B"]
    first = dead_letters.find(parked, DeadLetterQuery(limit=2))
    assert found(after_id=first[-1].id) == ["P", "C"]


def test_replay_by_filter_replays_only_the_matching_letters_once(parked: SqlBackbone) -> None:
    query = DeadLetterQuery(object_name="A_BusinessPartner", error_class="invalid")

    replayed = dead_letters.replay_matching(parked, query)
    again = dead_letters.replay_matching(parked, query)
    claim = parked.claim(TOPIC, GROUP, max_batch=100, lease_seconds=30)
    parked.settle(claim, {item.id: Done() for item in claim.envelopes})

    assert [parked.dead_letter(letter_id).record for letter_id, _ in replayed] == ["A", "B"]
    assert again == []
    assert sorted(item.key for item in claim.envelopes) == ["A", "B"]
    assert {item.id for item in claim.envelopes} == {envelope_id for _, envelope_id in replayed}
    assert keys(dead_letters.find(parked, DeadLetterQuery())) == ["P", "C"]


def test_bulk_replay_pages_past_any_page_size(backbone: SqlBackbone) -> None:
    backbone.subscribe(TOPIC, GROUP)
    many = [write(f"K{n:04d}", "s4hana", "A_BusinessPartner") for n in range(1_203)]
    backbone.publish(TOPIC, many)
    while park_claimed(backbone):
        pass

    replayed = dead_letters.replay_matching(backbone, DeadLetterQuery(system="s4hana", limit=10))

    assert len(replayed) == 1_203
    assert backbone.find_dead_letters(DeadLetterQuery()) == []


def test_discard_by_filter_closes_the_letters_without_delivering_them(
    parked: SqlBackbone,
) -> None:
    discarded = dead_letters.discard_matching(parked, DeadLetterQuery(error_class="conflict"))

    assert [parked.dead_letter(letter_id).status for letter_id in discarded] == ["discarded"]
    assert parked.claim(TOPIC, GROUP, max_batch=10, lease_seconds=30).envelopes == ()
    assert keys(dead_letters.find(parked, DeadLetterQuery(status="discarded"))) == ["C"]


def test_only_parked_letters_can_be_replayed_by_filter(parked: SqlBackbone) -> None:
    with pytest.raises(ValueError, match="only parked"):
        dead_letters.replay_matching(parked, DeadLetterQuery(status="replayed"))


def test_flows_show_backlog_dead_letters_and_pauses(parked: SqlBackbone) -> None:
    parked.publish(TOPIC, [write("D", "s4hana", "A_BusinessPartner")])
    parked.pause(TOPIC, GROUP, "ERP maintenance window")

    [flow] = dead_letters.flows(parked)

    assert (flow.topic, flow.group, flow.paused) == (TOPIC, GROUP, True)
    assert flow.pause_reason == "ERP maintenance window"
    assert (flow.ready, flow.parked) == (1, 4)
