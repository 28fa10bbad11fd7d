"""Configuration files: every problem names file, line and field; secrets stay secret."""

from __future__ import annotations

from pathlib import Path

import pytest

from causeway.connectors.rest import (
    RestConfigError,
    load_config,
    parse_config,
    rest_config_json_schema,
)
from causeway.connectors.rest.auth import BearerAuth
from causeway.connectors.rest.paginators import Cursor, Offset

EXAMPLES = Path(__file__).parents[4] / "src/causeway/connectors/rest/examples"

HEAD = """\
system: helpdesk
client:
  base_url: https://api.example.test
  auth:
    type: bearer
    token: ${HELPDESK_TOKEN}
"""


def problems(text: str, env: dict[str, str] | None = None) -> list[str]:
    with pytest.raises(RestConfigError) as caught:
        parse_config(
            text, "crm.yaml", env={"HELPDESK_TOKEN": "t0ken-s3cret"} if env is None else env
        )
    return [issue.describe() for issue in caught.value.issues]


def test_unknown_paginator_is_named_with_line_and_field() -> None:
    text = (
        HEAD + "resources:\n  tickets:\n    path: /api/tickets\n    paginator:\n      type: nxt\n"
    )
    found = problems(text)
    assert found[0].startswith(
        "crm.yaml:11: resources.tickets.paginator.type: unknown paginator 'nxt'"
    )


def test_unknown_key_and_missing_field_point_at_their_lines() -> None:
    text = HEAD + (
        "resources:\n"
        "  tickets:\n"
        "    path: /api/tickets\n"
        "    paginator:\n"
        "      type: cursor\n"
        "      cursor_path: meta.next\n"
        "    data_selectr: data\n"
    )
    assert problems(text) == [
        "crm.yaml:10: resources.tickets.paginator.cursor_param: required",
        "crm.yaml:13: resources.tickets.data_selectr: unknown key",
    ]


def test_bad_json_path_and_placeholder_are_reported() -> None:
    text = HEAD + (
        "resources:\n"
        "  tickets:\n"
        "    path: /api/tickets\n"
        "    data_selector: data..items\n"
        "    write:\n"
        "      update:\n"
        "        path: /api/tickets/{ticket}\n"
    )
    found = problems(text)
    assert found[0].startswith("crm.yaml:10: resources.tickets.data_selector: not a JSON path")
    assert found[1] == (
        "crm.yaml:13: resources.tickets.write.update.path: unknown placeholder {ticket}; "
        "usable here: {id}"
    )


def test_error_in_defaults_points_at_the_defaults_once() -> None:
    text = HEAD + (
        "resource_defaults:\n"
        "  paginator:\n"
        "    type: offset\n"
        "    limit: 0\n"
        "resources:\n"
        "  tickets: {path: /t}\n"
        "  users: {path: /u}\n"
    )
    assert problems(text) == [
        "crm.yaml:10: resource_defaults.paginator.limit: Input should be greater than 0"
    ]


def test_missing_environment_variable_is_named() -> None:
    text = HEAD + "resources:\n  tickets: {path: /t}\n"
    assert problems(text, env={}) == [
        "crm.yaml:6: client.auth.token: environment variable HELPDESK_TOKEN is not set"
    ]


def test_syntax_error_has_a_line() -> None:
    found = problems(HEAD + "resources:\n  tickets: {path: /t\n")
    assert found[0].startswith("crm.yaml:9: YAML:")


def test_defaults_merge_and_a_resource_paginator_of_another_type_replaces_them() -> None:
    text = HEAD + (
        "resource_defaults:\n"
        "  data_selector: data\n"
        "  params: {per_page: 50}\n"
        "  paginator: {type: cursor, cursor_path: meta.next, cursor_param: cursor}\n"
        "resources:\n"
        "  tickets: {path: /t}\n"
        "  users:\n"
        "    path: /u\n"
        "    paginator: {type: offset, limit: 20}\n"
    )
    loaded = parse_config(text, "crm.yaml", env={"HELPDESK_TOKEN": "x"})
    assert isinstance(loaded.resources["tickets"].paginator, Cursor)
    assert loaded.resources["tickets"].params == {"per_page": "50"}
    assert isinstance(loaded.resources["users"].paginator, Offset)
    assert loaded.resources["users"].data_selector == "data"


def test_secret_is_interpolated_but_never_shown() -> None:
    text = HEAD + "  headers:\n    X-Tenant: ${TENANT_KEY}\nresources:\n  tickets: {path: /t}\n"
    loaded = parse_config(
        text, "crm.yaml", env={"HELPDESK_TOKEN": "t0ken-s3cret", "TENANT_KEY": "k3y"}
    )
    auth = loaded.client.auth
    assert isinstance(auth, BearerAuth)
    assert auth.token.get_secret_value() == "t0ken-s3cret"
    shown = repr(loaded) + str(loaded) + loaded.model_dump_json()
    assert "t0ken-s3cret" not in shown
    assert "k3y" not in shown


def test_dollar_dollar_escapes_interpolation() -> None:
    text = HEAD + "resources:\n  tickets:\n    path: /t\n    params: {q: '$${literal}'}\n"
    loaded = parse_config(text, "crm.yaml", env={"HELPDESK_TOKEN": "x"})
    assert loaded.resources["tickets"].params == {"q": "${literal}"}


def test_examples_load(tmp_path: Path) -> None:
    env = {"HELPDESK_CLIENT_ID": "id", "HELPDESK_CLIENT_SECRET": "secret"}
    files = sorted(EXAMPLES.glob("*.yaml"))
    assert files
    for file in files:
        assert load_config(file, env=env).resources


def test_unreadable_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(RestConfigError, match=r"missing\.yaml: cannot read"):
        load_config(tmp_path / "missing.yaml")


def test_json_schema_offers_every_paginator_and_auth() -> None:
    schema = rest_config_json_schema()
    text = str(schema)
    assert schema["title"] == "Causeway REST system"
    for name in ("json_link", "header_link", "cursor", "offset", "page_number"):
        assert f"'{name}'" in text
    for name in ("bearer", "api_key", "http_basic", "oauth2_client_credentials"):
        assert f"'{name}'" in text
