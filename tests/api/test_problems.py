"""Every error is RFC 9457 problem JSON; an unexpected one is a 500 without a traceback."""

from __future__ import annotations

import warnings

from api_helpers import World
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient


def test_an_unknown_route_is_404_problem_json(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/nothing-here")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["title"] == "Not found"


def test_a_wrong_method_is_405_problem_json(client: TestClient, world: World) -> None:
    response = client.delete("/api/v1/patients", headers=world.auth("admin.a"))

    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"


def test_a_malformed_json_body_is_422_problem_json(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/plans/preview",
        content=b"{not json",
        headers={**world.auth("viewer.a"), "content-type": "application/json"},
    )

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"


def test_an_unexpected_error_is_500_without_a_traceback(api: FastAPI, world: World) -> None:
    @api.get("/boom")
    def boom() -> None:
        raise RuntimeError("patient Ann Example secret detail")

    with TestClient(api, raise_server_exceptions=False) as client:
        response = client.get("/boom")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "Ann Example" not in response.text
    assert "Traceback" not in response.text


def test_the_openapi_document_and_docs_are_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()

    assert "/api/v1/patients/{patient_id}/doses" in schema["paths"]
    assert client.get("/docs").status_code == 200
