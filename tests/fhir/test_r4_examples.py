"""Conformance against the official HL7 FHIR R4 4.0.1 examples (tests/fhir/examples/r4, see its README).

Round-trip normalisation, precisely: the original file and the model's output
(``model_dump(mode="json", exclude_none=True, by_alias=True)``) are both compared as parsed JSON, so
object key order and number spelling (``6.0`` vs ``6``) do not count; nothing else is normalised -
no element is dropped, renamed or reformatted (``text.div`` whitespace included).
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import json
import re
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class

from b12care.adapters.fhir.importer import import_bundle
from b12care.adapters.fhir.inbound import dose_from_administration, dose_from_statement, lab_from_observation
from b12care.adapters.fhir.outbound import export_patient_record
from b12care.adapters.fhir.r4 import R4_R4B_DIFFERENCES, bundle_as_r4b, check_r4
from b12care.application.treatment import DoseInput, Services
from b12care.domain.case import LabResult
from b12care.domain.errors import InputError, UnknownCode

EXAMPLES = Path(__file__).parent / "examples" / "r4"
FILES = sorted(EXAMPLES.glob("*.json"))
MAPPERS: dict[str, Callable[[dict[str, Any]], object]] = {
    "Observation": lab_from_observation,
    "MedicationAdministration": dose_from_administration,
    "MedicationStatement": dose_from_statement,
}
NDC = "http://hl7.org/fhir/sid/ndc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((EXAMPLES / name).read_text(encoding="utf-8"))
    return data


def round_trip(resource: dict[str, Any]) -> dict[str, Any]:
    model = get_fhir_model_class(str(resource["resourceType"]))
    data: dict[str, Any] = model.model_validate(resource).model_dump(
        mode="json", exclude_none=True, by_alias=True
    )
    return data


def resources_in(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The resource itself, or a Bundle's entry resources."""
    if data["resourceType"] != "Bundle":
        yield data
        return
    for entry in data.get("entry", []):
        if "resource" in entry:
            yield entry["resource"]


def test_the_vendored_examples_are_exactly_the_files_the_readme_lists_with_their_checksums() -> None:
    listed = dict(
        re.findall(
            r"^\| `([^`]+\.json)` \|.*\| `([0-9a-f]{64})` \|$", (EXAMPLES / "README.md").read_text(), re.M
        )
    )

    assert listed == {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in FILES}
    assert len(FILES) >= 12


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_an_official_r4_example_round_trips_through_its_r4b_model_unchanged(path: Path) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    adapted, set_aside = bundle_as_r4b(original) if original["resourceType"] == "Bundle" else (original, [])

    assert set_aside == []
    assert round_trip(adapted) == original


def test_every_resource_type_b12care_reads_or_writes_has_an_official_example() -> None:
    types = {r["resourceType"] for p in FILES for r in resources_in(json.loads(p.read_text()))}
    kinds = {json.loads(p.read_text())["type"] for p in FILES if p.name.startswith("Bundle-")}

    assert {
        "Patient",
        "Observation",
        "MedicationAdministration",
        "MedicationRequest",
        "MedicationStatement",
        "CarePlan",
    } <= types
    assert "transaction" in kinds
    assert any(
        "repeat" in d.get("timing", {}) for d in load("MedicationRequest-medrx0310.json")["dosageInstruction"]
    )


# The inbound mapping of every official Observation / MedicationAdministration / MedicationStatement:
# none is about B12, so each raises UnknownCode naming the element and the code seen - none is dropped.
UNMAPPED = {
    "Observation-bmi.json": ("code", f"{LOINC}|39156-5"),
    "Observation-f003.json": ("code", f"{LOINC}|11557-6"),
    "Observation-vitals-panel.json": ("code", f"{LOINC}|85353-1"),
    "MedicationAdministration-medadmin0301.json": ("status", "in-progress"),
    "MedicationAdministration-medadminexample03.json": ("status", "on-hold"),
    "MedicationStatement-example002.json": ("status", "active"),
    "MedicationStatement-example004.json": ("status", "active"),
    "MedicationStatement-example007.json": ("status", "active"),
}
# The same resources, status set to completed: then the drug is what is unknown.
UNKNOWN_DRUGS = {
    "MedicationAdministration-medadmin0301.json": ("medicationReference", f"{NDC}|0069-2587-10"),
    "MedicationAdministration-medadminexample03.json": ("medicationReference", f"{RXNORM}|1594660"),
    "MedicationStatement-example002.json": ("medicationReference", f"{NDC}|50580-506-02"),
    "MedicationStatement-example004.json": ("medicationCodeableConcept", f"{SNOMED}|27658006"),
    "MedicationStatement-example007.json": ("medicationReference", f"{RXNORM}|358793"),
}


