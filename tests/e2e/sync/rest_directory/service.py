"""A small customer directory service: the kind of REST system a company runs beside its CRM.

Customers carry a name, one postal address and a phone number. The API lists them by id with
a keyset cursor and an `updated_since` filter, finds them by `external_ref`, creates and
patches them, and wants a bearer token. It knows nothing of Causeway: the sync reaches it
through `directory.yaml` alone. Every create and patch is counted, so a test can tell how many
writes the sync made.
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from causeway.sandbox.server import serve_in_thread

API = "/api/v1"
MAX_PAGE = 100


class CustomerFields(BaseModel):
    """What a client may send for a customer; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid")

    external_ref: str | None = Field(None, max_length=64)
    name: str | None = Field(None, max_length=255)
    street: str | None = None
    city: str | None = None
    postal_code: str | None = None
    country: str | None = Field(None, pattern=r"^[A-Z]{2}$")
    phone: str | None = None


class CustomerBody(BaseModel):
    """A create or patch body: the fields under `customer`."""

    model_config = ConfigDict(extra="forbid")

    customer: CustomerFields


class DirectoryError(HTTPException):
    """An API error with the code and field the error body carries."""

    def __init__(self, status: int, message: str, code: str, field: str | None = None) -> None:
        super().__init__(status, detail=message)
        self.code = code
        self.field = field


@dataclass
class Customer:
    """One stored customer; `updated_at` moves on every create and patch."""

    id: int
    fields: dict[str, Any]
    updated_at: datetime

    def as_json(self) -> dict[str, Any]:
        """The customer as the API shows it."""
        stamp = self.updated_at.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        return {"id": self.id, **self.fields, "updated_at": stamp}


def _blank() -> dict[str, Any]:
    return {name: None for name in CustomerFields.model_fields}


