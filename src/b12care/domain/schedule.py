"""Dated schedules: the doses of each phase of a regimen, from a start date.

Date policy (docs/date-policy.md): a phase's doses are counted from one anchor - the start date for the
first phase, else the previous phase's last dose - as anchor + k x interval, months clamped to month end.
So the next phase starts one of its own intervals after the previous phase's last dose; a weekly-pattern
phase starts the day after the previous phase ends. An open-ended phase ("until no further
improvement") is dated only up to its first review checkpoint; the phases after it are provisional.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from b12care.domain.calendar import Interval, add_interval
from b12care.domain.errors import InputError, KnowledgeError
from b12care.domain.knowledge import PhaseDef, RegimenDef, WeeklyPattern
from b12care.domain.quantity import Quantity
from b12care.domain.vocabulary import PhaseEnd, PhaseKind, Route

__all__ = ["Dose", "PlannedPhase", "Schedule", "build_schedule", "within_range"]

_MAINTENANCE_HORIZON = Interval(12, "month")
_MAX_DOSES = 400


@dataclass(frozen=True, slots=True)
class Dose:
    """One planned administration."""

    date: date
    dose: Quantity
    route: Route


@dataclass(frozen=True, slots=True)
class PlannedPhase:
    """A phase with its dated doses (for open phases: up to the review checkpoint or 12 months)."""

    kind: PhaseKind
    end: PhaseEnd
    doses: tuple[Dose, ...]
    interval: Interval | None
    interval_range: tuple[Interval, Interval] | None
    times_per_week: int | None
    provisional: bool
    wording: str
    condition: str
    review_checkpoint: date | None = None


@dataclass(frozen=True, slots=True)
class Schedule:
    """Every phase of the plan, in order, and the dates milestones hang from."""

    phases: tuple[PlannedPhase, ...]
    loading_ends: tuple[date, ...]
    maintenance_start: date | None


def within_range(choice: Interval, allowed: tuple[Interval, Interval]) -> bool:
    """True when ``choice`` lies inside ``allowed`` (months compare as 30 days against other units)."""
    low, high = allowed
    return low.sort_key() <= choice.sort_key() <= high.sort_key()


def _interval_dates(
    anchor: date, skip: int, interval: Interval, stop: date | None, count: int | None
) -> list[date]:
    """Doses at anchor + k x interval for k = skip, skip+1, ... (one anchor: no month-end drift)."""
    dates: list[date] = []
    k = skip
    while len(dates) < _MAX_DOSES:
        day = add_interval(anchor, interval.times(k))
        if (count is not None and len(dates) >= count) or (stop is not None and day >= stop):
            break
        dates.append(day)
        k += 1
    return dates


def _weekly_dates(first: date, pattern: WeeklyPattern, stop: date | None, count: int | None) -> list[date]:
    dates: list[date] = []
    week = 0
    while len(dates) < _MAX_DOSES:
        for offset in pattern.day_offsets:
            day = first + timedelta(days=7 * week + offset)
            if (count is not None and len(dates) >= count) or (stop is not None and day >= stop):
                return dates
            dates.append(day)
        week += 1
    return dates


def _end_of(phase: PhaseDef, lifelong: bool) -> PhaseEnd:
    if phase.until == "cause":
        return "lifelong" if lifelong else "open"
    return phase.until


def _maintenance_interval(phase: PhaseDef, chosen: Interval | None) -> Interval | None:
    """The clinician's chosen maintenance interval, else the phase's. A choice outside the phase's range
    is allowed here (an off-licence prescriber decision): the plan warns, and the use case asks for a
    reason (service/planning.py)."""
    if phase.kind != "maintenance" or chosen is None:
        return phase.interval
    return chosen


def _stop_date(phase: PhaseDef, first: date, end: PhaseEnd, review_every: Interval) -> date | None:
    if end == "on_no_further_improvement":
        return add_interval(first, review_every)
    if phase.duration is not None:
        return add_interval(first, phase.duration)
    if phase.kind == "maintenance":
        return add_interval(first, _MAINTENANCE_HORIZON)
    return None


def _phase_dates(
    phase: PhaseDef,
    first: date,
    interval: Interval | None,
    stop: date | None,
    patterns: dict[int, WeeklyPattern],
    *,
    anchor: tuple[date, int],
) -> list[date]:
    count = phase.count if phase.count is not None else (1 if phase.kind == "oral" else None)
    if phase.times_per_week is not None:
        pattern = patterns.get(phase.times_per_week)
        if pattern is None:
            raise KnowledgeError(f"pack has no weekly pattern for {phase.times_per_week} times a week")
        return _weekly_dates(first, pattern, stop, count)
    if interval is None:
        raise KnowledgeError("a phase needs an interval or a weekly pattern")
    return _interval_dates(anchor[0], anchor[1], interval, stop, count)


def build_schedule(
    regimen: RegimenDef,
    start: date,
    route: Route,
    *,
    lifelong: bool,
    review_every: Interval,
    patterns: dict[int, WeeklyPattern],
    maintenance_interval: Interval | None = None,
) -> Schedule:
    """Date every phase of ``regimen`` from ``start``.

    Raises InputError when the regimen has no maintenance phase for a chosen ``maintenance_interval``;
    KnowledgeError when the pack lacks the weekly pattern a phase needs.

    Reference: bnf-hydroxocobalamin (phases), b12care-local-policy (review checkpoint of open-ended phases).
    """
    if maintenance_interval is not None and all(p.kind != "maintenance" for p in regimen.phases):
        raise InputError("maintenance_interval", "the selected regimen has no maintenance phase")
    phases: list[PlannedPhase] = []
    last: date | None = None
    previous_end: date | None = None
    provisional = False
    loading_ends: list[date] = []
    maintenance_start: date | None = None
    for phase in regimen.phases:
        interval = _maintenance_interval(phase, maintenance_interval)
        anchor = (start, 0) if last is None else (last, 1)
        if last is None:
            first = start
        elif interval is not None and phase.times_per_week is None:
            first = add_interval(last, interval)
        else:
            first = (previous_end or last) + timedelta(days=1)
        end = _end_of(phase, lifelong)
        stop = _stop_date(phase, first, end, review_every)
        dates = _phase_dates(phase, first, interval, stop, patterns, anchor=anchor)
        checkpoint = add_interval(first, review_every) if end == "on_no_further_improvement" else None
        dose = phase.dose or regimen.dose
        phases.append(
            PlannedPhase(
                kind=phase.kind,
                end=end,
                doses=tuple(Dose(day, dose, route) for day in dates),
                interval=interval,
                interval_range=phase.interval_range,
                times_per_week=phase.times_per_week,
                provisional=provisional,
                wording=phase.source_wording,
                condition=phase.condition,
                review_checkpoint=checkpoint,
            )
        )
        if phase.kind == "loading" and checkpoint is None and dates:
            loading_ends.append(dates[-1])
        if phase.kind == "maintenance" and maintenance_start is None and dates:
            maintenance_start = dates[0]
        last = dates[-1] if dates else first
        previous_end = add_interval(first, phase.duration) - timedelta(days=1) if phase.duration else last
        provisional = provisional or end == "on_no_further_improvement"
    return Schedule(tuple(phases), tuple(loading_ends), maintenance_start)
