"""Security headers on every response of the app: API JSON, CDS Hooks, calendar feeds, files and errors.

The web pages set their own (``web/templating.py`` ``SECURITY_HEADERS``: a Content-Security-Policy for
HTML that runs only this site's scripts); this pure ASGI middleware adds what a response lacks, never
replacing a header a route set:

- ``X-Content-Type-Options: nosniff``: a browser never runs JSON, CSV or a calendar as HTML or script;
- ``X-Frame-Options: DENY`` and a CSP ``frame-ancestors 'none'``: no response is shown inside another
  site's frame (clickjacking); a response that is not HTML also gets ``default-src 'none'``, so even
  one opened as a document loads and runs nothing;
- ``Referrer-Policy: no-referrer``: paths carry patient ids and share-link tokens;
- ``Cache-Control: no-store`` on everything but ``/static/`` (public CSS and the vendored htmx): API
  answers hold patient data, and a shared or back-button cache must not keep them;
- ``Strict-Transport-Security`` when the request came over https (directly, or through a proxy whose
  ``X-Forwarded-Proto`` uvicorn trusts).

A 500 is answered by Starlette's outermost error middleware, outside every user middleware, so
:func:`install_security_headers` also wraps the app's catch-all exception handler (register it after
``install_problem_handlers``). That middleware then re-raises the error for the server to log, and
uvicorn would write its whole traceback - whose message can carry request values (a name, an SQL
error's parameters) - to the error log; :class:`TracebackWithoutValues` keeps that line to the error's
type and where it was raised (file, line, function), as the problem handler's own log line does.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Awaitable, Callable
from pathlib import PurePath
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = [
    "HSTS",
    "SERVER_LOGGER",
    "SecurityHeaders",
    "TracebackWithoutValues",
    "add_security_headers",
    "install_security_headers",
]

SERVER_LOGGER = "uvicorn.error"  # where uvicorn logs an error the app raised
HSTS = "max-age=31536000"  # one year, the usual value for a site that is served over https only
_DOCUMENT_CSP = "frame-ancestors 'none'"  # HTML that set no policy of its own (every page does)
_RESOURCE_CSP = "default-src 'none'; frame-ancestors 'none'"
_ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def add_security_headers(headers: MutableHeaders, *, path: str, https: bool) -> None:
    """Add to ``headers`` (of a response to ``path``) each security header it does not have yet."""
    for name, value in _ALWAYS.items():
        headers.setdefault(name, value)
    html = headers.get("content-type", "").startswith("text/html")
    headers.setdefault("Content-Security-Policy", _DOCUMENT_CSP if html else _RESOURCE_CSP)
    if not path.startswith("/static/"):
        headers.setdefault("Cache-Control", "no-store")
    if https:
        headers.setdefault("Strict-Transport-Security", HSTS)


class SecurityHeaders:
    """Pure ASGI middleware: the security headers on every HTTP response that passes through it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path, https = scope.get("path", ""), scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                add_security_headers(MutableHeaders(scope=message), path=path, https=https)
            await send(message)

        await self.app(scope, receive, send_with_headers)


Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def _with_headers(handler: Handler) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def handle(request: Request, error: Exception) -> Response:
        answer: Any = handler(request, error)
        response: Response = await answer if inspect.isawaitable(answer) else answer
        add_security_headers(response.headers, path=request.url.path, https=request.url.scheme == "https")
        return response

    return handle


class TracebackWithoutValues(logging.Filter):
    """Turn a logged exception into its type and the frames it passed (no message, no values)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            frames = traceback.extract_tb(error.__traceback__)[-6:]
            where = " <- ".join(f"{PurePath(f.filename).name}:{f.lineno} {f.name}" for f in reversed(frames))
            record.msg = f"{record.getMessage().strip()}: {type(error).__name__} at {where or '?'}"
            record.args, record.exc_info, record.exc_text = (), None, None
        return True


def install_security_headers(api: FastAPI) -> None:
    """Send the security headers with every response of ``api``, its 500 answers included, and keep
    request values out of the server's log of those 500s."""
    api.add_middleware(SecurityHeaders)
    unexpected = api.exception_handlers.get(Exception)
    if unexpected is not None:
        api.add_exception_handler(Exception, _with_headers(unexpected))
    server_log = logging.getLogger(SERVER_LOGGER)
    if not any(isinstance(found, TracebackWithoutValues) for found in server_log.filters):
        server_log.addFilter(TracebackWithoutValues())
