"""Overrides on the command line: an interval outside the licence with its reason, stopping lifelong
replacement with a reason and a prescriber's confirmation (issue 11). Bad input exits 2 with one line
naming the field."""

from __future__ import annotations

import json
from collections.abc import Callable

from tests.conftest import EXAMPLE_CASE, CliResult

Run = Callable[..., CliResult]


def _review(run_cli: Run, patient: str, decision: str, *extra: str) -> CliResult:
    return run_cli("review", "record", patient, "--date", "2026-01-20", "--decision", decision, *extra)


def _one_line_error(result: CliResult, field: str) -> None:
    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {field}: "), result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr


def test_plan_with_an_interval_outside_the_licence_and_a_reason_carries_outside_licence(run_cli: Run) -> None:
    result = run_cli(
        "plan", str(EXAMPLE_CASE), "--maintenance-interval", "1m",
        "--interval-reason", "symptoms return after 5 weeks", "--format", "json",
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    plan = json.loads(result.stdout)
    [warning] = [w for w in plan["warnings"] if w["code"] == "OUTSIDE_LICENCE"]
    assert warning["severity"] == "warning"
    assert "symptoms return after 5 weeks" in warning["message"]
    assert warning["citations"]
    [maintenance] = [p for p in plan["phases"] if p["kind"] == "maintenance"]
    assert maintenance["interval"] == {"value": 1, "unit": "month"}


def test_plan_text_shows_the_outside_licence_warning_with_its_reason(run_cli: Run) -> None:
    result = run_cli(
        "plan", str(EXAMPLE_CASE), "--maintenance-interval", "1m", "--interval-reason", "relapses at 6 weeks",
        width=200,
    )  # fmt: skip

    assert result.exit_code == 0, result.stderr
    assert "OUTSIDE_LICENCE" in result.stdout
    assert "relapses at 6 weeks" in result.stdout


def test_plan_outside_the_licence_without_a_reason_exits_2_naming_interval_reason(run_cli: Run) -> None:
    _one_line_error(run_cli("plan", str(EXAMPLE_CASE), "--maintenance-interval", "1m"), "interval_reason")


def test_patient_add_keeps_the_reason_for_an_interval_outside_the_licence(
    run_cli: Run, cli_clinic_and_patient: tuple[str, str]
) -> None:
    clinic, _ = cli_clinic_and_patient

    added = run_cli(
        "patient", "add", "--clinic", clinic, "--reference", "H2", "--name", "Bo Example",
        "--case", str(EXAMPLE_CASE), "--maintenance-interval", "1m",
        "--interval-reason", "relapses at 6 weeks", "--actor", "dr.smith",
    )  # fmt: skip

    assert added.exit_code == 0, added.stderr
    patient = added.stdout.strip()
    forecast = json.loads(run_cli("forecast", patient, "--as-of", "2026-01-06", "--format", "json").stdout)
    assert "OUTSIDE_LICENCE" in [w["code"] for w in forecast["plan"]["warnings"]]


def test_patient_add_outside_the_licence_without_a_reason_exits_2_and_adds_nobody(
    run_cli: Run, cli_clinic_and_patient: tuple[str, str]
) -> None:
    clinic, _ = cli_clinic_and_patient

    result = run_cli(
        "patient", "add", "--clinic", clinic, "--reference", "H2", "--name", "Bo Example",
        "--case", str(EXAMPLE_CASE), "--maintenance-interval", "1m",
    )  # fmt: skip

    _one_line_error(result, "interval_reason")
    assert "Bo Example" not in run_cli("patient", "list", "--clinic", clinic, width=200).stdout


def test_stopping_lifelong_replacement_without_a_note_exits_2_naming_the_note(
    run_cli: Run, cli_patient: str
) -> None:
    result = _review(run_cli, cli_patient, "stop_cause_resolved")

    _one_line_error(result, "note")
    assert "clinician override" in result.stderr
    assert "stop_cause_resolved" not in run_cli("history", cli_patient, width=200).stdout


def test_a_stop_then_confirm_stop_with_notes_ends_as_stopped_by_override(
    run_cli: Run, cli_patient: str
) -> None:
    stop = _review(run_cli, cli_patient, "stop_cause_resolved", "--note", "diagnosis revised")
    pending = json.loads(run_cli("forecast", cli_patient, "--as-of", "2026-01-21", "--format", "json").stdout)
    confirm = _review(run_cli, cli_patient, "confirm_stop", "--note", "haematology agrees")
    done = json.loads(run_cli("forecast", cli_patient, "--as-of", "2026-01-21", "--format", "json").stdout)

    assert (stop.exit_code, confirm.exit_code) == (0, 0)
    assert pending["status"] == "needs_review"
    assert "LIFELONG_STOP_UNCONFIRMED" in [f["code"] for f in pending["flags"]]
    assert done["status"] == "stopped"
    assert [f["code"] for f in done["flags"]] == ["STOPPED_BY_OVERRIDE"]


def test_the_history_shows_each_review_with_its_reason(run_cli: Run, cli_patient: str) -> None:
    _review(run_cli, cli_patient, "stop_cause_resolved", "--note", "diagnosis revised")

    history = run_cli("history", cli_patient, width=200).stdout

    assert "stop_cause_resolved: diagnosis revised" in history


def test_an_unconfirmed_stop_is_on_the_recall_list(run_cli: Run, cli_patient: str) -> None:
    _review(run_cli, cli_patient, "stop_cause_resolved", "--note", "diagnosis revised")

    rows = json.loads(run_cli("recall", "--as-of", "2026-01-21", "--format", "json").stdout)

    assert [(r["patient_id"], r["status"]) for r in rows] == [(cli_patient, "needs_review")]
    assert "LIFELONG_STOP_UNCONFIRMED" in rows[0]["flags"]


def test_confirm_stop_without_a_stop_exits_2_naming_the_decision(run_cli: Run, cli_patient: str) -> None:
    _one_line_error(_review(run_cli, cli_patient, "confirm_stop", "--note", "why"), "decision")


def test_a_review_interval_outside_the_licence_without_a_note_exits_2_naming_the_note(
    run_cli: Run, cli_patient: str
) -> None:
    result = _review(run_cli, cli_patient, "shorten_interval", "--interval", "1m")

    _one_line_error(result, "note")
    assert "Plan version 1" in run_cli("patient", "show", cli_patient, "--as-of", "2026-01-21").stdout
