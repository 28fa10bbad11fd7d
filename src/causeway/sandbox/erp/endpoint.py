"""The HTTP face of the OData services under /sap/opu/odata/sap/: logon, CSRF, dispatch."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import JSONResponse, PlainTextResponse, Response

from causeway.sandbox.erp import reads, writes
from causeway.sandbox.erp.batch import InnerRequest, answer_batch, parse_batch
from causeway.sandbox.erp.edmx import render_metadata
from causeway.sandbox.erp.errors import ODataError, bad_request, error_response, not_found
from causeway.sandbox.erp.model import ServiceModel
from causeway.sandbox.erp.payload import decode_payload
from causeway.sandbox.erp.representation import Representation
from causeway.sandbox.erp.security import (
    MODIFYING_METHODS,
    SessionRegistry,
    basic_credentials,
    credentials_match,
    session_cookie_name,
    www_authenticate,
)
from causeway.sandbox.erp.store import key_of
from causeway.sandbox.erp.system import Erp, Simulation
from causeway.sandbox.erp.uri import ResourcePath, resolve_set, split_path

_log = logging.getLogger(__name__)
ROOT = "/sap/opu/odata/sap"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "MERGE", "DELETE"]
_TUNNELLED = {"MERGE", "PATCH", "PUT", "DELETE"}


@dataclass(frozen=True)
class Logon:
    """Who may call the services, and the SAP client they log on to."""

    username: str
    password: str
    sap_client: str


@dataclass(frozen=True)
class Call:
    """One OData request after logon, with its body already read."""

    service: ServiceModel
    method: str
    path: ResourcePath
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    root: str
    url: str


def odata_router(
    erp: Erp, logon: Logon, sessions: SessionRegistry, before: Callable[[], None]
) -> APIRouter:
    """Routes for every service; `before` runs ahead of each call (the lifecycle tick)."""
    router = APIRouter()

    async def endpoint(request: Request, service_name: str, path: str = "") -> Response:
        service = erp.service(service_name)
        if service is None:
            return error_response(not_found(service_name))
        cookie = session_cookie_name(logon.sap_client)
        cookie_session = request.cookies.get(cookie)
        live = sessions.is_live(cookie_session)
        authenticated = credentials_match(
            basic_credentials(request.headers.get("authorization")), logon.username, logon.password
        )
        if not authenticated and not live:
            return error_response(
                ODataError(
                    401, "/IWFND/CM_CONSUMER/401", "Logon failed: user name or password wrong",
                    headers={"WWW-Authenticate": www_authenticate(logon.sap_client)},
                ),
                service.name,
            )
        fetch = request.method.upper() in ("GET", "HEAD") and (
            request.headers.get("x-csrf-token", "").lower() == "fetch"
        )
        # Like a stateless Gateway call, a request opens a session only to carry a token.
        session_id = sessions.touch(cookie_session) if live or fetch else None
        method = request.method.upper()
        tunnelled = request.headers.get("x-http-method", "").upper()
        if method == "POST" and tunnelled in _TUNNELLED:
            method = tunnelled
        if method in MODIFYING_METHODS and not sessions.validate(
            session_id, request.headers.get("x-csrf-token")
        ):
            return PlainTextResponse(
                "CSRF token validation failed",
                status_code=403,
                headers={"x-csrf-token": "Required"},
            )
        root = f"{str(request.base_url).rstrip('/')}{ROOT}/{service.path}"
        call = Call(
            service=service,
            method=method,
            path=split_path(path),
            params=dict(request.query_params),
            headers={key.lower(): value for key, value in request.headers.items()},
            body=await request.body(),
            root=root,
            url=f"{root}/{path}".rstrip("/"),
        )
        response = await run_in_threadpool(_guarded, erp, call, before)
        if session_id is not None:
            if fetch:
                response.headers["x-csrf-token"] = sessions.fetch_token(session_id)
            response.set_cookie(cookie, session_id, path="/", httponly=True)
        response.set_cookie("sap-usercontext", f"sap-client={logon.sap_client}", path="/")
        response.headers["dataserviceversion"] = "2.0"
        if request.method.upper() == "HEAD":
            head = Response(status_code=response.status_code)
            head.raw_headers = [
                (name, value) for name, value in response.raw_headers if name != b"content-length"
            ]
            return head
        return response

    router.add_api_route(f"{ROOT}/{{service_name}}", endpoint, methods=METHODS)
    router.add_api_route(f"{ROOT}/{{service_name}}/{{path:path}}", endpoint, methods=METHODS)
    return router


def _guarded(erp: Erp, call: Call, before: Callable[[], None]) -> Response:
    try:
        before()
        return _dispatch(erp, call)
    except ODataError as error:
        return error_response(error, call.service.name)
    except Exception:
        # Clients must always get an OData error object, even for a defect of ours.
        _log.exception("unexpected failure on %s %s", call.method, call.url)
        failure = ODataError(500, "/IWBEP/CM_MGW_RT/000", "An internal error occurred")
        return error_response(failure, call.service.name)


def _json(
    body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return JSONResponse(body, status_code=status, headers=headers)


def _dispatch(erp: Erp, call: Call) -> Response:
    service, segments = call.service, call.path.segments
    representation = Representation(service, call.root, erp.related)
    if not segments:
        if call.method not in ("GET", "HEAD"):
            raise ODataError(
                405, "/IWBEP/CM_MGW_RT/031", f"Method '{call.method}' not allowed on service root"
            )
        sets = [entity.entity_set for entity in service.entity_types]
        return _json({"d": {"EntitySets": sets}})
    if segments[0].name == "$metadata":
        return Response(render_metadata(service), media_type="application/xml")
    if segments[0].name == "$batch":
        return _batch(erp, call)
    fmt = call.params.get("$format")
    if fmt is not None and fmt.lower() != "json":
        raise bad_request(f"Format '{fmt}' is not supported; use $format=json", target="$format")
    simulation = erp.simulations.get(service.name)
    if simulation is not None:
        return _simulate(erp, call, simulation, representation)
    target = reads.resolve(erp, service, call.path, call.params, read_set=call.method != "POST")
    if call.method in ("GET", "HEAD"):
        if call.path.count:
            if not target.is_collection:
                raise bad_request("$count applies to collections only")
            return PlainTextResponse(str(reads.count(service, target, call.params)))
        if target.is_collection:
            return _json(reads.read_collection(
                erp, service, target, call.params, representation, call.url
            ))
        body = reads.read_entity(service, target, call.params, representation)
        etag = representation.etag(target.entity, target.record or {})
        return _json(body, headers={"ETag": etag} if etag else None)
    if call.method == "POST":
        return _create(erp, call, target, representation)
    if target.is_collection or target.key is None or target.record is None:
        raise writes.method_not_allowed(target.entity, call.method)
    _check_if_match(call, representation, target)
    if call.method == "DELETE":
        writes.delete(erp, target.entity, target.key)
        return Response(status_code=204)
    payload = decode_payload(service, target.entity, _body(call), "update")
    changes = payload.values
    if call.method == "PUT":
        for prop in target.entity.properties:
            if prop.updatable and prop.name not in target.entity.keys:
                changes.setdefault(prop.name, None)
    writes.update(erp, target.entity, target.key, changes)
    return Response(status_code=204)


def _batch(erp: Erp, call: Call) -> Response:
    """POST $batch: each part through `_dispatch`, as if it had come alone (see `batch`)."""
    if call.method != "POST" or len(call.path.segments) != 1 or call.path.count:
        raise ODataError(405, "/IWBEP/CM_MGW_RT/031", "$batch accepts POST on the service root")
    service_root = f"{ROOT}/{call.service.path}"
    parts = parse_batch(
        call.headers.get("content-type"), call.body, service_root, erp.batch_max_operations
    )

    def run(inner: InnerRequest) -> Response:
        single = replace(
            call,
            method=inner.method,
            path=split_path(inner.path),
            params=inner.params,
            headers=inner.headers,
            body=inner.body,
            url=f"{call.root}/{inner.path}".rstrip("/"),
        )
        return _dispatch(erp, single)

    return answer_batch(parts, run, erp.store.transaction, call.service.name)


def _simulate(
    erp: Erp, call: Call, simulation: Simulation, representation: Representation
) -> Response:
    """POST on a simulation service's entity set; nothing else is offered there."""
    first = call.path.segments[0]
    entity = resolve_set(call.service, first)
    single_set = len(call.path.segments) == 1 and first.predicate is None
    if call.method != "POST" or not single_set or entity.entity_set != simulation.entity_set:
        raise writes.method_not_allowed(entity, call.method)
    payload = decode_payload(call.service, entity, _body(call), "create")
    return simulation.simulate(erp, payload, representation)


