"""The door of the REST API: access token check, daily allowance, Sforce-Limit-Info header.

A pure ASGI middleware so it also covers error responses and streaming bodies alike.
"""

from __future__ import annotations

import json

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from causeway.sandbox.crm.auth import Sessions, bearer_token
from causeway.sandbox.crm.limits import ApiUsage

API_PREFIX = "/services/data/v"


class ApiGate:
    """Refuses calls without a live session or beyond the allowance; reports usage."""

    def __init__(self, app: ASGIApp, sessions: Sessions, usage: ApiUsage) -> None:
        self.app = app
        self.sessions = sessions
        self.usage = usage

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not str(scope["path"]).startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        token = bearer_token(Headers(scope=scope).get("authorization"))
        session = self.sessions.check(token) if token else None
        if session is None:
            await _reply(send, 401, "INVALID_SESSION_ID", "Session expired or invalid", None)
            return
        scope.setdefault("state", {})["crm_session"] = session
        if not self.usage.take():
            await _reply(send, 403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.",
                         self.usage.header())
            return
        limit_info = self.usage.header().encode()

        async def send_with_usage(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"sforce-limit-info", limit_info)]
            await send(message)

        await self.app(scope, receive, send_with_usage)


async def _reply(send: Send, status: int, code: str, message: str, limit_info: str | None) -> None:
    body = json.dumps([{"message": message, "errorCode": code}]).encode()
    headers = [(b"content-type", b"application/json;charset=UTF-8"),
               (b"content-length", str(len(body)).encode())]
    if limit_info:
        headers.append((b"sforce-limit-info", limit_info.encode()))
    if status == 401:
        headers.append((b"www-authenticate", b'Token realm="Salesforce"'))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class StripTrailingSlash:
    """Serves `/query/` as `/query`: Salesforce ignores a trailing slash, clients send one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = str(scope.get("path", ""))
        if scope["type"] == "http" and path.startswith("/services/") and path.endswith("/"):
            scope = dict(scope, path=path.rstrip("/"), raw_path=path.rstrip("/").encode())
        await self.app(scope, receive, send)
