"""The forecast: the next dose's earliest, due and overdue dates, a status, and flags for review.

Time is an argument (``as_of``). Next due counts from the actual last dose. The overdue date is the first
day a dose counts as overdue; it comes after the due date (docs/date-policy.md).

Reference: b12care-local-policy (timing), nice-ng239-summary (review and symptom rules), nice-ng239
(post-treatment B12 levels, lifelong replacement), bnf-hydroxocobalamin (loading phases).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from typing import Literal

from b12care.domain.calendar import Interval, add_interval
from b12care.domain.evaluation import (
    DoseEvaluation,
    NextDose,
    PhaseTiming,
    Progress,
    evaluate_doses,
    phase_timings,
    stop_date,
)
from b12care.domain.flags import FlagFacts, Thresholds, detect_flags, stopped_by_override
from b12care.domain.history import History
from b12care.domain.knowledge import Pack, WarningDef, WeeklyPattern
from b12care.domain.plan import Plan
from b12care.domain.vocabulary import Severity, Verification

__all__ = [
    "FLAG_CODES",
    "Flag",
    "Forecast",
    "ForecastStatus",
    "NextDose",
    "advance_phase",
    "evaluate_progress",
    "forecast_plan",
    "forecast_timeline",
]

ForecastStatus = Literal[
    "not_started", "loading", "due_soon", "due", "overdue", "needs_review", "on_track", "stopped"
]
FLAG_CODES = (
    "LOADING_OVERRUN",
    "REVIEW_OVERDUE",
    "MISSED_LOADING_DOSES",
    "SYMPTOMS_RECURRING_BEFORE_DUE",
    "NO_IMPROVEMENT",
    "POST_TREATMENT_B12_LEVEL",
    "MAINTENANCE_LAPSED",
    "ANNUAL_REVIEW_DUE",
    "LIFELONG_STOP_UNCONFIRMED",
    "STOPPED_BY_OVERRIDE",
    "FIRST_REVIEW_OVERDUE",
    "OUTSIDE_LICENCE",
)
_REVIEW_FLAGS = frozenset(
    {
        "LOADING_OVERRUN",
        "REVIEW_OVERDUE",
        "NO_IMPROVEMENT",
        "SYMPTOMS_RECURRING_BEFORE_DUE",
        "LIFELONG_STOP_UNCONFIRMED",
        "FIRST_REVIEW_OVERDUE",
    }
)
# A missed first review puts the patient on the recall list as needs review, but never hides a dose that
# is due or overdue (the recall list would rank an overdue patient lower for having missed a review too).
_SOFT_REVIEW_FLAGS = frozenset({"FIRST_REVIEW_OVERDUE"})
_GRACE_RULE = "timing.grace"
_CHANGES_PER_STATE = 16


@dataclass(frozen=True, slots=True)
class Flag:
    """A reason the plan or the patient needs attention, explained like a plan decision."""

    code: str
    severity: Severity
    message: str
    rule_id: str
    citations: tuple[str, ...]
    verification: Verification
    origin: str = "pack"


@dataclass(frozen=True, slots=True)
class Forecast:
    """The state of one patient's treatment on ``as_of``."""

    as_of: dt.date
    status: ForecastStatus
    next_dose: NextDose | None
    evaluations: tuple[DoseEvaluation, ...]
    flags: tuple[Flag, ...]
    phase: str | None
    plan: Plan
    changes_on: dt.date | None = None
    """The first day after ``as_of`` on which status or flags change if nothing new is recorded."""


def advance_phase(
    progress: Progress, timings: tuple[PhaseTiming, ...], history: History, as_of: dt.date
) -> int:
    """The index of the phase the next dose belongs to: past every phase that is done on ``as_of``.

    A phase of a fixed number of doses is done when that many are given; an open phase that ends
    "on no further improvement" is done once a review on or before ``as_of`` decided so.

    Reference: bnf-hydroxocobalamin (phases); b12care-local-policy.
    """
    index, in_phase = progress.phase_index, progress.doses_in_phase
    while index + 1 < len(timings):
        timing = timings[index]
        fixed_done = timing.planned_count is not None and in_phase >= timing.planned_count
        open_done = timing.phase.end == "on_no_further_improvement" and any(
            r.decision == "no_further_improvement" and r.date <= as_of for r in history.reviews
        )
        if not (fixed_done or open_done):
            break
        index, in_phase = index + 1, 0
    return index


def _next_dose(plan: Plan, progress: Progress, timing: PhaseTiming) -> NextDose:
    if progress.last_dose is None:
        start = plan.case.start_date
        return NextDose(start, start, start + dt.timedelta(days=1), timing.phase.kind)
    last = progress.last_dose
    due = add_interval(last, timing.due_gap)
    latest = add_interval(last, timing.latest_gap)
    return NextDose(
        add_interval(last, timing.earliest_gap), due, latest + dt.timedelta(days=1), timing.phase.kind
    )


def _flag(pack: Pack, code: str, detail: str, day: dt.date) -> Flag | None:
    record = pack.find(f"forecast.{code}", WarningDef)
    if record is None:
        return None
    definition = record.value_on(day)
    message = definition.message.replace("{detail}", detail)
    return Flag(
        code, definition.severity, message, record.id, record.citations, record.verification, record.origin
    )


