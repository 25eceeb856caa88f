"""Use case: forecast one patient from a case file with its history (the database-free form)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from b12care.domain.calendar import parse_interval
from b12care.domain.case import Case
from b12care.domain.forecast import Forecast, forecast_plan
from b12care.domain.history import History
from b12care.domain.plan import PlanOptions, build_plan
from b12care.service.plan_json import plan_to_dict
from b12care.service.planning import choose_pack

__all__ = ["forecast_case", "forecast_to_dict"]


def forecast_case(
    case: Case,
    history: History,
    *,
    as_of: dt.date,
    pack_id: str | None = None,
    overlay: Path | None = None,
    maintenance_interval: str | None = None,
) -> Forecast:
    """Build the case's plan, evaluate its history against it and forecast the next dose on ``as_of``."""
    pack = choose_pack(case.pack, pack_id, overlay)
    chosen = parse_interval(maintenance_interval, "maintenance_interval") if maintenance_interval else None
    plan = build_plan(case, pack, PlanOptions(maintenance_interval=chosen))
    return forecast_plan(plan, history, pack, as_of)


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
