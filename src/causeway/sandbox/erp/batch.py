"""OData v2 `$batch`: many requests in one multipart/mixed call, change sets all or nothing.

A batch body holds parts separated by `--<boundary>` lines. A part is either one retrieve
(`application/http` holding a GET) or a change set (a nested multipart/mixed of modifying
requests, each optionally labelled with a `Content-ID`). Every request runs through the same
dispatch a single call uses; a change set runs in one store transaction, so if one of its
requests fails nothing of it stays and its answer is that single error. Other change sets
and retrieves are not affected. The answer is `202 Accepted`, multipart/mixed, mirroring
the request part by part.

Logon, CSRF and the fault plan (outage, spike arrest, latency, injected errors, lost answers)
apply to the `$batch` POST as a whole: like SAP Gateway's, the gateway in front counts one
HTTP call, however many operations it carries.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from http import HTTPStatus
from urllib.parse import parse_qsl, unquote, urlsplit

from starlette.responses import Response

from causeway.sandbox.erp.errors import ODataError, bad_request, error_response

_log = logging.getLogger(__name__)
MAX_OPERATIONS = 1000
"""Requests one batch may carry (retrieves plus change set requests), unless configured."""
MAX_BYTES = 16 * 2**20
_CHANGE_METHODS = frozenset({"POST", "PUT", "PATCH", "MERGE", "DELETE"})
_REQUEST_LINE = re.compile(r"^([A-Za-z]+) +(\S+) +HTTP/1\.[01]$")
_BATCH_CODE = "/IWBEP/CM_MGW_RT/020"


@dataclass(frozen=True)
class InnerRequest:
    """One request inside a batch, addressed below the service root."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    content_id: str | None
    where: str
    """Where it sits in the batch, for error messages: "part 2", "part 3, request 1"."""


@dataclass(frozen=True)
class Retrieve:
    """A GET outside any change set."""

    request: InnerRequest


@dataclass(frozen=True)
class ChangeSet:
    """Modifying requests applied together or not at all."""

    requests: tuple[InnerRequest, ...]


Part = Retrieve | ChangeSet
Dispatch = Callable[[InnerRequest], Response]
"""Runs one request as a single call would; raises `ODataError` when it is refused."""


def malformed(message: str) -> ODataError:
    """The 400 for a batch body that cannot be read; the message says what is wrong."""
    return bad_request(f"Malformed $batch request: {message}", target="$batch")


def media_type(value: str | None) -> tuple[str, dict[str, str]]:
    """`multipart/mixed; boundary="b"` as ("multipart/mixed", {"boundary": "b"})."""
    kind, *rest = (value or "").split(";")
    params: dict[str, str] = {}
    for item in rest:
        name, _, raw = item.partition("=")
        params[name.strip().lower()] = raw.strip().strip('"')
    return kind.strip().lower(), params


