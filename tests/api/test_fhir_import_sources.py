"""FHIR ids are local to the system that made them: the import keys every entry by its source (the entry's
fullUrl base, else ``meta.source``, else the importing EHR - the ``source`` parameter - else the clinic)
plus its id. The same key with other content is a conflict reported with both values, never dropped as a
"duplicate" and never overwriting the stored entry (security probe M5, finding 3b of issue 12)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from api_helpers import World

from app_helpers import MovableClock, TestClient
from b12care.application.records import DoseRecord, new_id

RX = "http://www.nlm.nih.gov/research/umls/rxnorm"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"


@pytest.fixture(autouse=True)
def after_the_doses(clock: MovableClock) -> None:
    """The probe's doses (February and March 2026) lie in the past."""
    clock.at = dt.datetime(2026, 4, 1, 9, 0, tzinfo=dt.UTC)


def _ma(rid: str, day: str, **extra: Any) -> dict[str, Any]:
    """The probe's MedicationAdministration (hydroxocobalamin 1 mg IM)."""
    return {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": RX, "code": "317106"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": day,
        "dosage": {"route": {"text": "IM"}, "dose": {"value": 1, "system": UCUM, "code": "mg"}},
    } | extra


def _obs(rid: str, value: int, day: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "2132-9"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": day,
        "valueQuantity": {"value": value, "unit": "ng/L", "system": UCUM, "code": "ng/L"},
    }


def _bundle(reference: str, *entries: dict[str, Any]) -> dict[str, Any]:
    """The probe's bundle: the patient by identifier, then each entry (a resource, or fullUrl + resource)."""
    pt = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:x", "value": reference}]}
    items = [e if "resource" in e else {"resource": e} for e in entries]
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": pt}, *items]}


def _import(client: TestClient, world: World, bundle: dict[str, Any], **params: str) -> dict[str, Any]:
    response = client.post(
        "/api/v1/fhir/import",
        params={"clinic": world.clinic_a, **params},
        json=bundle,
        headers=world.auth("nurse.a"),
    )
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found


def _history(client: TestClient, world: World, patient_id: str) -> dict[str, Any]:
    response = client.get(f"/api/v1/patients/{patient_id}/history", headers=world.auth("nurse.a"))
    assert response.status_code == 200
    found: dict[str, Any] = response.json()
    return found


def _dose_dates(client: TestClient, world: World, patient_id: str) -> list[str]:
    return sorted(d["date"] for d in _history(client, world, patient_id)["doses"])


