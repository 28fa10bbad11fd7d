"""Envelopes: ids that sort by time, derived keys, JSON round trips, no payload in logs."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from pydantic import ValidationError

from causeway.runtime.envelope import Envelope, Headers, uuid7


def customer(**overrides: object) -> Envelope:
    values: dict[str, object] = {
        "kind": "change",
        "source": "salesforce",
        "entity": "customer",
        "key": "001A000001",
        "payload": {"Name": "ACME", "AnnualRevenue": 1200000.5},
    }
    values.update(overrides)
    return Envelope.model_validate(values)


def test_uuid7_ids_are_version_7_and_strictly_increasing() -> None:
    ids = [uuid7() for _ in range(2000)]
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    parsed = uuid.UUID(ids[0])
    assert parsed.version == 7
    assert parsed.variant == uuid.RFC_4122


def test_partition_key_is_entity_and_business_key() -> None:
    assert customer().partition_key == "customer/001A000001"
    assert customer(partition_key="account-tree/42").partition_key == "account-tree/42"


def test_idempotency_key_defaults_to_the_id_so_republishing_an_envelope_dedupes() -> None:
    envelope = customer()
    assert envelope.idempotency_key == envelope.id
    assert customer(idempotency_key="sf:001A000001:v9").idempotency_key == "sf:001A000001:v9"


def test_json_round_trip_keeps_every_field() -> None:
    envelope = customer(
        headers=Headers(
            traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
            correlation_id="c-1",
            origin="causeway",
        ),
        attempt=3,
    )
    assert Envelope.from_json(envelope.to_json()) == envelope


def test_envelopes_are_frozen() -> None:
    envelope = customer()
    with pytest.raises(ValidationError):
        envelope.attempt = 2  # type: ignore[misc]


def test_a_payload_that_is_not_json_is_refused() -> None:
    with pytest.raises(ValidationError, match="JSON"):
        customer(payload={"when": {1, 2}})


def test_naive_creation_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="timezone"):
        customer(created_at=datetime(2026, 1, 5, 9, 0))


def test_unknown_kinds_are_refused() -> None:
    with pytest.raises(ValidationError):
        customer(kind="notification")


def test_loggable_view_carries_keys_and_never_the_payload() -> None:
    view = customer(idempotency_key="sf:1").loggable()
    assert view["partition_key"] == "customer/001A000001"
    assert view["idempotency_key"] == "sf:1"
    assert "payload" not in view
    assert "ACME" not in repr(view)
