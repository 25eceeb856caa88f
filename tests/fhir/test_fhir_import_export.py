"""Bundle import into the record and export out of it, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle

from b12care.adapters.fhir.importer import import_bundle
from b12care.adapters.fhir.outbound import export_patient_record
from b12care.application.treatment import DoseInput, Services
from b12care.domain.errors import InputError

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def bundle(*resources: dict[str, Any], kind: str = "collection") -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "p1", "identifier": [{"system": "urn:x", "value": "H1"}]}
    entries = [{"fullUrl": "urn:uuid:7c1f0000-0000-4000-8000-000000000001", "resource": patient}]
    entries += [{"resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": kind, "entry": entries}


def lab(rid: str, code: str = "2132-9", value: float = 150) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-01-02",
        "valueQuantity": {"value": value, "unit": "ng/L", "system": UCUM, "code": "ng/L"},
    }


def given(rid: str, day: str = "2026-01-05", **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "MedicationAdministration",
        "id": rid,
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "317106"}]},
        "subject": {"reference": "urn:uuid:7c1f0000-0000-4000-8000-000000000001"},
        "effectiveDateTime": day,
        "dosage": {"route": {"text": "IM"}, "dose": {"value": 1, "system": UCUM, "code": "mg"}},
    }
    return resource | changes


def test_a_bundle_of_labs_and_doses_is_stored_for_the_matched_patient(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    clinic_id, patient_id = clinic_patient

    report = import_bundle(
        services, bundle(lab("o1"), given("a1"), given("a2", "2026-01-07")), clinic_id, "importer"
    )

    assert [e.resource_id for e in report.imported] == ["o1", "a1", "a2"]
    assert report.issues == []
    rows = services.history(patient_id)
    assert [(r[0], r[1]) for r in rows] == [
        ("2026-01-02", "lab"),
        ("2026-01-05", "dose"),
        ("2026-01-07", "dose"),
    ]
    assert {r[3] for r in rows} == {"importer"}


def test_importing_the_same_bundle_again_stores_nothing_twice(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    clinic_id, patient_id = clinic_patient
    data = bundle(lab("o1"), given("a1"))
    import_bundle(services, data, clinic_id, "importer")

    again = import_bundle(services, copy.deepcopy(data), clinic_id, "importer")

    assert again.imported == []
    assert [e.resource_id for e in again.duplicates] == ["o1", "a1"]
    assert len(services.history(patient_id)) == 2


def test_unknown_codes_and_resources_are_reported_with_their_paths_and_nothing_is_dropped(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    clinic_id, patient_id = clinic_patient
    folic = given("a9", medicationCodeableConcept={"text": "Folic acid 5 mg tablets"})
    condition = {"resourceType": "Condition", "id": "c1", "subject": {"reference": "Patient/p1"}}
    data = bundle(lab("o1"), lab("o2", code="29463-7"), folic, condition, given("a1"))

    report = import_bundle(services, data, clinic_id, "importer")

    assert [e.resource_id for e in report.imported] == ["o1", "a1"]
    issues = {(i.path, i.kind, i.code) for i in report.issues}
    assert issues == {
        ("Bundle.entry[2].resource.code", "unknown_code", "http://loinc.org|29463-7"),
        ("Bundle.entry[3].resource.medicationCodeableConcept", "not_stored", None),
        ("Bundle.entry[4]", "unsupported_resource", None),
    }
    assert len(report.imported) + len(report.duplicates) + len(report.issues) == len(data["entry"]) - 1
    assert len(services.history(patient_id)) == 2


def test_an_unknown_patient_is_reported_not_invented(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    clinic_id, _ = clinic_patient
    data = bundle(lab("o1"))
    data["entry"][0]["resource"]["identifier"][0]["value"] = "NOT-HERE"

    report = import_bundle(services, data, clinic_id, "importer")

    assert report.imported == []
    assert [(i.path, i.kind) for i in report.issues] == [
        ("Bundle.entry[0]", "unknown_patient"),
        ("Bundle.entry[1].resource.subject", "unknown_patient"),
    ]
    assert len(services.patients(clinic_id)) == 1


def test_a_malformed_bundle_is_refused_naming_the_element(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    clinic_id, patient_id = clinic_patient
    broken = lab("o1")
    broken["status"] = ["final"]

    with pytest.raises(InputError) as caught:
        import_bundle(services, bundle(lab("o0"), broken), clinic_id, "importer")

    assert caught.value.field.startswith("Bundle.entry[2].resource.status")
    assert services.history(patient_id) == []


def test_a_history_bundle_type_is_refused(services: Services, clinic_patient: tuple[str, str]) -> None:
    with pytest.raises(InputError) as caught:
        import_bundle(services, bundle(kind="history"), clinic_patient[0], "importer")

    assert caught.value.field == "Bundle.type"


def _resources(data: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == kind]


def test_the_export_is_a_valid_r4_collection_with_the_plan_phases_in_sequence(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    _, patient_id = clinic_patient
    services.record_dose(
        patient_id, DoseInput(dt.date(2026, 1, 5), "hydroxocobalamin", Decimal(1), "mg", "IM"), "nurse"
    )
    services.record_lab(
        patient_id, test="total_b12", value=Decimal(120), unit="ng/L", day=dt.date(2026, 1, 2), actor="n"
    )

    data = export_patient_record(services, patient_id, dt.date(2026, 1, 6), actor="exporter")

    Bundle.model_validate(data)
    assert data["type"] == "collection"
    (request,) = _resources(data, "MedicationRequest")
    dosages = request["dosageInstruction"]
    assert [d["sequence"] for d in dosages] == [1, 2]
    assert [d["text"].split(":")[0] for d in dosages] == ["loading", "maintenance"]
    loading = dosages[0]["timing"]["repeat"]
    assert (loading["frequency"], loading["period"], loading["periodUnit"], loading["count"]) == (
        3,
        1,
        "wk",
        6,
    )
    assert dosages[1]["timing"]["repeat"]["periodUnit"] == "mo"
    assert {c["code"] for c in request["medicationCodeableConcept"]["coding"]} == {"317106", "B03BA03"}
    (care_plan,) = _resources(data, "CarePlan")
    assert care_plan["intent"] == "plan"
    assert care_plan["activity"][0]["reference"]["reference"] == f"urn:uuid:{request['id']}"
    assert "uk-nice-2024" in care_plan["note"][0]["text"]
    (observation,) = _resources(data, "Observation")
    assert observation["code"]["coding"] == [{"system": LOINC, "code": "2132-9"}]
    assert observation["valueQuantity"]["code"] == "ng/L"
    assert [a["status"] for a in _resources(data, "MedicationAdministration")] == ["completed"]


def test_an_entered_in_error_dose_is_exported_with_that_status(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    _, patient_id = clinic_patient
    dose = services.record_dose(
        patient_id, DoseInput(dt.date(2026, 1, 5), "hydroxocobalamin", Decimal(1), "mg", "IM"), "nurse"
    )
    services.mark_entered_in_error("dose", dose.id, "wrong patient", "nurse")

    data = export_patient_record(services, patient_id, actor="exporter")

    assert [a["status"] for a in _resources(data, "MedicationAdministration")] == ["entered-in-error"]


def test_an_exported_bundle_imports_back_as_duplicates_only(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    clinic_id, patient_id = clinic_patient
    services.record_dose(
        patient_id, DoseInput(dt.date(2026, 1, 5), "hydroxocobalamin", Decimal(1), "mg", "IM"), "nurse"
    )
    services.record_dose(patient_id, DoseInput(dt.date(2026, 1, 7), not_done_reason="declined"), "nurse")
    services.record_lab(
        patient_id, test="folate", value=Decimal(4), unit="ug/L", day=dt.date(2026, 1, 2), actor="n"
    )

    report = import_bundle(
        services, export_patient_record(services, patient_id, actor="exporter"), clinic_id, "importer"
    )

    assert report.imported == []
    assert len(report.duplicates) == 3
    assert {i.resource_type for i in report.issues} == {"CarePlan", "MedicationRequest"}
