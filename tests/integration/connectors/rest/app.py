"""A small helpdesk API with every paging style and authentication scheme, for end-to-end tests.

Tickets live in memory; the tests set their modification times, so several can share one
timestamp. Listings are ordered by id, not by time, as many real APIs do.
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

from fastapi import FastAPI, HTTPException, Request, Response
from fastapi.responses import JSONResponse

BEARER = "bearer-s3cret"
API_KEY = "key-s3cret"
BASIC = ("agent", "basic-s3cret")
CLIENT = ("causeway", "client-s3cret")
T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


@dataclass
class Helpdesk:
    """The server's state, reset before each test."""

    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    next_id: int = 1
    tokens: set[str] = field(default_factory=set)
    issued: int = 0
    queries: list[dict[str, str]] = field(default_factory=list)
    now: datetime = T0 + timedelta(days=1)
    """The time stamped on writes."""
    lose_next_write_s: float = 0.0
    """Apply the next write, then answer only after this many seconds (a lost response)."""

    def reset(self) -> None:
        """Forget everything."""
        self.__init__()  # type: ignore[misc]

    def add(self, at: datetime, **fields: Any) -> dict[str, Any]:
        """Store a ticket modified at `at`."""
        ticket = {"id": self.next_id, **fields, "updated_at": stamp(at)}
        self.tickets[self.next_id] = ticket
        self.next_id += 1
        return ticket


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def build_app(state: Helpdesk) -> FastAPI:
    """The API over `state`; realms differ only in how they authenticate."""
    app = FastAPI()

    def authorise(realm: str, request: Request) -> None:
        headers = request.headers
        if realm == "bearer":
            ok = headers.get("Authorization") == f"Bearer {BEARER}"
        elif realm == "header-key":
            ok = headers.get("X-Api-Key") == API_KEY
        elif realm == "query-key":
            ok = request.query_params.get("api_key") == API_KEY
        elif realm == "basic":
            pair = base64.b64encode(":".join(BASIC).encode()).decode()
            ok = headers.get("Authorization") == f"Basic {pair}"
        elif realm == "oauth":
            ok = headers.get("Authorization", "").removeprefix("Bearer ") in state.tokens
        else:
            raise HTTPException(404)
        if not ok:
            raise HTTPException(401, detail="not authenticated")

    def listed(request: Request) -> list[dict[str, Any]]:
        state.queries.append(dict(request.query_params))
        since = request.query_params.get("updated_since")
        rows = sorted(state.tickets.values(), key=lambda t: t["id"])
        if since:
            moment = datetime.fromisoformat(since.replace("Z", "+00:00"))
            rows = [t for t in rows if datetime.fromisoformat(t["updated_at"]) >= moment]
        ref = request.query_params.get("external_ref")
        if ref is not None:
            rows = [t for t in rows if t.get("external_ref") == ref]
        return rows

    async def lose_answer() -> None:
        if state.lose_next_write_s:
            delay, state.lose_next_write_s = state.lose_next_write_s, 0.0
            await asyncio.sleep(delay)

    @app.exception_handler(HTTPException)
    async def error_body(request: Request, error: HTTPException) -> JSONResponse:
        return JSONResponse({"error": {"message": error.detail}}, status_code=error.status_code)

    @app.post("/oauth/token")
    async def token(request: Request) -> dict[str, Any]:
        form = dict(parse_qsl((await request.body()).decode()))
        if (form.get("client_id"), form.get("client_secret")) != CLIENT:
            return JSONResponse({"error": "invalid_client"}, status_code=401)  # type: ignore[return-value]
        state.issued += 1
        value = f"token-{state.issued}"
        state.tokens.add(value)
        return {"access_token": value, "token_type": "bearer", "expires_in": 3600}

    @app.get("/{realm}/throttled")
    async def throttled(realm: str, request: Request) -> JSONResponse:
        authorise(realm, request)
        return JSONResponse(
            {"error": {"message": "slow down", "code": "RATE"}},
            status_code=429,
            headers={"Retry-After": "3"},
        )

    @app.get("/{realm}/cursor/tickets")
    async def by_cursor(realm: str, request: Request, cursor: int = 0, limit: int = 2) -> Any:
        authorise(realm, request)
        rows = listed(request)
        page = rows[cursor : cursor + limit]
        more = cursor + limit < len(rows)
        return {"data": page, "meta": {"next_cursor": str(cursor + limit) if more else None}}

    @app.get("/{realm}/offset/tickets")
    async def by_offset(realm: str, request: Request, offset: int = 0, limit: int = 2) -> Any:
        authorise(realm, request)
        rows = listed(request)
        return {"items": rows[offset : offset + limit], "total": len(rows)}

    @app.get("/{realm}/pages/tickets")
    async def by_page(realm: str, request: Request, page: int = 1, per_page: int = 2) -> Any:
        authorise(realm, request)
        rows = listed(request)
        pages = max((len(rows) + per_page - 1) // per_page, 1)
        start = (page - 1) * per_page
        return {"results": rows[start : start + per_page], "total_pages": pages}

    @app.get("/{realm}/link/tickets")
    async def by_json_link(realm: str, request: Request, page: int = 0) -> Any:
        authorise(realm, request)
        rows = listed(request)
        more = (page + 1) * 2 < len(rows)
        next_url = str(request.url.include_query_params(page=page + 1)) if more else None
        return {"data": rows[page * 2 : page * 2 + 2], "links": {"next": next_url}}

    @app.get("/{realm}/header/tickets")
    async def by_header_link(
        realm: str, request: Request, response: Response, page: int = 0
    ) -> Any:
        authorise(realm, request)
        rows = listed(request)
        if (page + 1) * 2 < len(rows):
            following = request.url.include_query_params(page=page + 1)
            response.headers["Link"] = f'<{following}>; rel="next"'
        return rows[page * 2 : page * 2 + 2]

    @app.get("/{realm}/tickets")
    async def search(realm: str, request: Request) -> Any:
        authorise(realm, request)
        rows = listed(request)
        wanted = request.query_params.get("ids")
        if wanted is not None:
            rows = [t for t in rows if str(t["id"]) in wanted.split(",")]
        return {"data": rows}

    @app.get("/{realm}/tickets/{ticket_id}")
    async def one(realm: str, ticket_id: str, request: Request) -> Any:
        authorise(realm, request)
        if not ticket_id.isdigit() or int(ticket_id) not in state.tickets:
            raise HTTPException(404, detail="no such ticket")
        return {"data": state.tickets[int(ticket_id)]}

    def validate(body: dict[str, Any]) -> None:
        if "subject" in body and not body["subject"]:
            raise HTTPException(422, detail="subject must not be empty")

    @app.post("/{realm}/tickets", status_code=201)
    async def create(realm: str, request: Request) -> Any:
        authorise(realm, request)
        body = (await request.json())["ticket"]
        validate(body)
        ticket = state.add(state.now, **body)
        await lose_answer()
        return {"data": ticket}

    @app.patch("/{realm}/tickets/{ticket_id}")
    async def update(realm: str, ticket_id: int, request: Request) -> Any:
        authorise(realm, request)
        if ticket_id not in state.tickets:
            raise HTTPException(404, detail="no such ticket")
        body = (await request.json())["ticket"]
        validate(body)
        state.tickets[ticket_id].update(body, updated_at=stamp(state.now))
        await lose_answer()
        return {"data": state.tickets[ticket_id]}

    @app.delete("/{realm}/tickets/{ticket_id}", status_code=204)
    async def delete(realm: str, ticket_id: int, request: Request) -> Response:
        authorise(realm, request)
        if state.tickets.pop(ticket_id, None) is None:
            raise HTTPException(404, detail="no such ticket")
        return Response(status_code=204)

    @app.put("/{realm}/tickets/by-ref/{ref}")
    async def upsert(realm: str, ref: str, request: Request, response: Response) -> Any:
        authorise(realm, request)
        body = (await request.json())["ticket"]
        validate(body)
        found = [t for t in state.tickets.values() if t.get("external_ref") == ref]
        if found:
            found[0].update(body, updated_at=stamp(state.now))
            ticket = found[0]
        else:
            ticket = state.add(state.now, **{**body, "external_ref": ref})
            response.status_code = 201
        await lose_answer()
        return {"data": ticket}

    @app.post("/{realm}/tickets/bulk")
    async def bulk(realm: str, request: Request) -> Any:
        authorise(realm, request)
        results: list[dict[str, Any]] = []
        for item in (await request.json())["tickets"]:
            if not item.get("subject"):
                results.append({"error": {"message": "subject is required", "field": "subject"}})
                continue
            found = [
                t for t in state.tickets.values() if t.get("external_ref") == item["external_ref"]
            ]
            if found:
                found[0].update(item, updated_at=stamp(state.now))
                results.append({"id": found[0]["id"], "created": False})
            else:
                ticket = state.add(state.now, **item)
                results.append({"id": ticket["id"], "created": True})
        return {"results": results}

    return app
