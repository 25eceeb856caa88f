"""The one error -> HTTP table: every error is an RFC 9457 ``application/problem+json`` body.

=====================================  ======  ============================================
error                                  status  body extras
=====================================  ======  ============================================
request validation (FastAPI/pydantic)  422     ``field`` (dotted) and ``errors`` [{pointer, field, detail}]
InputError                             422     ``field``
ConflictingInputError                  409     ``field`` (a key already stored with other content)
TooManyEntriesError                    413     ``field``, ``max_entries`` (the FHIR import route checks first)
RecordNotFoundError, UnknownRuleError  404
AlreadyEnteredInError, ConstraintError 409
KnowledgeError                         422
AuthenticationError                    401     ``WWW-Authenticate: Bearer``
PermissionDeniedError                  403
RateLimitedError                       429     ``Retry-After``
StorageUnavailableError                503     ``fault: unavailable``, ``Retry-After`` (RETRY_AFTER_SECONDS)
StorageFullError                       503     ``fault: full``; ``detail`` says an admin must free space
StorageReadOnlyError                   503     ``fault: read_only``; ``detail`` says an admin must make it
                                               writable
StorageDamagedError                    503     ``fault: damaged``; ``detail`` says an admin must restore a
                                               backup
HTTPException (routing, methods)       its own
anything else                          500     no traceback, nothing of the request
=====================================  ======  ============================================

``PROBLEM_TABLE`` is this table in code (``install_problem_handlers`` registers it; the nearest class
along an error's hierarchy wins); ``NOT_FROM_API`` names the errors the problem handlers never see, and
why. ``tests/unit/test_error_tree.py`` checks that the two cover every error in ``domain/errors.py``.

Storage faults are 503 (Service Unavailable), all three. 503 is the status every HTTP client, proxy and
load balancer knows means "the server cannot serve this now; not your request's fault; try later or
elsewhere", and it is true of each: the request was fine, the record is untouched (the transaction rolled
back), and it will succeed unchanged once the database is back, has room or is writable again. 507
(Insufficient Storage) is WebDAV's (RFC 4918): generic clients do not know it, and it would fit the full
disk only, not the read-only database. What differs is who acts: ``Retry-After`` is sent only for the
transient fault (the service recovers by itself); for a full or read-only database the ``fault`` member
and the ``detail`` tell the reader that an admin must act. The driver's cause goes to the server log
(one line, no SQL and no values), never to the client.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from b12care.domain.errors import (
    AlreadyEnteredInError,
    AuthenticationError,
    BackupFailedError,
    CdsAuthError,
    ConfigurationError,
    ConflictingInputError,
    ConstraintError,
    DataUnavailableError,
    InputError,
    KnowledgeError,
    LoginRequiredError,
    PageError,
    PermissionDeniedError,
    RateLimitedError,
    RecordNotFoundError,
    StorageDamagedError,
    StorageFaultError,
    StorageFullError,
    StorageReadOnlyError,
    StorageUnavailableError,
    TooManyEntriesError,
    UnknownRuleError,
)

__all__ = [
    "NOT_FROM_API",
    "PROBLEM_JSON",
    "PROBLEM_TABLE",
    "RETRY_AFTER_SECONDS",
    "install_problem_handlers",
    "log_storage_fault",
    "problem",
    "problem_responses",
    "storage_fault_headers",
    "storage_fault_kind",
    "storage_fault_problem",
]

RETRY_AFTER_SECONDS = 5
"""What a 503 for an unreachable database asks clients to wait: a restarting PostgreSQL is back in seconds."""

PROBLEM_JSON = "application/problem+json"
_log = logging.getLogger("b12care.api")
_SOURCES = ("body", "query", "path", "header", "cookie")
_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}
_FAULT_KINDS: dict[type[StorageFaultError], str] = {
    StorageUnavailableError: "unavailable",
    StorageFullError: "full",
    StorageReadOnlyError: "read_only",
    StorageDamagedError: "damaged",
}


def problem(status: int, detail: str, *, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """An RFC 9457 problem response (``type`` is ``about:blank``: the status says what happened)."""
    body = {"type": "about:blank", "title": _TITLES.get(status, "Error"), "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


_PROBLEM_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "field": {"type": "string"},
    },
    "required": ["type", "title", "status", "detail"],
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries for these statuses, as problem JSON."""
    return {
        status: {
            "description": _TITLES.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": _PROBLEM_SCHEMA}},
        }
        for status in statuses
    }


def _dotted(location: Sequence[int | str]) -> str:
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not part.startswith(("function-", "literal[")):
            text += f".{part}" if text else part
    return text


def _validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = []
    for item in error.errors():
        location = [part for part in item.get("loc", ()) if isinstance(part, int | str)]
        where = location[1:] if location and location[0] in _SOURCES else location
        message = (
            "unknown field" if item.get("type") == "extra_forbidden" else str(item.get("msg", "invalid"))
        )
        errors.append(
            {
                "pointer": "/" + "/".join(str(part) for part in location),
                "field": _dotted(where) or "body",
                "detail": message,
            }
        )
    first = errors[0] if errors else {"field": "body", "detail": "invalid request"}
    return problem(422, f"{first['field']}: {first['detail']}", field=first["field"], errors=errors)


