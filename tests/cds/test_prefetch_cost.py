"""The cheaper handling of a hook call: prefetch validated on the elements read, resources not about B12
skipped before validation, the replay insert committed with relaxed durability, the reads in one go."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cds_builders import NOW, Clinic
from sqlalchemy import text

from b12care.adapters.cds.hooks import _is_b12_administration, _is_b12_observation
from b12care.adapters.cds.store import SqlCdsStore
from b12care.adapters.fhir.inbound import dose_from_administration, lab_from_observation
from b12care.application.cds import patient_record
from b12care.bootstrap import App
from b12care.domain.errors import FhirResourceError, MalformedResourceError
from b12care.knowledge.terminology import load_terminology

EXAMPLES = Path(__file__).parent.parent / "fhir" / "examples" / "r4"
LOINC = "http://loinc.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"


def _observation(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "lab-1",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "2132-9"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-03-01T09:30:00+01:00",
        "valueQuantity": {
            "value": 250,
            "unit": "pg/mL",
            "system": "http://unitsofmeasure.org",
            "code": "pg/mL",
        },
    }
    return base | changes


def _administration(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": "dose-1",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "317106"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2024-03-01",
        "dosage": {
            "route": {"text": "intramuscular"},
            "dose": {"value": 1, "unit": "mg", "system": "http://unitsofmeasure.org", "code": "mg"},
        },
    }
    return base | changes


OBSERVATIONS = [
    _observation(),
    _observation(effectiveDateTime=None, issued="2024-03-02T10:00:00Z"),
    _observation(effectiveDateTime="2024-03"),  # not a full date
    _observation(effectiveDateTime="yesterday"),  # malformed
    _observation(status="preliminary"),
    _observation(status=7),  # malformed
    _observation(valueQuantity={"value": 150, "comparator": "<", "code": "pg/mL"}),
    _observation(valueQuantity={"value": "lots", "code": "pg/mL"}),  # malformed
    _observation(valueQuantity={"value": 5, "code": "furlongs"}),
    _observation(code={"coding": [{"system": LOINC, "code": "4548-4"}], "text": "HbA1c"}),
    _observation(code={"text": "B12"}),
    _observation(code="2132-9"),  # malformed
    _observation(effectiveDateTime=None, effectivePeriod={"start": "2024-02-28"}),
]

ADMINISTRATIONS = [
    _administration(),
    _administration(status="not-done", medicationCodeableConcept={"text": "Vitamin B12"}),
    _administration(status="entered-in-error"),
    _administration(status="in-progress"),
    _administration(medicationCodeableConcept={"text": "Hydroxocobalamin 1 mg"}),
    _administration(
        medicationCodeableConcept={"coding": [{"system": RXNORM, "code": "860975"}], "text": "metformin"}
    ),
    _administration(
        medicationCodeableConcept=None,
        medicationReference={"reference": "#med"},
        contained=[{"resourceType": "Medication", "id": "med", "code": {"text": "cyanocobalamin"}}],
    ),
    _administration(
        medicationCodeableConcept=None,
        medicationReference={"reference": "#med"},
        contained=[{"resourceType": "Medication", "id": "med", "code": {"text": "amoxicillin"}}],
    ),
    _administration(medicationCodeableConcept=None, medicationReference={"reference": "Medication/7"}),
    _administration(effectiveDateTime="2024-13-01"),  # malformed
    _administration(dosage={"route": {"text": "intravenous"}}),
    _administration(dosage={"dose": {"value": 1, "code": "mg"}, "route": {"text": "SC"}}),
]


def _examples(resource_type: str) -> list[dict[str, Any]]:
    return [json.loads(path.read_text()) for path in sorted(EXAMPLES.glob(f"{resource_type}-*.json"))]


def _outcome(mapping: Any, resource: dict[str, Any], **options: Any) -> object:
    try:
        return mapping(copy.deepcopy(resource), **options)
    except FhirResourceError as error:
        return type(error).__name__


@pytest.mark.parametrize("resource", OBSERVATIONS + _examples("Observation"))
def test_an_observation_maps_alike_with_mapped_and_full_validation(resource: dict[str, Any]) -> None:
    assert _outcome(lab_from_observation, resource, validation="mapped") == _outcome(
        lab_from_observation, resource
    )


@pytest.mark.parametrize("resource", ADMINISTRATIONS + _examples("MedicationAdministration"))
def test_an_administration_maps_alike_with_mapped_and_full_validation(resource: dict[str, Any]) -> None:
    assert _outcome(dose_from_administration, resource, validation="mapped") == _outcome(
        dose_from_administration, resource
    )


def test_mapped_validation_names_the_bad_element() -> None:
    with pytest.raises(MalformedResourceError) as caught:
        lab_from_observation(_observation(effectiveDateTime="yesterday"), validation="mapped")
    assert caught.value.field == "Observation.effectiveDateTime"


@pytest.mark.parametrize("resource", OBSERVATIONS + _examples("Observation"))
def test_an_observation_skipped_before_validation_is_one_the_mapping_refuses(
    resource: dict[str, Any],
) -> None:
    if not _is_b12_observation(resource, load_terminology()):
        with pytest.raises(FhirResourceError):
            lab_from_observation(resource)


@pytest.mark.parametrize("resource", ADMINISTRATIONS + _examples("MedicationAdministration"))
def test_an_administration_skipped_before_validation_is_one_the_mapping_refuses(
    resource: dict[str, Any],
) -> None:
    if not _is_b12_administration(resource, load_terminology()):
        with pytest.raises(FhirResourceError):
            dose_from_administration(resource)


def test_other_drugs_and_tests_are_skipped_before_validation() -> None:
    terms = load_terminology()
    assert not _is_b12_observation(OBSERVATIONS[9], terms)  # HbA1c
    assert not _is_b12_administration(ADMINISTRATIONS[5], terms)  # metformin
    assert not _is_b12_administration(ADMINISTRATIONS[7], terms)  # contained amoxicillin
    assert _is_b12_administration(ADMINISTRATIONS[1], terms)  # a B12 dose not given, drug unnamed


def test_the_replay_insert_leaves_the_connection_fully_durable(app: App) -> None:
    store = SqlCdsStore(app.engine)
    expires = NOW + dt.timedelta(minutes=5)
    assert store.remember_jti("https://ehr.example", "jti-durable", expires_at=expires, seen_at=NOW)
    assert not store.remember_jti("https://ehr.example", "jti-durable", expires_at=expires, seen_at=NOW)
    with app.engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        else:
            assert connection.execute(text("SHOW synchronous_commit")).scalar() == "on"


def test_a_patient_is_read_with_its_plan_and_history_in_one_go(app: App, clinic: Clinic) -> None:
    store = SqlCdsStore(app.engine)
    reference = next(iter(clinic.patients))
    found = patient_record(store.uow, clinic.id, ["not-a-patient", reference])
    assert found is not None
    assert found.patient.id == clinic.patients[reference]
    assert found.plan.patient_id == found.patient.id
    assert patient_record(store.uow, clinic.id, ["not-a-patient"]) is None
