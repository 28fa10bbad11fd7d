"""The envelope: one change, command or event as the backbone stores and delivers it."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

EnvelopeKind = Literal["change", "command", "event"]

_uuid7_lock = threading.Lock()
_uuid7_last = (0, 0)  # (millisecond, counter) of the newest id minted in this process


def uuid7() -> str:
    """A time-ordered UUID (RFC 9562 version 7) as text, so ids sort in creation order.

    The 12 bits after the timestamp count within one millisecond, keeping ids minted by one
    process strictly increasing.
    """
    global _uuid7_last
    with _uuid7_lock:
        millis = time.time_ns() // 1_000_000
        last_millis, counter = _uuid7_last
        if millis <= last_millis:
            millis, counter = last_millis, counter + 1
            if counter > 0xFFF:
                millis, counter = last_millis + 1, 0
        else:
            counter = int.from_bytes(os.urandom(2), "big") & 0x3FF
        _uuid7_last = (millis, counter)
    tail = int.from_bytes(os.urandom(8), "big") & ((1 << 62) - 1)
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | counter << 64 | 0b10 << 62 | tail
    return str(uuid.UUID(int=value))


def utc_now() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(UTC)


class Headers(BaseModel):
    """Context that travels with an envelope across hops: trace, correlation, causation, origin."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    traceparent: str | None = None
    tracestate: str | None = None
    correlation_id: str | None = None
    causation_id: str | None = None
    # The writer that produced the change, so the sync layer can recognise its own echo.
    origin: str | None = None


class Envelope(BaseModel):
    """One unit of work on a topic; the partition key keeps one entity's envelopes in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default_factory=uuid7)
    kind: EnvelopeKind
    source: str = Field(min_length=1)
    entity: str = Field(min_length=1)
    key: str = Field(min_length=1, description="the business key of the record")
    partition_key: str = ""
    idempotency_key: str = ""
    payload: dict[str, Any] = Field(default_factory=dict)
    headers: Headers = Field(default_factory=Headers)
    created_at: datetime = Field(default_factory=utc_now)
    attempt: int = Field(default=0, ge=0, description="deliveries so far, this one included")

    @model_validator(mode="before")
    @classmethod
    def _derive_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            if not data.get("partition_key") and data.get("entity") and data.get("key"):
                data["partition_key"] = f"{data['entity']}/{data['key']}"
            if not data.get("idempotency_key"):
                data["idempotency_key"] = data.get("id") or uuid7()
                data.setdefault("id", data["idempotency_key"])
        return data

    @field_validator("payload")
    @classmethod
    def _payload_is_json(cls, value: dict[str, Any]) -> dict[str, Any]:
        try:
            orjson.dumps(value)
        except TypeError as exc:
            raise ValueError(f"payload is not JSON-serialisable: {exc}") from exc
        return value

    @field_validator("created_at")
    @classmethod
    def _created_at_is_utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("created_at must be timezone-aware")
        return value.astimezone(UTC)

    def to_json(self) -> bytes:
        """Serialise with orjson; the inverse of `from_json`."""
        return orjson.dumps(self.model_dump(mode="python"))

    @classmethod
    def from_json(cls, data: bytes | str) -> Envelope:
        """Read an envelope written by `to_json`."""
        return cls.model_validate(orjson.loads(data))

    def loggable(self) -> dict[str, Any]:
        """Ids and keys for logs; the payload never leaves through a log line."""
        return {
            "envelope_id": self.id,
            "kind": self.kind,
            "source": self.source,
            "entity": self.entity,
            "partition_key": self.partition_key,
            "idempotency_key": self.idempotency_key,
            "correlation_id": self.headers.correlation_id,
            "attempt": self.attempt,
        }
