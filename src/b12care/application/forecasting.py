"""Use case: forecast one patient from a case file with its history (the database-free form)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from b12care.application.plan_json import plan_to_dict
from b12care.application.planning import choose_pack
from b12care.domain.calendar import parse_interval
from b12care.domain.case import Case
from b12care.domain.forecast import Forecast, forecast_plan, forecast_timeline
from b12care.domain.history import History
from b12care.domain.knowledge import Pack
from b12care.domain.plan import Plan, PlanOptions, build_plan

__all__ = ["forecast_case", "forecast_to_dict", "timeline_case"]


def forecast_case(
    case: Case,
    history: History,
    *,
    as_of: dt.date,
    pack_id: str | None = None,
    overlay: Path | None = None,
    maintenance_interval: str | None = None,
    interval_reason: str | None = None,
) -> Forecast:
    """Build the case's plan, evaluate its history against it and forecast the next dose on ``as_of``."""
    plan, pack = _planned(case, pack_id, overlay, maintenance_interval, interval_reason)
    return forecast_plan(plan, history, pack, as_of)


def timeline_case(
    case: Case,
    history: History,
    *,
    as_of: dt.date,
    pack_id: str | None = None,
    maintenance_interval: str | None = None,
    interval_reason: str | None = None,
) -> tuple[Forecast, ...]:
    """The forecast on ``as_of`` followed by the forecast of each later day on which it changes."""
    plan, pack = _planned(case, pack_id, None, maintenance_interval, interval_reason)
    return forecast_timeline(plan, history, pack, as_of)


def _planned(
    case: Case,
    pack_id: str | None,
    overlay: Path | None,
    maintenance_interval: str | None,
    interval_reason: str | None,
) -> tuple[Plan, Pack]:
    """The plan a stored or submitted choice makes: an off-licence interval chosen earlier is forecast as
    it was accepted (its reason shown), never refused here."""
    pack = choose_pack(case.pack, pack_id, overlay)
    chosen = parse_interval(maintenance_interval, "maintenance_interval") if maintenance_interval else None
    options = PlanOptions(maintenance_interval=chosen, interval_reason=interval_reason or "")
    return build_plan(case, pack, options), pack


def _iso(day: dt.date | None) -> str | None:
    return day.isoformat() if day is not None else None


def forecast_to_dict(forecast: Forecast) -> dict[str, Any]:
    """The forecast JSON contract: status, next_dose, evaluations, flags, plan, pack."""
    plan = plan_to_dict(forecast.plan)
    nxt = forecast.next_dose
    return {
        "pack": plan["pack"],
        "as_of": forecast.as_of.isoformat(),
        "status": forecast.status,
        "phase": forecast.phase,
        "next_dose": {
            "earliest": _iso(nxt.earliest if nxt else None),
            "due": _iso(nxt.due if nxt else None),
            "overdue": _iso(nxt.overdue if nxt else None),
        },
        "evaluations": [
            {"date": e.date.isoformat(), "status": e.status, "phase": e.phase, "reason": e.reason}
            for e in forecast.evaluations
        ],
        "flags": [
            {
                "code": f.code,
                "severity": f.severity,
                "message": f.message,
                "rule_id": f.rule_id,
                "citations": list(f.citations),
                "verification": f.verification,
            }
            for f in forecast.flags
        ],
        "plan": plan,
    }
