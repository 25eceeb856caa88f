"""Dose evaluation: each recorded dose against the plan, in the CDC CDSi vocabulary.

Timing of a dose after the previous counted dose (docs/date-policy.md):
- earliest recommended = previous + the phase's shortest allowed interval (the lower end of the pack's
  range, else the phase interval; for 'N times a week' the shortest gap of the weekly pattern);
- absolute minimum = earliest recommended - grace (pack record ``timing.grace``; none in the shipped packs,
  so no grace unless a site overlay supplies one);
- due = previous + the phase interval (or the clinician's chosen or reviewed maintenance interval);
- overdue = the day after the latest recommended date (upper end of the range, else the due date).
A dose before the absolute minimum is ``too_early`` and not counted; between it and the earliest date it is
``within_grace``; otherwise ``valid``. A second dose on one day, or any dose after the day the plan was
stopped, is ``extra``; a dose of another product or route is ``off_plan`` (counted: the patient did receive
B12). A dose on the day of a review that ends a phase (or stops the plan) belongs to what the review ends.
An interval outside the phase's range (an off-licence choice) has no range: earliest = due = latest.

Reference: b12care-local-policy (CDSi timing vocabulary); bnf-hydroxocobalamin (phase intervals).
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass
from itertools import pairwise
from operator import attrgetter
from typing import Literal

from b12care.domain.calendar import Interval, add_months
from b12care.domain.history import AdministeredDose, History, Review
from b12care.domain.knowledge import WeeklyPattern
from b12care.domain.plan import Plan
from b12care.domain.schedule import PlannedPhase

__all__ = [
    "DoseEvaluation",
    "DoseStatus",
    "NextDose",
    "PhaseTiming",
    "Progress",
    "evaluate_doses",
    "phase_timings",
    "stop_date",
]

DoseStatus = Literal["valid", "too_early", "within_grace", "extra", "off_plan"]
_STOPPING = ("stop_cause_resolved", "switch_to_oral", "confirm_stop")
# For an irreversible cause a stop_cause_resolved review is a clinician override that takes effect only
# once a prescriber confirms it (nice-ng239: replacement will not be stopped).
_STOPPING_LIFELONG = ("switch_to_oral", "confirm_stop")
_BY_DATE = attrgetter("date")


@dataclass(frozen=True, slots=True)
class PhaseTiming:
    """How far apart doses of one phase should be, and how many a fixed phase has."""

    phase: PlannedPhase
    due_gap: Interval
    earliest_gap: Interval
    latest_gap: Interval
    planned_count: int | None


@dataclass(frozen=True, slots=True)
class NextDose:
    """Dates of the next dose: give from ``earliest``, due on ``due``, overdue from ``overdue``."""

    earliest: dt.date
    due: dt.date
    overdue: dt.date
    phase: str


@dataclass(frozen=True, slots=True)
class DoseEvaluation:
    """The verdict on one recorded dose."""

    date: dt.date
    status: DoseStatus
    phase: str
    reason: str


@dataclass(frozen=True, slots=True)
class Progress:
    """Where the patient is in the plan after the counted doses."""

    evaluations: tuple[DoseEvaluation, ...]
    phase_index: int
    doses_in_phase: int
    last_dose: dt.date | None
    first_dose: dt.date | None
    counted: int


def _reviewed_interval(phase: PlannedPhase, reviews: tuple[Review, ...], as_of: dt.date) -> Interval | None:
    chosen = phase.interval
    if not reviews:
        return chosen
    bounds = phase.interval_range
    for review in sorted(reviews, key=_BY_DATE):
        if review.date > as_of:
            break
        if review.decision == "shorten_interval":
            chosen = review.interval or (bounds[0] if bounds else chosen)
        elif review.decision == "lengthen_interval":
            chosen = review.interval or (bounds[1] if bounds else chosen)
    return chosen


def _shortest_gap(pattern_offsets: tuple[int, ...]) -> Interval:
    cyclic = [*pattern_offsets, pattern_offsets[0] + 7]
    return Interval(min(b - a for a, b in pairwise(cyclic)), "day")


def phase_timings(
    plan: Plan, history: History, as_of: dt.date, patterns: dict[int, WeeklyPattern]
) -> tuple[PhaseTiming, ...]:
    """The timing rules of every phase of ``plan``, with maintenance changed by reviews up to ``as_of``."""
    timings = []
    for phase in plan.phases:
        if phase.times_per_week is not None:
            gap = _shortest_gap(patterns[phase.times_per_week].day_offsets)
            due = earliest = latest = gap
        else:
            interval = phase.interval or Interval(1, "day")
            if phase.kind == "maintenance":
                interval = _reviewed_interval(phase, history.reviews, as_of) or interval
            due = interval
            low, high = phase.interval_range or (interval, interval)
            if not low.sort_key() <= due.sort_key() <= high.sort_key():
                low = high = due  # off-licence: the clinician's interval is the whole window
            earliest, latest = low, high
        count = len(phase.doses) if phase.end == "fixed" else None
        timings.append(PhaseTiming(phase, due, earliest, latest, count))
    return tuple(timings)


def stop_date(history: History, as_of: dt.date, *, lifelong: bool = False) -> dt.date | None:
    """The date of the first review that stopped injections (cause resolved, switched to oral, a confirmed
    stop). For an irreversible cause, "cause resolved" alone does not stop: a prescriber must confirm it.

    Reference: nice-ng239 (lifelong replacement is not stopped); b12care-local-policy.
    """
    if not history.reviews:
        return None
    reviews = sorted((r for r in history.reviews if r.date <= as_of), key=_BY_DATE)
    stopping = _STOPPING_LIFELONG if lifelong else _STOPPING
    stops = [r.date for r in reviews if r.decision in stopping and (not lifelong or _reasoned(r, reviews))]
    return min(stops, default=None)


def _reasoned(review: Review, reviews: list[Review]) -> bool:
    """A lifelong stop is an override only with a reason: on the confirmation, or on the stop it confirms
    (the latest stop_cause_resolved on or before it)."""
    if review.decision != "confirm_stop" or review.reason.strip():
        return True
    stop = next(
        (r for r in reversed(reviews) if r.decision == "stop_cause_resolved" and r.date <= review.date), None
    )
    return stop is not None and bool(stop.reason.strip())


def _ended_by_review(history: History, after: dt.date | None, day: dt.date) -> bool:
    """A no-further-improvement review dated before ``day`` (a dose on the review's own day still
    belongs to the phase the review ends)."""
    return any(
        r.decision == "no_further_improvement" and (after is None or r.date >= after) and r.date < day
        for r in history.reviews
    )


def _off_plan(dose: AdministeredDose, plan: Plan) -> str | None:
    regimen = plan.selection.regimen
    if dose.drug is not None and dose.drug != regimen.drug:
        return f"{dose.drug} given; the plan is {regimen.drug}"
    if dose.route is not None and dose.route != plan.selection.route:
        return f"{dose.route} route; the plan is {plan.selection.route}"
    return None


def _advance(
    timings: tuple[PhaseTiming, ...],
    index: int,
    in_phase: int,
    *,
    history: History,
    phase_start: dt.date | None,
    day: dt.date,
) -> int:
    """The index of the phase a dose on ``day`` belongs to, past each phase done before it."""
    while index + 1 < len(timings):
        timing = timings[index]
        fixed_done = timing.planned_count is not None and in_phase >= timing.planned_count
        open_done = timing.phase.end == "on_no_further_improvement" and _ended_by_review(
            history, phase_start, day
        )
        if not (fixed_done or open_done):
            break
        index, in_phase, phase_start = index + 1, 0, None
    return index


def _step(gap: Interval) -> dt.timedelta | None:
    """``gap`` as a fixed number of days, or None for calendar months (which need ``add_months``)."""
    if gap.unit == "day":
        return dt.timedelta(days=gap.value)
    if gap.unit == "week":
        return dt.timedelta(weeks=gap.value)
    return None


def _early(day: dt.date, earliest: dt.date, kind: str, grace: dt.timedelta) -> DoseEvaluation:
    """A dose before ``earliest``: within the grace period, or too early (not counted)."""
    if day < earliest - grace:
        return DoseEvaluation(day, "too_early", kind, f"before {earliest.isoformat()}")
    return DoseEvaluation(
        day, "within_grace", kind, f"before {earliest.isoformat()} but inside the grace period"
    )


def evaluate_doses(
    plan: Plan, history: History, timings: tuple[PhaseTiming, ...], as_of: dt.date, grace_days: int = 0
) -> Progress:
    """Evaluate every recorded dose up to ``as_of`` in date order; input order does not matter."""
    given = history.counted_doses
    doses = given[: bisect_right(given, as_of, key=_BY_DATE)]
    stopped = stop_date(history, as_of, lifelong=plan.lifelong) or dt.date.max
    steps = [_step(t.earliest_gap) for t in timings]
    grace = dt.timedelta(days=grace_days)
    evaluations: list[DoseEvaluation] = []
    index, in_phase, counted, last_phase = 0, 0, 0, len(timings) - 1
    last: dt.date | None = None
    first: dt.date | None = None
    phase_start: dt.date | None = None
    for dose in doses:
        day = dose.date
        if day > stopped:
            evaluations.append(DoseEvaluation(day, "extra", "stopped", "given after the plan was stopped"))
            continue
        if day == last:
            evaluations.append(
                DoseEvaluation(day, "extra", timings[index].phase.kind, "second dose that day")
            )
            continue
        if index < last_phase:
            moved = _advance(timings, index, in_phase, history=history, phase_start=phase_start, day=day)
            if moved != index:
                index, in_phase, phase_start = moved, 0, None
        timing = timings[index]
        kind = timing.phase.kind
        if last is None:
            verdict = DoseEvaluation(day, "valid", kind, "first dose")
        else:
            step = steps[index]
            earliest = last + step if step is not None else add_months(last, timing.earliest_gap.value)
            if day >= earliest:
                verdict = DoseEvaluation(day, "valid", kind, "on time")
            else:
                verdict = _early(day, earliest, kind, grace)
                if verdict.status == "too_early":
                    evaluations.append(verdict)
                    continue
        if dose.drug is not None or dose.route is not None:
            mismatch = _off_plan(dose, plan)
            if mismatch is not None:
                verdict = DoseEvaluation(day, "off_plan", kind, mismatch)
        evaluations.append(verdict)
        counted += 1  # every verdict left here counts (valid, within_grace, off_plan)
        in_phase += 1
        last = day
        first = first or day
        phase_start = phase_start or day
    return Progress(tuple(evaluations), index, in_phase, last, first, counted)
