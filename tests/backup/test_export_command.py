"""``b12care export``: one patient or a whole clinic as one FHIR R4 Bundle or as CSV (a row per
recorded entry, entered-in-error ones marked, spreadsheet formulas defused); bad ids exit 2."""

from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from backup_builders import (
    FORMULA_NAME,
    FORMULA_REASON,
    VariedRecord,
    open_app,
    sqlite_url,
)
from fhir.resources.R4B.bundle import Bundle
from tests.conftest import CliResult

from b12care.application.export import CSV_COLUMNS, spreadsheet_safe
from b12care.domain.errors import InputError
from b12care.entrypoints.cli.output import write_private

Run = Callable[..., CliResult]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture
def record(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, varied_copy: Callable[[Path], VariedRecord]
) -> VariedRecord:
    """The varied record on a SQLite file named by B12CARE_DATABASE_URL."""
    made = varied_copy(tmp_path / "clinic.db")
    monkeypatch.setenv("B12CARE_DATABASE_URL", sqlite_url(tmp_path / "clinic.db"))
    return made


def _csv(text: str) -> list[dict[str, str]]:
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    return [dict(zip(CSV_COLUMNS, row, strict=True)) for row in rows[1:]]


def _resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_a_clinic_exports_as_one_valid_fhir_bundle_holding_every_patient_and_entry(
    run_cli: Run, record: VariedRecord, tmp_path: Path
) -> None:
    target = tmp_path / "clinic.json"

    result = run_cli("export", "--clinic", record.clinic_ids[0], "--format", "fhir", "--output", str(target))

    assert result.exit_code == 0, result.stderr
    bundle = json.loads(target.read_text(encoding="utf-8"))
    Bundle.model_validate(bundle)
    clinic_patients = set(record.patient_ids[:3])
    assert {p["id"] for p in _resources(bundle, "Patient")} == clinic_patients
    subjects = Counter(r["subject"]["reference"] for r in _resources(bundle, "CarePlan"))
    assert subjects == Counter(f"urn:uuid:{p}" for p in clinic_patients)
    administrations = _resources(bundle, "MedicationAdministration")
    assert len(administrations) == 8 + 1 + 1  # Ann's doses, the one not done, O'Brien's wrong one
    assert [a["status"] for a in administrations].count("entered-in-error") == 1
    assert len(_resources(bundle, "Observation")) == 2
    assert len({e["fullUrl"] for e in bundle["entry"]}) == len(bundle["entry"])


def test_a_clinic_exports_as_csv_with_one_row_per_entry_and_entered_in_error_marked(
    run_cli: Run, record: VariedRecord
) -> None:
    result = run_cli("export", "--clinic", record.clinic_ids[0], "--format", "csv")

    assert result.exit_code == 0, result.stderr
    rows = _csv(result.stdout)
    clinic_patients = record.patient_ids[:3]
    per_patient = Counter(row["patient_id"] for row in rows)
    assert per_patient == {p: record.entries_per_patient[p] + 1 for p in clinic_patients}  # + the patient row
    kinds = Counter(row["kind"] for row in rows)
    assert kinds == {"patient": 3, "plan_version": 4, "dose": 10, "lab": 2, "symptoms": 1, "review": 2}
    marked = [row for row in rows if row["entered_in_error"] == "yes"]
    assert sorted(row["kind"] for row in marked) == ["dose", "lab", "review", "symptoms"]
    assert all(row["entered_in_error_reason"] and row["entered_in_error_by"] for row in marked)
    assert len({row["entry_id"] for row in rows}) == len(rows)


def test_every_csv_cell_that_could_run_as_a_spreadsheet_formula_is_defused(
    run_cli: Run, record: VariedRecord
) -> None:
    result = run_cli("export", "--clinic", record.clinic_ids[0], "--format", "csv")

    rows = _csv(result.stdout)
    cells = [cell for row in rows for cell in row.values()]
    assert not [cell for cell in cells if cell.startswith(FORMULA_STARTS)]
    assert spreadsheet_safe(FORMULA_REASON) in cells  # the reason is kept, with a ' in front
    names = [json.loads(row["details"])["name"] for row in rows if row["kind"] == "patient"]
    assert FORMULA_NAME in names  # inside the JSON of details the text is kept exactly


def test_one_patient_exports_only_their_own_entries_and_plan_versions_in_force(
    run_cli: Run, record: VariedRecord, tmp_path: Path
) -> None:
    ann = record.patient_ids[0]
    target = tmp_path / "ann.csv"

    result = run_cli("export", "--patient", ann, "--format", "csv", "--output", str(target))

    assert result.exit_code == 0, result.stderr
    rows = _csv(target.read_text(encoding="utf-8"))
    assert {row["patient_id"] for row in rows} == {ann}
    assert len(rows) == record.entries_per_patient[ann] + 1
    doses = [row for row in rows if row["kind"] == "dose"]
    assert {row["plan_version"] for row in doses} == {"1"}
    review = next(row for row in rows if row["kind"] == "review")
    assert json.loads(review["details"]) == {
        "decision": "shorten_interval", "new_interval": "2m", "note": "@risk: tired again"
    }  # fmt: skip
    assert review["plan_version"] == "2"


