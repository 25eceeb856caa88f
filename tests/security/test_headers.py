"""Every response carries the security headers: each route of the app (found from the app, so a new one is
covered too), signed in and anonymous, plus static files, unknown paths, wrong methods and a server error."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from security_helpers import fill_path, http_routes

from app_helpers import TestClient, World
from b12care.entrypoints.web.session import SESSION_COOKIE


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """SQLite only: the headers do not depend on the database."""
    return f"sqlite:///{tmp_path / 'db' / 'b12care.db'}"


@pytest.fixture
def client(api: FastAPI) -> Iterator[TestClient]:
    with TestClient(api, follow_redirects=False, raise_server_exceptions=False) as test_client:
        yield test_client


def assert_secure(response: httpx.Response, path: str) -> None:
    """The headers every response must carry."""
    where = f"{response.request.method} {path} -> {response.status_code}"
    headers = response.headers
    assert headers.get("x-content-type-options") == "nosniff", where
    assert headers.get("x-frame-options") == "DENY", where
    assert "frame-ancestors 'none'" in headers.get("content-security-policy", ""), where
    assert headers.get("referrer-policy") == "no-referrer", where
    if not path.startswith("/static/"):
        assert "no-store" in headers.get("cache-control", ""), where
    if not headers.get("content-type", "").startswith("text/html"):  # the web's own policy, or none at all
        policy = headers["content-security-policy"]
        assert "default-src 'none'" in policy or "default-src 'self'" in policy, where


def _path_values(world: World) -> dict[str, str]:
    patient = world.add_patient()
    share = world.accounts.create_share_token(patient, world.accounts.clock() + dt.timedelta(days=1))
    return {
        "patient_id": patient,
        "clinic_id": world.clinic_a,
        "username": "nurse.a",
        "pack_id": "uk-nice-2024",
        "rule_id": "labs.total_b12.bands",
        "service_id": "b12care-patient-view",
        "kind": "dose",
        "token": share,
    }


@pytest.mark.parametrize("signed_in", [True, False], ids=["signed-in", "anonymous"])
def test_every_route_answers_with_the_security_headers(
    api: FastAPI, client: TestClient, world: World, signed_in: bool
) -> None:
    values = _path_values(world)
    headers: dict[str, str] = {}
    if signed_in:
        token = world.accounts.issue_token("admin.a")
        headers["Authorization"] = f"Bearer {token}"
        client.cookies.set(SESSION_COOKIE, token)
    routes = http_routes(api.routes)
    assert ("POST", "/api/v1/patients/{patient_id}/doses") in routes  # the sweep sees the included routers
    assert ("POST", "/patients/{patient_id}/doses") in routes
    assert len(routes) > 40

    for method, template in routes:
        path = fill_path(template, values)
        body = {} if method in {"POST", "PUT", "PATCH"} else None
        assert_secure(client.request(method, path, json=body, headers=headers), path)


def test_static_files_unknown_paths_and_wrong_methods_carry_them_too(client: TestClient) -> None:
    for method, path in [
        ("GET", "/static/app.css"),
        ("GET", "/no/such/page"),
        ("DELETE", "/api/v1/patients"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/health"),
    ]:
        response = client.request(method, path)
        assert response.status_code in {200, 404, 405}, (path, response.status_code)
        assert_secure(response, path)


def test_a_server_error_carries_them_too(api: FastAPI, client: TestClient) -> None:
    def broken() -> None:
        raise RuntimeError("a bug")

    api.add_api_route("/broken-for-the-test", broken)

    response = client.get("/broken-for-the-test")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert_secure(response, "/broken-for-the-test")


def test_json_is_not_a_document_and_pages_keep_their_own_policy(client: TestClient, world: World) -> None:
    token = world.accounts.issue_token("nurse.a")
    client.cookies.set(SESSION_COOKIE, token)

    api_answer = client.get("/api/v1/packs", headers={"Authorization": f"Bearer {token}"})
    page = client.get("/knowledge")

    assert api_answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "script-src 'self'" in page.headers["content-security-policy"]


def test_strict_transport_security_is_sent_over_https_only(api: FastAPI, client: TestClient) -> None:
    with TestClient(api, base_url="https://testserver") as secure:
        over_https = secure.get("/health")

    assert over_https.headers["strict-transport-security"].startswith("max-age=")
    assert "strict-transport-security" not in client.get("/health").headers