def test_the_unmapped_table_covers_every_vendored_observation_and_dose_resource() -> None:
    mappable = {p.name for p in FILES if load(p.name)["resourceType"] in MAPPERS}

    assert mappable == set(UNMAPPED)


@pytest.mark.parametrize("name", sorted(UNMAPPED))
def test_an_official_example_that_is_not_about_b12_raises_unknown_code_naming_the_code(name: str) -> None:
    resource = load(name)
    element, code = UNMAPPED[name]

    with pytest.raises(UnknownCode) as raised:
        MAPPERS[resource["resourceType"]](resource)

    assert (raised.value.element, raised.value.code) == (element, code)
    assert raised.value.resource_id == resource["id"]


@pytest.mark.parametrize("name", sorted(UNKNOWN_DRUGS))
def test_a_completed_official_dose_of_another_drug_raises_unknown_code_naming_the_drug(name: str) -> None:
    resource = load(name) | {"status": "completed"}
    if not any(key.startswith("effective") for key in resource):  # example007 has none
        resource["effectiveDateTime"] = "2015-01-15"
    element, code = UNKNOWN_DRUGS[name]

    with pytest.raises(UnknownCode) as raised:
        MAPPERS[resource["resourceType"]](resource)

    assert (raised.value.element, raised.value.code) == (element, code)


def test_an_official_lab_observation_recoded_as_serum_b12_maps_to_a_lab_result() -> None:
    resource = copy.deepcopy(load("Observation-f003.json"))
    resource["code"] = {"coding": [{"system": LOINC, "code": "2132-9"}]}
    resource["valueQuantity"] |= {"unit": "pg/mL", "code": "pg/mL"}

    lab = lab_from_observation(resource)

    # effectivePeriod.start 2013-04-02T10:30:10+01:00 is the day; the rest of the R4 shape is as published
    assert lab == LabResult("total_b12", Decimal("6.2"), "pg/mL", dt.date(2013, 4, 2))


def test_an_official_administration_recoded_as_hydroxocobalamin_maps_to_a_dose() -> None:
    resource = copy.deepcopy(load("MedicationAdministration-medadmin0301.json"))
    resource["status"] = "completed"
    resource["contained"][0]["code"] = {"coding": [{"system": RXNORM, "code": "317106"}]}
    resource["dosage"]["route"] = {"text": "intravenous"}

    dose = dose_from_administration(resource)

    assert (dose.date, dose.drug, dose.route, dose.status) == (
        dt.date(2015, 1, 15),
        "hydroxocobalamin",
        "IV",
        "completed",
    )
    assert dose.dose is not None and (dose.dose.value, dose.dose.unit) == (Decimal(500), "mg")


def test_r4b_only_content_is_refused_as_r4_naming_the_element() -> None:
    subject_practitioner = load("Observation-bmi.json") | {"subject": {"reference": "Practitioner/f001"}}
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": {"resourceType": "Citation"}}],
    }

    with pytest.raises(InputError) as by_subject:
        check_r4(subject_practitioner)
    with pytest.raises(InputError) as by_type:
        check_r4(bundle)

    assert by_subject.value.field == "Observation.subject.reference"
    assert by_type.value.field == "Bundle.entry[0].resource.resourceType"
    check_r4(load("Observation-bmi.json"))
    check_r4(load("Bundle-bundle-transaction.json"))


