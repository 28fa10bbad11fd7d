"""`causeway api hash-secret` and `causeway api token` from the command line."""

from __future__ import annotations

from pathlib import Path

import jwt
import pytest
from typer.testing import CliRunner

from causeway.api.client_secrets import SecretHash, verify_secret
from causeway.cli import app

from .conftest import KEY, cheap_hash

runner = CliRunner()


def test_hash_secret_hashes_a_secret_read_from_stdin() -> None:
    result = runner.invoke(app, ["api", "hash-secret"], input="a-long-enough-secret\n")

    assert result.exit_code == 0, result.output
    digest = result.output.strip()
    assert verify_secret("a-long-enough-secret", SecretHash.parse(digest))
    assert "a-long-enough-secret" not in digest


def test_hash_secret_refuses_a_short_secret() -> None:
    result = runner.invoke(app, ["api", "hash-secret"], input="short\n")

    assert result.exit_code == 2


def test_hash_secret_can_generate_the_secret() -> None:
    result = runner.invoke(app, ["api", "hash-secret", "--generate"])

    secret_line, hash_line = result.output.strip().splitlines()
    secret = secret_line.removeprefix("secret: ")
    assert verify_secret(secret, SecretHash.parse(hash_line.removeprefix("hash:").strip()))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    path = tmp_path / "causeway.yaml"
    path.write_text(
        "systems: {}\n"
        "api:\n"
        f"  signing_key: '{KEY}'\n"
        "  clients:\n"
        f"    ops: {{secret_hash: '{cheap_hash('x')}', scopes: [runtime:read, runtime:operate]}}\n",
        encoding="utf-8",
    )
    return path


def test_token_prints_a_token_for_a_configured_client(project: Path) -> None:
    result = runner.invoke(
        app, ["api", "token", "-p", str(project), "--client", "ops", "--scope", "runtime:read"]
    )

    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    claims = jwt.decode(token, KEY, algorithms=["HS256"], audience="causeway")
    assert claims["sub"] == "ops"
    assert claims["scope"] == "runtime:read"


def test_token_refuses_unknown_clients_and_scopes(project: Path) -> None:
    unknown = runner.invoke(app, ["api", "token", "-p", str(project), "--client", "nobody"])
    wider = runner.invoke(
        app, ["api", "token", "-p", str(project), "--client", "ops", "--scope", "admin"]
    )

    assert unknown.exit_code == wider.exit_code == 2


def test_serve_needs_an_api_section(tmp_path: Path) -> None:
    path = tmp_path / "causeway.yaml"
    path.write_text("systems: {}\n", encoding="utf-8")

    result = runner.invoke(app, ["api", "serve", "-p", str(path)])

    assert result.exit_code == 2
    assert "api:" in result.output
