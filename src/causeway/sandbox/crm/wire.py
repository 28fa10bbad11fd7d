"""Request plumbing shared by the REST routes: JSON bodies, API versions, call options."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from causeway.sandbox.crm.auth import Session
from causeway.sandbox.crm.errors import SalesforceError, json_parser_error, not_found
from causeway.sandbox.crm.org import CrmOrg

# Spring '24 is v60.0; older versions answer with the same shapes.
RELEASES = {
    "55.0": "Summer '22", "56.0": "Winter '23", "57.0": "Spring '23", "58.0": "Summer '23",
    "59.0": "Winter '24", "60.0": "Spring '24",
}
OLDEST_VERSION = 31


def org(request: Request) -> CrmOrg:
    """The org behind this app."""
    found: CrmOrg = request.app.state.crm
    return found


def session(request: Request) -> Session:
    """The caller's session, put there by the API gate."""
    found: Session = request.state.crm_session
    return found


def check_version(version: str) -> str:
    """The API version from the path (`60.0`), or NOT_FOUND for one the org lacks."""
    major, _, minor = version.partition(".")
    if not (major.isdigit() and minor == "0" and OLDEST_VERSION <= int(major) <= 60):
        raise not_found()
    return version


def version_number(version: str) -> int:
    """The major version, for behaviour that changed between versions."""
    return int(version.partition(".")[0])


async def read_json(request: Request) -> Any:
    """The request body as JSON, or JSON_PARSER_ERROR as Salesforce words it."""
    body = await request.body()
    if not body.strip():
        raise json_parser_error("The HTTP entity body is required, but this request has no "
                                "entity body.")
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        line = getattr(error, "lineno", 1)
        column = getattr(error, "colno", 1)
        raise json_parser_error(f"Unexpected character: was expecting a JSON value at "
                                f"[line:{line}, column:{column}]") from None


async def read_record(request: Request) -> dict[str, Any]:
    """A JSON object body (one record)."""
    body = await read_json(request)
    if not isinstance(body, dict):
        raise json_parser_error("Cannot deserialize instance of an sObject from START_ARRAY "
                                "value or request may be missing a required field")
    return body


def call_origin(request: Request, version: str) -> str:
    """changeOrigin of the change events this call causes, from Sforce-Call-Options."""
    origin = f"com/salesforce/api/rest/{version}"
    for option in request.headers.get("sforce-call-options", "").split(","):
        name, _, value = option.strip().partition("=")
        if name.strip().lower() == "client" and value.strip():
            return f"{origin};client={value.strip()}"
    return origin


def instance_url(request: Request) -> str:
    """The org's own base URL: configured, else the one the caller used."""
    configured = org(request).settings.instance_url
    return configured.rstrip("/") if configured else str(request.base_url).rstrip("/")


def unknown_sobject(name: str) -> SalesforceError:
    """The answer for an sObject the org does not have."""
    return SalesforceError.of(404, "NOT_FOUND", "The requested resource does not exist",
                              sobject=name)
