"""The recall list over the API: as_of, status, clinic, limit and offset."""

from __future__ import annotations

from typing import Any

from api_helpers import World, new_patient
from fastapi.testclient import TestClient


def test_the_recall_list_filters_by_status_and_pages(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    created = {new_patient(client, world, case)["patient"]["id"] for _ in range(3)}
    headers = world.auth("viewer.a")

    every = client.get("/api/v1/recall?as_of=2026-06-01", headers=headers).json()
    page = client.get("/api/v1/recall?as_of=2026-06-01&limit=1&offset=1", headers=headers).json()
    due_only = client.get("/api/v1/recall?as_of=2026-06-01&status=due", headers=headers).json()

    assert {r["patient_id"] for r in every["items"]} == created
    assert every["as_of"] == "2026-06-01"
    assert [r["patient_id"] for r in page["items"]] == [every["items"][1]["patient_id"]]
    assert all(r["status"] == "due" for r in due_only["items"])
    assert {"reference", "name", "urgency", "due", "overdue", "flags"} <= set(every["items"][0])


def test_an_unknown_status_is_422_naming_status(client: TestClient, world: World) -> None:
    response = client.get("/api/v1/recall?status=late", headers=world.auth("viewer.a"))

    assert response.status_code == 422
    assert response.json()["field"] == "status[0]"
    assert response.json()["errors"][0]["pointer"] == "/query/status/0"
