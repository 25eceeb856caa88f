"""Rendering pages: one Jinja2 environment (autoescape on), security headers on every page.

The Content-Security-Policy allows scripts only from this site (the vendored htmx, never inline);
styles may be inline because the timeline chart is an inline SVG whose drawing styles are attributes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from b12care.entrypoints.web.session import (
    SESSION_COOKIE,
    accounts_of,
    csrf_token,
    session_token,
)

__all__ = [
    "FLASHES",
    "SECURITY_HEADERS",
    "STATIC",
    "TEMPLATES",
    "forget_session",
    "redirect",
    "render",
    "render_text",
    "with_security_headers",
]

R = TypeVar("R", bound=Response)

HERE = Path(__file__).resolve().parent
STATIC = HERE / "static"
TEMPLATES = HERE / "templates"

SECURITY_HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}

FLASHES: Mapping[str, str] = {
    "dose": "Dose recorded.",
    "lab": "Laboratory result recorded.",
    "symptoms": "Symptom check recorded.",
    "review": "Review recorded.",
    "error": "Entry marked as entered in error (it is kept in the record).",
    "created": "Patient created with plan version 1.",
}


def _date(value: dt.date | None) -> str:
    return "-" if value is None else value.strftime("%a %d %b %Y")


def _words(code: str | None) -> str:
    return "" if code is None else code.replace("_", " ")


def _number(value: Decimal | int | float | str) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.filters["day"] = _date
_env.filters["words"] = _words
_env.filters["number"] = _number


def with_security_headers(response: R) -> R:
    """Set the page security headers on ``response``."""
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    return response


def render(
    request: Request, template: str, context: Mapping[str, Any] | None = None, status: int = 200
) -> HTMLResponse:
    """Render a page; every page gets the user (if any), the session's CSRF token and the flash."""
    token = session_token(request)
    page: dict[str, Any] = {
        "request": request,
        "user": None,
        "csrf": csrf_token(accounts_of(request).secret, token) if token else "",
        "flash": FLASHES.get(request.query_params.get("done", ""), ""),
        "partial": request.headers.get("HX-Request") == "true",
    }
    page.update(context or {})
    html = _env.get_template(template).render(page)
    return with_security_headers(HTMLResponse(html, status_code=status))


def render_text(template: str, context: Mapping[str, Any]) -> str:
    """Render a template to text (no request: error pages of the exception handlers)."""
    return _env.get_template(template).render(context)


def redirect(location: str) -> Response:
    """303 See Other to ``location`` (after a POST, the browser GETs it)."""
    return with_security_headers(RedirectResponse(location, status_code=303))


def forget_session(response: Response) -> Response:
    """Clear the session cookie."""
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
    return response
