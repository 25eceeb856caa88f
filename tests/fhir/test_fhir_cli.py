"""``b12care fhir import`` / ``export`` end to end on an embedded SQLite file."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
