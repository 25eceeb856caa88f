"""``b12care forecast --case``: the database-free forecast."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.conftest import CliResult

Run = Callable[..., CliResult]


def _case(tmp_path: Path, base_case: dict[str, Any], history: dict[str, Any]) -> str:
    path = tmp_path / "forecast.json"
    path.write_text(json.dumps(base_case | {"history": history}))
    return str(path)


LOADING_DAYS = ["2026-01-05", "2026-01-07", "2026-01-09", "2026-01-12", "2026-01-14", "2026-01-16"]
LOADED = {
    "doses": [{"date": day} for day in LOADING_DAYS],
    "symptom_checks": [{"date": "2026-04-05", "overall": "better"}],  # the 3-month review was done
}


def test_forecast_json_has_status_next_dose_evaluations_flags_plan_and_pack(
    run_cli: Run, tmp_path: Path, base_case: dict[str, Any]
) -> None:
    result = run_cli(
        "forecast", "--case", _case(tmp_path, base_case, LOADED), "--as-of", "2026-04-17", "--format", "json"
    )
    assert result.exit_code == 0
    forecast = json.loads(result.stdout)
    assert forecast["status"] == "overdue"
    assert forecast["next_dose"] == {"earliest": "2026-03-16", "due": "2026-04-16", "overdue": "2026-04-17"}
    assert [e["status"] for e in forecast["evaluations"]] == ["valid"] * 6
    assert forecast["flags"] == []
    assert forecast["pack"]["id"] == "uk-nice-2024"
    assert forecast["plan"]["regimen"]["drug"] == "hydroxocobalamin"


def test_forecast_text_shows_status_next_dose_and_flags(
    run_cli: Run, tmp_path: Path, base_case: dict[str, Any]
) -> None:
    result = run_cli(
        "forecast", "--case", _case(tmp_path, base_case, LOADED), "--as-of", "2026-07-16", width=140
    )
    assert result.exit_code == 0
    assert "Status: overdue" in result.stdout
    assert "Next dose: earliest 2026-03-16, due 2026-04-16, overdue from 2026-04-17" in result.stdout
    assert "CRITICAL: MAINTENANCE_LAPSED" in result.stdout


def test_forecast_with_an_impossible_as_of_date_exits_2(
    run_cli: Run, tmp_path: Path, base_case: dict[str, Any]
) -> None:
    result = run_cli("forecast", "--case", _case(tmp_path, base_case, LOADED), "--as-of", "2026-02-30")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: as_of: '2026-02-30' is not a date (YYYY-MM-DD)"


def test_forecast_with_a_bad_symptom_score_names_the_field(
    run_cli: Run, tmp_path: Path, base_case: dict[str, Any]
) -> None:
    history = {"symptom_checks": [{"date": "2026-02-01", "overall": "same", "scores": {"fatigue": 4}}]}
    result = run_cli("forecast", "--case", _case(tmp_path, base_case, history), "--as-of", "2026-02-02")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: history.symptom_checks[0].scores.fatigue: ")


def test_the_readme_forecast_example_runs(run_cli: Run) -> None:
    result = run_cli(
        "forecast",
        "--case",
        "examples/forecast-with-history.json",
        "--as-of",
        "2026-07-21",
        "--format",
        "json",
    )
    assert result.exit_code == 0
    assert json.loads(result.stdout)["status"] == "overdue"
