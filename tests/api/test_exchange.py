"""FHIR export and import over the API, and the calendar feed for staff and through a share link."""

from __future__ import annotations

from typing import Any

import icalendar
import pytest
from api_helpers import World, new_patient
from fastapi.testclient import TestClient


@pytest.fixture
def patient(client: TestClient, world: World, case: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = new_patient(client, world, case)["patient"]
    return found


def _dose(world: World, patient_id: str, day: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "id": f"ma-{day}",
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "317106"}]
        },
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": day,
        "dosage": {
            "route": {"text": "IM"},
            "dose": {"value": 1, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"},
        },
    }


def test_a_patient_exports_as_a_fhir_r4_bundle_with_the_plan(
    client: TestClient, world: World, patient: dict[str, Any]
) -> None:
    response = client.get(f"/api/v1/patients/{patient['id']}/fhir", headers=world.auth("viewer.a"))

    bundle = response.json()
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/fhir+json")
    assert bundle["resourceType"] == "Bundle"
    kinds = {entry["resource"]["resourceType"] for entry in bundle["entry"]}
    assert {"Patient", "CarePlan", "MedicationRequest"} <= kinds
    request = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "MedicationRequest"
    )
    assert [d["sequence"] for d in request["dosageInstruction"]] == list(
        range(1, len(request["dosageInstruction"]) + 1)
    )


def test_staff_of_another_clinic_cannot_export_the_patient(
    client: TestClient, world: World, patient: dict[str, Any]
) -> None:
    response = client.get(f"/api/v1/patients/{patient['id']}/fhir", headers=world.auth("nurse.b"))

    assert response.status_code == 404


def test_an_imported_bundle_reports_each_entry_and_an_unknown_code(
    client: TestClient, world: World, patient: dict[str, Any]
) -> None:
    unknown = _dose(world, patient["id"], "2026-01-06") | {
        "id": "ma-unknown",
        "medicationCodeableConcept": {"coding": [{"system": "http://example.org/drugs", "code": "X1"}]},
    }
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {
                "resource": {
                    "resourceType": "Patient",
                    "id": patient["id"],
                    "identifier": [{"value": patient["reference"]}],
                }
            },
            {"resource": _dose(world, patient["id"], "2026-01-05")},
            {"resource": unknown},
        ],
    }

    response = client.post(
        "/api/v1/fhir/import", params={"clinic": world.clinic_a}, json=bundle, headers=world.auth("nurse.a")
    )
    again = client.post(
        "/api/v1/fhir/import", params={"clinic": world.clinic_a}, json=bundle, headers=world.auth("nurse.a")
    )

    report, second = response.json(), again.json()
    assert response.status_code == 200, report
    assert [(i["resourceType"], i["id"]) for i in report["imported"]] == [
        ("MedicationAdministration", "ma-2026-01-05")
    ]
    assert [i["id"] for i in report["issues"]] == ["ma-unknown"]
    assert "X1" in str(report["issues"][0])
    assert second["imported"] == []
    assert [i["id"] for i in second["duplicates"]] == ["ma-2026-01-05"]
    history = client.get(f"/api/v1/patients/{patient['id']}/history", headers=world.auth("nurse.a")).json()
    assert [d["date"] for d in history["doses"]] == ["2026-01-05"]


def test_a_viewer_cannot_import_and_nobody_imports_into_another_clinic(
    client: TestClient, world: World
) -> None:
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": []}

    as_viewer = client.post(
        "/api/v1/fhir/import", params={"clinic": world.clinic_a}, json=bundle, headers=world.auth("viewer.a")
    )
    elsewhere = client.post(
        "/api/v1/fhir/import", params={"clinic": world.clinic_b}, json=bundle, headers=world.auth("nurse.a")
    )

    assert as_viewer.status_code == 403
    assert elsewhere.status_code == 404


def test_a_malformed_bundle_is_a_problem_naming_the_element(client: TestClient, world: World) -> None:
    response = client.post(
        "/api/v1/fhir/import",
        params={"clinic": world.clinic_a},
        json={"resourceType": "Bundle", "type": "nonsense"},
        headers=world.auth("nurse.a"),
    )

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "type" in response.json()["field"]


def test_the_share_link_serves_the_patients_calendar(
    client: TestClient, world: World, patient: dict[str, Any]
) -> None:
    link = client.post(
        f"/api/v1/patients/{patient['id']}/share-links", json={"days": 7}, headers=world.auth("nurse.a")
    ).json()

    response = client.get(f"/share/{link['token']}/calendar.ics")
    again = client.get(f"/share/{link['token']}/calendar.ics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = list(calendar.walk("VEVENT"))
    assert events
    assert patient["name"] not in response.text
    uids = sorted(str(e["UID"]) for e in events)
    assert uids == sorted(str(e["UID"]) for e in icalendar.Calendar.from_ical(again.content).walk("VEVENT"))


def test_a_bad_share_token_gets_no_calendar(client: TestClient) -> None:
    response = client.get("/share/not-a-token/calendar.ics")

    assert response.status_code == 401


def test_staff_read_the_calendar_of_their_own_clinics_patients_only(
    client: TestClient, world: World, patient: dict[str, Any]
) -> None:
    mine = client.get(f"/api/v1/patients/{patient['id']}/calendar.ics", headers=world.auth("viewer.a"))
    theirs = client.get(f"/api/v1/patients/{patient['id']}/calendar.ics", headers=world.auth("nurse.b"))

    assert mine.status_code == 200
    assert b"BEGIN:VCALENDAR" in mine.content
    assert theirs.status_code == 404


def test_the_fhir_export_of_a_patient_is_audited_as_an_export_naming_who_and_which_patient(
    client: TestClient, world: World, patient: dict[str, Any]
) -> None:
    response = client.get(f"/api/v1/patients/{patient['id']}/fhir", headers=world.auth("viewer.a"))

    with world.services.uow(read_only=True) as uow:
        exports = [e for e in uow.audit.for_entity("patient", patient["id"]) if e.action == "record.export"]
    assert response.status_code == 200
    assert [(e.actor, e.entity_id, dict(e.detail)) for e in exports] == [
        ("viewer.a", patient["id"], {"format": "fhir", "patients": 1})
    ]
    assert patient["name"] not in str(exports) and patient["reference"] not in str(exports)


def test_a_refused_fhir_export_leaves_no_export_in_the_audit_log(
    client: TestClient, world: World, patient: dict[str, Any]
) -> None:
    response = client.get(f"/api/v1/patients/{patient['id']}/fhir", headers=world.auth("nurse.b"))

    with world.services.uow(read_only=True) as uow:
        exports = [e for e in uow.audit.for_entity("patient", patient["id"]) if e.action == "record.export"]
    assert response.status_code == 404
    assert exports == []
