"""Patients over the API: create with a plan, list with pagination, show, forecast, plan versions."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import World, new_patient
from fastapi.testclient import TestClient

from b12care.application.case_file import parse_case
from b12care.application.plan_json import plan_to_dict
from b12care.application.planning import plan_case


def test_a_clinician_creates_a_patient_with_plan_version_1_and_its_forecast(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    body = new_patient(client, world, case)

    assert body["patient"]["clinic_id"] == world.clinic_a
    assert body["patient"]["created_by"] == "clinician.a"
    assert body["plan_version"]["version"] == 1
    assert body["plan"] == plan_to_dict(plan_case(parse_case(case)))
    assert body["forecast"]["plan"] == body["plan"]
    assert body["forecast"]["status"] in {"not_started", "loading", "due", "due_soon"}


@pytest.mark.parametrize("role", ["nurse", "viewer"])
def test_nurses_and_viewers_cannot_create_patients(
    client: TestClient, world: World, case: dict[str, Any], role: str
) -> None:
    body = {"clinic_id": world.clinic_a, "reference": "H1", "name": "Ann Example", "case": case}

    response = client.post("/api/v1/patients", json=body, headers=world.auth(f"{role}.a"))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_a_bad_case_is_422_naming_the_field_inside_the_case(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    case["labs"][0]["unit"] = "mg/dL"
    body = {"clinic_id": world.clinic_a, "reference": "H1", "name": "Ann Example", "case": case}

    response = client.post("/api/v1/patients", json=body, headers=world.auth("clinician.a"))

    assert response.status_code == 422
    assert response.json()["field"] == "case.labs[0].unit"


def test_an_unknown_body_field_is_422_naming_it(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    body = {"clinic_id": world.clinic_a, "reference": "H1", "name": "A", "case": case, "nickname": "x"}

    response = client.post("/api/v1/patients", json=body, headers=world.auth("clinician.a"))

    problem = response.json()
    assert response.status_code == 422
    assert problem["field"] == "nickname"
    assert problem["errors"][0]["pointer"] == "/body/nickname"
    assert problem["errors"][0]["detail"] == "unknown field"


def test_the_patient_list_pages_with_a_total(client: TestClient, world: World, case: dict[str, Any]) -> None:
    created = {new_patient(client, world, case)["patient"]["id"] for _ in range(5)}
    every = client.get("/api/v1/patients", headers=world.auth("viewer.a")).json()
    ids = [p["id"] for p in every["items"]]

    first = client.get("/api/v1/patients?limit=2", headers=world.auth("viewer.a")).json()
    last = client.get("/api/v1/patients?limit=2&offset=4", headers=world.auth("viewer.a")).json()

    assert set(ids) == created
    assert first["total"] == last["total"] == 5
    assert [p["id"] for p in first["items"]] == ids[:2]
    assert [p["id"] for p in last["items"]] == ids[4:]


def test_a_patient_is_shown_with_plan_and_forecast_on_a_day(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    patient_id = new_patient(client, world, case)["patient"]["id"]

    shown = client.get(f"/api/v1/patients/{patient_id}?as_of=2026-03-01", headers=world.auth("viewer.a"))
    forecast = client.get(
        f"/api/v1/patients/{patient_id}/forecast?as_of=2026-03-01", headers=world.auth("viewer.a")
    )

    assert shown.status_code == forecast.status_code == 200
    assert shown.json()["forecast"] == forecast.json()
    assert forecast.json()["as_of"] == "2026-03-01"


def test_a_new_case_becomes_the_next_plan_version_audited_with_the_user(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    patient_id = new_patient(client, world, case)["patient"]["id"]
    case["neurological_symptoms"] = True

    response = client.post(
        f"/api/v1/patients/{patient_id}/plans", json={"case": case}, headers=world.auth("clinician.a")
    )

    assert response.status_code == 201
    assert response.json()["plan_version"]["version"] == 2
    versions = client.get(f"/api/v1/patients/{patient_id}/plans", headers=world.auth("viewer.a")).json()
    assert [v["version"] for v in versions] == [1, 2]
    with world.services.uow() as uow:
        entries = uow.audit.for_entity("plan_version", versions[1]["id"])
    assert [(e.action, e.actor) for e in entries] == [("plan_version.add", "clinician.a")]


def test_a_nurse_cannot_add_a_plan_version(client: TestClient, world: World, case: dict[str, Any]) -> None:
    patient_id = new_patient(client, world, case)["patient"]["id"]

    response = client.post(
        f"/api/v1/patients/{patient_id}/plans", json={"case": case}, headers=world.auth("nurse.a")
    )

    assert response.status_code == 403


def test_the_preview_is_the_plan_json_of_the_cli(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    response = client.post("/api/v1/plans/preview", json={"case": case}, headers=world.auth("viewer.a"))

    assert response.status_code == 200
    assert response.json() == plan_to_dict(plan_case(parse_case(case)))


def test_a_preview_of_an_impossible_date_names_the_field(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    case["start_date"] = "2026-02-30"

    response = client.post("/api/v1/plans/preview", json={"case": case}, headers=world.auth("viewer.a"))

    assert response.status_code == 422
    assert response.json()["field"] == "case.start_date"
