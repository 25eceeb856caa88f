"""Login and logout pages: the password form sets the session cookie; logout clears it."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from b12care.domain.errors import AuthenticationError, RateLimitedError
from b12care.entrypoints.web.session import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    CsrfField,
    PageUser,
    accounts_of,
    check_csrf,
    new_login_csrf,
    secure_cookies,
)
from b12care.entrypoints.web.templating import forget_session, redirect, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _safe_next(path: str | None) -> str:
    """Only a path of this site (never ``//host`` or a URL) may follow a login."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _login_page(request: Request, *, username: str = "", error: str = "", status: int = 200) -> Response:
    token = new_login_csrf()
    response = render(
        request,
        "login.html",
        {
            "login_csrf": token,
            "username": username,
            "error": error,
            "next": _safe_next(request.query_params.get("next")),
        },
        status,
    )
    response.set_cookie(
        CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure_cookies(request), path="/login"
    )
    return response


@router.get("/login")
def login_form(request: Request) -> Response:
    """The login form."""
    return _login_page(request)


@router.post("/login")
def login(
    request: Request,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
    csrf: CsrfField = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    """Check the password (rate-limited like the API's login) and start a session."""
    expected = request.cookies.get(CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(expected, csrf):
        return _login_page(request, username=username, error="The form expired; try again.", status=403)
    users = accounts_of(request)
    client = request.client.host if request.client else "unknown"
    try:
        token = users.login(username, password, client)
    except RateLimitedError as error:
        message = f"Too many failed attempts; try again in {error.retry_after} seconds."
        return _login_page(request, username=username, error=message, status=429)
    except AuthenticationError:
        return _login_page(request, username=username, error="Wrong username or password.", status=401)
    response = redirect(_safe_next(next))
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(users.token_lifetime.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        path="/",
    )
    response.delete_cookie(CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(request: Request, user: PageUser, csrf: CsrfField = "") -> Response:
    """End the session: the cookie is cleared."""
    check_csrf(request, csrf)
    return forget_session(redirect("/login"))