@pytest.mark.parametrize(
    ("arguments", "first_line"),
    [
        (["--clinic", "no-such-clinic"], "error: clinic: no clinic with id no-such-clinic"),
        (["--patient", "no-such-patient"], "error: patient: no patient with id no-such-patient"),
        (["--patient", "p", "--clinic", "c"], "error: --patient: give a patient id"),
        ([], "error: --patient: give a patient id"),
        (["--patient", "p", "--as-of", "2026-02-30"], "error: --as-of:"),
    ],
)
def test_a_bad_id_or_option_exits_2_with_one_line_naming_it(
    run_cli: Run, record: VariedRecord, tmp_path: Path, arguments: list[str], first_line: str
) -> None:
    target = tmp_path / "never.json"

    result = run_cli("export", *arguments, "--output", str(target))

    assert result.exit_code == 2
    assert result.stderr.startswith(first_line), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not target.exists()


def test_an_unknown_format_is_a_usage_error(run_cli: Run, record: VariedRecord) -> None:
    result = run_cli("export", "--patient", record.patient_ids[0], "--format", "xml")

    assert result.exit_code == 2


def test_an_output_that_cannot_be_written_exits_2_naming_it_and_leaves_no_file(
    run_cli: Run, record: VariedRecord, tmp_path: Path
) -> None:
    target = tmp_path / "no-such-folder" / "clinic.csv"

    result = run_cli("export", "--clinic", record.clinic_ids[0], "--format", "csv", "--output", str(target))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: --output: cannot write {target}")
    assert not target.parent.exists()


def test_a_cli_export_is_in_the_audit_log_under_the_actor(run_cli: Run, record: VariedRecord) -> None:
    ann = record.patient_ids[0]

    result = run_cli("export", "--patient", ann, "--format", "csv", "--actor", "it.admin")

    assert result.exit_code == 0, result.stderr
    with open_app(os.environ["B12CARE_DATABASE_URL"]) as app, app.uow() as uow:
        exports = [e for e in uow.audit.for_entity("patient", ann) if e.action == "record.export"]
    assert [(e.actor, dict(e.detail)) for e in exports] == [("it.admin", {"format": "csv", "patients": 1})]


def test_an_export_that_fails_half_way_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "clinic.json"

    def chunks() -> Iterator[str]:
        yield '{"resourceType": "Bundle", "entry": ['
        raise InputError("patient", "patient p has no plan")

    with pytest.raises(InputError):
        write_private(target, chunks())

    assert sorted(tmp_path.iterdir()) == []


# --- security probe M3: an export never destroys a file, and never leaves a record world-readable ---------


def _db_rows(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as connection:
        count: int = connection.execute("select count(*) from doses").fetchone()[0]
    return count


@pytest.mark.parametrize("suffix", ["", "-wal", "-shm"])
def test_an_export_onto_the_live_database_is_refused_even_with_force(
    run_cli: Run, record: VariedRecord, tmp_path: Path, suffix: str
) -> None:
    database = tmp_path / "clinic.db"
    before = _db_rows(database)
    target = database.with_name(database.name + suffix)

    result = run_cli(
        "export", "--clinic", record.clinic_ids[0], "--format", "csv", "--output", str(target), "--force"
    )

    assert result.exit_code == 2
    assert result.stderr.startswith("error: --output: ") and "live b12care database" in result.stderr
    assert _db_rows(database) == before


def test_an_export_onto_an_existing_file_is_refused_without_force_and_the_file_is_untouched(
    run_cli: Run, record: VariedRecord, tmp_path: Path
) -> None:
    target = tmp_path / "backup-of-last-week.db"
    target.write_bytes(b"precious")

    refused = run_cli("export", "--clinic", record.clinic_ids[0], "--format", "csv", "--output", str(target))
    forced = run_cli(
        "export", "--clinic", record.clinic_ids[0], "--format", "csv", "--output", str(target), "--force"
    )

    assert refused.exit_code == 2
    assert refused.stderr.startswith("error: --output: ") and "exists" in refused.stderr
    assert forced.exit_code == 0, forced.stderr
    assert target.read_text(encoding="utf-8").startswith(",".join(CSV_COLUMNS))


@pytest.mark.parametrize("command", ["export", "fhir export", "handout", "schedule export"])
def test_every_file_the_cli_writes_for_a_patient_is_owner_only_whatever_the_umask(
    run_cli: Run, record: VariedRecord, tmp_path: Path, command: str
) -> None:
    patient = record.patient_ids[0]
    target = tmp_path / "out.file"
    args = {
        "export": ("export", "--patient", patient, "--format", "csv"),
        "fhir export": ("fhir", "export", patient),
        "handout": ("handout", patient),
        "schedule export": ("schedule", "export", patient, "--ics"),
    }[command]
    previous = os.umask(0o022)
    try:
        result = run_cli(*args, "--output", str(target))
    finally:
        os.umask(previous)

    assert result.exit_code == 0, result.stderr
    assert target.stat().st_mode & 0o777 == 0o600
    again = run_cli(*args, "--output", str(target))
    assert again.exit_code == 2 and "exists" in again.stderr
