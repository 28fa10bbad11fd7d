"""How changes and write commands travel on the backbone: envelopes in and out of the sync core."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from causeway.connectors.contract import (
    RawRecord,
    WriteKey,
    WriteOperation,
    WriteRequest,
)
from causeway.runtime.envelope import Envelope, Headers
from causeway.sync.engine import Command

CHANGES_TOPIC = "sync.changes"


def commands_topic(system: str) -> str:
    """The topic of writes bound for one system: throttled and ordered per target."""
    return f"sync.commands.{system}"


def change_envelope(record: RawRecord, entity: str) -> Envelope:
    """A change as the poller publishes it; the same change polled twice is stored once."""
    stamp = record.modified_at.isoformat() if record.modified_at else "unknown"
    key = f"{record.system}:{record.object_name}:{record.id}"
    return Envelope(
        kind="change",
        source=record.system,
        entity=entity,
        key=key,
        idempotency_key=f"{key}@{stamp}",
        payload={
            "system": record.system,
            "object_name": record.object_name,
            "id": record.id,
            "fields": record.fields,
            "modified_at": record.modified_at.isoformat() if record.modified_at else None,
            "deleted": record.deleted,
            "merged_into": record.merged_into,
        },
        headers=Headers(origin=record.origin),
    )


def record_of(envelope: Envelope) -> RawRecord:
    """The system record a change envelope carries."""
    payload = envelope.payload
    stamp = payload.get("modified_at")
    return RawRecord(
        system=str(payload["system"]),
        object_name=str(payload["object_name"]),
        id=str(payload["id"]),
        fields=dict(payload["fields"]),
        modified_at=datetime.fromisoformat(stamp) if stamp else None,
        deleted=bool(payload.get("deleted")),
        origin=envelope.headers.origin,
        merged_into=payload.get("merged_into"),
    )


def command_envelope(command: Command, cause: Envelope) -> Envelope:
    """A write for one target system, caused by `cause` (kept for tracing)."""
    request = command.request
    return Envelope(
        kind="command",
        source="causeway",
        entity=command.entity,
        key=command.canonical_id,
        partition_key=f"{command.entity}/{command.canonical_id}",
        idempotency_key=request.idempotency_key,
        payload={
            "system": command.system,
            "digest": command.digest,
            "object_name": request.object_name,
            "operation": request.operation.value,
            "key": {
                "system_id": request.key.system_id,
                "external_field": request.key.external_field,
                "external_value": request.key.external_value,
            },
            "fields": request.fields,
        },
        headers=cause.headers.model_copy(
            update={
                "causation_id": cause.id,
                "correlation_id": cause.headers.correlation_id or cause.id,
            }
        ),
    )


def command_of(envelope: Envelope) -> Command:
    """The write a command envelope carries."""
    payload: dict[str, Any] = envelope.payload
    key = payload["key"]
    request = WriteRequest(
        object_name=str(payload["object_name"]),
        operation=WriteOperation(payload["operation"]),
        key=WriteKey(
            system_id=key.get("system_id"),
            external_field=key.get("external_field"),
            external_value=key.get("external_value"),
        ),
        fields=dict(payload["fields"]),
        idempotency_key=envelope.idempotency_key,
    )
    return Command(
        entity=envelope.entity,
        canonical_id=envelope.key,
        system=str(payload["system"]),
        request=request,
        digest=str(payload["digest"]),
    )
