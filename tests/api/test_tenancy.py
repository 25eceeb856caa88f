"""Clinics share one server safely: staff see only the clinics they are members of."""

from __future__ import annotations

from typing import Any

import pytest
from api_helpers import World, new_patient
from fastapi.testclient import TestClient

DOSE = {"date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"}


@pytest.fixture
def patient_a(client: TestClient, world: World, case: dict[str, Any]) -> str:
    found: str = new_patient(client, world, case)["patient"]["id"]
    return found


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/v1/patients/{id}", None),
        ("GET", "/api/v1/patients/{id}/forecast", None),
        ("GET", "/api/v1/patients/{id}/history", None),
        ("GET", "/api/v1/patients/{id}/plans", None),
        ("POST", "/api/v1/patients/{id}/doses", DOSE),
        ("POST", "/api/v1/patients/{id}/share-links", {}),
    ],
)
def test_staff_of_another_clinic_get_404_for_its_patients(
    *, client: TestClient, world: World, patient_a: str, method: str, path: str, body: dict[str, Any] | None
) -> None:
    response = client.request(method, path.format(id=patient_a), json=body, headers=world.auth("nurse.b"))

    assert response.status_code == 404
    assert response.json()["detail"] == f"no patient with id {patient_a}"


def test_another_clinics_entry_cannot_be_marked_entered_in_error(
    client: TestClient, world: World, patient_a: str
) -> None:
    dose = client.post(f"/api/v1/patients/{patient_a}/doses", json=DOSE, headers=world.auth("nurse.a")).json()

    response = client.post(
        f"/api/v1/entries/dose/{dose['id']}/entered-in-error",
        json={"reason": "x"},
        headers=world.auth("nurse.b"),
    )

    assert response.status_code == 404


def test_the_patient_list_and_recall_show_only_the_users_clinics(
    client: TestClient, world: World, patient_a: str, case: dict[str, Any]
) -> None:
    world.accounts.add_user("clinician.b", "correct horse battery", "clinician", [world.clinic_b], "setup")
    patient_b = new_patient(client, world, case, clinic=world.clinic_b, user="clinician.b")["patient"]["id"]

    listed = client.get("/api/v1/patients", headers=world.auth("nurse.b")).json()
    recall = client.get("/api/v1/recall?as_of=2026-06-01", headers=world.auth("nurse.b")).json()

    assert [p["id"] for p in listed["items"]] == [patient_b]
    assert [r["patient_id"] for r in recall["items"]] == [patient_b]


def test_asking_for_another_clinics_recall_or_patients_is_404(
    client: TestClient, world: World, patient_a: str
) -> None:
    recall = client.get(f"/api/v1/recall?clinic={world.clinic_a}", headers=world.auth("nurse.b"))
    patients = client.get(f"/api/v1/patients?clinic={world.clinic_a}", headers=world.auth("nurse.b"))
    clinic = client.get(f"/api/v1/clinics/{world.clinic_a}", headers=world.auth("nurse.b"))

    assert recall.status_code == patients.status_code == clinic.status_code == 404


def test_a_patient_cannot_be_created_in_another_clinic(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    body = {"clinic_id": world.clinic_b, "reference": "H1", "name": "Ann Example", "case": case}

    response = client.post("/api/v1/patients", json=body, headers=world.auth("clinician.a"))

    assert response.status_code == 422
    assert response.json()["field"] == "clinic_id"