def test_an_r4_only_resource_type_is_set_aside_for_r4b_validation_but_kept_in_the_original() -> None:
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"resource": load("Observation-bmi.json")},
            {"resource": {"resourceType": "MedicinalProduct"}},
        ],
    }

    adapted, set_aside = bundle_as_r4b(bundle)

    assert set_aside == [1]
    assert "resource" not in adapted["entry"][1]
    assert bundle["entry"][1]["resource"] == {"resourceType": "MedicinalProduct"}
    assert round_trip(adapted)["entry"][0]["resource"] == load("Observation-bmi.json")


def test_the_r4_differences_list_names_each_element_with_its_handling() -> None:
    assert all(d.element and d.change and d.handling for d in R4_R4B_DIFFERENCES)
    assert {"Bundle.entry.resource", "Observation.subject"} <= {d.element for d in R4_R4B_DIFFERENCES}


def test_the_official_transaction_bundle_imports_with_every_entry_reported(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    clinic_id, _ = clinic_patient

    report = import_bundle(services, load("Bundle-bundle-transaction.json"), clinic_id, "importer")

    assert report.imported == [] and report.matched_patients == []
    kinds = {i.path.split(".resource")[0]: i.kind for i in report.issues}
    assert kinds == {
        **{f"Bundle.entry[{i}]": "unknown_patient" for i in range(5)},
        **{f"Bundle.entry[{i}]": "unsupported_resource" for i in (5, 6, 7, 8, 9)},
    }


def test_official_dose_and_lab_examples_in_one_bundle_import_as_issues_naming_each_code(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    clinic_id, patient_id = clinic_patient
    patient = {
        "resourceType": "Patient",
        "id": "pat1",
        "identifier": [{"system": "urn:oid:0.1.2.3", "value": "H1"}],
    }
    names = [n for n in sorted(UNMAPPED) if load(n)["subject"]["reference"] == "Patient/pat1"]
    entries = [{"resource": patient}] + [{"resource": load(n)} for n in names]
    entries += [
        {"resource": load("Observation-bmi.json")},
        {"resource": {"resourceType": "MedicinalProduct"}},
    ]
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": entries}

    report = import_bundle(services, bundle, clinic_id, "importer")

    assert [m.patient_id for m in report.matched_patients] == [patient_id]
    assert report.imported == []
    assert [(i.kind, i.code) for i in report.issues] == [
        *[("unknown_code", UNMAPPED[n][1]) for n in names],
        ("unknown_patient", None),  # Observation-bmi is about Patient/example
        ("unsupported_resource", None),  # an R4-only type, set aside for R4B validation
    ]
    assert len(names) == 5
    assert services.history(patient_id) == []


def test_the_exported_bundle_is_r4_and_every_resource_round_trips_through_its_r4b_model(
    services: Services, clinic_patient: tuple[str, str]
) -> None:
    _, patient_id = clinic_patient
    services.record_dose(
        patient_id, DoseInput(dt.date(2026, 1, 5), "hydroxocobalamin", Decimal(1), "mg", "IM"), "nurse"
    )
    services.record_dose(patient_id, DoseInput(dt.date(2026, 1, 7), not_done_reason="declined"), "nurse")
    services.record_lab(
        patient_id, test="total_b12", value=Decimal(120), unit="ng/L", day=dt.date(2026, 1, 2), actor="n"
    )

    data = export_patient_record(services, patient_id, dt.date(2026, 1, 8), actor="exporter")

    check_r4(data)
    assert bundle_as_r4b(data) == (data, [])
    shell, again = dict(data), round_trip(data)
    # the one spelling the model changes: the instant Bundle.timestamp, "+00:00" written back as "Z"
    assert dt.datetime.fromisoformat(again.pop("timestamp")) == dt.datetime.fromisoformat(
        shell.pop("timestamp")
    )
    assert again == shell
    resources = list(resources_in(data))
    assert {r["resourceType"] for r in resources} == {
        "Patient",
        "CarePlan",
        "MedicationRequest",
        "MedicationAdministration",
        "Observation",
    }
    for resource in resources:
        assert round_trip(resource) == resource
