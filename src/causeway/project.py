"""A Causeway project file: the database, the systems to connect, the sync and its mappings.

One YAML file says everything a deployment needs, so `causeway sync`, `causeway reconcile`
and the operators' commands all work from the same place:

    database: postgresql+psycopg://causeway@db/causeway
    systems:
      salesforce: {type: salesforce, login_url: https://acme.my.salesforce.com,
                   client_id: ${SF_CLIENT_ID}, client_secret: ${SF_CLIENT_SECRET}}
      s4hana: {type: s4hana, base_url: https://s4.acme.example, username: CAUSEWAY,
               password: ${S4_PASSWORD}}
    sync: sync.yaml          # optional: the shipped customer and product sync otherwise
    mappings: [mappings/]    # optional: override or add to the shipped mappings
    runtime: {backend: jetstream, nats_url: nats://nats:4222}   # optional: SQL otherwise
    api: {clients: {ops: {secret_hash: "scrypt$...", scopes: [runtime:read]}}}  # docs/api.md

Secrets come from the environment (`${NAME}`), never from the file itself; a missing variable
is an error naming the file and the key.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from causeway.api.settings import ApiSettings
from causeway.connectors.contract import Connector
from causeway.mapping.loader import MappingCatalog, load_mappings, shipped_mappings
from causeway.runtime.backends.factory import RuntimeSettings
from causeway.sync.config import SyncConfig, default_sync_config, load_sync_config

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class ProjectError(ValueError):
    """The project file is wrong; the message names the file and the key."""


class SystemConfig(BaseModel):
    """One connected system: its connector type and that connector's settings."""

    model_config = ConfigDict(extra="allow")

    type: Literal["salesforce", "s4hana", "tryton", "rest"]
    config: Path | None = Field(None, description="for type rest: the system's YAML file")

    def settings(self) -> dict[str, Any]:
        """The connector settings: every key but `type` and `config`."""
        return dict(self.model_extra or {})


class ProjectConfig(BaseModel):
    """The whole project file."""

    model_config = ConfigDict(extra="forbid")

    database: str | None = None
    systems: dict[str, SystemConfig]
    sync: Path | None = None
    mappings: list[Path] = Field(default_factory=list)
    runtime: RuntimeSettings | None = None
    api: ApiSettings | None = None


class Project:
    """A loaded project: builds connectors, routes and the mapping catalogue on demand."""

    def __init__(self, config: ProjectConfig, base: Path) -> None:
        self.config = config
        self.base = base

    def _path(self, path: Path) -> Path:
        return path if path.is_absolute() else self.base / path

    def runtime(self) -> RuntimeSettings:
        """The backbone the project runs on; without a `runtime:` section, the environment's."""
        return self.config.runtime or RuntimeSettings.from_env()

    def sync_config(self) -> SyncConfig:
        """The sync configuration the project names, or the shipped one."""
        if self.config.sync is None:
            return default_sync_config()
        return load_sync_config(self._path(self.config.sync))

    def catalog(self) -> MappingCatalog:
        """Shipped mappings, with the project's own replacing those for the same objects."""
        own = [
            mapping
            for folder in self.config.mappings
            for mapping in load_mappings(self._path(folder))
        ]
        replaced = {mapping.key for mapping in own}
        return MappingCatalog([m for m in shipped_mappings() if m.key not in replaced] + own)

    def connectors(self) -> dict[str, Connector]:
        """One connector per configured system, keyed by the system's name."""
        return {name: self.connector(name) for name in self.config.systems}

    def connector(self, name: str) -> Connector:
        """The connector of one system; its `system` must be the name the project uses."""
        try:
            system = self.config.systems[name]
        except KeyError:
            known = ", ".join(sorted(self.config.systems))
            raise ProjectError(f"no system {name!r} in the project; known: {known}") from None
        try:
            connector = _build(name, system, self._path)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(part) for part in first["loc"])
            raise ProjectError(f"systems.{name}.{where}: {first['msg']}") from None
        if connector.system != name:
            raise ProjectError(
                f"systems.{name}: the {system.type} connector names its system "
                f"{connector.system!r}; use that name as the key"
            )
        return connector


def _build(name: str, system: SystemConfig, resolve: Any) -> Connector:
    settings = system.settings()
    if system.type == "salesforce":
        from causeway.connectors.salesforce.client import SalesforceSettings
        from causeway.connectors.salesforce.connector import SalesforceConnector

        return SalesforceConnector(SalesforceSettings.model_validate(settings))
    if system.type == "s4hana":
        from causeway.connectors.s4hana.client import S4Settings
        from causeway.connectors.s4hana.connector import S4Connector

        return S4Connector(S4Settings.model_validate(settings))
    if system.type == "tryton":
        from causeway.connectors.tryton.client import TrytonSettings
        from causeway.connectors.tryton.connector import TrytonConnector

        return TrytonConnector(TrytonSettings.model_validate({"system": name, **settings}))
    from causeway.connectors.rest.connector import RestConnector
    from causeway.connectors.rest.loader import load_config

    if system.config is None:
        raise ProjectError(f"systems.{name}.config: a rest system needs its YAML file")
    return RestConnector(load_config(resolve(system.config)))


def _interpolate(value: Any, where: str, env: Mapping[str, str], file: Path) -> Any:
    if isinstance(value, dict):
        return {
            k: _interpolate(v, f"{where}.{k}" if where else str(k), env, file)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_interpolate(v, f"{where}[{i}]", env, file) for i, v in enumerate(value)]
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in env:
                raise ProjectError(f"{file}: {where}: environment variable {name} is not set")
            return env[name]

        return _VARIABLE.sub(substitute, value)
    return value


def load_project(path: Path, env: Mapping[str, str] | None = None) -> Project:
    """Read, interpolate and validate a project file."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ProjectError(f"{path}: cannot read: {error.strerror}") from None
    except yaml.YAMLError as error:
        raise ProjectError(f"{path}: {error}") from None
    if not isinstance(data, dict):
        raise ProjectError(f"{path}: expected a mapping with 'systems'")
    data = _interpolate(data, "", os.environ if env is None else env, path)
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ProjectError(f"{path}: {where}: {first['msg']}") from None
    return Project(config, path.parent)