def _input(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, InputError)
    return problem(409 if isinstance(error, ConflictingInputError) else 422, str(error), field=error.field)


def _too_large(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, TooManyEntriesError)
    return problem(413, str(error), field=error.field, max_entries=error.limit)


def _not_found(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, RecordNotFoundError):
        return problem(404, f"no {error.entity} with id {error.record_id}", entity=error.entity)
    return problem(404, str(error))


def _conflict(request: Request, error: Exception) -> JSONResponse:
    if isinstance(error, ConstraintError):
        return problem(409, "the record refused the write (it conflicts with a stored one); retry")
    return problem(409, str(error))


def _knowledge(request: Request, error: Exception) -> JSONResponse:
    return problem(422, str(error), field="pack")


def _unauthenticated(request: Request, error: Exception) -> JSONResponse:
    return problem(401, str(error), headers={"WWW-Authenticate": "Bearer"})


def _forbidden(request: Request, error: Exception) -> JSONResponse:
    return problem(403, str(error))


def _rate_limited(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RateLimitedError)
    return problem(
        429, str(error), headers={"Retry-After": str(error.retry_after)}, retry_after=error.retry_after
    )


def storage_fault_kind(error: StorageFaultError) -> str:
    """``unavailable``, ``full``, ``read_only`` or ``damaged`` (``unavailable`` for any other fault)."""
    return next((kind for cls, kind in _FAULT_KINDS.items() if isinstance(error, cls)), "unavailable")


def log_storage_fault(request: Request, error: StorageFaultError) -> None:
    """One warning line for the admin: the fault, the route (a template, no ids) and the driver's cause."""
    route = getattr(request.scope.get("route"), "path", "?")
    _log.warning(
        "storage fault (%s) on %s %s: %s", storage_fault_kind(error), request.method, route, error.reason
    )


def storage_fault_headers(error: StorageFaultError) -> dict[str, str]:
    """``Retry-After`` for the fault the service recovers from by itself; none when an admin must act."""
    kind = storage_fault_kind(error)
    return {"Retry-After": str(RETRY_AFTER_SECONDS)} if kind == "unavailable" else {}


def storage_fault_problem(request: Request, error: Exception) -> JSONResponse:
    """503 problem JSON for a storage fault: what happened, that nothing was changed, who must act."""
    assert isinstance(error, StorageFaultError)
    log_storage_fault(request, error)
    headers = storage_fault_headers(error)
    extra: dict[str, Any] = {"retry_after": RETRY_AFTER_SECONDS} if headers else {}
    return problem(503, str(error), headers=headers, fault=storage_fault_kind(error), **extra)


def _http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, HTTPException)
    detail = error.detail if isinstance(error.detail, str) else _TITLES.get(error.status_code, "Error")
    return problem(error.status_code, detail, headers=dict(error.headers or {}))


def _unexpected(request: Request, error: Exception) -> JSONResponse:
    # The type only: messages and tracebacks can carry request values (patient data).
    route = getattr(request.scope.get("route"), "path", "?")
    _log.error("unhandled %s on %s %s", type(error).__name__, request.method, route)
    return problem(500, "an unexpected error; it has been logged")


_Handler = Callable[[Request, Exception], JSONResponse]

PROBLEM_TABLE: tuple[tuple[type[Exception], int, _Handler], ...] = (
    (InputError, 422, _input),
    (ConflictingInputError, 409, _input),
    (TooManyEntriesError, 413, _too_large),
    (RecordNotFoundError, 404, _not_found),
    (UnknownRuleError, 404, _not_found),
    (AlreadyEnteredInError, 409, _conflict),
    (ConstraintError, 409, _conflict),
    (KnowledgeError, 422, _knowledge),
    (AuthenticationError, 401, _unauthenticated),
    (PermissionDeniedError, 403, _forbidden),
    (RateLimitedError, 429, _rate_limited),
    # One handler for the base class: the web pages replace it with theirs, which hands API requests back.
    (StorageFaultError, 503, storage_fault_problem),
)
"""Each error class, its HTTP status and its handler (the nearest class along the hierarchy wins)."""

NOT_FROM_API: Mapping[type[Exception], str] = {
    ConfigurationError: "raised while the app is built from the environment, before any request",
    BackupFailedError: "backup and restore are CLI commands only",
    CdsAuthError: "the CDS Hooks routes answer it themselves (401)",
    DataUnavailableError: "the CDS Hooks routes answer it themselves (412)",
    PageError: "raised by web pages only; their handler (entrypoints/web/routes.py) answers an HTML page",
    LoginRequiredError: "raised by web pages only; their handler redirects to the login page",
}
"""Errors the problem handlers never see, and why (any that did would be a 500)."""


def install_problem_handlers(api: FastAPI) -> None:
    """Map every error to problem JSON on ``api``."""
    api.add_exception_handler(RequestValidationError, _validation)
    for error_class, _status, handler in PROBLEM_TABLE:
        api.add_exception_handler(error_class, handler)
    api.add_exception_handler(HTTPException, _http)
    api.add_exception_handler(Exception, _unexpected)
