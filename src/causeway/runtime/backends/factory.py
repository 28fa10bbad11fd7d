"""Which backbone a process runs on: SQL unless the project or environment names a broker.

Every process sharing a database must make the same choice (and, on a broker, use the same
bucket count): envelopes published through one backend are delivered by that backend only.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from causeway.runtime.backends.jetstream import DEFAULT_URL, JetStreamBackbone
from causeway.runtime.backends.jetstream_link import Layout
from causeway.runtime.backends.rabbitmq import RabbitMQBackbone
from causeway.runtime.backends.rabbitmq_link import DEFAULT_URL as AMQP_URL
from causeway.runtime.backends.rabbitmq_link import RabbitLayout
from causeway.runtime.backends.redis_link import DEFAULT_URL as REDIS_URL
from causeway.runtime.backends.redis_link import RedisLayout
from causeway.runtime.backends.redis_streams import RedisBackbone
from causeway.runtime.backends.sql import SqlBackbone


class RuntimeSettings(BaseModel):
    """The `runtime:` section of a project file; `sql` keeps the embedded default."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["sql", "jetstream", "redis", "rabbitmq"] = "sql"
    nats_url: str = DEFAULT_URL
    redis_url: str = REDIS_URL
    amqp_url: str = AMQP_URL
    buckets: int = Field(32, ge=1, le=4096, description="ordered lanes per topic and group")
    prefix: str = Field("causeway", pattern=r"^[A-Za-z0-9_-]+$")

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> RuntimeSettings:
        """$CAUSEWAY_BACKBONE (sql, jetstream, redis or rabbitmq), $CAUSEWAY_NATS_URL,
        $CAUSEWAY_REDIS_URL and $CAUSEWAY_AMQP_URL, for tools without a project file."""
        env = os.environ if env is None else env
        backend = env.get("CAUSEWAY_BACKBONE", "sql")
        return cls.model_validate(
            {
                "backend": backend,
                "nats_url": env.get("CAUSEWAY_NATS_URL", DEFAULT_URL),
                "redis_url": env.get("CAUSEWAY_REDIS_URL", REDIS_URL),
                "amqp_url": env.get("CAUSEWAY_AMQP_URL", AMQP_URL),
            }
        )


def open_backbone(
    engine: Engine, settings: RuntimeSettings | None = None
) -> SqlBackbone | JetStreamBackbone | RedisBackbone | RabbitMQBackbone:
    """The configured backbone on `engine`; close a broker one when done."""
    chosen = settings or RuntimeSettings.from_env()
    if chosen.backend == "sql":
        return SqlBackbone(engine)
    if chosen.backend == "redis":
        redis_layout = RedisLayout(prefix=chosen.prefix, buckets=chosen.buckets)
        return RedisBackbone(engine, chosen.redis_url, layout=redis_layout)
    if chosen.backend == "rabbitmq":
        rabbit_layout = RabbitLayout(prefix=chosen.prefix, buckets=chosen.buckets)
        return RabbitMQBackbone(engine, chosen.amqp_url, layout=rabbit_layout)
    layout = Layout(prefix=chosen.prefix, buckets=chosen.buckets)
    return JetStreamBackbone(engine, chosen.nats_url, layout=layout)


def close_backbone(backbone: object) -> None:
    """Release a backbone's connection and threads, if it has any."""
    if isinstance(backbone, JetStreamBackbone | RedisBackbone | RabbitMQBackbone):
        backbone.close()