def parse_batch(
    content_type: str | None, body: bytes, service_root: str, max_operations: int = MAX_OPERATIONS
) -> list[Part]:
    """The parts of a `$batch` body; 400 naming the fault if it is not a well-formed batch.

    `service_root` is the service's path (`/sap/opu/odata/sap/API_...`): requests may name
    resources relative to it or by an absolute path or URL inside it, never another service.
    """
    kind, params = media_type(content_type)
    boundary = params.get("boundary", "")
    if kind != "multipart/mixed" or not boundary:
        raise malformed("the Content-Type must be multipart/mixed with a boundary parameter")
    if len(body) > MAX_BYTES:
        raise ODataError(
            413, _BATCH_CODE, f"The $batch body exceeds {MAX_BYTES} bytes", target="$batch"
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise malformed(f"the body is not UTF-8 (byte {error.start})") from error
    parts: list[Part] = []
    for number, lines in enumerate(_split(re.split(r"\r?\n", text), boundary, "the body"), 1):
        where = f"part {number}"
        headers, content = _mime_part(lines, where)
        part_kind, part_params = media_type(headers.get("content-type"))
        if part_kind == "multipart/mixed":
            parts.append(_change_set(headers, part_params, content, where, service_root))
        elif part_kind == "application/http":
            request = _http_request(headers, content, where, service_root)
            if request.method != "GET":
                raise malformed(
                    f"{where}: {request.method} outside a change set; "
                    "modifying requests belong in a change set"
                )
            parts.append(Retrieve(request))
        else:
            raise malformed(
                f"{where}: Content-Type {headers.get('content-type')!r} is neither "
                "application/http nor multipart/mixed"
            )
    operations = sum(1 if isinstance(p, Retrieve) else len(p.requests) for p in parts)
    if operations > max_operations:
        raise ODataError(
            400, _BATCH_CODE,
            f"The $batch holds {operations} operations; at most {max_operations} are accepted",
            target="$batch",
        )
    return parts


def _split(lines: list[str], boundary: str, what: str) -> list[list[str]]:
    """The lines of each body part between `--boundary` delimiters (RFC 2046)."""
    delimiter, close = f"--{boundary}", f"--{boundary}--"
    parts: list[list[str]] = []
    current: list[str] | None = None
    for line in lines:
        stripped = line.rstrip(" \t")
        if stripped in (delimiter, close):
            if current is not None:
                parts.append(current)
            if stripped == close:
                return parts
            current = []
        elif current is not None:
            current.append(line)
    if current is None:
        raise malformed(f"{what} holds no part opened by '{delimiter}'")
    raise malformed(f"{what} is not closed by '{close}'")


def _mime_part(lines: list[str], where: str) -> tuple[dict[str, str], list[str]]:
    """A part's headers (lower-case names) and the lines after the blank line."""
    headers: dict[str, str] = {}
    for index, line in enumerate(lines):
        if not line.strip():
            return headers, lines[index + 1 :]
        name, colon, value = line.partition(":")
        if not colon or not name.strip():
            raise malformed(f"{where}: header line {line[:80]!r} has no 'Name: value' form")
        headers[name.strip().lower()] = value.strip()
    raise malformed(f"{where}: no blank line ends the part headers")


def _change_set(
    headers: dict[str, str],
    params: dict[str, str],
    content: list[str],
    where: str,
    service_root: str,
) -> ChangeSet:
    boundary = params.get("boundary", "")
    if not boundary:
        raise malformed(f"{where}: the change set's Content-Type has no boundary")
    requests: list[InnerRequest] = []
    for number, lines in enumerate(_split(content, boundary, f"the change set in {where}"), 1):
        inner = f"{where}, request {number}"
        part_headers, body = _mime_part(lines, inner)
        kind, _ = media_type(part_headers.get("content-type"))
        if kind != "application/http":
            raise malformed(f"{inner}: a change set holds application/http parts only")
        request = _http_request(part_headers, body, inner, service_root)
        if request.method not in _CHANGE_METHODS:
            raise malformed(f"{inner}: {request.method} is not allowed in a change set")
        requests.append(request)
    return ChangeSet(tuple(requests))


def _http_request(
    headers: dict[str, str], lines: list[str], where: str, service_root: str
) -> InnerRequest:
    encoding = headers.get("content-transfer-encoding", "binary").lower()
    if encoding != "binary":
        raise malformed(f"{where}: Content-Transfer-Encoding must be binary, not {encoding!r}")
    while lines and not lines[0].strip():
        lines = lines[1:]
    if not lines:
        raise malformed(f"{where}: the part holds no request line")
    match = _REQUEST_LINE.match(lines[0].strip())
    if match is None:
        raise malformed(f"{where}: {lines[0][:80]!r} is not a request line 'METHOD URL HTTP/1.1'")
    request_headers, body = _mime_part([*lines[1:], ""], where)
    path, params = _target(match.group(2), service_root, where)
    content_id = headers.get("content-id") or request_headers.get("content-id")
    return InnerRequest(
        method=match.group(1).upper(),
        path=path,
        params=params,
        headers=request_headers,
        body="\n".join(body).strip().encode("utf-8"),
        content_id=content_id,
        where=where,
    )


def _target(url: str, service_root: str, where: str) -> tuple[str, dict[str, str]]:
    split = urlsplit(url)
    path = unquote(split.path)
    if split.scheme or path.startswith("/"):
        root = service_root.rstrip("/")
        if path.lower() != root.lower() and not path.lower().startswith(root.lower() + "/"):
            raise malformed(f"{where}: {url[:120]!r} lies outside the service {root}")
        path = path[len(root) :]
    path = path.strip("/")
    if path.split("/")[0].split("(")[0] == "$batch":
        raise malformed(f"{where}: a batch cannot contain another $batch")
    return path, dict(parse_qsl(split.query, keep_blank_values=True))


class _ChangeSetFailed(Exception):
    """Rolls the change set's transaction back, carrying the answer for the whole set."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


def answer_batch(
    parts: list[Part],
    dispatch: Dispatch,
    transaction: Callable[[], AbstractContextManager[None]],
    service: str,
) -> Response:
    """Run every part in order and answer 202 multipart/mixed, one answer part per part."""
    boundary = f"batch_{uuid.uuid4()}"
    answers: list[bytes] = []
    for part in parts:
        if isinstance(part, Retrieve):
            response = _run(dispatch, part.request, service)
            answers.append(_http_part(response, part.request.content_id))
        else:
            answers.append(_run_change_set(part, dispatch, transaction, service))
    return Response(
        _multipart(boundary, answers),
        status_code=202,
        media_type=f"multipart/mixed; boundary={boundary}",
    )


def _run(dispatch: Dispatch, request: InnerRequest, service: str) -> Response:
    try:
        return dispatch(request)
    except ODataError as error:
        return error_response(error, service)
    except Exception:
        _log.exception("unexpected failure on %s %s in a batch", request.method, request.path)
        failure = ODataError(500, "/IWBEP/CM_MGW_RT/000", "An internal error occurred")
        return error_response(failure, service)


def _run_change_set(
    change_set: ChangeSet,
    dispatch: Dispatch,
    transaction: Callable[[], AbstractContextManager[None]],
    service: str,
) -> bytes:
    answers: list[bytes] = []
    created: dict[str, str] = {}
    try:
        with transaction():
            for request in change_set.requests:
                request = _with_reference(request, created)
                response = _run(dispatch, request, service)
                if response.status_code >= 400:
                    raise _ChangeSetFailed(response)
                location = response.headers.get("location")
                if request.content_id and location:
                    created[request.content_id] = location
                answers.append(_http_part(response, request.content_id))
    except _ChangeSetFailed as failure:
        # One answer for the whole set: the request that failed, and nothing of the set kept.
        return _http_part(failure.response, None)
    boundary = f"changeset_{uuid.uuid4()}"
    body = _multipart(boundary, answers)
    head = f"Content-Type: multipart/mixed; boundary={boundary}\r\nContent-Length: {len(body)}"
    return head.encode() + b"\r\n\r\n" + body


def _with_reference(request: InnerRequest, created: dict[str, str]) -> InnerRequest:
    """`$1/to_Item` addresses what the request with Content-ID 1 created in this set."""
    if not request.path.startswith("$"):
        return request
    head, _, rest = request.path[1:].partition("/")
    location = created.get(head)
    if location is None:
        return request
    resource = urlsplit(location).path.rstrip("/").rsplit("/", 1)[-1]
    return replace(request, path=f"{resource}/{rest}" if rest else resource)


def _http_part(response: Response, content_id: str | None) -> bytes:
    """An `application/http` part holding the response: status line, headers, body."""
    status = response.status_code
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Unknown"
    lines = [f"HTTP/1.1 {status} {reason}"]
    for name, value in response.headers.items():
        if name.lower() != "set-cookie":
            lines.append(f"{name}: {value}")
    if "dataserviceversion" not in response.headers:
        lines.append("dataserviceversion: 2.0")
    payload = "\r\n".join(lines).encode() + b"\r\n\r\n" + bytes(response.body)
    head = [
        "Content-Type: application/http",
        f"Content-Length: {len(payload)}",
        "content-transfer-encoding: binary",
    ]
    if content_id:
        head.append(f"Content-ID: {content_id}")
    return "\r\n".join(head).encode() + b"\r\n\r\n" + payload


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    delimiter = f"--{boundary}\r\n".encode()
    body = b"".join(delimiter + part + b"\r\n" for part in parts)
    return body + f"--{boundary}--\r\n".encode()
