"""One FHIR import must not occupy the clinic (security probe M4, finding 6 of issue 12): a bundle has at
most MAX_IMPORT_ENTRIES entries (more is a 413 problem naming ``Bundle.entry``, nothing stored), and a
patient's entries are stored in one transaction with one forecast refresh - not one of each per entry.
How long other users wait meanwhile is measured by benchmarks/fhir_import.py (tests/load drives it)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from api_helpers import World

from app_helpers import TestClient
from b12care.adapters.fhir.importer import MAX_IMPORT_ENTRIES

UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


def _obs(rid: str, value: int, day: dt.date, unit: str = "ng/L") -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "2132-9"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": day.isoformat(),
        "valueQuantity": {"value": value, "unit": unit, "system": UCUM, "code": unit},
    }


def _bundle(reference: str, labs: int, first: dt.date = dt.date(2020, 1, 1)) -> dict[str, Any]:
    """The probe's bundle in small: the patient, then ``labs`` B12 results a day apart."""
    pt = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:x", "value": reference}]}
    results = [
        {"resource": _obs(f"big-{i}", 100 + i % 500, first + dt.timedelta(days=i))} for i in range(labs)
    ]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": pt}, *results]}


def _import(client: TestClient, world: World, bundle: dict[str, Any]) -> Any:
    return client.post(
        "/api/v1/fhir/import", params={"clinic": world.clinic_a}, json=bundle, headers=world.auth("nurse.a")
    )


def _audit_actions(world: World, patient_id: str) -> list[str]:
    with world.services.uow(read_only=True) as uow:
        entries = uow.audit.since(dt.datetime(2000, 1, 1, tzinfo=dt.UTC), limit=100_000)
    return [
        e.action for e in entries if e.entity_id == patient_id or e.detail.get("patient_id") == patient_id
    ]


def test_a_bundle_of_more_entries_than_one_import_takes_is_refused_413_naming_the_field_and_nothing_is_stored(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA1")
    before = _audit_actions(world, patient)

    response = _import(client, world, _bundle("HA1", MAX_IMPORT_ENTRIES))  # one more with the Patient

    body = response.json()
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body["field"] == "Bundle.entry"
    assert body["max_entries"] == MAX_IMPORT_ENTRIES
    assert f"{MAX_IMPORT_ENTRIES + 1} entries" in body["detail"]
    assert _audit_actions(world, patient) == before


def test_a_patients_imported_entries_are_stored_with_one_forecast_refresh(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA1")
    before = _audit_actions(world, patient)

    response = _import(client, world, _bundle("HA1", 40))

    after = _audit_actions(world, patient)[len(before) :]
    assert response.status_code == 200
    assert len(response.json()["imported"]) == 40
    assert after.count("lab.add") == 40
    assert after.count("forecast.save") == 1
    history = client.get(f"/api/v1/patients/{patient}/history", headers=world.auth("nurse.a")).json()
    assert len(history["labs"]) == 40


def test_each_patient_of_a_bundle_gets_their_own_entries_and_one_forecast_refresh(
    client: TestClient, world: World
) -> None:
    ann, bob = world.add_patient(reference="HA1"), world.add_patient(reference="HB1", name="Bob Example")
    both = _bundle("HA1", 3)
    bob_pt = {"resourceType": "Patient", "id": "p2", "identifier": [{"value": "HB1"}]}
    bob_lab = _obs("b-1", 210, dt.date(2025, 5, 1)) | {"subject": {"reference": "Patient/p2"}}
    both["entry"][2:2] = [{"resource": bob_pt}, {"resource": bob_lab}]

    response = _import(client, world, both)

    report = response.json()
    assert response.status_code == 200
    assert [e["patient_id"] for e in report["imported"]] == [ann, bob, ann, ann]
    assert [e["path"] for e in report["imported"]] == [f"Bundle.entry[{i}]" for i in (1, 3, 4, 5)]
    assert _audit_actions(world, ann).count("forecast.save") == 2  # the patient's first, and the import's
    assert _audit_actions(world, bob).count("forecast.save") == 2


def test_an_entry_the_record_refuses_is_reported_and_the_patients_other_entries_are_stored(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA1")
    bundle = _bundle("HA1", 2)
    bundle["entry"].append({"resource": _obs("fl", 150, dt.date(2024, 1, 1), unit="fL")})  # no B12 unit

    response = _import(client, world, bundle)

    report = response.json()
    assert response.status_code == 200
    assert len(report["imported"]) == 2
    [issue] = report["issues"]
    assert (issue["path"], issue["kind"]) == ("Bundle.entry[3].resource.valueQuantity.code", "rejected")
    history = client.get(f"/api/v1/patients/{patient}/history", headers=world.auth("nurse.a")).json()
    assert len(history["labs"]) == 2
