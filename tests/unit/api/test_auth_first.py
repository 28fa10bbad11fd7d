"""A request the API cannot parse is described only to a caller it knows."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from .test_problems import LETTERS, assert_problem

BROKEN = {"content": b'{"topic": ', "headers": {"Content-Type": "application/json"}}


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-token", "Basic b3BzOnNlY3JldA=="]
)
def test_an_unauthenticated_malformed_body_gets_401_not_a_description(
    client: TestClient, authorization: str | None
) -> None:
    headers = dict(BROKEN["headers"])  # type: ignore[call-overload]
    if authorization:
        headers["Authorization"] = authorization

    response = client.post(f"{LETTERS}/replay", content=BROKEN["content"], headers=headers)

    assert_problem(response, 401, "unauthorized")
    assert "errors" not in response.json()


def test_unknown_query_parameters_of_a_stranger_get_401(client: TestClient) -> None:
    response = client.get(f"{LETTERS}?objekt=Account&limit=-1")

    assert_problem(response, 401, "unauthorized")


def test_the_token_endpoint_still_explains_its_own_errors(client: TestClient) -> None:
    response = client.post("/oauth2/token", data={"grant_type": "password"})

    assert 400 <= response.status_code < 500
    assert response.status_code != 500