def _body(call: Call) -> Any:
    try:
        return json.loads(call.body or b"null")
    except json.JSONDecodeError as error:
        message = f"The request body is not valid JSON: {error.msg} at {error.pos}"
        raise bad_request(message) from error


def _create(
    erp: Erp, call: Call, target: reads.Target, representation: Representation
) -> Response:
    if not target.is_collection:
        raise writes.method_not_allowed(target.entity, "POST")
    payload = decode_payload(call.service, target.entity, _body(call), "create")
    parent_record = None
    if target.parent is not None:
        _, parent_record, nav = target.parent
        for source, target_prop in nav.join:
            payload.values[target_prop] = parent_record.get(source)
    record = writes.create(erp, target.entity, payload, parent_record)
    body = {"d": representation.entity(target.entity, _reload(erp, target, record))}
    headers = {"Location": representation.uri(target.entity, record)}
    etag = representation.etag(target.entity, record)
    if etag:
        headers["ETag"] = etag
    return _json(body, status=201, headers=headers)


def _reload(erp: Erp, target: reads.Target, record: dict[str, Any]) -> dict[str, Any]:
    return erp.store.get(target.entity, key_of(target.entity, record)) or record


def _check_if_match(call: Call, representation: Representation, target: reads.Target) -> None:
    expected = call.headers.get("if-match")
    if expected is None or expected.strip() == "*" or target.record is None:
        return
    current = representation.etag(target.entity, target.record)
    if current is not None and expected.strip() != current:
        raise ODataError(
            412, "/IWBEP/CM_MGW_RT/022",
            "The entity was changed by another request (ETag mismatch); read it again",
            entity=target.entity.entity_set,
        )
