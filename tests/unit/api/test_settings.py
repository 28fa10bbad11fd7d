"""Client secrets are kept as scrypt hashes; the `api:` section refuses what cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from causeway.api.client_secrets import SecretHash, SecretHashError, hash_secret, verify_secret
from causeway.api.settings import ApiConfigError, ApiSettings
from causeway.project import load_project

from .conftest import cheap_hash


def test_a_hash_verifies_its_secret_only() -> None:
    stored = SecretHash.parse(cheap_hash("correct horse battery staple"))

    assert verify_secret("correct horse battery staple", stored)
    assert not verify_secret("correct horse battery stapler", stored)
    assert not verify_secret("correct horse battery staple", None)


def test_hashes_are_salted_and_carry_their_parameters() -> None:
    first, second = hash_secret("same secret value"), hash_secret("same secret value")

    assert first != second
    assert first.startswith("scrypt$n=16384,r=8,p=5$")
    assert "same secret value" not in first
    assert str(SecretHash.parse(first)) == first


@pytest.mark.parametrize(
    "text",
    [
        "plain-secret",
        "scrypt$n=1000,r=8,p=1$AAAAAAAAAAAAAAAAAAAAAA$" + "A" * 43,
        "scrypt$n=16384,r=8,p=1$short$" + "A" * 43,
        "bcrypt$2b$12$abcdefghijklmnopqrstuv",
    ],
)
def test_malformed_hashes_are_refused(text: str) -> None:
    with pytest.raises(SecretHashError):
        SecretHash.parse(text)


def test_clients_need_a_valid_hash_and_known_scopes() -> None:
    with pytest.raises(ValidationError, match="scrypt"):
        ApiSettings.model_validate(
            {"clients": {"a": {"secret_hash": "x", "scopes": ["runtime:read"]}}}
        )
    with pytest.raises(ValidationError, match="unknown scopes"):
        ApiSettings.model_validate(
            {"clients": {"a": {"secret_hash": cheap_hash("s"), "scopes": ["admin"]}}}
        )
    with pytest.raises(ValidationError, match="secret"):
        ApiSettings.model_validate({"clients": {"a": {"secret": "s", "scopes": ["runtime:read"]}}})


def test_the_signing_key_comes_from_settings_or_environment() -> None:
    assert ApiSettings(signing_key="k" * 32).key({}) == b"k" * 32
    assert ApiSettings().key({"CAUSEWAY_API_SIGNING_KEY": "e" * 40}) == b"e" * 40
    with pytest.raises(ApiConfigError, match="no signing key"):
        ApiSettings().key({})
    with pytest.raises(ApiConfigError, match="32 bytes"):
        ApiSettings().key({"CAUSEWAY_API_SIGNING_KEY": "short"})


def test_a_project_file_declares_the_api(tmp_path: Path) -> None:
    digest = cheap_hash("a-client-secret-value")
    project = tmp_path / "causeway.yaml"
    project.write_text(
        "systems: {}\n"
        "api:\n"
        "  signing_key: ${API_KEY}\n"
        "  token_ttl: 300\n"
        "  clients:\n"
        f"    ops: {{secret_hash: '{digest}', scopes: [runtime:read]}}\n",
        encoding="utf-8",
    )

    loaded = load_project(project, env={"API_KEY": "p" * 32})

    assert loaded.config.api is not None
    assert loaded.config.api.token_ttl == 300
    assert loaded.config.api.clients["ops"].scopes == ("runtime:read",)
    assert loaded.config.api.key({}) == b"p" * 32
