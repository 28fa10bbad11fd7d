"""The declarative REST connector: a system without a dedicated connector is one YAML file."""

from causeway.connectors.rest.config import RestConfig
from causeway.connectors.rest.connector import RestConnector
from causeway.connectors.rest.loader import (
    ConfigIssue,
    RestConfigError,
    load_config,
    parse_config,
    rest_config_json_schema,
)

__all__ = [
    "ConfigIssue",
    "RestConfig",
    "RestConfigError",
    "RestConnector",
    "load_config",
    "parse_config",
    "rest_config_json_schema",
]
