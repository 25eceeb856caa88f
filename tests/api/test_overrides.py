"""Overrides over the API (issue 11): an interval outside the licence needs ``interval_reason`` (plan
preview, patient creation, new plan version); stopping lifelong replacement needs a note and a
prescriber's ``confirm_stop``. A refusal is a 422 problem naming the field."""

from __future__ import annotations

from typing import Any

from api_helpers import World
from fastapi.testclient import TestClient

REASON = "symptoms return after 5 weeks"


def _problem(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["field"] == field


def _review(client: TestClient, world: World, patient_id: str, user: str = "clinician.a", **body: Any) -> Any:
    return client.post(
        f"/api/v1/patients/{patient_id}/reviews",
        json={"date": "2026-01-20", **body},
        headers=world.auth(user),
    )


def _forecast(client: TestClient, world: World, patient_id: str) -> dict[str, Any]:
    response = client.get(
        f"/api/v1/patients/{patient_id}/forecast",
        params={"as_of": "2026-01-21"},
        headers=world.auth("viewer.a"),
    )
    found: dict[str, Any] = response.json()
    return found


def test_a_plan_preview_outside_the_licence_without_a_reason_is_422_naming_interval_reason(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/plans/preview",
        json={"case": case, "maintenance_interval": "1m"},
        headers=world.auth("viewer.a"),
    )

    _problem(response, "interval_reason")


def test_a_plan_preview_outside_the_licence_with_a_reason_warns_outside_licence(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/plans/preview",
        json={"case": case, "maintenance_interval": "1m", "interval_reason": REASON},
        headers=world.auth("viewer.a"),
    )

    assert response.status_code == 200, response.text
    [warning] = [w for w in response.json()["warnings"] if w["code"] == "OUTSIDE_LICENCE"]
    assert REASON in warning["message"]


def test_a_patient_created_outside_the_licence_keeps_the_reason_on_plan_version_1(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    body = {
        "clinic_id": world.clinic_a,
        "reference": "H-1",
        "name": "Ann Example",
        "case": case,
        "maintenance_interval": "1m",
        "interval_reason": REASON,
    }

    response = client.post("/api/v1/patients", json=body, headers=world.auth("clinician.a"))

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["plan_version"]["interval_reason"] == REASON
    assert "OUTSIDE_LICENCE" in [w["code"] for w in created["plan"]["warnings"]]


def test_a_patient_created_outside_the_licence_without_a_reason_is_422_and_not_stored(
    client: TestClient, world: World, case: dict[str, Any]
) -> None:
    body = {
        "clinic_id": world.clinic_a,
        "reference": "H-1",
        "name": "Ann Example",
        "case": case,
        "maintenance_interval": "1m",
    }

    response = client.post("/api/v1/patients", json=body, headers=world.auth("clinician.a"))

    _problem(response, "interval_reason")
    assert client.get("/api/v1/patients", headers=world.auth("viewer.a")).json()["total"] == 0


def test_a_new_plan_version_outside_the_licence_needs_and_keeps_its_reason(
    client: TestClient, world: World, case: dict[str, Any], patient_id: str
) -> None:
    url = f"/api/v1/patients/{patient_id}/plans"
    auth = world.auth("clinician.a")

    refused = client.post(url, json={"case": case, "maintenance_interval": "1m"}, headers=auth)
    accepted = client.post(
        url, json={"case": case, "maintenance_interval": "1m", "interval_reason": REASON}, headers=auth
    )

    _problem(refused, "interval_reason")
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["plan_version"]["interval_reason"] == REASON


def test_stopping_lifelong_replacement_without_a_note_is_422_naming_the_note(
    client: TestClient, world: World, patient_id: str
) -> None:
    response = _review(client, world, patient_id, decision="stop_cause_resolved")

    _problem(response, "note")
    assert "clinician override" in response.json()["detail"]


def test_a_stop_with_a_note_flags_the_patient_until_a_prescriber_confirms_it(
    client: TestClient, world: World, patient_id: str
) -> None:
    stop = _review(client, world, patient_id, decision="stop_cause_resolved", note="diagnosis revised")
    pending = _forecast(client, world, patient_id)
    recall = client.get("/api/v1/recall", params={"as_of": "2026-01-21"}, headers=world.auth("nurse.a"))
    confirm = _review(client, world, patient_id, decision="confirm_stop", note="haematology agrees")
    done = _forecast(client, world, patient_id)

    assert (stop.status_code, confirm.status_code) == (201, 201)
    assert confirm.json()["decision"] == "confirm_stop"
    assert pending["status"] == "needs_review"
    [flag] = [f for f in pending["flags"] if f["code"] == "LIFELONG_STOP_UNCONFIRMED"]
    assert flag["severity"] == "critical"
    assert [(r["patient_id"], r["status"]) for r in recall.json()["items"]] == [(patient_id, "needs_review")]
    assert done["status"] == "stopped"
    assert [f["code"] for f in done["flags"]] == ["STOPPED_BY_OVERRIDE"]


def test_a_nurse_cannot_confirm_a_stop(client: TestClient, world: World, patient_id: str) -> None:
    _review(client, world, patient_id, decision="stop_cause_resolved", note="diagnosis revised")

    response = _review(client, world, patient_id, "nurse.a", decision="confirm_stop", note="ok")

    assert response.status_code == 403
    assert _forecast(client, world, patient_id)["status"] == "needs_review"


def test_confirm_stop_without_a_stop_is_422_naming_the_decision(
    client: TestClient, world: World, patient_id: str
) -> None:
    _problem(_review(client, world, patient_id, decision="confirm_stop", note="why"), "decision")


def test_a_review_interval_outside_the_licence_without_a_note_is_422_naming_the_note(
    client: TestClient, world: World, patient_id: str
) -> None:
    response = _review(client, world, patient_id, decision="shorten_interval", new_interval="1m")

    _problem(response, "note")
    versions = client.get(f"/api/v1/patients/{patient_id}/plans", headers=world.auth("viewer.a")).json()
    assert len(versions) == 1


def test_a_review_interval_outside_the_licence_with_a_note_makes_a_version_with_that_reason(
    client: TestClient, world: World, patient_id: str
) -> None:
    response = _review(client, world, patient_id, decision="shorten_interval", new_interval="1m", note=REASON)

    assert response.status_code == 201, response.text
    versions = client.get(f"/api/v1/patients/{patient_id}/plans", headers=world.auth("viewer.a")).json()
    assert [(v["version"], v["maintenance_interval"], v["interval_reason"]) for v in versions] == [
        (1, None, None),
        (2, "1m", REASON),
    ]
    assert "OUTSIDE_LICENCE" in [f["code"] for f in _forecast(client, world, patient_id)["flags"]]


def test_the_openapi_schema_offers_confirm_stop_and_interval_reason(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()["components"]["schemas"]

    assert "confirm_stop" in schema["ReviewIn"]["properties"]["decision"]["enum"]
    assert "interval_reason" in schema["PatientIn"]["properties"]
    assert "interval_reason" in schema["PreviewIn"]["properties"]