def _status(
    plan: Plan,
    progress: Progress,
    timing: PhaseTiming,
    *,
    next_dose: NextDose | None,
    flags: set[str],
    thresholds: Thresholds,
) -> ForecastStatus:
    reached = thresholds.reached
    if next_dose is None:
        return "stopped"
    if flags & (_REVIEW_FLAGS - _SOFT_REVIEW_FLAGS):
        return "needs_review"
    if progress.last_dose is None and not reached(plan.case.start_date):
        return "not_started"
    if reached(next_dose.overdue):
        return "overdue"
    if reached(next_dose.due):
        return "due"
    if flags & _SOFT_REVIEW_FLAGS:
        return "needs_review"
    if timing.phase.kind == "loading":
        return "loading"
    if reached(next_dose.earliest):
        return "due_soon"
    return "on_track"


def forecast_plan(plan: Plan, history: History, pack: Pack, as_of: dt.date) -> Forecast:
    """Evaluate the recorded doses against ``plan`` and forecast the next one on ``as_of``.

    Reference: b12care-local-policy; nice-ng239-summary; nice-ng239; bnf-hydroxocobalamin.
    """
    return _forecast_evaluated(plan, history, pack, as_of, evaluate_progress(plan, history, pack, as_of))


def evaluate_progress(
    plan: Plan, history: History, pack: Pack, as_of: dt.date
) -> tuple[tuple[PhaseTiming, ...], Progress]:
    """Phase timings and dose evaluations on ``as_of``: they read only entries dated up to ``as_of``.

    Reference: b12care-local-policy (timing and grace days).
    """
    day = plan.case.start_date
    patterns = {p.times_per_week: p for p in (r.value_on(day) for r in pack.of_kind(WeeklyPattern))}
    record = pack.find(_GRACE_RULE, Interval)
    grace = record.value_on(day) if record is not None else None
    grace_days = grace.value if grace is not None and grace.unit == "day" else 0
    timings = phase_timings(plan, history, as_of, patterns)
    return timings, evaluate_doses(plan, history, timings, as_of, grace_days)


def _forecast_evaluated(
    plan: Plan,
    history: History,
    pack: Pack,
    as_of: dt.date,
    evaluated: tuple[tuple[PhaseTiming, ...], Progress],
) -> Forecast:
    day = plan.case.start_date
    timings, progress = evaluated
    index = advance_phase(progress, timings, history, as_of)
    timing = timings[index]
    stopped = stop_date(history, as_of, lifelong=plan.lifelong) is not None
    oral = timing.phase.kind == "oral"
    next_dose = None if stopped or oral else _next_dose(plan, progress, timing)
    thresholds = Thresholds(as_of)
    if stopped:
        override = stopped_by_override(plan, history, as_of)
        codes = {} if override is None else {"STOPPED_BY_OVERRIDE": override}
    else:
        facts = FlagFacts.gather(
            plan,
            pack,
            history,
            progress=progress,
            timings=timings,
            timing=timing,
            next_dose=next_dose,
            thresholds=thresholds,
        )
        codes = detect_flags(facts)
    flags = tuple(f for code, detail in codes.items() if (f := _flag(pack, code, detail, day)) is not None)
    status = _status(plan, progress, timing, next_dose=next_dose, flags=set(codes), thresholds=thresholds)
    if oral and not stopped:  # an oral phase has no dose to forecast, only reviews
        status = "needs_review" if set(codes) & _REVIEW_FLAGS else "on_track"
    changes_on = min(thresholds.ahead | _entries_after(history, as_of), default=None)
    return Forecast(
        as_of, status, next_dose, progress.evaluations, flags, timing.phase.kind, plan, changes_on
    )


def _entries_after(history: History, as_of: dt.date) -> set[dt.date]:
    """Dates of entries recorded ahead of ``as_of`` (each may change the forecast on its day)."""
    if history.last_entry is None or history.last_entry <= as_of:
        return set()
    days = history.entry_days
    return set(days[bisect_right(days, as_of) :])


def forecast_timeline(plan: Plan, history: History, pack: Pack, as_of: dt.date) -> tuple[Forecast, ...]:
    """The forecast on ``as_of`` and on each later day its status or flags change, if nothing new is
    recorded: what the recall list shows on any date from one stored computation.

    Bounded: a plan has a handful of thresholds (due soon, due, overdue, lapsed, review checkpoints,
    annual review), at most ``_CHANGES_PER_STATE`` per state, and every entry dated ahead of ``as_of``
    starts a new state.

    Reference: b12care-local-policy (recall as of a date).
    """
    ahead = _entries_after(history, as_of)
    limit = _CHANGES_PER_STATE * (1 + len(ahead))
    evaluated = evaluate_progress(plan, history, pack, as_of)
    timeline = [_forecast_evaluated(plan, history, pack, as_of, evaluated)]
    while len(timeline) < limit and (changes_on := timeline[-1].changes_on) is not None:
        if ahead:  # with no entry dated ahead, every later day's evaluations are these ones
            evaluated = evaluate_progress(plan, history, pack, changes_on)
        timeline.append(_forecast_evaluated(plan, history, pack, changes_on, evaluated))
    return tuple(timeline)
