"""Request size and JSON depth limits for the whole app (API, CDS Hooks, web forms, FHIR import).

:class:`BodyLimits` is a pure ASGI middleware in front of every route:

- a body larger than ``max_body_bytes`` is refused with **413** problem JSON: a ``Content-Length`` over
  the limit before a byte is read, a body without one (chunked) as soon as the bytes counted so far pass
  it, so no more than the limit (and one chunk) is ever held in memory;
- a body whose arrays and objects nest deeper than ``max_json_depth`` is refused with **422** problem
  JSON naming ``body`` before any route parses it: Python's ``json`` raises ``RecursionError`` on very
  deep input, and that must never become a 500. Form bodies (urlencoded, multipart) are not JSON and
  are not scanned; every other body is, whatever its ``Content-Type`` says (the CDS Hooks routes parse
  their body as JSON regardless);
- a ``Content-Length`` that is not a number is refused with **400**.

A body within the limits is passed on unchanged (buffered: it was read to be measured). The OpenAPI
document lists these refusals (400, 413, 422) on every operation that takes a body.
"""

from __future__ import annotations

import re
from itertools import accumulate
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from b12care.config import Settings
from b12care.entrypoints.api.problems import problem, problem_responses

__all__ = ["BodyLimits", "document_limits", "install_limits", "json_depth"]

_FORMS = (b"application/x-www-form-urlencoded", b"multipart/form-data")
_WITH_BODY = ("post", "put", "patch")
_ESCAPE = re.compile(rb"\\.", re.DOTALL)
_STRING = re.compile(rb'"[^"]*"')
_NOT_BRACKET = bytes(sorted(set(range(256)) - set(b"[]{}")))
_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")  # +1 for an opening bracket, -1 (signed) for a closing


def json_depth(body: bytes) -> int:
    """How deep the arrays and objects of the JSON text ``body`` nest (0 for a scalar; brackets inside
    strings do not count).

    Linear and done in C (regular expressions without backtracking, ``bytes.translate``): escapes go
    first, then strings, and the running count of the brackets left is the depth. For malformed text
    it is an upper bound of what any parser reaches before it stops at the first error.
    """
    if b"[" not in body and b"{" not in body:
        return 0
    brackets = _STRING.sub(b"", _ESCAPE.sub(b"", body)).translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    return max(accumulate(memoryview(brackets.translate(_STEP)).cast("b"), initial=0))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            found: bytes = value
            return found
    return None


class BodyLimits:
    """Refuse oversized (413) and too deeply nested (422) request bodies with problem JSON."""

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_json_depth: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_json_depth = max_json_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None:
            if not declared.strip().isdigit():
                await problem(400, "Content-Length: not a number of bytes", field="Content-Length")(
                    scope, receive, send
                )
                return
            if int(declared) > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return  # the client left: nobody to answer
            chunk: bytes = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = (_header(scope, b"content-type") or b"").lower()
        if self._may_be_too_deep(body, content_type):
            depth = json_depth(body)
            if depth > self.max_json_depth:
                detail = f"body: JSON nested {depth} levels deep (at most {self.max_json_depth})"
                await problem(422, detail, field="body")(scope, receive, send)
                return
        await self.app(scope, _replay(body, receive), send)

    def _may_be_too_deep(self, body: bytes, content_type: bytes) -> bool:
        """A body that is not a form and has more opening brackets than the depth limit."""
        if content_type.startswith(_FORMS):
            return False
        return body.count(b"[") + body.count(b"{") > self.max_json_depth

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        detail = f"body: larger than {self.max_body_bytes} bytes (B12CARE_MAX_BODY_BYTES)"
        await problem(413, detail, field="body", max_bytes=self.max_body_bytes)(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A ``receive`` that gives the buffered body once, then waits on the client (for its disconnect)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed


def document_limits(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the refusals of a body (400 unreadable, 413 too large, 422 too deep) to every operation of the
    OpenAPI ``schema`` that takes one; returns it."""
    refusals = problem_responses(400, 413, 422)
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            if method in _WITH_BODY and isinstance(operation, dict):
                responses = operation.setdefault("responses", {})
                for status, response in refusals.items():
                    responses.setdefault(str(status), response)
    return schema


def install_limits(api: FastAPI, settings: Settings) -> None:
    """Put :class:`BodyLimits` with the configured limits in front of every route of ``api``, and
    document its refusals in ``api``'s OpenAPI."""
    api.add_middleware(
        BodyLimits, max_body_bytes=settings.max_body_bytes, max_json_depth=settings.max_json_depth
    )
    build = api.openapi

    def openapi() -> dict[str, Any]:
        fresh = api.openapi_schema is None
        schema = build()
        return document_limits(schema) if fresh else schema

    api.openapi = openapi  # type: ignore[method-assign]
