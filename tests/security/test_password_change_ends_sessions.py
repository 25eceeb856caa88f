"""A password change ends the user's earlier tokens and web login sessions (security probe L1): after a
suspected compromise, resetting the password must lock the attacker out at once, not after the token's
lifetime. Real logins (the API's token route and the web login form) before and after, on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI

from app_helpers import PASSWORD, TestClient, World
from b12care.entrypoints.web.session import SESSION_COOKIE

NEW_PASSWORD = "Changed-pass-999"


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api, follow_redirects=False) as test_client:
        yield test_client


def _api_login(client: TestClient, username: str, password: str) -> dict[str, str]:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _web_login(client: TestClient, username: str, password: str) -> str:
    """Log in with the login form; the session cookie's token."""
    page = client.get("/login").text
    found = re.search(r'name="csrf" value="([^"]*)"', page)
    assert found is not None
    form = {"username": username, "password": password, "csrf": found.group(1), "next": "/"}
    response = client.post("/login", data=form)
    assert response.status_code == 303, response.text
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    return token


def _reset(client: TestClient, world: World, username: str, **change: object) -> None:
    admin = _api_login(client, "admin.a", PASSWORD)
    assert client.patch(f"/api/v1/users/{username}", json=change, headers=admin).status_code == 200


def test_a_token_issued_before_a_password_change_is_refused_after_it(
    client: TestClient, world: World
) -> None:
    stolen = _api_login(client, "viewer.a", PASSWORD)
    assert client.get("/api/v1/auth/me", headers=stolen).status_code == 200

    _reset(client, world, "viewer.a", password=NEW_PASSWORD)

    assert client.get("/api/v1/auth/me", headers=stolen).status_code == 401
    fresh = _api_login(client, "viewer.a", NEW_PASSWORD)
    assert client.get("/api/v1/auth/me", headers=fresh).status_code == 200


def test_a_web_session_started_before_a_password_change_goes_to_the_login_page(
    client: TestClient, world: World
) -> None:
    session = _web_login(client, "nurse.a", PASSWORD)
    assert client.get("/").status_code == 200

    _reset(client, world, "nurse.a", password=NEW_PASSWORD)
    assert client.cookies.get(SESSION_COOKIE) == session  # the browser still presents it

    response = client.get("/")
    assert (response.status_code, response.headers["location"]) == (303, "/login")
    _web_login(client, "nurse.a", NEW_PASSWORD)
    assert client.get("/").status_code == 200


def test_disabling_and_enabling_again_does_not_bring_back_an_earlier_token(
    client: TestClient, world: World
) -> None:
    stolen = _api_login(client, "viewer.a", PASSWORD)

    _reset(client, world, "viewer.a", disabled=True)
    _reset(client, world, "viewer.a", disabled=False)

    assert client.get("/api/v1/auth/me", headers=stolen).status_code == 401
    assert client.get("/api/v1/auth/me", headers=_api_login(client, "viewer.a", PASSWORD)).status_code == 200


def test_a_change_of_role_leaves_the_users_sessions_working_with_the_new_role(
    client: TestClient, world: World
) -> None:
    nurse = _api_login(client, "nurse.a", PASSWORD)

    _reset(client, world, "nurse.a", role="clinician")

    me = client.get("/api/v1/auth/me", headers=nurse)
    assert me.status_code == 200
    assert me.json()["memberships"] == [{"clinic_id": world.clinic_a, "role": "clinician"}]