@dataclass
class Directory:
    """The service's state: customers by id and the writes received."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    customers: dict[int, Customer] = field(default_factory=dict)
    writes: Counter[str] = field(default_factory=Counter)
    """Creates and patches received, by HTTP method."""
    _next_id: int = 1
    _last_stamp: datetime = datetime(2000, 1, 1, tzinfo=UTC)

    def stamp(self) -> datetime:
        """Now, to the millisecond the API shows, never before the previous stamp."""
        now = datetime.now(UTC)
        now = now.replace(microsecond=now.microsecond // 1000 * 1000)
        self._last_stamp = max(now, self._last_stamp)
        return self._last_stamp

    def holder_of(self, external_ref: str | None) -> int | None:
        """The id of the customer holding an external reference, if any."""
        if external_ref is None:
            return None
        for customer in self.customers.values():
            if customer.fields.get("external_ref") == external_ref:
                return customer.id
        return None

    def create(self, values: Mapping[str, Any]) -> Customer:
        """Store a new customer; a name is required and external references are unique."""
        if not values.get("name"):
            raise DirectoryError(422, "name is required", "INVALID", "name")
        if self.holder_of(values.get("external_ref")) is not None:
            raise DirectoryError(
                409, "another customer holds this external_ref", "DUPLICATE_REF", "external_ref"
            )
        customer = Customer(self._next_id, _blank() | dict(values), self.stamp())
        self.customers[customer.id] = customer
        self._next_id += 1
        return customer

    def patch(self, customer_id: int, values: Mapping[str, Any]) -> Customer:
        """Change the given fields of a customer."""
        customer = self.customers.get(customer_id)
        if customer is None:
            raise DirectoryError(404, "no such customer", "NOT_FOUND")
        if "name" in values and not values["name"]:
            raise DirectoryError(422, "name must not be empty", "INVALID", "name")
        holder = self.holder_of(values.get("external_ref"))
        if holder not in (None, customer_id):
            raise DirectoryError(
                409, "another customer holds this external_ref", "DUPLICATE_REF", "external_ref"
            )
        customer.fields.update(values)
        customer.updated_at = self.stamp()
        return customer

    def listing(
        self, since: datetime | None, external_ref: str | None, after_id: int
    ) -> list[Customer]:
        """Customers by ascending id after `after_id`, changed at or after `since`."""
        return [
            customer
            for _, customer in sorted(self.customers.items())
            if customer.id > after_id
            and (since is None or customer.updated_at >= since)
            and (external_ref is None or customer.fields.get("external_ref") == external_ref)
        ]


def _since(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise DirectoryError(
            400, "updated_since is not an ISO 8601 time", "INVALID", "updated_since"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def build_app(directory: Directory) -> FastAPI:
    """The directory's HTTP API over `directory`."""
    app = FastAPI(title="Customer directory")

    def authorise(request: Request) -> None:
        given = request.headers.get("Authorization", "")
        if not secrets.compare_digest(given.encode(), f"Bearer {directory.token}".encode()):
            raise DirectoryError(401, "a valid bearer token is required", "UNAUTHENTICATED")

    @app.exception_handler(DirectoryError)
    async def error_body(request: Request, error: DirectoryError) -> JSONResponse:
        body = {"message": error.detail, "code": error.code, "field": error.field}
        return JSONResponse({"error": body}, status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid_body(request: Request, error: RequestValidationError) -> JSONResponse:
        first = error.errors()[0] if error.errors() else {}
        location = [str(part) for part in first.get("loc", ()) if part not in ("body", "customer")]
        body = {
            "message": str(first.get("msg", "invalid request")),
            "code": "INVALID",
            "field": ".".join(location) or None,
        }
        return JSONResponse({"error": body}, status_code=422)

    @app.get(f"{API}/customers")
    async def list_customers(
        request: Request,
        updated_since: str | None = None,
        external_ref: str | None = None,
        cursor: int = Query(0, ge=0),
        limit: int = Query(50, ge=1, le=MAX_PAGE),
    ) -> dict[str, Any]:
        authorise(request)
        rows = directory.listing(_since(updated_since), external_ref, cursor)
        page = rows[:limit]
        following = str(page[-1].id) if len(rows) > limit else None
        return {"data": [customer.as_json() for customer in page], "next_cursor": following}

    @app.get(f"{API}/customers/{{customer_id}}")
    async def read_customer(customer_id: int, request: Request) -> dict[str, Any]:
        authorise(request)
        customer = directory.customers.get(customer_id)
        if customer is None:
            raise DirectoryError(404, "no such customer", "NOT_FOUND")
        return {"data": customer.as_json()}

    @app.post(f"{API}/customers", status_code=201)
    async def create_customer(body: CustomerBody, request: Request) -> dict[str, Any]:
        authorise(request)
        directory.writes["POST"] += 1
        customer = directory.create(body.customer.model_dump(exclude_unset=True))
        return {"data": customer.as_json()}

    @app.patch(f"{API}/customers/{{customer_id}}")
    async def patch_customer(
        customer_id: int, body: CustomerBody, request: Request
    ) -> dict[str, Any]:
        authorise(request)
        directory.writes["PATCH"] += 1
        customer = directory.patch(customer_id, body.customer.model_dump(exclude_unset=True))
        return {"data": customer.as_json()}

    return app


@dataclass(frozen=True)
class ServedDirectory:
    """A running directory: its state and the base URL of its API."""

    state: Directory
    base_url: str

    def env(self) -> dict[str, str]:
        """The variables `directory.yaml` reads."""
        return {"DIRECTORY_URL": self.base_url, "DIRECTORY_TOKEN": self.state.token}


@contextmanager
def serve_directory(customers: Iterable[Mapping[str, Any]] = ()) -> Iterator[ServedDirectory]:
    """Serve a directory holding `customers` on a free loopback port until the block ends."""
    state = Directory()
    for values in customers:
        state.create(CustomerFields.model_validate(values).model_dump(exclude_unset=True))
    with serve_in_thread(build_app(state)) as server:
        yield ServedDirectory(state, f"{server.url}{API}")
