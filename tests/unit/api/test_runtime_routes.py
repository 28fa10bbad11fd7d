"""The runtime routes end to end: park, find, fix, replay once, deliver; pause and resume."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from .conftest import GROUP, TOPIC, Pipeline, command

LETTERS = "/v1/runtime/dead-letters"
FLOW = f"/v1/runtime/flows/{TOPIC}/{GROUP}"


def ids(response_json: dict[str, list[dict[str, object]]]) -> list[object]:
    return [item["id"] for item in response_json["items"]]


def test_parked_letters_are_listed_and_filtered(
    client: TestClient, viewer: dict[str, str], parked: Pipeline
) -> None:
    everything = client.get(LETTERS, headers=viewer).json()
    partners = client.get(
        LETTERS, params={"object_name": "A_BusinessPartner"}, headers=viewer
    ).json()
    invalid = client.get(
        LETTERS, params={"system": "s4hana", "error_class": "invalid", "topic": TOPIC},
        headers=viewer,
    ).json()
    conflicts = client.get(LETTERS, params={"error_class": "conflict"}, headers=viewer).json()
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    later = client.get(LETTERS, params={"since": tomorrow}, headers=viewer).json()
    replayed = client.get(LETTERS, params={"status": "replayed"}, headers=viewer).json()

    assert len(everything["items"]) == 3
    assert [item["record"] for item in partners["items"]] == ["A", "B"]
    assert len(invalid["items"]) == 3
    assert conflicts["items"] == later["items"] == replayed["items"] == []
    first = everything["items"][0]
    assert first["topic"] == TOPIC
    assert first["group"] == GROUP
    assert first["status"] == "parked"
    assert first["payload"]["object_name"] == "A_BusinessPartner"


def test_pages_follow_after_id(
    client: TestClient, viewer: dict[str, str], parked: Pipeline
) -> None:
    first = client.get(LETTERS, params={"limit": 2}, headers=viewer).json()
    rest = client.get(
        LETTERS, params={"limit": 2, "after_id": first["next_after_id"]}, headers=viewer
    ).json()

    assert len(first["items"]) == 2
    assert len(rest["items"]) == 1
    assert rest["next_after_id"] is None


def test_a_fixed_letter_is_replayed_exactly_once_and_delivered(
    client: TestClient, ops: dict[str, str], parked: Pipeline
) -> None:
    letter_id = ids(client.get(LETTERS, params={"limit": 1}, headers=ops).json())[0]
    fixed = {"system": "s4hana", "object_name": "A_BusinessPartner", "name": "A", "fixed": True}

    edited = client.put(f"{LETTERS}/{letter_id}/payload", json=fixed, headers=ops)
    replay = client.post(f"{LETTERS}/{letter_id}/replay", headers=ops)
    again = client.post(f"{LETTERS}/{letter_id}/replay", headers=ops)
    shown = client.get(f"{LETTERS}/{letter_id}", headers=ops).json()

    assert edited.status_code == 200
    assert edited.json()["payload"] == fixed
    assert replay.status_code == 200
    envelope_id = replay.json()["envelope_id"]
    assert again.status_code == 409
    assert again.json()["type"] == "urn:causeway:problem:dead-letter-not-parked"
    assert again.json()["dead_letter_status"] == "replayed"
    assert shown["status"] == "replayed"
    assert [attempt["outcome"] for attempt in shown["history"]] == ["parked"]
    assert shown["replayed_as"] == envelope_id

    assert parked.run_once() == 1
    assert parked.run_once() == 0
    assert [item.id for item in parked.handler.delivered] == [envelope_id]
    assert parked.handler.delivered[0].payload == fixed


def test_a_discarded_letter_cannot_be_edited_or_replayed(
    client: TestClient, ops: dict[str, str], parked: Pipeline
) -> None:
    letter_id = ids(client.get(LETTERS, params={"limit": 1}, headers=ops).json())[0]

    discarded = client.post(f"{LETTERS}/{letter_id}/discard", headers=ops)
    edit = client.put(f"{LETTERS}/{letter_id}/payload", json={"x": 1}, headers=ops)
    replay = client.post(f"{LETTERS}/{letter_id}/replay", headers=ops)

    assert discarded.json() == {"count": 1, "discarded": [letter_id]}
    assert edit.status_code == replay.status_code == 409


def test_unknown_letters_are_not_found(client: TestClient, ops: dict[str, str]) -> None:
    for method, path in [
        ("GET", f"{LETTERS}/999"),
        ("POST", f"{LETTERS}/999/replay"),
        ("POST", f"{LETTERS}/999/discard"),
        ("PUT", f"{LETTERS}/999/payload"),
    ]:
        response = client.request(method, path, headers=ops, json={"a": 1})
        assert response.status_code == 404, path
        assert response.json()["type"] == "urn:causeway:problem:dead-letter-not-found"
        assert response.json()["dead_letter_id"] == 999


def test_bulk_replay_takes_every_match_in_order(
    client: TestClient, ops: dict[str, str], parked: Pipeline
) -> None:
    response = client.post(
        f"{LETTERS}/replay", json={"object_name": "A_BusinessPartner"}, headers=ops
    )
    left = client.get(LETTERS, headers=ops).json()

    assert response.status_code == 200
    assert response.json()["count"] == 2
    replayed = [item["dead_letter_id"] for item in response.json()["replayed"]]
    assert replayed == sorted(replayed)
    assert [item["record"] for item in left["items"]] == ["P"]


def test_bulk_calls_need_a_filter_or_all(
    client: TestClient, ops: dict[str, str], parked: Pipeline
) -> None:
    nothing = client.post(f"{LETTERS}/replay", json={}, headers=ops)
    both = client.post(f"{LETTERS}/replay", json={"all": True, "topic": TOPIC}, headers=ops)
    everything = client.post(f"{LETTERS}/discard", json={"all": True}, headers=ops)

    assert nothing.status_code == both.status_code == 422
    assert "all: true" in nothing.json()["errors"][0]["message"]
    assert everything.json()["count"] == 3


def test_flows_pause_and_resume(
    client: TestClient, ops: dict[str, str], pipeline: Pipeline
) -> None:
    paused = client.post(f"{FLOW}/pause", json={"reason": "ERP upgrade until 14:00"}, headers=ops)
    pipeline.publish(command("A", "s4hana", "A_BusinessPartner", fixed=True))
    listed = client.get("/v1/runtime/flows", headers=ops).json()

    assert paused.json() == {
        "topic": TOPIC, "group": GROUP, "paused": True, "pause_reason": "ERP upgrade until 14:00"
    }
    assert listed[0]["paused"] is True
    assert listed[0]["ready"] == 1
    assert pipeline.run_once() == 0

    resumed = client.post(f"{FLOW}/resume", headers=ops)

    assert resumed.json()["paused"] is False
    assert pipeline.run_once() == 1
    assert len(pipeline.handler.delivered) == 1
    assert client.get("/v1/runtime/flows", headers=ops).json()[0]["done"] == 1


def test_an_unknown_flow_is_not_found(client: TestClient, ops: dict[str, str]) -> None:
    response = client.post("/v1/runtime/flows/nope/none/pause", json={"reason": "x"}, headers=ops)

    assert response.status_code == 404
    assert response.json()["type"] == "urn:causeway:problem:flow-not-found"
