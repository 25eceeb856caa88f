"""The scenario suite: YAML cases with the plans (or errors) they must produce.

Each file in this folder holds ``scenarios:``; each scenario's ``case`` is merged over the example case
(``examples/pernicious-anaemia.json``; ``patient`` merged field by field). ``expect`` lists what must hold:
exact values for the keys given, exact dose dates per phase, the exact set of warning codes.

The ``clinical_*.yaml`` files are written from the clinical sources, not from the code (issue 11). Each of
their scenarios names the issue item(s) it covers (``item``) and the source sentence it rests on
(``source: {citation, quote}``); the citation id must be one the scenario's pack carries. A scenario marked
``guard: true`` is a boundary that already held before issue 11 and must keep holding.

Plan checks beyond exact values: ``warnings_include`` / ``warnings_exclude`` (codes), ``warning_text``
({code: substring}), ``warning_source`` ({code: {severity, verification, citations_include}}),
``next_tests_include`` (test lists each of which must be among the next tests), ``next_test_source``
({first test: {verification, citations_include}}), ``finding_band`` / ``finding_text`` /
``finding_citations`` ({test: ...} of the latest finding of that test), ``milestones_exclude`` (rule ids),
``milestone_source`` ({rule_id: {...}}), ``alternatives_citations_include`` and ``alternative_source``
({id substring: {...}}). Phases may give ``dates_start`` (the first dates) instead of ``dates``.
``interval_reason`` is passed to ``plan_case`` (and ``forecast_case``) with ``maintenance_interval``.

Forecast checks: ``next_dose`` (the keys given), ``flags`` (exact set), ``flags_include``,
``flags_exclude``, ``flag_source`` ({code: {...}}), ``evaluations`` (statuses in order),
``evaluations_at`` ({date: status}), and any top-level field (``status``, ``phase``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from b12care.application.case_file import parse_case_json, parse_forecast_case_json
from b12care.application.forecasting import forecast_case, forecast_to_dict
from b12care.application.plan_json import plan_to_dict
from b12care.application.planning import plan_case
from b12care.domain.errors import InputError
from b12care.knowledge import load_pack

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
BASE = json.loads((ROOT / "examples" / "pernicious-anaemia.json").read_text())
DEFAULT_PACK = "uk-nice-2024"
ISSUE_11_ITEMS = range(1, 14)
MAX_GUARDS = 10


def _scenarios(pattern: str = "*.yaml") -> list[tuple[Path, dict[str, Any]]]:
    found = []
    for path in sorted(HERE.glob(pattern)):
        for scenario in yaml.safe_load(path.read_text())["scenarios"]:
            found.append((path, scenario))
    return found


def _load() -> list[Any]:
    return [pytest.param(s, id=f"{path.stem}: {s['name']}") for path, s in _scenarios()]


def _clinical() -> list[Any]:
    return [pytest.param(s, id=f"{path.stem}: {s['name']}") for path, s in _scenarios("clinical_*.yaml")]


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
    extra: dict[str, Any] = {}
    if "interval_reason" in scenario:
        extra["interval_reason"] = scenario["interval_reason"]
    plan = plan_case(
        parse_case_json(_case_text(scenario)),
        pack_id=scenario.get("pack"),
        overlay=ROOT / overlay if overlay else None,
        maintenance_interval=scenario.get("maintenance_interval"),
        **extra,
    )
    return plan_to_dict(plan)


def _forecast(scenario: dict[str, Any]) -> dict[str, Any]:
    overlay = scenario.get("overlay")
    extra: dict[str, Any] = {}
    if "interval_reason" in scenario:
        extra["interval_reason"] = scenario["interval_reason"]
    case, history = parse_forecast_case_json(_case_text(scenario))
    forecast = forecast_case(
        case,
        history,
        as_of=scenario["as_of"],
        pack_id=scenario.get("pack"),
        overlay=ROOT / overlay if overlay else None,
        maintenance_interval=scenario.get("maintenance_interval"),
        **extra,
    )
    return forecast_to_dict(forecast)


def _check_source(what: str, want: dict[str, Any], got: dict[str, Any]) -> None:
    """``want`` holds ``severity``, ``verification`` (a value, or a list of allowed values) and/or
    ``citations_include`` for one output item."""
    for field, value in want.items():
        if field == "citations_include":
            assert set(value) <= set(got["citations"]), (what, got["citations"])
        elif isinstance(value, list):  # one of
            assert got[field] in value, (what, field, got[field])
        else:
            assert got[field] == value, (what, field, got[field])


def _check_forecast(expect: dict[str, Any], forecast: dict[str, Any]) -> None:
    codes = [f["code"] for f in forecast["flags"]]
    for key, value in expect.items():
        if key == "next_dose":
            for field, wanted in value.items():
                got = forecast["next_dose"][field]
                assert got == (str(wanted) if wanted else None), (field, forecast["next_dose"])
        elif key == "evaluations":
            assert [e["status"] for e in forecast["evaluations"]] == value
        elif key == "evaluations_at":
            statuses = {e["date"]: e["status"] for e in forecast["evaluations"]}
            for day, status in value.items():
                assert statuses.get(str(day)) == status, (str(day), forecast["evaluations"])
        elif key == "flags":
            assert sorted(codes) == sorted(value)
        elif key == "flags_include":
            assert set(value) <= set(codes), codes
        elif key == "flags_exclude":
            assert not set(value) & set(codes), codes
        elif key == "flag_source":
            flags = {f["code"]: f for f in forecast["flags"]}
            for code, want in value.items():
                assert code in flags, codes
                _check_source(code, want, flags[code])
        elif key == "flag_text":
            messages = {f["code"]: f["message"] for f in forecast["flags"]}
            for code, text in value.items():
                assert text in messages[code], (code, messages.get(code))
        else:
            assert forecast[key] == value, (key, forecast[key], codes)


def _check_phases(expected: list[dict[str, Any]], actual: list[dict[str, Any]]) -> None:
    assert len(actual) == len(expected), [p["kind"] for p in actual]
    for want, got in zip(expected, actual, strict=True):
        for key, value in want.items():
            dates = [str(d["date"]) for d in got["doses"]]
            if key == "dates":
                assert dates == [str(v) for v in value]
            elif key == "dates_start":
                assert dates[: len(value)] == [str(v) for v in value], dates
            elif key == "dose":
                assert {d["dose"]["value"] + " " + d["dose"]["unit"] for d in got["doses"]} == {value}
            else:
                assert got[key] == value, key


def _latest_findings(plan: dict[str, Any]) -> dict[str, dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for finding in plan["interpretation"]["findings"]:
        current = latest.get(finding["test"])
        if current is None or finding["date"] >= current["date"]:
            latest[finding["test"]] = finding
    return latest


def _check_findings(key: str, value: dict[str, Any], plan: dict[str, Any]) -> None:
    latest = _latest_findings(plan)
    for test, wanted in value.items():
        assert test in latest, (test, list(latest))
        finding = latest[test]
        if key == "finding_band":
            assert finding["band"] == wanted, (test, finding["message"])
        elif key == "finding_text":
            assert wanted in finding["message"], (test, finding["message"])
        else:
            assert finding["citations"] == wanted, (test, finding["citations"])


def _check_warnings(key: str, value: Any, plan: dict[str, Any]) -> None:
    codes = [w["code"] for w in plan["warnings"]]
    warnings = {w["code"]: w for w in plan["warnings"]}
    if key == "warnings":
        assert sorted(codes) == sorted(value)
    elif key == "warnings_include":
        assert set(value) <= set(codes), codes
    elif key == "warnings_exclude":
        assert not set(value) & set(codes), codes
    elif key == "warning_text":
        for code, text in value.items():
            assert code in warnings, codes
            assert text in warnings[code]["message"], (code, warnings[code]["message"])
    else:
        for code, want in value.items():
            assert code in warnings, codes
            _check_source(code, want, warnings[code])


def _check_milestones(key: str, value: Any, plan: dict[str, Any]) -> None:
    rule_ids = [m["rule_id"] for m in plan["milestones"]]
    if key == "milestones":
        actual = [(str(m["date"]), m["kind"], m["rule_id"]) for m in plan["milestones"]]
        for item in value:
            assert (str(item["date"]), item["kind"], item["rule_id"]) in actual, actual
    elif key == "milestones_exclude":
        assert not set(value) & set(rule_ids), rule_ids
    else:
        milestones = {m["rule_id"]: m for m in plan["milestones"]}
        for rule_id, want in value.items():
            assert rule_id in milestones, rule_ids
            _check_source(rule_id, want, milestones[rule_id])


def _check_interpretation(key: str, value: Any, plan: dict[str, Any]) -> None:
    interpretation = plan["interpretation"]
    next_tests = [t["tests"] for t in interpretation["next_tests"]]
    if key == "b12_status":
        assert interpretation["b12_status"] == value
    elif key == "next_tests":
        assert next_tests == value
    elif key == "next_tests_include":
        for tests in value:
            assert tests in next_tests, next_tests
    elif key == "next_test_source":
        by_first = {t["tests"][0]: t for t in interpretation["next_tests"]}
        for test, want in value.items():
            assert test in by_first, next_tests
            _check_source(test, want, by_first[test])
    elif key == "bands":
        assert [f["band"] for f in interpretation["findings"]] == value
    else:
        _check_findings(key, value, plan)


def _check_alternatives(key: str, value: Any, plan: dict[str, Any]) -> None:
    if key == "alternatives_citations_include":
        cited = {c for a in plan["alternatives"] for c in a["citations"]}
        assert set(value) <= cited, plan["alternatives"]
        return
    for part, want in value.items():
        chosen = [a for a in plan["alternatives"] if part in a["id"]]
        assert chosen, [a["id"] for a in plan["alternatives"]]
        for alternative in chosen:
            _check_source(alternative["id"], want, alternative)


_WARNING_KEYS = ("warnings", "warnings_include", "warnings_exclude", "warning_text", "warning_source")
_MILESTONE_KEYS = ("milestones", "milestones_exclude", "milestone_source")
_INTERPRETATION_KEYS = (
    "b12_status",
    "next_tests",
    "next_tests_include",
    "next_test_source",
    "bands",
    "finding_band",
    "finding_text",
    "finding_citations",
)


def _check(expect: dict[str, Any], plan: dict[str, Any]) -> None:
    for key, value in expect.items():
        if key in _INTERPRETATION_KEYS:
            _check_interpretation(key, value, plan)
        elif key in _WARNING_KEYS:
            _check_warnings(key, value, plan)
        elif key in _MILESTONE_KEYS:
            _check_milestones(key, value, plan)
        elif key in ("alternatives_citations_include", "alternative_source"):
            _check_alternatives(key, value, plan)
        elif key == "regimen":
            for field, wanted in value.items():
                assert plan["regimen"][field] == wanted, field
        elif key == "phases":
            _check_phases(value, plan["phases"])
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
        assert forecast["pack"]["id"] == scenario.get("pack", DEFAULT_PACK)
        return
    plan = _plan(scenario)
    _check(scenario["expect"], plan)
    assert plan["pack"]["id"] == scenario.get("pack", DEFAULT_PACK)


def _items(scenario: dict[str, Any]) -> list[int]:
    item = scenario.get("item")
    return [item] if isinstance(item, int) else list(item or [])


@pytest.mark.parametrize("scenario", _clinical())
def test_clinical_scenario_cites_its_source(scenario: dict[str, Any]) -> None:
    """Every clinical scenario names its issue-11 item(s) and quotes a source its pack carries."""
    items = _items(scenario)
    assert items, "no item"
    assert all(isinstance(i, int) and i in ISSUE_11_ITEMS for i in items), items
    source = scenario.get("source")
    assert isinstance(source, dict), "source must be a mapping with citation and quote"
    citation, quote = source.get("citation"), source.get("quote")
    assert isinstance(citation, str) and citation.strip(), "empty citation"
    assert isinstance(quote, str) and len(quote.strip()) >= 20, "empty or too short quote"
    assert "expect" in scenario or "error" in scenario, "no expected outcome"
    pack_id = scenario.get("pack", DEFAULT_PACK)
    assert citation in load_pack(pack_id).citations, f"{citation} is not a citation of pack {pack_id}"


def test_every_issue_11_item_has_a_clinical_scenario() -> None:
    covered = {i for _, s in _scenarios("clinical_*.yaml") for i in _items(s)}
    assert set(ISSUE_11_ITEMS) <= covered, sorted(set(ISSUE_11_ITEMS) - covered)


def test_clinical_scenarios_are_mostly_findings_not_guards() -> None:
    clinical = _scenarios("clinical_*.yaml")
    guards = [s["name"] for _, s in clinical if s.get("guard")]
    assert len(guards) <= MAX_GUARDS, guards
    names = [(p.stem, s["name"]) for p, s in clinical]
    assert len(names) == len(set(names)), "duplicate scenario names"
