"""Histories for the dating engine's tests: Hypothesis strategies and a seeded sample for the golden file.

Each sample is a case, a history (doses, some not given or entered in error, symptom checks, reviews of
every decision) and a day to project from; ``summary`` reduces a projection to plain JSON values.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from hypothesis import strategies as st

from b12care.domain.calendar import Interval
from b12care.domain.case import Case, LabResult, Patient
from b12care.domain.forecast import forecast_plan
from b12care.domain.history import AdministeredDose, History, Review, ReviewDecision, SymptomCheck
from b12care.domain.plan import Plan, build_plan
from b12care.knowledge import load_pack

if TYPE_CHECKING:
    from b12care.domain.projection import Projection

__all__ = [
    "CASES",
    "PACK",
    "START",
    "Sample",
    "forecast_summary",
    "golden_samples",
    "plan_of",
    "samples",
    "summary",
]

PACK = load_pack("uk-nice-2024")
START = dt.date(2026, 1, 5)
_PATIENT = Patient(dt.date(1960, 1, 1), "female")
_LOW_B12 = (LabResult("total_b12", Decimal(100), "ng/L", dt.date(2026, 1, 2)),)
CASES = {
    "standard": Case(START, _PATIENT, "autoimmune_gastritis"),
    "neurological": Case(START, _PATIENT, "autoimmune_gastritis", neurological_symptoms=True, labs=_LOW_B12),
    "dietary": Case(START, _PATIENT, "dietary"),
    "month_end": Case(dt.date(2026, 1, 31), _PATIENT, "autoimmune_gastritis"),
    "gastrectomy": Case(START, _PATIENT, "gastrectomy", indication="prophylaxis"),
}
_DECISIONS: tuple[ReviewDecision, ...] = (
    "continue_loading",
    "no_further_improvement",
    "shorten_interval",
    "lengthen_interval",
    "switch_to_oral",
    "stop_cause_resolved",
    "confirm_stop",
    "reassess_diagnosis",
)
_INTERVALS = (None, Interval(2, "month"), Interval(1, "month"), Interval(12, "week"))
_plans: dict[str, Plan] = {}

Sample = tuple[str, History, dt.date]


def plan_of(which: str) -> Plan:
    """The plan of case ``which`` (built once)."""
    if which not in _plans:
        _plans[which] = build_plan(CASES[which], PACK)
    return _plans[which]


def _history(doses: list[tuple[int, int]], checks: list[tuple[int, int]], reviews: list[Any]) -> History:
    start = START
    return History(
        doses=tuple(
            AdministeredDose(
                start + dt.timedelta(days=d),
                status="not_done" if kind == 1 else "completed",
                entered_in_error=kind == 2,
            )
            for d, kind in doses
        ),
        symptom_checks=tuple(
            SymptomCheck(start + dt.timedelta(days=d), ("better", "same", "worse")[o]) for d, o in checks
        ),
        reviews=tuple(
            Review(start + dt.timedelta(days=d), _DECISIONS[x], _INTERVALS[i], "reason" if r else "")
            for d, x, i, r in reviews
        ),
    )


def samples() -> st.SearchStrategy[Sample]:
    """A case, a history and a day to project from (Hypothesis)."""
    day = st.integers(min_value=-5, max_value=900)
    dose = st.tuples(day, st.sampled_from((0, 0, 0, 0, 1, 2)))
    check = st.tuples(day, st.integers(0, 2))
    review = st.tuples(day, st.integers(0, len(_DECISIONS) - 1), st.integers(0, 3), st.booleans())
    history = st.builds(
        _history,
        st.lists(dose, max_size=30),
        st.lists(check, max_size=4),
        st.lists(review, max_size=3),
    )
    as_of = st.integers(min_value=-30, max_value=1000).map(lambda d: START + dt.timedelta(days=d))
    return st.tuples(st.sampled_from(sorted(CASES)), history, as_of)


def golden_samples(count: int = 300, seed: int = 13) -> list[Sample]:
    """``count`` samples from a fixed seed: the same histories on every machine and Python 3.11+."""
    rng = random.Random(seed)
    found: list[Sample] = []
    names = sorted(CASES)
    for n in range(count):
        which = names[n % len(names)]
        regular = rng.random() < 0.6  # most patients keep to the plan, roughly
        dose_days: list[int] = []
        day = rng.randint(-3, 10)
        for _ in range(rng.randint(0, 28)):
            dose_days.append(day)
            day += rng.choice((2, 2, 3, 7, 30, 61, 91)) if regular else rng.randint(0, 120)
        doses = [(d, rng.choice((0, 0, 0, 0, 0, 1, 2))) for d in dose_days]
        checks = [(rng.randint(0, 800), rng.randint(0, 2)) for _ in range(rng.randint(0, 4))]
        reviews = [
            (rng.randint(0, 800), rng.randrange(len(_DECISIONS)), rng.randrange(4), rng.random() < 0.5)
            for _ in range(rng.choice((0, 0, 0, 1, 1, 2, 3)))
        ]
        as_of = START + dt.timedelta(days=rng.randint(-30, 1100))
        found.append((which, _history(doses, checks, reviews), as_of))
    return found


def summary(projection: Projection) -> dict[str, Any]:
    """The projection as JSON values: every date, number, phase, dose and milestone key."""
    return {
        "as_of": projection.as_of.isoformat(),
        "until": projection.until.isoformat(),
        "given": projection.given,
        "doses": [
            [
                d.number,
                d.date.isoformat(),
                str(d.dose),
                d.route,
                d.phase,
                d.overdue_since.isoformat() if d.overdue_since else None,
            ]
            for d in projection.doses
        ],
        "milestones": [[m.key, m.date.isoformat(), m.milestone.kind] for m in projection.milestones],
    }


def forecast_summary(which: str, history: History, as_of: dt.date) -> dict[str, Any]:
    """The forecast's status, next dose, phase and flag codes, as JSON values."""
    forecast = forecast_plan(plan_of(which), history, PACK, as_of)
    nxt = forecast.next_dose
    return {
        "status": forecast.status,
        "phase": forecast.phase,
        "next": [nxt.earliest.isoformat(), nxt.due.isoformat(), nxt.overdue.isoformat(), nxt.phase]
        if nxt
        else None,
        "flags": [[f.code, f.message] for f in forecast.flags],
        "evaluations": [[e.date.isoformat(), e.status, e.phase, e.reason] for e in forecast.evaluations],
        "changes_on": forecast.changes_on.isoformat() if forecast.changes_on else None,
    }
