"""The declarative REST connector's configuration: one YAML file describes one system.

Shaped like dlt's rest_api source (a `client`, `resource_defaults` and named `resources`,
with paginators and auth picked by `type`), plus what a two-way sync needs on top: stable
ids, an incremental cursor read with a compound watermark, record reads and idempotent
writes. Every model forbids unknown keys, so a typo is an error with a line number.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    model_validator,
)

from causeway.connectors.rest.auth import AuthConfig
from causeway.connectors.rest.errors import ErrorBody
from causeway.connectors.rest.paginators import Paginator, SinglePage
from causeway.connectors.rest.selectors import check_path
from causeway.connectors.rest.templates import (
    EXTERNAL_FIELD,
    EXTERNAL_VALUE,
    ID,
    check_template,
    placeholders,
)

JsonPath = Annotated[str, AfterValidator(check_path)]
HttpMethod = Literal["GET", "POST", "PUT", "PATCH", "DELETE"]
_EXTERNAL = frozenset({EXTERNAL_FIELD, EXTERNAL_VALUE})


def _upper(value: Any) -> Any:
    return value.upper() if isinstance(value, str) else value


Method = Annotated[HttpMethod, BeforeValidator(_upper)]


def _text_values(value: Any) -> Any:
    """Query values written as YAML numbers or booleans are sent as their text."""
    if not isinstance(value, dict):
        return value
    return {
        name: ("true" if item else "false")
        if isinstance(item, bool)
        else str(item)
        if isinstance(item, int | float)
        else item
        for name, item in value.items()
    }


Params = Annotated[dict[str, str], BeforeValidator(_text_values)]
CollectionPath = Annotated[str, AfterValidator(lambda v: check_template(v, allowed=frozenset()))]
RecordPath = Annotated[
    str, AfterValidator(lambda v: check_template(v, required={ID}, allowed={ID}))
]
UpsertPath = Annotated[
    str, AfterValidator(lambda v: check_template(v, required={EXTERNAL_VALUE}, allowed=_EXTERNAL))
]


def _lookup_params(params: dict[str, str]) -> dict[str, str]:
    used: set[str] = set()
    for value in params.values():
        names = placeholders(value)
        unknown = sorted(names - _EXTERNAL)
        if unknown:
            raise ValueError(
                f"unknown placeholder {{{unknown[0]}}}; usable here: {{external_value}}"
            )
        used |= names
    if EXTERNAL_VALUE not in used:
        raise ValueError("one parameter must carry {external_value}")
    return params


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ClientConfig(_Model):
    """Where the API lives and how to talk to it."""

    base_url: str = Field(pattern=r"^https?://[^\s/]+", description="scheme, host, base path")
    auth: AuthConfig | None = None
    headers: dict[str, SecretStr] = Field(
        default_factory=dict, description="sent on every request; values are kept secret"
    )
    timeout_s: float = Field(30.0, gt=0)
    rate_limit_per_s: float | None = Field(None, gt=0, description="most requests per second")
    verify_tls: bool = True
    max_pages: int = Field(1000, gt=0, description="safety stop for one listing")


class Incremental(_Model):
    """How to ask for changes since a watermark and how to order what comes back."""

    cursor_path: JsonPath = Field(description="JSON path of the modification time in a record")
    param: str | None = Field(
        None, description="query parameter given the watermark time; the API filters >="
    )
    end_param: str | None = Field(None, description="query parameter given the settle horizon")
    format: Literal["iso8601", "epoch_s", "epoch_ms"] = "iso8601"
    settle_s: float = Field(2.0, ge=0, description="ignore changes younger than this")
    lookback_s: float = Field(
        0.0, ge=0, description="send the watermark this much earlier (for APIs filtering >)"
    )
    sorted: bool = Field(
        False, description="the API lists records by ascending cursor: a poll may stop early"
    )


class ReadConfig(_Model):
    """Reading records by id: one call per id, or a list endpoint filtered by ids."""

    path: str = Field(description="'/tickets/{id}', or a list path when ids_param is set")
    data_selector: JsonPath | None = Field(None, description="where the record(s) are")
    ids_param: str | None = Field(None, description="query parameter listing wanted ids")
    ids_separator: str = ","
    max_ids: int = Field(50, gt=0, description="ids per list call")

    @model_validator(mode="after")
    def _path_fits_the_mode(self) -> ReadConfig:
        """A per-id path needs {id}; a list path must not have it."""
        try:
            if self.ids_param is None:
                check_template(self.path, required={ID}, allowed={ID})
            else:
                check_template(self.path, allowed=frozenset())
        except ValueError as error:
            raise ValueError(f"path: {error}") from None
        return self


class CollectionEndpoint(_Model):
    """An endpoint addressing the collection, such as a create."""

    method: Method = "POST"
    path: CollectionPath


class RecordEndpoint(_Model):
    """An endpoint addressing one record by its system id."""

    method: Method = "PATCH"
    path: RecordPath


class DeleteEndpoint(_Model):
    """Deleting one record by its system id; a 404 means it is already gone."""

    method: Method = "DELETE"
    path: RecordPath


class UpsertEndpoint(_Model):
    """A native create-or-update keyed by an external field: safe to retry."""

    method: Method = "PUT"
    path: UpsertPath


class Lookup(_Model):
    """A search by external field, so an upsert without a native endpoint stays retry-safe."""

    path: CollectionPath
    params: Annotated[dict[str, str], AfterValidator(_lookup_params)] = Field(
        description="e.g. {external_ref: '{external_value}'}"
    )
    data_selector: JsonPath | None = Field(None, description="defaults to the resource's")


class BatchUpsert(_Model):
    """A bulk create-or-update endpoint keyed by an external field, one outcome per record."""

    method: Method = "POST"
    path: CollectionPath
    max_size: int = Field(100, gt=0)
    body_wrapper: JsonPath | None = Field(None, description="e.g. records: {records: [...]}")
    results_selector: JsonPath | None = Field(None, description="list of outcomes, in order")
    error_path: JsonPath = Field("error", description="a non-empty value marks a failed record")
    created_path: JsonPath | None = Field(None, description="true when the record was created")


class WriteConfig(_Model):
    """How each write operation reaches the API."""

    create: CollectionEndpoint | None = None
    update: RecordEndpoint | None = None
    upsert: UpsertEndpoint | None = None
    delete: DeleteEndpoint | None = None
    lookup: Lookup | None = None
    batch_upsert: BatchUpsert | None = None
    body_wrapper: JsonPath | None = Field(None, description="e.g. ticket: {ticket: {...}}")
    result_selector: JsonPath | None = Field(None, description="where the written record is")


class FieldSpec(_Model):
    """One field as describe() reports it."""

    type: str = "string"
    required: bool = False
    external_id: bool = False


def _field_shorthand(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            name: {"type": spec} if isinstance(spec, str) else spec for name, spec in value.items()
        }
    return value


class Resource(_Model):
    """One object of the system, e.g. tickets: where it is listed, read and written."""

    path: CollectionPath
    params: Params = Field(default_factory=dict)
    data_selector: JsonPath | None = Field(None, description="where the records are in a page")
    id_path: JsonPath = Field("id", description="JSON path of the system id in a record")
    paginator: Paginator = Field(default_factory=SinglePage)
    incremental: Incremental | None = None
    deleted_path: JsonPath | None = Field(None, description="a truthy value marks a deletion")
    read: ReadConfig | None = None
    write: WriteConfig | None = None
    fields: Annotated[dict[str, FieldSpec], BeforeValidator(_field_shorthand)] = Field(
        default_factory=dict, description="name: type, or name: {type, required, external_id}"
    )


class ResourceDefaults(_Model):
    """Settings every resource inherits unless it says otherwise."""

    params: Params | None = None
    data_selector: JsonPath | None = None
    id_path: JsonPath | None = None
    paginator: Paginator | None = None
    incremental: Incremental | None = None
    deleted_path: JsonPath | None = None


class RestConfig(_Model):
    """A whole system: its client, the defaults and its resources."""

    system: str = Field(pattern=r"^[a-z][a-z0-9_\-]*$", description="e.g. helpdesk")
    client: ClientConfig
    resource_defaults: ResourceDefaults = Field(default_factory=ResourceDefaults)
    resources: dict[str, Resource] = Field(min_length=1)
    errors: ErrorBody = Field(default_factory=ErrorBody)
    max_batch: int = Field(100, gt=0, description="largest write batch accepted at once")

    def resource(self, name: str) -> Resource | None:
        """The named resource, if configured."""
        return self.resources.get(name)


__all__ = [
    "BatchUpsert",
    "ClientConfig",
    "FieldSpec",
    "Incremental",
    "Lookup",
    "ReadConfig",
    "Resource",
    "ResourceDefaults",
    "RestConfig",
    "WriteConfig",
]
