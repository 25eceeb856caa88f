"""Login and logout through the form: the session cookie, its flags, the CSRF cookie, rate limit."""

from __future__ import annotations

import warnings

import httpx
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

from web_helpers import PASSWORD, Clinics, hidden_csrf

from b12care.entrypoints.web.session import SESSION_COOKIE


def _log_in(client: TestClient, username: str, password: str, next_path: str = "/") -> httpx.Response:
    page = client.get("/login")
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf": hidden_csrf(page.text), "next": next_path},
    )


def test_a_page_without_a_session_redirects_to_login_and_back(client: TestClient, clinics: Clinics) -> None:
    response = client.get("/knowledge")

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fknowledge"
    assert 'name="next" value="/knowledge"' in client.get(response.headers["location"]).text


def test_the_way_back_after_login_keeps_the_query(client: TestClient, clinics: Clinics) -> None:
    response = client.get("/?view=overdue&status=overdue")

    assert response.headers["location"] == "/login?next=%2F%3Fview%3Doverdue%26status%3Doverdue"


def test_an_htmx_request_without_a_session_is_sent_to_the_login_page(
    client: TestClient, clinics: Clinics
) -> None:
    response = client.get("/?status=due", headers={"HX-Request": "true"})

    assert response.headers["HX-Redirect"] == "/login?next=%2F%3Fstatus%3Ddue"


def test_logging_in_sets_an_httponly_same_site_strict_session_cookie(
    client: TestClient, clinics: Clinics
) -> None:
    response = _log_in(client, "nurse.a", PASSWORD, "/knowledge")

    assert response.status_code == 303
    assert response.headers["location"] == "/knowledge"
    cookie = next(c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    assert "Secure" not in cookie  # plain http here; see the https test
    assert client.get("/knowledge").status_code == 200


def test_the_session_cookie_is_secure_over_https(web: FastAPI, clinics: Clinics) -> None:
    with TestClient(web, base_url="https://testserver", follow_redirects=False) as client:
        response = _log_in(client, "nurse.a", PASSWORD)

    cookies = response.headers.get_list("set-cookie")
    assert any(c.startswith(SESSION_COOKIE) and "Secure" in c for c in cookies)


def test_a_wrong_password_shows_the_form_again_with_the_username_kept(
    client: TestClient, clinics: Clinics
) -> None:
    response = _log_in(client, "nurse.a", "not the password")

    assert response.status_code == 401
    assert "Wrong username or password." in response.text
    assert 'value="nurse.a"' in response.text
    assert SESSION_COOKIE not in client.cookies


def test_repeated_failures_are_rate_limited_like_the_api(client: TestClient, clinics: Clinics) -> None:
    for _ in range(5):
        _log_in(client, "nurse.a", "not the password")

    response = _log_in(client, "nurse.a", PASSWORD)

    assert response.status_code == 429
    assert "Too many failed attempts" in response.text


def test_the_login_form_is_refused_without_its_csrf_token(client: TestClient, clinics: Clinics) -> None:
    client.get("/login")

    response = client.post("/login", data={"username": "nurse.a", "password": PASSWORD, "csrf": "forged"})

    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_login_never_redirects_to_another_site(client: TestClient, clinics: Clinics) -> None:
    response = _log_in(client, "nurse.a", PASSWORD, "//evil.example/steal")

    assert response.headers["location"] == "/"


def test_logging_out_clears_the_session(client: TestClient, clinics: Clinics) -> None:
    _log_in(client, "nurse.a", PASSWORD)
    csrf = hidden_csrf(client.get("/knowledge").text)

    response = client.post("/logout", data={"csrf": csrf})

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/").status_code == 303


def test_a_disabled_user_is_logged_out_at_once(client: TestClient, clinics: Clinics) -> None:
    _log_in(client, "nurse.a", PASSWORD)
    clinics.accounts.update_user("nurse.a", "admin.a", disabled=True)

    response = client.get("/")

    assert response.status_code == 303
    assert response.headers["location"] == "/login"
