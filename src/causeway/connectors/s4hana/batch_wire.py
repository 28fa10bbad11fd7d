"""OData v2 `$batch` on the wire, client side: a multipart/mixed body out, its parts back.

A request body holds retrieves (a lone GET) and change sets (nested multipart/mixed of
modifying requests, each with a `Content-ID`). The 202 answer mirrors it part by part; a
change set that failed is answered by one `application/http` error part instead of its
multipart. The answer is read with the standard library's MIME parser.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from email.message import Message
from email.parser import BytesParser
from typing import Any

_STATUS_LINE = re.compile(rb"^HTTP/1\.[01] +(\d{3})")


class BatchFormatError(ValueError):
    """The answer to a `$batch` is not the multipart the request asked for."""


@dataclass(frozen=True)
class Operation:
    """One request inside a batch, addressed relative to the service root."""

    method: str
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


ChangeSet = tuple[Operation, ...]
"""Modifying operations the system applies all together or not at all."""
BatchPart = Operation | ChangeSet
"""A retrieve (a GET operation on its own) or a change set."""


@dataclass(frozen=True)
class PartAnswer:
    """One answered request: status, headers (lower-case names), body and Content-ID."""

    status: int
    headers: dict[str, str]
    body: bytes
    content_id: str | None = None

    def json(self) -> Any:
        """The body as JSON, or its text when it is not JSON (as error bodies may be)."""
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body.decode("utf-8", "replace")[:500]


def batch_body(parts: Sequence[BatchPart]) -> tuple[bytes, str]:
    """The body and its Content-Type for `parts`; change set requests get Content-IDs 1, 2..."""
    boundary = f"batch_{uuid.uuid4()}"
    chunks: list[bytes] = []
    content_id = 0
    for part in parts:
        if isinstance(part, Operation):
            chunks.append(_http_part(part, None))
            continue
        inner_boundary = f"changeset_{uuid.uuid4()}"
        inner: list[bytes] = []
        for operation in part:
            content_id += 1
            inner.append(_http_part(operation, str(content_id)))
        body = _multipart(inner_boundary, inner)
        head = f"Content-Type: multipart/mixed; boundary={inner_boundary}\r\n"
        chunks.append(head.encode() + b"\r\n" + body)
    return _multipart(boundary, chunks), f"multipart/mixed; boundary={boundary}"


def _http_part(operation: Operation, content_id: str | None) -> bytes:
    head = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id is not None:
        head.append(f"Content-ID: {content_id}")
    lines = [f"{operation.method} {operation.path} HTTP/1.1", "Accept: application/json"]
    lines.extend(f"{name}: {value}" for name, value in operation.headers.items())
    payload = b""
    if operation.body is not None:
        payload = json.dumps(operation.body, separators=(",", ":"), default=str).encode()
        lines.append("Content-Type: application/json")
        lines.append(f"Content-Length: {len(payload)}")
    request = "\r\n".join(lines).encode() + b"\r\n\r\n" + payload
    return "\r\n".join(head).encode() + b"\r\n\r\n" + request


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    opening = f"--{boundary}\r\n".encode()
    return b"".join(opening + part + b"\r\n" for part in parts) + f"--{boundary}--\r\n".encode()


def read_answer(content_type: str, body: bytes) -> list[list[PartAnswer]]:
    """The answers per request part, in order: one for a retrieve or a failed change set,
    one per request for a change set that succeeded."""
    envelope = BytesParser().parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    if not envelope.is_multipart():
        raise BatchFormatError(f"the $batch answer is {content_type!r}, not multipart/mixed")
    answers: list[list[PartAnswer]] = []
    for part in _parts(envelope):
        if part.get_content_type() == "multipart/mixed":
            answers.append([_answer(inner) for inner in _parts(part)])
        else:
            answers.append([_answer(part)])
    return answers


def _parts(message: Message) -> list[Message]:
    payload = message.get_payload()
    if not isinstance(payload, list):
        raise BatchFormatError("a multipart part of the $batch answer holds no parts")
    return [part for part in payload if isinstance(part, Message)]


def _answer(part: Message) -> PartAnswer:
    if part.get_content_type() != "application/http":
        raise BatchFormatError(f"an answer part is {part.get_content_type()}, not application/http")
    raw = part.get_payload(decode=True)
    if not isinstance(raw, bytes):
        raise BatchFormatError("an application/http answer part has no payload")
    raw = raw.lstrip(b"\r\n")
    head, _, body = raw.replace(b"\r\n", b"\n").partition(b"\n\n")
    lines = head.split(b"\n")
    status = _STATUS_LINE.match(lines[0])
    if status is None:
        raise BatchFormatError(f"not an HTTP status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    content_id = part.get("Content-ID") or headers.get("content-id")
    return PartAnswer(int(status.group(1)), headers, body.rstrip(b"\r\n"), content_id)
