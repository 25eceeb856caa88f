"""Draft-order checks in the domain: which findings a draft order gives against the plan and forecast."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from b12care.domain.case import Case, Patient
from b12care.domain.forecast import forecast_plan
from b12care.domain.history import AdministeredDose, History
from b12care.domain.orders import DraftOrder, OffPlan, SafetyRecordFinding, TooEarly, check_orders
from b12care.domain.plan import build_plan
from b12care.knowledge import load_pack

PACK = load_pack("uk-nice-2024")
START = dt.date(2026, 1, 5)
CASE = Case(START, Patient(dt.date(1960, 1, 1), "female"), "autoimmune_gastritis")
GIVEN = History(doses=(AdministeredDose(START),))


def _codes(case: Case, history: History, *orders: DraftOrder) -> list[str]:
    forecast = forecast_plan(build_plan(case, PACK), history, PACK, START + dt.timedelta(days=1))
    return [finding.code for finding in check_orders(forecast, orders, PACK)]


def test_a_b12_dose_dated_before_the_earliest_date_is_too_early() -> None:
    plan = build_plan(CASE, PACK)
    forecast = forecast_plan(plan, GIVEN, PACK, START)
    order = DraftOrder("o1", plan.selection.regimen.drug, date=START)

    (finding,) = check_orders(forecast, [order], PACK)

    assert isinstance(finding, TooEarly)
    assert finding.next_dose == forecast.next_dose
    assert finding.detail.startswith(f"dated {START.isoformat()}, earliest ")


def test_folic_acid_before_any_b12_is_found_but_not_once_b12_is_ordered_too() -> None:
    folic = DraftOrder("o1", "folic_acid")
    b12 = DraftOrder("o2", "hydroxocobalamin")

    assert _codes(CASE, History(), folic) == ["folic_acid_before_b12"]
    assert _codes(CASE, History(), folic, b12) == []
    assert _codes(CASE, GIVEN, folic) == []


def test_cyanocobalamin_in_lebers_disease_is_found_instead_of_off_plan() -> None:
    leber = replace(CASE, conditions=frozenset({"leber_optic_atrophy"}))
    order = DraftOrder("o1", "cyanocobalamin")

    forecast = forecast_plan(build_plan(leber, PACK), History(), PACK, START)
    (finding,) = check_orders(forecast, [order], PACK)

    assert isinstance(finding, SafetyRecordFinding)
    assert finding.code == "cyanocobalamin_leber"
    assert finding.record.id == "safety.CYANOCOBALAMIN_LEBER"


def test_another_route_than_the_plans_is_off_plan() -> None:
    plan = build_plan(CASE, PACK)
    order = DraftOrder("o1", plan.selection.regimen.drug, route="IV")

    (finding,) = check_orders(forecast_plan(plan, History(), PACK, START), [order], PACK)

    assert isinstance(finding, OffPlan)
    assert finding.planned == f"{plan.selection.regimen.drug} {plan.selection.route}"
    assert finding.ordered == f"{plan.selection.regimen.drug} IV"
