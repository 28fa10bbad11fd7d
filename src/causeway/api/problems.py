"""Every error the API answers is an RFC 9457 problem (`application/problem+json`).

A client can branch on `type` (a stable URN per kind of problem), show `title` and `detail`,
and quote `correlation_id` to an operator, who finds the same id in the logs. Validation
problems list each bad field under `errors` with where it was (`body`, `query`, `path`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from causeway.api.context import current_correlation_id

PROBLEM_JSON = "application/problem+json"
TYPE_PREFIX = "urn:causeway:problem:"

log = structlog.get_logger("causeway.api")


class FieldError(BaseModel):
    """One invalid input: where it was, what was wrong, and a machine-readable code."""

    location: str = Field(description="body, query, path or header, then the field path")
    field: str = Field(description="the field path inside that location, dot-separated")
    message: str
    code: str


class ProblemDetails(BaseModel):
    """The problem document (RFC 9457 §3) with Causeway's extension members."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description=f"a URN starting {TYPE_PREFIX}, or about:blank")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = Field(None, description="the request path the problem occurred on")
    correlation_id: str | None = Field(None, description="the id to quote; the logs carry it")
    errors: list[FieldError] | None = None


class Problem(Exception):
    """Raise to answer with a problem; `kind` becomes the `type` URN."""

    def __init__(
        self,
        status: int,
        kind: str,
        title: str,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.headers = dict(headers or {})
        self.extensions = extensions


def problem_response(
    request: Request | None,
    status: int,
    kind: str | None,
    title: str,
    detail: str | None = None,
    *,
    headers: Mapping[str, str] | None = None,
    extensions: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """The problem+json response; `kind=None` means a plain HTTP error (`about:blank`)."""
    body: dict[str, Any] = {
        "type": f"{TYPE_PREFIX}{kind}" if kind else "about:blank",
        "title": title,
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if request is not None:
        body["instance"] = request.url.path
    correlation_id = current_correlation_id()
    if correlation_id:
        body["correlation_id"] = correlation_id
    body.update(extensions or {})
    return JSONResponse(
        body, status_code=status, headers=dict(headers or {}), media_type=PROBLEM_JSON
    )


def field_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic's errors as `errors` entries: location, field, message and code."""
    listed = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ())]
        where = location[0] if location else "body"
        listed.append(
            {
                "location": where,
                "field": ".".join(location[1:]),
                "message": str(error.get("msg", "invalid")),
                "code": str(error.get("type", "invalid")),
            }
        )
    return listed


async def answer(request: Request, error: Exception) -> JSONResponse:
    """The problem+json response a raised Problem stands for."""
    assert isinstance(error, Problem)
    return problem_response(
        request,
        error.status,
        error.kind,
        error.title,
        error.detail,
        headers=error.headers,
        extensions=error.extensions,
    )


async def validation_failed(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = field_errors(error.errors())
    if any(entry["code"] == "json_invalid" for entry in errors):
        return problem_response(
            request,
            400,
            "malformed-body",
            "Malformed request body",
            "the body is not valid JSON",
            extensions={"errors": errors},
        )
    fields = ", ".join(
        f"{entry['location']}.{entry['field']}" if entry["field"] else entry["location"]
        for entry in errors
    )
    return problem_response(
        request,
        422,
        "invalid-request",
        "Invalid request",
        f"invalid: {fields}",
        extensions={"errors": errors},
    )


async def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    phrase = _phrase(error.status_code)
    detail = error.detail if isinstance(error.detail, str) and error.detail != phrase else None
    return problem_response(
        request, error.status_code, None, phrase, detail, headers=error.headers or {}
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def install(app: FastAPI) -> None:
    """Answer problems, validation failures and HTTP errors as problem+json."""
    app.add_exception_handler(Problem, answer)
    app.add_exception_handler(RequestValidationError, validation_failed)
    app.add_exception_handler(StarletteHTTPException, _http)


def documented(description: str) -> dict[str, Any]:
    """An OpenAPI response entry: a problem+json answer described for clients."""
    return {
        "model": ProblemDetails,
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}},
    }


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: documented(description)
    for status, description in (
        (400, "Malformed request"),
        (401, "No valid access token"),
        (403, "The token lacks the scope the route needs"),
        (422, "Invalid fields; `errors` lists each"),
    )
}
"""Responses every authenticated route may give, for the OpenAPI document."""
