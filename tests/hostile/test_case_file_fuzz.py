"""The case-file parser under hostile input (Hypothesis): any JSON value, mutated valid cases and
mangled text either give a plan or one InputError naming a field - never another exception; the CLI
answers the same with exit 2 and one line, never a traceback."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hostile_helpers import json_values, mutated
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b12care.application.case_file import parse_case_json, parse_forecast_case_json
from b12care.application.forecasting import forecast_case, timeline_case
from b12care.application.planning import plan_case
from b12care.domain.errors import InputError
from b12care.domain.forecast import Forecast
from b12care.domain.plan import Plan

ROOT = Path(__file__).resolve().parents[2]
CASE: dict[str, Any] = json.loads((ROOT / "examples" / "pernicious-anaemia.json").read_text())
FORECAST_CASE: dict[str, Any] = json.loads((ROOT / "examples" / "forecast-with-history.json").read_text())
VOCABULARY = (
    "uk-nice-2024",
    "us-fda-label",
    "nl-nhg-2014",
    "pernicious_anaemia",
    "gastrectomy",
    "nitrous_oxide",
    "prophylaxis",
    "leber_optic_atrophy",
    "folic_acid",
    "total_b12",
    "mma",
    "pmol/L",
    "ng/L",
    "pg/mL",
    "hydroxocobalamin",
    "cyanocobalamin",
    "IM",
    "IV",
    "oral",
    "2m",
    "male",
    "pregnant",
)
DAYS = st.one_of(st.dates(dt.date(2025, 1, 1), dt.date(2030, 12, 31)), st.dates())
FUZZ = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def plan_or_input_error(text: str | bytes) -> Plan | InputError:
    """What ``b12care plan`` does with the text: a plan, or the InputError it reports."""
    try:
        return plan_case(parse_case_json(text))
    except InputError as error:
        return error


def forecast_or_input_error(text: str, day: dt.date) -> tuple[Forecast, ...] | InputError:
    """What ``b12care forecast --case`` does with the text, and what a write stores (the timeline)."""
    try:
        parsed, history = parse_forecast_case_json(text)
        return (forecast_case(parsed, history, as_of=day), *timeline_case(parsed, history, as_of=day))
    except InputError as error:
        return error


def _names_a_field(error: InputError) -> bool:
    return bool(error.field.strip()) and bool(error.message.strip()) and "Traceback" not in str(error)


@FUZZ
@given(value=json_values())
def test_any_json_value_gives_a_plan_or_an_input_error_naming_a_field(value: Any) -> None:
    outcome = plan_or_input_error(json.dumps(value))

    assert isinstance(outcome, InputError)  # no JSON value of this shape is a whole case
    assert _names_a_field(outcome)


@FUZZ
@given(case=mutated(CASE, vocabulary=VOCABULARY))
def test_a_mutated_case_gives_a_plan_or_an_input_error_naming_a_field(case: Any) -> None:
    outcome = plan_or_input_error(json.dumps(case))

    assert isinstance(outcome, Plan) or _names_a_field(outcome)


@FUZZ
@given(case=mutated(FORECAST_CASE, vocabulary=VOCABULARY, max_mutations=4), day=DAYS)
def test_a_mutated_forecast_case_gives_a_forecast_or_an_input_error(case: Any, day: dt.date) -> None:
    outcome = forecast_or_input_error(json.dumps(case), day)

    assert isinstance(outcome, tuple) or _names_a_field(outcome)


@FUZZ
@given(data=st.data())
def test_mangled_case_text_gives_a_plan_or_an_input_error(data: st.DataObject) -> None:
    text = json.dumps(CASE).encode()
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, min(len(text), start + 8)))
    junk = data.draw(st.binary(max_size=8))
    outcome = plan_or_input_error(text[:start] + junk + text[end:])

    assert isinstance(outcome, Plan) or _names_a_field(outcome)


DEEP = "[" * 100_000 + "]" * 100_000
CLI_CASES: dict[str, str | bytes] = {
    "deeply nested": DEEP,
    "nested case": json.dumps(CASE | {"patient": json.loads("[" * 300 + "]" * 300)}),
    "NUL in a string": json.dumps(CASE | {"regimen": "\x00"}),
    "pack path": json.dumps(CASE | {"pack": "../../../../etc"}),
    "year 9999": json.dumps(CASE | {"start_date": "9999-12-31"}),
    "year 1": json.dumps(CASE | {"start_date": "0001-01-01"}),
    "huge number": json.dumps(CASE | {"labs": [CASE["labs"][0] | {"value": 10**400}]}),
    "not UTF-8": b"\xff\xfe{\x00",
    "a JSON string": '"case"',
}


@pytest.mark.parametrize("text", CLI_CASES.values(), ids=CLI_CASES.keys())
def test_the_plan_command_answers_hostile_case_files_with_one_line_and_exit_2(
    run_cli: Callable[..., Any], tmp_path: Path, text: str | bytes
) -> None:
    case_file = tmp_path / "case.json"
    case_file.write_bytes(text if isinstance(text, bytes) else text.encode())

    result = run_cli("plan", str(case_file))

    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_the_plan_command_answers_a_deeply_nested_case_on_standard_input_with_exit_2(
    run_cli: Callable[..., Any],
) -> None:
    result = run_cli("plan", "-", stdin=DEEP)

    assert result.exit_code == 2
    assert result.stderr.startswith("error: case: ")
    assert result.stderr.count("\n") == 1
