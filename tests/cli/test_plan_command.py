"""The ``b12care plan`` command: text and JSON output, options, and bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import EXAMPLE_CASE, ROOT, CliResult

Run = Callable[..., CliResult]


def _case_file(tmp_path: Path, data: dict[str, Any] | str) -> str:
    path = tmp_path / "case.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return str(path)


def test_text_plan_names_the_pack_regimen_dates_and_sources(run_cli: Run) -> None:
    result = run_cli("plan", str(EXAMPLE_CASE))
    assert result.exit_code == 0
    out = result.stdout
    assert "b12care plan - pack uk-nice-2024 1.1.0" in out
    assert "hydroxocobalamin 1 mg IM" in out
    for day in (
        "2026-01-05",
        "2026-01-07",
        "2026-01-09",
        "2026-01-12",
        "2026-01-14",
        "2026-01-16",
        "2026-04-16",
    ):
        assert day in out
    assert "regimen.uk.hydroxocobalamin_im.standard" in out
    assert "bnf-hydroxocobalamin" in out
    assert "Decision support only: the prescriber decides." in out


def test_json_plan_follows_the_contract(run_cli: Run) -> None:
    result = run_cli("plan", str(EXAMPLE_CASE), "--format", "json")
    assert result.exit_code == 0
    plan = json.loads(result.stdout)
    assert plan["pack"]["id"] == "uk-nice-2024"
    assert plan["pack"]["version"] == "1.1.0"
    assert plan["interpretation"]["b12_status"] == "deficient"
    regimen = plan["regimen"]
    assert (regimen["drug"], regimen["route"], regimen["dose"]) == (
        "hydroxocobalamin",
        "IM",
        {"value": "1", "unit": "mg"},
    )
    loading, maintenance = plan["phases"]
    assert loading["kind"] == "loading" and loading["end"] == "fixed"
    assert [d["date"] for d in loading["doses"]][-1] == "2026-01-16"
    assert maintenance["end"] == "lifelong"
    assert maintenance["interval"] == {"value": 3, "unit": "month"}
    assert maintenance["interval_range"] == {
        "min": {"value": 2, "unit": "month"},
        "max": {"value": 3, "unit": "month"},
    }
    assert {"decision", "because", "rule_id", "citations", "verification"} <= set(plan["rationale"][0])
    assert all({"date", "kind", "what", "citations"} <= set(m) for m in plan["milestones"])
    assert "bnf-hydroxocobalamin" in plan["citations"]


def test_plan_reads_the_case_from_standard_input(run_cli: Run) -> None:
    result = run_cli("plan", "-", "--format", "json", stdin=EXAMPLE_CASE.read_text())
    assert result.exit_code == 0
    assert json.loads(result.stdout)["regimen"]["drug"] == "hydroxocobalamin"


def test_clinician_may_choose_a_maintenance_interval_inside_the_range(run_cli: Run) -> None:
    result = run_cli("plan", str(EXAMPLE_CASE), "--format", "json", "--maintenance-interval", "2m")
    maintenance = json.loads(result.stdout)["phases"][1]
    assert [d["date"] for d in maintenance["doses"]][:2] == ["2026-03-16", "2026-05-16"]
    assert any("the clinician chose 2 months" in r["because"] for r in json.loads(result.stdout)["rationale"])


def test_overlay_values_are_marked_in_the_plan(run_cli: Run, tmp_path: Path) -> None:
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text(
        "overlay: {id: test-lab, version: '1', pack: uk-nice-2024}\n"
        "citations:\n"
        "  - {id: test-lab-2026, title: Test laboratory ranges, publisher: Test lab, year: 2026, url: 'https://example.org'}\n"
        "records:\n"
        "  - id: labs.total_b12.bands\n"
        "    kind: bands\n"
        "    description: Test laboratory cut-offs\n"
        "    unit: ng/L\n"
        "    citations: [test-lab-2026]\n"
        "    verification: lab_reference\n"
        "    values: {2025-01-01: {direction: low, lower: 100, upper: 180}}\n"
    )
    result = run_cli("plan", str(EXAMPLE_CASE), "--format", "json", "--overlay", str(overlay))
    plan = json.loads(result.stdout)
    assert plan["pack"]["overlay"] == {"id": "test-lab", "version": "1", "records": ["labs.total_b12.bands"]}
    codes = {w["code"]: w for w in plan["warnings"]}
    assert "labs.total_b12.bands" in codes["LOCAL_OVERLAY_APPLIED"]["message"]
    finding = plan["interpretation"]["findings"][0]
    assert finding["band"] == "indeterminate" and finding["citations"] == ["test-lab-2026"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"cause": "scurvy"}, "cause"),
        ({"colour": "blue"}, "colour"),
        ({"start_date": "2026-02-30"}, "start_date"),
        (
            {"labs": [{"test": "total_b12", "value": 120, "unit": "mg/dL", "date": "2026-01-02"}]},
            "labs[0].unit",
        ),
        ({"labs": [{"test": "mma", "value": 300, "unit": "ng/L", "date": "2026-01-02"}]}, "labs[0].unit"),
        (
            {"labs": [{"test": "total_b12", "value": -5, "unit": "ng/L", "date": "2026-01-02"}]},
            "labs[0].value",
        ),
        ({"labs": [{"test": "vitamin_q", "value": 5, "unit": "ng/L", "date": "2026-01-02"}]}, "labs[0].test"),
        ({"patient": {"birth_date": "2015-06-01", "sex": "female"}}, "patient.birth_date"),
        ({"patient": {"sex": "female"}}, "patient.birth_date"),
        ({"neurological_symptoms": "yes"}, "neurological_symptoms"),
        ({"conditions": ["gout"]}, "conditions[0]"),
        ({"regimen": "regimen.uk.nonexistent"}, "regimen"),
        ({"pack": "xx-unknown"}, "pack"),
    ],
)
def test_bad_input_exits_2_with_one_line_naming_the_field(
    run_cli: Run, tmp_path: Path, base_case: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    result = run_cli("plan", _case_file(tmp_path, base_case | change))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"error: {field}: ")
    assert "Traceback" not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "error: case: malformed JSON"),
        ("", "error: case: empty input"),
        ("[1, 2]", "error: case: "),
    ],
)
def test_malformed_case_text_exits_2(run_cli: Run, tmp_path: Path, text: str, message: str) -> None:
    result = run_cli("plan", _case_file(tmp_path, text))
    assert result.exit_code == 2
    assert result.stderr.startswith(message)


def test_missing_case_file_exits_2_naming_it(run_cli: Run) -> None:
    result = run_cli("plan", "no/such/case.json")
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: CASE: no case file at no/such/case.json"


@pytest.mark.parametrize("interval", ["2x", "0m"])
def test_a_malformed_maintenance_interval_exits_2(run_cli: Run, interval: str) -> None:
    result = run_cli("plan", str(EXAMPLE_CASE), "--maintenance-interval", interval)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: maintenance_interval: ")


@pytest.mark.parametrize("interval", ["9m", "1m"])
def test_an_interval_outside_the_licence_without_a_reason_exits_2_naming_the_reason(
    run_cli: Run, interval: str
) -> None:
    result = run_cli("plan", str(EXAMPLE_CASE), "--maintenance-interval", interval)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: interval_reason: ")
    assert "outside the licensed range" in result.stderr


def test_unknown_format_is_a_usage_error(run_cli: Run) -> None:
    result = run_cli("plan", str(EXAMPLE_CASE), "--format", "xml")
    assert result.exit_code == 2


def test_the_example_case_in_the_readme_quick_start_exists() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "python3 tasks.py run" in readme and "python3 tasks.py test" in readme
