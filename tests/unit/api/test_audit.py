"""Changes are audited with who, what, which ids and how it ended; secrets never reach logs."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient

from causeway.api.app import create_app
from causeway.observe.logging import configure_logging
from causeway.runtime.backends.sql import SqlBackbone

from .conftest import OPS_SECRET, VIEWER_SECRET, Pipeline, api_settings, basic, bearer, get_token

LETTERS = "/v1/runtime/dead-letters"


Lines = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def log_lines() -> Iterator[Lines]:
    """JSON log lines as the real set-up renders them (safety net included); each call
    returns the lines written since the previous one."""
    saved = structlog.get_config()
    buffer = io.StringIO()
    configure_logging("INFO", json_lines=True)
    structlog.configure(
        logger_factory=structlog.PrintLoggerFactory(buffer), cache_logger_on_first_use=False
    )

    def read() -> list[dict[str, Any]]:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return [json.loads(line) for line in text.splitlines() if line.startswith("{")]

    yield read
    structlog.configure(**saved)


def audit_events(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [entry for entry in logs if entry.get("logger") == "causeway.audit"]


def test_a_replay_is_audited_with_actor_ids_and_outcome(
    client: TestClient, ops: dict[str, str], parked: Pipeline, log_lines: Lines
) -> None:
    log_lines()
    first = client.post(f"{LETTERS}/1/replay", headers={**ops, "X-Correlation-ID": "c-1"})
    client.post(f"{LETTERS}/1/replay", headers=ops)
    client.post(f"{LETTERS}/replay", json={"object_name": "A_Product"}, headers=ops)

    logs = log_lines()
    events = audit_events(logs)
    assert [(e["action"], e["outcome"]) for e in events] == [
        ("dead_letter.replay", "ok"),
        ("dead_letter.replay", "conflict"),
        ("dead_letter.replay_matching", "ok"),
    ]
    assert events[0]["actor"] == "ops"
    assert events[0]["dead_letter_id"] == 1
    assert events[0]["envelope_id"] == first.json()["envelope_id"]
    assert events[0]["correlation_id"] == "c-1"
    assert events[0]["token_id"]
    assert events[2]["selection"] == {"object_name": "A_Product"}
    assert events[2]["dead_letter_ids"] == [3]


def test_pause_resume_and_failed_changes_are_audited(
    client: TestClient, ops: dict[str, str], log_lines: Lines
) -> None:
    log_lines()
    client.post("/v1/runtime/flows/sync.commands.s4hana/sync/pause", json={"reason": "x"},
                headers=ops)
    client.post("/v1/runtime/flows/sync.commands.s4hana/sync/resume", headers=ops)
    client.post("/v1/runtime/flows/none/none/resume", headers=ops)
    client.post(f"{LETTERS}/77/discard", headers=ops)

    logs = log_lines()
    events = audit_events(logs)
    assert [(e["action"], e["outcome"]) for e in events] == [
        ("flow.pause", "ok"),
        ("flow.resume", "ok"),
        ("flow.resume", "not_found"),
        ("dead_letter.discard", "not_found"),
    ]
    assert events[0]["topic"] == "sync.commands.s4hana"


def test_token_requests_are_audited_and_no_secret_or_token_is_logged(
    client: TestClient, parked: Pipeline, log_lines: Lines
) -> None:
    log_lines()
    issued = client.post(
        "/oauth2/token", data={"grant_type": "client_credentials"},
        headers=basic("ops", OPS_SECRET),
    ).json()["access_token"]
    client.post("/oauth2/token", data={"grant_type": "client_credentials"},
                headers=basic("viewer", "a-wrong-secret"))
    client.get(LETTERS, headers={"Authorization": f"Bearer {issued}x"})
    client.post(f"{LETTERS}/1/replay", headers={"Authorization": f"Bearer {issued}"})

    logs = log_lines()
    events = audit_events(logs)
    assert [(e["action"], e["actor"], e["outcome"]) for e in events[:2]] == [
        ("token.issue", "ops", "ok"),
        ("token.issue", "viewer", "invalid_client"),
    ]
    logged = json.dumps(logs)
    for secret in (OPS_SECRET, VIEWER_SECRET, "a-wrong-secret", issued):
        assert secret not in logged
    assert "payload" not in {key for entry in logs for key in entry}


def test_a_crash_is_logged_with_its_correlation_id_and_without_the_token(
    backbone: SqlBackbone, log_lines: Lines
) -> None:
    class Broken(SqlBackbone):
        def stats(self, topic: str | None = None) -> Any:
            raise RuntimeError("the store is gone")

    client = TestClient(create_app(api_settings(), Broken(backbone.engine)),
                        raise_server_exceptions=False)
    token = get_token(client, "ops", OPS_SECRET)
    response = client.get("/v1/runtime/flows", headers=bearer(token))

    logs = log_lines()
    crashes = [entry for entry in logs if entry["event"] == "request failed"]
    assert len(crashes) == 1
    assert crashes[0]["correlation_id"] == response.json()["correlation_id"]
    assert crashes[0]["error_type"] == "RuntimeError"
    assert token not in json.dumps(logs)
