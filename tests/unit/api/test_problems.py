"""Errors are RFC 9457 problems, and no input, however malformed, gets a 500."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from causeway.api.app import create_app
from causeway.runtime.backends.sql import SqlBackbone

from .conftest import OPS_SECRET, TOPIC, Pipeline, api_settings, bearer, get_token

LETTERS = "/v1/runtime/dead-letters"
PROBLEM_MEMBERS = {"type", "title", "status", "detail", "instance", "correlation_id"}


def assert_problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["type"] == f"urn:causeway:problem:{kind}"
    assert problem["status"] == status
    assert set(problem) >= PROBLEM_MEMBERS
    assert problem["correlation_id"] == response.headers["x-correlation-id"]
    return problem


def test_unknown_body_fields_are_named(client: TestClient, ops: dict[str, str]) -> None:
    response = client.post(
        f"{LETTERS}/replay", json={"topic": TOPIC, "objectName": "Account"}, headers=ops
    )

    problem = assert_problem(response, 422, "invalid-request")
    assert problem["errors"] == [
        {
            "location": "body",
            "field": "objectName",
            "message": "Extra inputs are not permitted",
            "code": "extra_forbidden",
        }
    ]
    assert "body.objectName" in problem["detail"]


def test_unknown_and_mistyped_query_parameters_are_named(
    client: TestClient, ops: dict[str, str]
) -> None:
    response = client.get(
        LETTERS, params={"limit": "many", "objekt": "Account", "since": "2026-12-01T00:00"},
        headers=ops,
    )

    problem = assert_problem(response, 422, "invalid-request")
    fields = {(error["location"], error["field"]) for error in problem["errors"]}
    assert fields == {("query", "limit"), ("query", "objekt"), ("query", "since")}


def test_malformed_json_is_a_bad_request(client: TestClient, ops: dict[str, str]) -> None:
    response = client.post(
        f"{LETTERS}/replay",
        content=b'{"topic": ',
        headers={**ops, "Content-Type": "application/json"},
    )

    assert_problem(response, 400, "malformed-body")


def test_a_caller_correlation_id_is_echoed(client: TestClient, ops: dict[str, str]) -> None:
    response = client.get(f"{LETTERS}/12345", headers={**ops, "X-Correlation-ID": "ticket-42"})

    problem = assert_problem(response, 404, "dead-letter-not-found")
    assert problem["correlation_id"] == "ticket-42"
    assert problem["instance"] == f"{LETTERS}/12345"


def test_unknown_paths_and_methods_are_plain_problems(client: TestClient) -> None:
    missing = client.get("/v1/nothing-here")
    wrong_method = client.delete("/healthz")

    assert missing.status_code == 404
    assert missing.json()["type"] == "about:blank"
    assert wrong_method.status_code == 405
    assert wrong_method.headers["content-type"] == "application/problem+json"


def test_a_crash_is_a_problem_with_a_correlation_id(backbone: SqlBackbone) -> None:
    class Broken(SqlBackbone):
        def stats(self, topic: str | None = None) -> Any:
            raise RuntimeError("the store is gone")

    app = create_app(api_settings(), Broken(backbone.engine))
    client = TestClient(app, raise_server_exceptions=False)
    token = get_token(client, "ops", OPS_SECRET)

    response = client.get("/v1/runtime/flows", headers=bearer(token))

    problem = assert_problem(response, 500, "internal-error")
    assert "store is gone" not in json.dumps(problem)


def test_an_oversized_body_is_refused(client: TestClient, ops: dict[str, str]) -> None:
    response = client.put(
        f"{LETTERS}/1/payload",
        content=b'{"a": "' + b"x" * 2_000_000 + b'"}',
        headers={**ops, "Content-Type": "application/json"},
    )

    assert_problem(response, 413, "body-too-large")


NASTY: list[tuple[str, str, dict[str, Any]]] = [
    ("GET", f"{LETTERS}/{2**70}", {}),
    ("GET", f"{LETTERS}/-1", {}),
    ("GET", f"{LETTERS}/0", {}),
    ("GET", f"{LETTERS}/1e3", {}),
    ("GET", LETTERS, {"params": {"topic": "a\x00b"}}),
    ("GET", LETTERS, {"params": {"topic": "x" * 5000}}),
    ("GET", LETTERS, {"params": {"limit": str(10**30)}}),
    ("GET", LETTERS, {"params": {"after_id": str(2**64)}}),
    ("GET", LETTERS, {"params": {"since": "9999-99-99T00:00:00Z"}}),
    ("GET", LETTERS, {"params": {"error_class": "meh"}}),
    ("GET", LETTERS, {"params": {"status": "all"}}),
    ("PUT", f"{LETTERS}/1/payload", {"content": b'{"a": "\\ud800"}'}),
    ("PUT", f"{LETTERS}/1/payload", {"content": b'{"a": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"}),
    ("PUT", f"{LETTERS}/1/payload", {"content": b'{"a": ' + b"[" * 300 + b"]" * 300 + b"}"}),
    ("PUT", f"{LETTERS}/1/payload", {"content": b'{"a": 123456789012345678901234567890}'}),
    ("PUT", f"{LETTERS}/1/payload", {"content": b'{"a": 1e400, "b": NaN}'}),
    ("PUT", f"{LETTERS}/1/payload", {"content": b"[1, 2]"}),
    ("PUT", f"{LETTERS}/1/payload", {"content": b"\xff\xfe\x00"}),
    ("PUT", f"{LETTERS}/1/payload", {"content": b""}),
    ("POST", f"{LETTERS}/replay", {"content": b'{"since": "2026-01-01T00:00:00"}'}),
    ("POST", f"{LETTERS}/replay", {"content": b'{"all": "yes please"}'}),
    ("POST", f"{LETTERS}/replay", {"content": b'{"topic": null, "all": false}'}),
    ("POST", f"{LETTERS}/discard", {"content": b'"all"'}),
    ("POST", f"/v1/runtime/flows/{TOPIC}/sync/pause", {"content": b'{"reason": ""}'}),
    ("POST", f"/v1/runtime/flows/{TOPIC}/sync/pause", {"content": b'{"reason": "a\\u0000"}'}),
    ("POST", f"/v1/runtime/flows/{TOPIC}/sync/pause", {"content": b'{"reason": 5}'}),
    ("POST", "/v1/runtime/flows/%00/sync/pause", {"content": b'{"reason": "x"}'}),
    ("POST", "/v1/runtime/flows/a%2Fb/sync/resume", {}),
    ("POST", "/oauth2/token", {"content": b"grant_type=client_credentials&scope=%ff"}),
]


@pytest.mark.parametrize(("method", "path", "extra"), NASTY)
def test_nasty_inputs_get_a_client_error(
    client: TestClient, ops: dict[str, str], parked: Pipeline,
    method: str, path: str, extra: dict[str, Any],
) -> None:
    headers = {**ops, "Content-Type": "application/json"}
    response = client.request(method, path, headers=headers, **extra)

    assert 400 <= response.status_code < 500, response.text
    if not path.startswith("/oauth2"):
        assert response.headers["content-type"] == "application/problem+json"


ROUTES = [
    ("GET", LETTERS),
    ("GET", f"{LETTERS}/{{id}}"),
    ("PUT", f"{LETTERS}/{{id}}/payload"),
    ("POST", f"{LETTERS}/{{id}}/replay"),
    ("POST", f"{LETTERS}/{{id}}/discard"),
    ("POST", f"{LETTERS}/replay"),
    ("POST", f"{LETTERS}/discard"),
    ("GET", "/v1/runtime/flows"),
    ("POST", "/v1/runtime/flows/{id}/{id}/pause"),
    ("POST", "/v1/runtime/flows/{id}/{id}/resume"),
    ("POST", "/oauth2/token"),
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(
        st.sampled_from(["topic", "all", "reason", "since", "limit", "x", "payload"])
        | st.text(max_size=8),
        inner,
        max_size=4,
    ),
    max_leaves=12,
)
segments = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/?#"), max_size=30),
).filter(lambda text: text not in ("", ".", ".."))
queries = st.dictionaries(
    st.sampled_from(["topic", "limit", "since", "until", "status", "error_class", "after_id",
                     "object_name", "zzz"]),
    st.text(max_size=30) | st.integers().map(str),
    max_size=4,
)


@pytest.fixture
def fuzz_client(backbone: SqlBackbone) -> TestClient:
    return TestClient(create_app(api_settings(), backbone), raise_server_exceptions=False)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    route=st.sampled_from(ROUTES),
    segment=segments,
    query=queries,
    body=st.one_of(json_values.map(lambda v: json.dumps(v).encode()), st.binary(max_size=64)),
    content_type=st.sampled_from(
        ["application/json", "application/x-www-form-urlencoded", "text/plain"]
    ),
)
def test_no_input_gets_a_server_error(
    fuzz_client: TestClient, ops: dict[str, str],
    route: tuple[str, str], segment: str, query: dict[str, str], body: bytes, content_type: str,
) -> None:
    method, template = route
    path = template.replace("{id}", quote(segment, safe=""))
    response = fuzz_client.request(
        method, path, params=query, content=body,
        headers={**ops, "Content-Type": content_type},
    )

    assert response.status_code < 500, (method, path, query, body, response.text)
