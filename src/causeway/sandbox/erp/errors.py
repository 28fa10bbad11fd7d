"""OData v2 errors as SAP Gateway renders them, raised anywhere and answered in one place."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.responses import JSONResponse, Response


class ODataError(Exception):
    """A request the service refuses, with the HTTP status and the SAP message code.

    `target` names the property (or query option) at fault, `entity` the entity set or type
    and `record` the key concerned, so a client can tell exactly what to correct.
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str = "",
        entity: str = "",
        record: str = "",
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.entity = entity
        self.record = record
        self.headers = headers or {}


def bad_request(message: str, *, target: str = "", entity: str = "") -> ODataError:
    """A malformed request (syntax, unknown property, wrong type)."""
    return ODataError(400, "/IWBEP/CM_MGW_RT/020", message, target=target, entity=entity)


def not_found(entity: str, record: str = "") -> ODataError:
    """An unknown entity set, key or navigation."""
    if record:
        message = f"Resource not found for segment '{entity}({record})'"
    else:
        message = f"Resource not found for segment '{entity}'"
    return ODataError(404, "/IWBEP/CM_MGW_RT/021", message, entity=entity, record=record)


def invalid_value(entity: str, prop: str, message: str, record: str = "") -> ODataError:
    """A property value that fails validation (type, length, mandatory)."""
    return ODataError(
        400, "/IWBEP/CM_MGW_RT/004", message, target=prop, entity=entity, record=record
    )


def error_body(
    status: int, code: str, message: str, *, service: str = "", target: str = ""
) -> dict[str, Any]:
    """The JSON error object SAP Gateway sends, including the innererror details."""
    transaction = uuid.uuid4().hex.upper()
    return {
        "error": {
            "code": code,
            "message": {"lang": "en", "value": message},
            "innererror": {
                "application": {
                    "component_id": "",
                    "service_namespace": "/SAP/",
                    "service_id": service,
                    "service_version": "0001",
                },
                "transactionid": transaction,
                "timestamp": datetime.now(UTC).strftime("%Y%m%d%H%M%S.%f")[:21],
                "Error_Resolution": {
                    "SAP_Transaction": "Run transaction /IWFND/ERROR_LOG on SAP Gateway hub "
                    "system and search for entries with the timestamp above for more details",
                    "SAP_Note": "See SAP Note 1797736 for error analysis "
                    "(https://service.sap.com/sap/support/notes/1797736)",
                },
                "errordetails": [
                    {
                        "code": code,
                        "message": message,
                        "propertyref": target,
                        "severity": "error",
                        "target": target,
                        "transition": False,
                    }
                ],
            },
        }
    }


def render_error(status: int, code: str, message: str) -> Response:
    """Render (status, code, message) in the OData dialect; also the fault injector's renderer."""
    return JSONResponse(error_body(status, code, message), status_code=status)


def error_response(error: ODataError, service: str = "") -> Response:
    """The response for a raised `ODataError`."""
    body = error_body(error.status, error.code, error.message, service=service, target=error.target)
    return JSONResponse(body, status_code=error.status, headers=error.headers)
