"""The forecast: the next dose's earliest, due and overdue dates, a status, and flags for review.

Time is an argument (``as_of``). Next due counts from the actual last dose. The overdue date is the first
day a dose counts as overdue; it comes after the due date (docs/date-policy.md).

Reference: b12care-local-policy (timing), nice-ng239-summary (review and symptom rules), nice-ng239
(post-treatment B12 levels, lifelong replacement), bnf-hydroxocobalamin (loading phases).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from b12care.domain.calendar import Interval, add_interval
from b12care.domain.evaluation import (
    DoseEvaluation,
    PhaseTiming,
    Progress,
    evaluate_doses,
    phase_timings,
    stop_date,
)
from b12care.domain.history import History, Review, SymptomCheck
from b12care.domain.knowledge import MilestoneDef, Pack, WarningDef, WeeklyPattern
from b12care.domain.plan import Plan, off_licence_detail
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
_INTERVAL_CHANGES = ("shorten_interval", "lengthen_interval")
_ANNUAL_RULE = "monitoring.review.annual"
_CHECKPOINT_RULE = "monitoring.open_phase.review_every"
_GRACE_RULE = "timing.grace"
_B12 = ("total_b12", "active_b12")
_CHANGES_PER_STATE = 16


@dataclass(frozen=True, slots=True)
class NextDose:
    """Dates of the next dose: give from ``earliest``, due on ``due``, overdue from ``overdue``."""

    earliest: dt.date
    due: dt.date
    overdue: dt.date
    phase: str


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


def _first_review(plan: Plan) -> dt.date | None:
    reviews = [m.date for m in plan.milestones if m.kind == "symptom_review" and m.anchor == "start"]
    return min(reviews, default=None)


def _annual_interval(pack: Pack, day: dt.date) -> Interval | None:
    record = pack.find(_ANNUAL_RULE, MilestoneDef)
    return record.value_on(day).offset if record is not None else None


class _Thresholds:
    """Collects the dates a rule compares ``as_of`` with: the ones still ahead are when things change."""

    def __init__(self, as_of: dt.date) -> None:
        self.as_of = as_of
        self.ahead: set[dt.date] = set()

    def reached(self, day: dt.date) -> bool:
        """``as_of >= day``, remembering ``day`` when it is still ahead."""
        if self.as_of >= day:
            return True
        self.ahead.add(day)
        return False


def _persisting(latest: SymptomCheck, earlier: list[SymptomCheck]) -> str | None:
    """Why the latest check shows no improvement, or None when it shows improvement or a stable patient.

    Worse is no improvement. "Same" is no improvement when a symptom persists: scored above 0 and not
    lower than at the patient's first earlier check that scored it (or never scored before), or when no
    scores were recorded. "Same" with every score 0 is a stable patient.

    Reference: nice-ng239-summary (symptoms new, worsening or not sufficiently improved).
    """
    when = latest.date.isoformat()
    if latest.overall == "better":
        return None
    if latest.overall == "worse":
        return f"worse on {when}"
    if not latest.scores:
        return f"same on {when}, no symptom scores recorded"
    persisting: list[str] = []
    for symptom, score in sorted(latest.scores.items()):
        if score <= 0:
            continue
        before = next((c for c in earlier if symptom in c.scores), None)
        if before is None or before.scores[symptom] <= score:
            was = f", was {before.scores[symptom]} on {before.date.isoformat()}" if before else ""
            persisting.append(f"{symptom.replace('_', ' ')} {score}{was}")
    return f"same on {when}: {'; '.join(persisting)}" if persisting else None


def _no_improvement(
    first_review: dt.date | None, shift: dt.timedelta, checks: list[SymptomCheck], last_review: dt.date | None
) -> str | None:
    """NO_IMPROVEMENT: the latest check, at or after the first review milestone and not yet answered by a
    review, shows symptoms that persist (see ``_persisting``).

    Reference: nice-ng239-summary; cks-anaemia-b12.
    """
    if first_review is None or not checks:
        return None
    latest = checks[-1]
    if latest.date < first_review + shift or (last_review is not None and last_review >= latest.date):
        return None
    return _persisting(latest, checks[:-1])


def _first_review_overdue(
    first_review: dt.date | None,
    shift: dt.timedelta,
    reviews: list[Review],
    checks: list[SymptomCheck],
    thresholds: _Thresholds,
) -> str | None:
    """The first review (its milestone date, shifted with the first dose) has passed and no review or
    symptom check is dated on or after it: a passed milestone never goes unseen.

    Reference: nasgp-ng239 (review after 3 months, or 1 month in pregnancy or breastfeeding).
    """
    if first_review is None:
        return None
    due, as_of = first_review + shift, thresholds.as_of
    if any(due <= d <= as_of for d in [*(r.date for r in reviews), *(c.date for c in checks)]):
        return None
    return f"due {due.isoformat()}" if thresholds.reached(due + dt.timedelta(days=1)) else None


def _unconfirmed_stop(plan: Plan, reviews: list[Review], as_of: dt.date) -> str | None:
    """A stop of lifelong replacement not yet confirmed: the latest review up to ``as_of`` says
    stop_cause_resolved for an irreversible cause (a confirm_stop stops the plan instead; any other later
    decision withdraws the stop).

    Reference: nice-ng239 (replacement will not be stopped); b12care-local-policy (override shown).
    """
    if not plan.lifelong:
        return None
    latest = next((r for r in reversed(reviews) if r.date <= as_of and r.decision != "confirm_stop"), None)
    if latest is None or latest.decision != "stop_cause_resolved":
        return None  # a reasoned confirm_stop stops the plan before this is asked
    reason = f": {latest.reason}" if latest.reason.strip() else ", no reason recorded"
    return f"{plan.case.cause} stopped on {latest.date.isoformat()}{reason}"


def _stopped_by_override(plan: Plan, reviews: list[Review], as_of: dt.date) -> str | None:
    if not plan.lifelong:
        return None
    confirmed = next((r for r in reviews if r.decision == "confirm_stop" and r.date <= as_of), None)
    if confirmed is None:
        return None
    reason = f": {confirmed.reason}" if confirmed.reason.strip() else ""
    return f"{plan.case.cause}, confirmed on {confirmed.date.isoformat()}{reason}"


def _outside_licence(
    plan: Plan, timings: tuple[PhaseTiming, ...], reviews: list[Review], as_of: dt.date
) -> str | None:
    """The OUTSIDE_LICENCE detail when the maintenance interval in force lies outside its range.

    Reference: nice-ng239-summary (frequency in line with the manufacturer's product information).
    """
    changed = [r for r in reviews if r.decision in _INTERVAL_CHANGES and r.date <= as_of]
    reason = changed[-1].reason if changed else plan.interval_reason
    for timing in timings:
        allowed = timing.phase.interval_range
        if timing.phase.kind == "maintenance" and allowed is not None:
            return off_licence_detail(timing.due_gap, allowed, reason)
    return None


def _detect(
    plan: Plan,
    pack: Pack,
    *,
    history: History,
    as_of: dt.date,
    progress: Progress,
    timings: tuple[PhaseTiming, ...],
    timing: PhaseTiming,
    next_dose: NextDose | None,
    thresholds: _Thresholds,
) -> dict[str, str]:
    """Each flag code that applies, with the detail for its message."""
    found: dict[str, str] = {}
    reached = thresholds.reached
    phase = timing.phase
    first = progress.first_dose
    reviews = sorted(history.reviews, key=lambda r: r.date)
    last_review = max((r.date for r in reviews if r.date <= as_of), default=None)
    if first is not None:
        late = [
            f"{lab.test} {lab.date.isoformat()}"
            for lab in history.labs
            if lab.test in _B12 and lab.date >= first
        ]
        if late:
            found["POST_TREATMENT_B12_LEVEL"] = ", ".join(late)
    shift = (first - plan.case.start_date) if first is not None else dt.timedelta(0)
    if phase.kind == "loading" and phase.end == "fixed" and phase.doses:
        planned_end = phase.doses[-1].date + shift
        if reached(planned_end + dt.timedelta(days=1)):
            found["LOADING_OVERRUN"] = f"planned to end {planned_end.isoformat()}"
        if next_dose is not None and reached(next_dose.overdue):
            expected = sum(1 for d in phase.doses if d.date + shift < as_of)
            missing = max(expected - progress.doses_in_phase, 1)
            found["MISSED_LOADING_DOSES"] = str(missing)
    if phase.end == "on_no_further_improvement" and first is not None:
        checkpoint_every = pack.record(_CHECKPOINT_RULE, Interval).value_on(plan.case.start_date)
        continued = [r.date for r in reviews if r.decision == "continue_loading" and r.date <= as_of]
        since = max([first, *continued])
        checkpoint = add_interval(since, checkpoint_every)
        if reached(checkpoint):
            found["REVIEW_OVERDUE"] = f"checkpoint {checkpoint.isoformat()}"
    checks = sorted((c for c in history.symptom_checks if c.date <= as_of), key=lambda c: c.date)
    if phase.kind == "maintenance" and progress.last_dose is not None and next_dose is not None:
        worse = [c for c in checks if progress.last_dose < c.date < next_dose.due and c.overall == "worse"]
        if worse and not (last_review and last_review >= worse[-1].date):
            found["SYMPTOMS_RECURRING_BEFORE_DUE"] = worse[-1].date.isoformat()
    first_review = _first_review(plan)
    for code, detail in (
        ("NO_IMPROVEMENT", _no_improvement(first_review, shift, checks, last_review)),
        ("FIRST_REVIEW_OVERDUE", _first_review_overdue(first_review, shift, reviews, checks, thresholds)),
        ("LIFELONG_STOP_UNCONFIRMED", _unconfirmed_stop(plan, reviews, as_of)),
        ("OUTSIDE_LICENCE", _outside_licence(plan, timings, reviews, as_of)),
    ):
        if detail is not None:
            found[code] = detail
    if plan.lifelong and phase.kind == "maintenance" and next_dose is not None:
        lapsed_from = add_interval(next_dose.due, timing.due_gap)
        if reached(lapsed_from):
            found["MAINTENANCE_LAPSED"] = f"due {next_dose.due.isoformat()}"
    annual = _annual_interval(pack, plan.case.start_date)
    if annual is not None and first is not None:
        since_review = max(d for d in (first, last_review) if d is not None)
        if reached(add_interval(since_review, annual)):
            found["ANNUAL_REVIEW_DUE"] = f"last review {last_review.isoformat() if last_review else 'never'}"
    return found


def _status(
    plan: Plan,
    progress: Progress,
    timing: PhaseTiming,
    *,
    next_dose: NextDose | None,
    flags: set[str],
    thresholds: _Thresholds,
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
    patterns = {r.value_on(day).times_per_week: r.value_on(day) for r in pack.of_kind(WeeklyPattern)}
    grace = pack.find(_GRACE_RULE, Interval)
    grace_days = grace.value_on(day).value if grace is not None and grace.value_on(day).unit == "day" else 0
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
    thresholds = _Thresholds(as_of)
    if stopped:
        override = _stopped_by_override(plan, sorted(history.reviews, key=lambda r: r.date), as_of)
        codes = {} if override is None else {"STOPPED_BY_OVERRIDE": override}
    else:
        codes = _detect(
            plan,
            pack,
            history=history,
            as_of=as_of,
            progress=progress,
            timings=timings,
            timing=timing,
            next_dose=next_dose,
            thresholds=thresholds,
        )
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
    days = [
        *(d.date for d in history.doses),
        *(x.date for x in history.labs),
        *(c.date for c in history.symptom_checks),
        *(r.date for r in history.reviews),
    ]
    return {day for day in days if day > as_of}


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
