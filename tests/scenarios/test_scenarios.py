"""The scenario suite: YAML cases with the plans (or errors) they must produce.

Each file in this folder holds ``scenarios:``; each scenario's ``case`` is merged over the example case
(``examples/pernicious-anaemia.json``; ``patient`` merged field by field). ``expect`` lists what must hold:
exact values for the keys given, exact dose dates per phase, the exact set of warning codes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from b12care.domain.errors import InputError
from b12care.service.case_file import parse_case_json, parse_forecast_case_json
from b12care.service.forecasting import forecast_case, forecast_to_dict
from b12care.service.plan_json import plan_to_dict
from b12care.service.planning import plan_case

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
BASE = json.loads((ROOT / "examples" / "pernicious-anaemia.json").read_text())


def _load() -> list[Any]:
    found = []
    for path in sorted(HERE.glob("*.yaml")):
        for scenario in yaml.safe_load(path.read_text())["scenarios"]:
            found.append(pytest.param(scenario, id=f"{path.stem}: {scenario['name']}"))
    return found


def _case_text(scenario: dict[str, Any]) -> str:
    case = dict(BASE)
    if "history" in scenario:
        case["history"] = scenario["history"]
    for key, value in scenario.get("case", {}).items():
        case[key] = {**BASE["patient"], **value} if key == "patient" else value
    for key in scenario.get("remove", []):
        case.pop(key, None)
    return json.dumps(case, default=str)


def _plan(scenario: dict[str, Any]) -> dict[str, Any]:
    overlay = scenario.get("overlay")
    plan = plan_case(
        parse_case_json(_case_text(scenario)),
        pack_id=scenario.get("pack"),
        overlay=ROOT / overlay if overlay else None,
        maintenance_interval=scenario.get("maintenance_interval"),
    )
    return plan_to_dict(plan)


def _forecast(scenario: dict[str, Any]) -> dict[str, Any]:
    overlay = scenario.get("overlay")
    case, history = parse_forecast_case_json(_case_text(scenario))
    forecast = forecast_case(
        case,
        history,
        as_of=scenario["as_of"],
        pack_id=scenario.get("pack"),
        overlay=ROOT / overlay if overlay else None,
        maintenance_interval=scenario.get("maintenance_interval"),
    )
    return forecast_to_dict(forecast)


def _check_forecast(expect: dict[str, Any], forecast: dict[str, Any]) -> None:
    for key, value in expect.items():
        if key == "next_dose":
            assert forecast["next_dose"] == {k: (str(v) if v else None) for k, v in value.items()}
        elif key == "evaluations":
            assert [e["status"] for e in forecast["evaluations"]] == value
        elif key == "flags":
            assert sorted(f["code"] for f in forecast["flags"]) == sorted(value)
        else:
            assert forecast[key] == value, key


def _check_phases(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> None:
    assert len(actual) == len(expected), [p["kind"] for p in actual]
    for want, got in zip(expected, actual, strict=True):
        for key, value in want.items():
            if key == "dates":
                assert [str(d["date"]) for d in got["doses"]] == [str(v) for v in value]
            elif key == "dose":
                assert {d["dose"]["value"] + " " + d["dose"]["unit"] for d in got["doses"]} == {value}
            else:
                assert got[key] == value, key


def _check(expect: dict[str, Any], plan: dict[str, Any]) -> None:
    for key, value in expect.items():
        if key == "b12_status":
            assert plan["interpretation"]["b12_status"] == value
        elif key == "next_tests":
            assert [t["tests"] for t in plan["interpretation"]["next_tests"]] == value
        elif key == "bands":
            assert [f["band"] for f in plan["interpretation"]["findings"]] == value
        elif key == "regimen":
            for field, wanted in value.items():
                assert plan["regimen"][field] == wanted, field
        elif key == "phases":
            _check_phases(value, plan["phases"])
        elif key == "milestones":
            actual = [(str(m["date"]), m["kind"], m["rule_id"]) for m in plan["milestones"]]
            for item in value:
                assert (str(item["date"]), item["kind"], item["rule_id"]) in actual
        elif key == "warnings":
            assert sorted(w["code"] for w in plan["warnings"]) == sorted(value)
        elif key == "warnings_include":
            assert set(value) <= {w["code"] for w in plan["warnings"]}
        elif key == "warning_text":
            messages = {w["code"]: w["message"] for w in plan["warnings"]}
            for code, text in value.items():
                assert text in messages[code]
        elif key == "rationale_rules":
            assert set(value) <= {r["rule_id"] for r in plan["rationale"]}
        else:
            assert plan[key] == value, key


@pytest.mark.parametrize("scenario", _load())
def test_scenario(scenario: dict[str, Any]) -> None:
    if "error" in scenario:
        with pytest.raises(InputError) as caught:
            (_forecast if "as_of" in scenario else _plan)(scenario)
        assert caught.value.field == scenario["error"]["field"]
        assert scenario["error"].get("contains", "") in caught.value.message
        return
    if "as_of" in scenario:
        forecast = _forecast(scenario)
        _check_forecast(scenario["expect"], forecast)
        assert forecast["pack"]["id"] == scenario.get("pack", "uk-nice-2024")
        return
    plan = _plan(scenario)
    _check(scenario["expect"], plan)
    assert plan["pack"]["id"] == scenario.get("pack", "uk-nice-2024")
