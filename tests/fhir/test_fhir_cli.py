"""``b12care fhir import`` / ``export`` end to end on an embedded SQLite file."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from b12care.bootstrap import bootstrap
from b12care.config import Settings

Run = Callable[..., Any]
EXAMPLE_CASE = Path(__file__).resolve().parents[2] / "examples" / "pernicious-anaemia.json"


def test_export_writes_a_bundle_that_imports_back_as_duplicates(
    run_cli: Run, cli_clinic_and_patient: tuple[str, str], tmp_path: Path
) -> None:
    clinic, patient = cli_clinic_and_patient
    run_cli(
        "lab",
        "record",
        patient,
        "--test",
        "total_b12",
        "--value",
        "120",
        "--unit",
        "ng/L",
        "--date",
        "2026-01-02",
    )
    target = tmp_path / "bundle.json"

    exported = run_cli("fhir", "export", patient, "--output", str(target))
    imported = run_cli("fhir", "import", str(target), "--clinic", clinic, "--json")

    assert exported.exit_code == 0, exported.stderr
    assert json.loads(target.read_text())["type"] == "collection"
    report = json.loads(imported.stdout)
    assert imported.exit_code == 0
    assert (len(report["imported"]), len(report["duplicates"])) == (0, 1)


def test_a_malformed_bundle_exits_2_with_one_line_naming_the_field(
    run_cli: Run, cli_clinic_and_patient: tuple[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {
        "resourceType": "Observation", "status": "final", "code": {"coding": 7}}}]}))  # fmt: skip

    result = run_cli("fhir", "import", str(bad), "--clinic", cli_clinic_and_patient[0])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: Bundle.entry[0].resource.code.coding")
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_bundle_that_is_not_json_exits_2(
    run_cli: Run, cli_clinic_and_patient: tuple[str, str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")

    result = run_cli("fhir", "import", str(bad), "--clinic", cli_clinic_and_patient[0])

    assert result.exit_code == 2
    assert result.stderr.startswith("error: BUNDLE: not JSON")


def test_fhir_export_is_audited_as_an_export_of_the_patient(
    run_cli: Run, cli_clinic_and_patient: tuple[str, str], tmp_path: Path
) -> None:
    _, patient = cli_clinic_and_patient

    exported = run_cli("fhir", "export", patient, "--actor", "it.admin", "--output", str(tmp_path / "b.json"))

    assert exported.exit_code == 0, exported.stderr
    settings = Settings(database_url=os.environ["B12CARE_DATABASE_URL"])
    with bootstrap(settings) as app, app.uow(read_only=True) as uow:
        exports = [e for e in uow.audit.for_entity("patient", patient) if e.action == "record.export"]
    assert [(e.actor, dict(e.detail)) for e in exports] == [("it.admin", {"format": "fhir", "patients": 1})]


UCUM = "http://unitsofmeasure.org"


def _ma_bundle(day: str) -> dict[str, Any]:
    """Patient H1 and a MedicationAdministration ``1`` given on ``day`` (no fullUrl, no meta.source)."""
    given = {"resourceType": "MedicationAdministration", "id": "1", "status": "completed",
             "medicationCodeableConcept": {"text": "hydroxocobalamin"},
             "subject": {"reference": "Patient/p1"}, "effectiveDateTime": day,
             "dosage": {"route": {"text": "IM"},
                        "dose": {"value": 1, "system": UCUM, "code": "mg"}}}  # fmt: skip
    patient = {"resourceType": "Patient", "id": "p1", "identifier": [{"value": "H1"}]}
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": patient}, {"resource": given}],
    }


def test_a_conflict_is_shown_with_both_values_by_fhir_import(
    run_cli: Run, cli_clinic_and_patient: tuple[str, str], tmp_path: Path
) -> None:
    clinic, _ = cli_clinic_and_patient
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(json.dumps(_ma_bundle("2026-01-06")))
    second.write_text(json.dumps(_ma_bundle("2026-01-13")))

    run_cli("fhir", "import", str(first), "--clinic", clinic)
    result = run_cli("fhir", "import", str(second), "--clinic", clinic)
    other = run_cli("fhir", "import", str(second), "--clinic", clinic, "--source", "https://ehr-two.example")

    assert result.exit_code == 0, result.stderr
    [line] = [x for x in result.stdout.splitlines() if x.startswith("conflict")]
    assert "Bundle.entry[1]" in line and "2026-01-06" in line and "2026-01-13" in line
    assert "0 imported, 0 duplicates, 1 conflicts" in result.stdout
    assert "1 imported, 0 duplicates, 0 conflicts" in other.stdout
