"""Sessions end when their login token does (B12CARE_TOKEN_LIFETIME_MINUTES), on the app's clock: the web
page goes to /login, a form post stores nothing, the API answers 401; the cookie lives no longer than the
token. (HttpOnly, SameSite=Strict, Secure over https and logout are in tests/web/test_web_login.py.)"""

from __future__ import annotations

import re
from collections.abc import Iterator
from http.cookies import Morsel, SimpleCookie
from pathlib import Path

import httpx
import jwt
import pytest
from fastapi import FastAPI
from security_helpers import row_counts

from app_helpers import PASSWORD, MovableClock, TestClient, World
from b12care.bootstrap import App
from b12care.entrypoints.web.session import SESSION_COOKIE


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: expiry is decided on the clock, not in the database."""
    return f"sqlite:///{tmp_path / 'db' / 'b12care.db'}"


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api, follow_redirects=False) as test_client:
        yield test_client


def _log_in(client: TestClient) -> httpx.Response:
    page = client.get("/login").text
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found is not None
    form = {"username": "nurse.a", "password": PASSWORD, "csrf": found.group(1), "next": "/knowledge"}
    response = client.post("/login", data=form)
    assert response.status_code == 303
    return response


def _session_cookie(response: httpx.Response) -> Morsel[str]:
    """The session cookie a response sets (each Set-Cookie header parsed on its own)."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{SESSION_COOKIE}="):
            return SimpleCookie(header)[SESSION_COOKIE]
    raise AssertionError("no session cookie set")


def _lifetime_seconds(world: World) -> float:
    return world.accounts.token_lifetime.total_seconds()


def test_a_session_works_until_its_token_expires_and_then_goes_to_the_login_page(
    client: TestClient, world: World, clock: MovableClock
) -> None:
    _log_in(client)
    lifetime = _lifetime_seconds(world)

    clock.advance(seconds=lifetime - 1)
    still_valid = client.get("/knowledge")
    clock.advance(seconds=1)
    expired = client.get("/knowledge")

    assert still_valid.status_code == 200
    assert expired.status_code == 303
    assert expired.headers["location"] == "/login?next=%2Fknowledge"
    cleared = _session_cookie(expired)
    assert cleared.value in {"", '""'} and cleared["max-age"] == "0"


def test_an_expired_session_cannot_post_a_form(
    client: TestClient, world: World, clock: MovableClock, booted: App
) -> None:
    _log_in(client)
    patient = world.add_patient()
    page = client.get(f"/patients/{patient}").text
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found is not None
    clock.advance(seconds=_lifetime_seconds(world))
    before = row_counts(booted.engine)
    form = {"csrf": found.group(1), "date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1"}

    response = client.post(f"/patients/{patient}/doses", data=form | {"unit": "mg", "route": "IM"})

    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert row_counts(booted.engine) == before


def test_the_api_answers_401_once_the_token_has_expired(
    client: TestClient, world: World, clock: MovableClock
) -> None:
    issued = client.post("/api/v1/auth/token", data={"username": "nurse.a", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {issued.json()['access_token']}"}

    clock.advance(seconds=_lifetime_seconds(world) - 1)
    still_valid = client.get("/api/v1/auth/me", headers=headers)
    clock.advance(seconds=1)
    expired = client.get("/api/v1/auth/me", headers=headers)

    assert still_valid.status_code == 200
    assert expired.status_code == 401
    assert expired.headers["content-type"] == "application/problem+json"
    assert expired.headers["www-authenticate"] == "Bearer"


def test_the_session_cookie_lives_no_longer_than_its_token(client: TestClient, world: World) -> None:
    response = _log_in(client)

    cookie = _session_cookie(response)
    claims = jwt.decode(cookie.value, options={"verify_signature": False})
    token_seconds = claims["exp"] - claims["iat"]

    assert 0 < int(cookie["max-age"]) <= token_seconds
    assert token_seconds == _lifetime_seconds(world)
    assert not cookie["expires"]  # Max-Age alone: no date that the browser's clock could misread
    assert cookie["httponly"] and cookie["samesite"].lower() == "strict"
