"""The backend choice: SQL unless a project or the environment names JetStream."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from causeway.project import load_project
from causeway.runtime.backends.factory import RuntimeSettings, open_backbone
from causeway.runtime.backends.sql import SqlBackbone
from causeway.store.engine import make_engine


def test_the_embedded_default_stays_sql(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'x.sqlite'}")
    try:
        assert isinstance(open_backbone(engine, RuntimeSettings.from_env({})), SqlBackbone)
    finally:
        engine.dispose()


def test_the_environment_selects_jetstream() -> None:
    chosen = RuntimeSettings.from_env(
        {"CAUSEWAY_BACKBONE": "jetstream", "CAUSEWAY_NATS_URL": "nats://broker:4222"}
    )

    assert (chosen.backend, chosen.nats_url, chosen.buckets) == (
        "jetstream", "nats://broker:4222", 32,
    )
    with pytest.raises(ValidationError):
        RuntimeSettings.from_env({"CAUSEWAY_BACKBONE": "kafka"})


def test_a_project_file_names_its_backbone(tmp_path: Path) -> None:
    project_file = tmp_path / "causeway.yaml"
    project_file.write_text(
        "systems: {}\n"
        "runtime: {backend: jetstream, nats_url: 'nats://nats:4222', buckets: 64}\n"
    )

    runtime = load_project(project_file, env={}).runtime()

    assert runtime == RuntimeSettings(backend="jetstream", nats_url="nats://nats:4222", buckets=64)


def test_the_environment_selects_redis() -> None:
    chosen = RuntimeSettings.from_env(
        {"CAUSEWAY_BACKBONE": "redis", "CAUSEWAY_REDIS_URL": "redis://cache:6379/2"}
    )

    assert (chosen.backend, chosen.redis_url, chosen.buckets) == (
        "redis", "redis://cache:6379/2", 32,
    )
    assert RuntimeSettings.from_env({}).redis_url == "redis://127.0.0.1:6379/0"


def test_the_environment_selects_rabbitmq() -> None:
    chosen = RuntimeSettings.from_env(
        {"CAUSEWAY_BACKBONE": "rabbitmq", "CAUSEWAY_AMQP_URL": "amqp://u:p@mq:5672/sync"}
    )

    assert (chosen.backend, chosen.amqp_url, chosen.buckets) == (
        "rabbitmq", "amqp://u:p@mq:5672/sync", 32,
    )
    assert RuntimeSettings.from_env({}).amqp_url == "amqp://guest:guest@127.0.0.1:5672/"


def test_a_project_file_names_rabbitmq(tmp_path: Path) -> None:
    project_file = tmp_path / "causeway.yaml"
    project_file.write_text(
        "systems: {}\n"
        "runtime: {backend: rabbitmq, amqp_url: 'amqp://guest:guest@127.0.0.1:5672/'}\n"
    )

    runtime = load_project(project_file, env={}).runtime()

    assert runtime == RuntimeSettings(
        backend="rabbitmq", amqp_url="amqp://guest:guest@127.0.0.1:5672/"
    )
