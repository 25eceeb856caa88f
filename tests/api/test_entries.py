"""Recording on a patient: doses, labs, symptom checks, reviews, entered-in-error; roles and audit."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_helpers import World
from fastapi.testclient import TestClient

DOSE = {"date": "2026-01-05", "drug": "hydroxocobalamin", "dose": "1", "unit": "mg", "route": "IM"}


def _post(
    client: TestClient, world: World, path: str, body: dict[str, Any], user: str = "nurse.a"
) -> httpx.Response:
    """POST ``body`` to ``/api/v1/{path}`` as ``user``."""
    return client.post(f"/api/v1/{path}", json=body, headers=world.auth(user))


def _refused(client: TestClient, world: World, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to ``/api/v1/{path}`` as nurse.a, which must be refused 422; the problem JSON."""
    response = _post(client, world, path, body)
    assert response.status_code == 422, response.text
    problem: dict[str, Any] = response.json()
    return problem


@pytest.fixture
def dose_id(client: TestClient, world: World, patient_id: str) -> str:
    """A dose the nurse recorded on the patient."""
    found: str = _post(client, world, f"patients/{patient_id}/doses", DOSE).json()["id"]
    return found


def test_a_nurse_records_a_dose_audited_under_their_name(
    client: TestClient, world: World, patient_id: str
) -> None:
    response = _post(client, world, f"patients/{patient_id}/doses", DOSE)

    assert response.status_code == 201
    dose = response.json()
    assert (dose["dose"], dose["dose_unit"], dose["recorded_by"]) == ("1", "mg", "nurse.a")
    with world.services.uow() as uow:
        audit = uow.audit.for_entity("dose", dose["id"])
    assert [(e.action, e.actor) for e in audit] == [("dose.add", "nurse.a")]


def test_a_viewer_cannot_record_a_dose(client: TestClient, world: World, patient_id: str) -> None:
    response = _post(client, world, f"patients/{patient_id}/doses", DOSE, "viewer.a")

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"


def test_a_repeated_idempotency_key_stores_one_dose(
    client: TestClient, world: World, patient_id: str
) -> None:
    keyed = {**DOSE, "idempotency_key": "visit-1"}
    first = _post(client, world, f"patients/{patient_id}/doses", keyed)
    again = _post(client, world, f"patients/{patient_id}/doses", keyed)

    assert first.json()["id"] == again.json()["id"]
    history = client.get(f"/api/v1/patients/{patient_id}/history", headers=world.auth("viewer.a")).json()
    assert len(history["doses"]) == 1


def test_an_idempotency_key_reused_for_a_different_dose_is_409_and_stores_nothing(
    client: TestClient, world: World, patient_id: str
) -> None:
    """Security probe M5: the second dose used to be answered 201 with the first and silently dropped."""
    first = _post(client, world, f"patients/{patient_id}/doses", {**DOSE, "idempotency_key": "k"})
    other = {"date": "2026-08-15", "drug": "cyanocobalamin", "dose": "2", "unit": "mg", "route": "SC"}

    reused = _post(client, world, f"patients/{patient_id}/doses", {**other, "idempotency_key": "k"})

    assert first.status_code == 201
    assert reused.status_code == 409
    assert reused.headers["content-type"] == "application/problem+json"
    problem = reused.json()
    assert problem["field"] == "idempotency_key"
    assert "2026-01-05" in problem["detail"] and "2026-08-15" in problem["detail"]
    history = client.get(f"/api/v1/patients/{patient_id}/history", headers=world.auth("viewer.a")).json()
    assert [d["date"] for d in history["doses"]] == ["2026-01-05"]
    with world.services.uow() as uow:
        assert [e.action for e in uow.audit.for_entity("dose", first.json()["id"])] == ["dose.add"]


def test_a_completed_dose_without_a_route_is_422_naming_the_field(
    client: TestClient, world: World, patient_id: str
) -> None:
    body = {k: v for k, v in DOSE.items() if k != "route"}

    problem = _refused(client, world, f"patients/{patient_id}/doses", body)

    assert problem["field"] == "entry"


def test_a_lab_in_a_unit_that_does_not_fit_the_test_is_422_naming_unit(
    client: TestClient, world: World, patient_id: str
) -> None:
    lab = {"test": "total_b12", "value": "180", "unit": "mg/dL", "date": "2026-01-05"}

    problem = _refused(client, world, f"patients/{patient_id}/labs", lab)

    assert "unit" in problem["field"]


def test_a_lab_with_a_negative_value_names_the_body_field(
    client: TestClient, world: World, patient_id: str
) -> None:
    lab = {"test": "total_b12", "value": "-1", "unit": "ng/L", "date": "2026-01-05"}

    problem = _refused(client, world, f"patients/{patient_id}/labs", lab)

    assert problem["errors"][0]["pointer"] == "/body/value"


def test_a_nurse_records_labs_and_symptom_checks(client: TestClient, world: World, patient_id: str) -> None:
    lab = {"test": "total_b12", "value": "180", "unit": "ng/L", "date": "2026-01-05"}
    check = {"date": "2026-01-05", "overall": "better", "scores": {"fatigue": 2, "balance": 0}}

    assert _post(client, world, f"patients/{patient_id}/labs", lab).status_code == 201
    response = _post(client, world, f"patients/{patient_id}/symptom-checks", check)

    assert response.status_code == 201
    assert response.json()["scores"] == {"fatigue": 2, "balance": 0}


def test_a_symptom_score_above_3_names_the_field(client: TestClient, world: World, patient_id: str) -> None:
    check = {"date": "2026-01-05", "overall": "better", "scores": {"fatigue": 4}}

    problem = _refused(client, world, f"patients/{patient_id}/symptom-checks", check)

    assert problem["field"] == "scores.fatigue"


def test_a_clinicians_interval_review_makes_a_new_plan_version(
    client: TestClient, world: World, patient_id: str
) -> None:
    review = {"date": "2026-04-05", "decision": "shorten_interval", "new_interval": "2m"}

    nurse = _post(client, world, f"patients/{patient_id}/reviews", review)
    clinician = _post(client, world, f"patients/{patient_id}/reviews", review, "clinician.a")

    assert nurse.status_code == 403
    assert clinician.status_code == 201
    versions = client.get(f"/api/v1/patients/{patient_id}/plans", headers=world.auth("viewer.a")).json()
    assert [(v["version"], v["maintenance_interval"]) for v in versions] == [(1, None), (2, "2m")]


def test_an_entry_marked_entered_in_error_is_kept_with_who_and_why(
    client: TestClient, world: World, patient_id: str, dose_id: str
) -> None:
    marked = _post(client, world, f"entries/dose/{dose_id}/entered-in-error", {"reason": "wrong patient"})
    again = _post(client, world, f"entries/dose/{dose_id}/entered-in-error", {"reason": "again"})

    assert marked.status_code == 200
    assert marked.json() == {"kind": "dose", "entry_id": dose_id, "patient_id": patient_id}
    assert again.status_code == 409
    history = client.get(f"/api/v1/patients/{patient_id}/history", headers=world.auth("viewer.a")).json()
    assert history["doses"][0]["entered_in_error"]["by"] == "nurse.a"
    assert history["doses"][0]["entered_in_error"]["reason"] == "wrong patient"


def test_a_viewer_cannot_mark_an_entry_entered_in_error(
    client: TestClient, world: World, dose_id: str
) -> None:
    response = _post(client, world, f"entries/dose/{dose_id}/entered-in-error", {"reason": "x"}, "viewer.a")

    assert response.status_code == 403
