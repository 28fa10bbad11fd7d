"""The outermost layer of the API: correlation ids, a body size limit and the last resort.

Whatever goes wrong inside a route, the client gets a problem document and the log gets the
exception with the correlation id; a 500 never shows a traceback or an HTML page. It is a
plain ASGI middleware so the context variables it sets reach the route's own task and thread.
"""

from __future__ import annotations

import contextlib
import traceback
from typing import Any

import structlog
from sqlalchemy.exc import DBAPIError
from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from causeway.api.context import (
    HEADER,
    correlation_id_from,
    reset_correlation_id,
    set_correlation_id,
)
from causeway.api.problems import problem_response

log = structlog.get_logger("causeway.api")


def describe(error: BaseException) -> dict[str, Any]:
    """What the log needs to find a crash, without locals or statement parameters.

    A rich traceback would print every frame's locals (the Authorization header among them)
    and SQLAlchemy's message carries bound parameters (record data): both stay out.
    """
    message = str(error.orig) if isinstance(error, DBAPIError) else str(error)
    frames = traceback.extract_tb(error.__traceback__)[-12:]
    return {
        "error_type": type(error).__name__,
        "error": message[:300],
        "frames": [f"{frame.filename}:{frame.lineno} in {frame.name}" for frame in frames],
    }


class RequestContextMiddleware:
    """Binds a correlation id, refuses oversized bodies and turns crashes into problems."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        correlation_id = correlation_id_from(headers.get(HEADER))
        token = set_correlation_id(correlation_id)
        started = False

        async def send_with_id(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                MutableHeaders(scope=message)[HEADER] = correlation_id
            await send(message)

        try:
            with structlog.contextvars.bound_contextvars(correlation_id=correlation_id):
                too_large = self._too_large(Request(scope), headers)
                if too_large is not None:
                    await too_large(scope, receive, send_with_id)
                    return
                try:
                    await self.app(scope, receive, send_with_id)
                except Exception as error:
                    with contextlib.suppress(Exception):  # a log failure must not hide the 500
                        log.error(
                            "request failed",
                            method=scope.get("method"),
                            path=scope.get("path"),
                            **describe(error),
                        )
                    if started:
                        raise
                    response = problem_response(
                        Request(scope),
                        500,
                        "internal-error",
                        "Internal error",
                        "the request failed on the server; quote the correlation id",
                    )
                    await response(scope, receive, send_with_id)
        finally:
            reset_correlation_id(token)

    def _too_large(self, request: Request, headers: Headers) -> ASGIApp | None:
        length = headers.get("content-length")
        if length is None:
            return None
        if length.isdigit() and int(length) <= self.max_body_bytes:
            return None
        if not length.isdigit():
            return problem_response(
                request, 400, "malformed-request", "Malformed request", "bad Content-Length"
            )
        return problem_response(
            request,
            413,
            "body-too-large",
            "Request body too large",
            f"the API accepts bodies up to {self.max_body_bytes} bytes",
        )
