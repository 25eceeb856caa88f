"""Mapping single FHIR resources to b12care values (no database)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

import pytest

from b12care.adapters.fhir.inbound import dose_from_administration, dose_from_statement, lab_from_observation
from b12care.domain.errors import FhirResourceError, MalformedResourceError, MissingElementError, UnknownCode
from b12care.domain.quantity import Quantity

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ATC = "http://www.whocc.no/atc"
E = TypeVar("E", bound=FhirResourceError)


def observation(code: str = "2132-9", unit: str = "pg/mL", **changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": "obs-1",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-01-02T08:30:00+01:00",
        "valueQuantity": {"value": 142.5, "unit": unit, "system": UCUM, "code": unit},
    }
    return resource | changes


def administration(**changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": "ma-1",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "317106"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-01-05",
        "dosage": {"route": {"text": "Intramuscular"}, "dose": {"value": 1, "system": UCUM, "code": "mg"}},
    }
    return resource | changes


def statement(**changes: Any) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "MedicationStatement",
        "id": "ms-1",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": "309594"}]},
        "subject": {"reference": "Patient/p1"},
        "effectiveDateTime": "2026-01-09",
        "dosage": [
            {
                "route": {"text": "IM"},
                "doseAndRate": [{"doseQuantity": {"value": 1, "system": UCUM, "code": "mg"}}],
            }
        ],
    }
    return resource | changes


def refused(kind: type[E], read: Callable[[dict[str, Any]], object], resource: dict[str, Any]) -> E:
    """The error ``read`` raises for ``resource``; the test fails unless it raises a ``kind``."""
    with pytest.raises(kind) as caught:
        read(resource)
    return caught.value


def test_an_observation_with_a_known_loinc_code_becomes_a_lab_in_the_ucum_unit() -> None:
    lab = lab_from_observation(observation())

    assert (lab.test, lab.value, lab.unit, lab.date) == (
        "total_b12",
        Decimal("142.5"),
        "pg/mL",
        dt.date(2026, 1, 2),
    )


@pytest.mark.parametrize(
    ("code", "unit", "test", "b12care_unit"),
    [
        ("2284-8", "ug/L", "folate", "ug/L"),
        ("718-7", "g/dL", "haemoglobin", "g/dL"),
        ("787-2", "fL", "mcv", "fL"),
        ("2823-3", "meq/L", "potassium", "mEq/L"),
        ("13965-9", "umol/L", "homocysteine", "umol/L"),
        ("13964-2", "nmol/L", "mma", "nmol/L"),
        ("72160-5", "pmol/L", "active_b12", "pmol/L"),
    ],
)
def test_each_facts_loinc_code_maps_to_its_test(code: str, unit: str, test: str, b12care_unit: str) -> None:
    lab = lab_from_observation(observation(code, unit))

    assert (lab.test, lab.unit) == (test, b12care_unit)


def test_an_observation_dated_only_by_issued_uses_that_day() -> None:
    resource = observation()
    del resource["effectiveDateTime"]
    resource["issued"] = "2026-01-03T10:00:00Z"

    assert lab_from_observation(resource).date == dt.date(2026, 1, 3)


def test_an_unknown_loinc_code_is_an_unknown_code_naming_resource_and_code() -> None:
    error = refused(UnknownCode, lab_from_observation, observation("29463-7"))

    assert (error.resource_type, error.resource_id) == ("Observation", "obs-1")
    assert (error.code, error.field) == ("http://loinc.org|29463-7", "Observation.code")


def test_a_unit_outside_terminology_is_an_unknown_code() -> None:
    error = refused(UnknownCode, lab_from_observation, observation(unit="[lb_av]"))

    assert (error.code, error.field) == ("[lb_av]", "Observation.valueQuantity.code")


def test_a_preliminary_result_is_not_taken_as_a_lab() -> None:
    error = refused(UnknownCode, lab_from_observation, observation(status="preliminary"))

    assert error.field == "Observation.status"


def test_a_malformed_observation_names_the_element() -> None:
    resource = observation(valueQuantity={"value": "lots", "code": "pg/mL"})

    error = refused(MalformedResourceError, lab_from_observation, resource)

    assert error.field == "Observation.valueQuantity.value"


def test_a_partial_date_is_refused_as_too_vague() -> None:
    error = refused(MissingElementError, lab_from_observation, observation(effectiveDateTime="2026-01"))

    assert error.field == "Observation.effectiveDateTime"


def test_an_administration_maps_drug_dose_route_and_date() -> None:
    dose = dose_from_administration(administration())

    assert dose.drug == "hydroxocobalamin"
    assert dose.dose == Quantity(Decimal(1), "mg")
    assert dose.route == "IM"
    assert dose.date == dt.date(2026, 1, 5)
    assert dose.counts


def test_an_atc_code_identifies_cyanocobalamin_and_ug_is_microgram() -> None:
    dose = dose_from_administration(
        administration(
            medicationCodeableConcept={"coding": [{"system": ATC, "code": "B03BA01"}]},
            dosage={"dose": {"value": 1000, "system": UCUM, "code": "ug"}, "route": {"text": "SC"}},
        )
    )

    assert (dose.drug, dose.dose, dose.route) == (
        "cyanocobalamin",
        Quantity(Decimal(1000), "microgram"),
        "SC",
    )


def test_a_drug_named_only_in_text_is_matched_by_name() -> None:
    dose = dose_from_administration(
        administration(medicationCodeableConcept={"text": "Hydroxocobalamin 1 mg/1 mL"})
    )

    assert dose.drug == "hydroxocobalamin"


def test_a_not_done_administration_with_effective_period_is_a_not_done_dose() -> None:
    resource = administration(status="not-done", effectivePeriod={"start": "2026-01-07T09:00:00Z"})
    del resource["effectiveDateTime"]

    dose = dose_from_administration(resource)

    assert (dose.status, dose.date, dose.counts) == ("not_done", dt.date(2026, 1, 7), False)


def test_an_entered_in_error_administration_is_marked_so() -> None:
    assert dose_from_administration(administration(status="entered-in-error")).entered_in_error


def test_an_unknown_medication_code_is_an_unknown_code() -> None:
    resource = administration(medicationCodeableConcept={"coding": [{"system": RXNORM, "code": "204520"}]})

    error = refused(UnknownCode, dose_from_administration, resource)

    assert (error.resource_type, error.code) == ("MedicationAdministration", f"{RXNORM}|204520")


def test_an_unknown_route_is_an_unknown_code() -> None:
    error = refused(
        UnknownCode, dose_from_administration, administration(dosage={"route": {"text": "intrathecal"}})
    )

    assert error.field == "MedicationAdministration.dosage.route"


def test_a_completed_statement_is_a_dose_from_its_first_dosage() -> None:
    dose = dose_from_statement(statement())

    assert (dose.drug, dose.dose, dose.route, dose.date) == (
        "cyanocobalamin",
        Quantity(Decimal(1), "mg"),
        "IM",
        dt.date(2026, 1, 9),
    )


def test_an_active_statement_describes_use_not_a_dose_and_is_refused() -> None:
    resource = statement(id="ms-2", status="active", medicationCodeableConcept={"text": "cyanocobalamin"})
    del resource["dosage"]

    assert refused(UnknownCode, dose_from_statement, resource).code == "active"