def test_an_ehr_resending_a_dose_id_with_other_content_gets_a_conflict_naming_both_doses(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA2")
    first = _import(client, world, _bundle("HA2", _ma("1", "2026-02-10")))

    second = _import(client, world, _bundle("HA2", _ma("1", "2026-03-10")))

    assert len(first["imported"]) == 1
    assert second["imported"] == second["duplicates"] == []
    [conflict] = second["conflicts"]
    assert (conflict["resourceType"], conflict["id"], conflict["patient_id"]) == (
        "MedicationAdministration",
        "1",
        patient,
    )
    assert conflict["record_id"] == first["imported"][0]["record_id"]
    assert conflict["stored"]["date"] == "2026-02-10"
    assert conflict["incoming"]["date"] == "2026-03-10"
    assert conflict["source"] == f"clinic:{world.clinic_a}"
    assert "2026-03-10" in conflict["message"] and "2026-02-10" in conflict["message"]
    assert _dose_dates(client, world, patient) == ["2026-02-10"]  # nothing overwritten


def test_two_ehrs_doses_with_the_same_id_are_both_stored_when_their_full_urls_differ(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA2")
    one = {
        "fullUrl": "https://ehr-one.example/fhir/MedicationAdministration/1",
        "resource": _ma("1", "2026-02-10"),
    }
    two = {
        "fullUrl": "https://ehr-two.example/r4/MedicationAdministration/1",
        "resource": _ma("1", "2026-03-10"),
    }

    first = _import(client, world, _bundle("HA2", one))
    second = _import(client, world, _bundle("HA2", two))

    assert [len(r["imported"]) for r in (first, second)] == [1, 1]
    assert second["conflicts"] == second["duplicates"] == []
    assert _dose_dates(client, world, patient) == ["2026-02-10", "2026-03-10"]


def test_two_ehrs_doses_with_the_same_id_are_both_stored_when_their_meta_sources_differ(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA2")
    one = _ma("1", "2026-02-10", meta={"source": "https://ehr-one.example/fhir#request-17"})
    two = _ma("1", "2026-03-10", meta={"source": "urn:oid:2.16.840.1.113883.3.72"})

    first = _import(client, world, _bundle("HA2", one))
    again = _import(
        client, world, _bundle("HA2", one | {"meta": {"source": "https://ehr-one.example/fhir#r-18"}})
    )
    second = _import(client, world, _bundle("HA2", two))

    assert len(first["imported"]) == len(second["imported"]) == 1
    assert [d["id"] for d in again["duplicates"]] == ["1"]  # the request id after # is not the source
    assert _dose_dates(client, world, patient) == ["2026-02-10", "2026-03-10"]


def test_the_importing_ehr_named_by_the_source_parameter_keeps_its_ids_apart(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA2")

    first = _import(client, world, _bundle("HA2", _ma("1", "2026-02-10")), source="https://ehr-one.example")
    second = _import(client, world, _bundle("HA2", _ma("1", "2026-03-10")), source="https://ehr-two.example")
    third = _import(client, world, _bundle("HA2", _ma("1", "2026-03-24")), source="https://ehr-two.example")

    assert len(first["imported"]) == len(second["imported"]) == 1
    assert [c["source"] for c in third["conflicts"]] == ["https://ehr-two.example"]
    assert _dose_dates(client, world, patient) == ["2026-02-10", "2026-03-10"]


def test_the_same_dose_sent_twice_by_one_ehr_is_stored_once(client: TestClient, world: World) -> None:
    patient = world.add_patient(reference="HA2")
    entry = {
        "fullUrl": "https://ehr-one.example/fhir/MedicationAdministration/1",
        "resource": _ma("1", "2026-02-10"),
    }

    first = _import(client, world, _bundle("HA2", entry))
    second = _import(client, world, _bundle("HA2", entry))

    assert second["imported"] == second["conflicts"] == []
    assert [d["record_id"] for d in second["duplicates"]] == [first["imported"][0]["record_id"]]
    assert _dose_dates(client, world, patient) == ["2026-02-10"]


def test_a_lab_resent_under_its_id_with_another_value_is_a_conflict_not_a_second_result(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA2")
    _import(client, world, _bundle("HA2", _obs("b12-1", 150, "2026-02-10")))

    resent = _import(client, world, _bundle("HA2", _obs("b12-1", 450, "2026-02-10")))
    elsewhere = _import(
        client,
        world,
        _bundle(
            "HA2",
            {
                "fullUrl": "https://lab.example/fhir/Observation/b12-1",
                "resource": _obs("b12-1", 450, "2026-02-10"),
            },
        ),
    )

    [conflict] = resent["conflicts"]
    assert (conflict["stored"]["value"], conflict["incoming"]["value"]) == ("150", "450")
    assert resent["imported"] == []
    assert len(elsewhere["imported"]) == 1
    values = sorted(x["value"] for x in _history(client, world, patient)["labs"])
    assert values == ["150", "450"]


def test_two_entries_of_one_bundle_sharing_a_key_store_the_first_and_report_the_second_as_a_conflict(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA2")

    report = _import(
        client, world, _bundle("HA2", _ma("7", "2026-02-10"), _ma("7", "2026-03-10"), _ma("7", "2026-02-10"))
    )

    assert [e["path"] for e in report["imported"]] == ["Bundle.entry[1]"]
    assert [e["path"] for e in report["conflicts"]] == ["Bundle.entry[2]"]
    assert [e["path"] for e in report["duplicates"]] == ["Bundle.entry[3]"]
    assert _dose_dates(client, world, patient) == ["2026-02-10"]


def test_a_dose_imported_before_source_keys_is_recognised_when_the_bundle_comes_again(
    client: TestClient, world: World
) -> None:
    patient = world.add_patient(reference="HA2")
    with world.services.uow() as uow:  # as the importer of December 2026 stored it: key fhir:<type>/<id>
        earlier = uow.doses.add(
            DoseRecord(
                id=new_id(),
                patient_id=patient,
                date=dt.date(2026, 2, 10),
                drug="hydroxocobalamin",
                product=None,
                dose=Decimal("1"),
                dose_unit="mg",
                route="IM",
                site=None,
                lot=None,
                given_by=None,
                source="clinic",
                status="completed",
                not_done_reason=None,
                idempotency_key="fhir:MedicationAdministration/1",
                recorded_by="nurse.a",
                recorded_at=dt.datetime(2026, 2, 10, 12, tzinfo=dt.UTC),
            )
        )
        uow.commit()

    same = _import(client, world, _bundle("HA2", _ma("1", "2026-02-10")))
    other = _import(client, world, _bundle("HA2", _ma("1", "2026-03-10")))

    assert [d["record_id"] for d in same["duplicates"]] == [earlier.id]
    assert [c["record_id"] for c in other["conflicts"]] == [earlier.id]
    assert _dose_dates(client, world, patient) == ["2026-02-10"]
