"""The dating engine: a patient's coming injections and milestones of the next 12 months.

One engine dates what the handout, the calendar feed and any other face show; it reads the plan as
``forecast_plan`` does (``evaluate_progress``, ``advance_phase``). No interval is invented here; every
date comes from the plan's phases or the forecast (docs/date-policy.md):

- the next injection is the forecast's next due date, which counts from the actual last dose; when that
  date has passed (overdue), the injection is shown on ``as_of`` and what follows counts from there;
- the rest of the current phase keeps the plan's dates, moved by as many days as the next dose moved
  from its planned date (so a "3 times a week" phase keeps its weekdays);
- a later phase moves with the phase before it, as ``build_schedule`` anchors it; maintenance doses are
  anchor + k x the phase's due interval (the clinician's or a review's interval included), counted
  from one anchor (the actual last dose, or the projected last dose of the phase before);
- nothing is dated after an open-ended phase ("until no further improvement"): what follows is decided
  at its review checkpoint; an oral phase has no injections; a stopped plan has no dates at all;
- milestones move with the treatment start, by the days between the planned start and the first dose
  (as the forecast reads them).

Reference: b12care-local-policy (timing and date policy); bnf-hydroxocobalamin (phases).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from b12care.domain.calendar import Interval, add_interval
from b12care.domain.evaluation import PhaseTiming, Progress
from b12care.domain.forecast import Forecast, advance_phase, evaluate_progress
from b12care.domain.history import History
from b12care.domain.knowledge import Pack
from b12care.domain.milestones import Milestone
from b12care.domain.quantity import Quantity
from b12care.domain.schedule import PlannedPhase
from b12care.domain.vocabulary import Route

__all__ = ["HORIZON", "ProjectedDose", "ProjectedMilestone", "Projection", "project"]

HORIZON = Interval(12, "month")
_MAX_DOSES = 400


@dataclass(frozen=True, slots=True)
class ProjectedDose:
    """A coming injection: its number in the whole treatment (1 = the first dose ever given)."""

    number: int
    date: dt.date
    dose: Quantity
    route: Route
    phase: str
    overdue_since: dt.date | None = None


@dataclass(frozen=True, slots=True)
class ProjectedMilestone:
    """A coming milestone; ``key`` names it stably within the plan (rule id and occurrence)."""

    key: str
    date: dt.date
    milestone: Milestone


@dataclass(frozen=True, slots=True)
class Projection:
    """The coming dates in ``[as_of, until)`` and how many doses were given (counted) so far."""

    as_of: dt.date
    until: dt.date
    given: int
    doses: tuple[ProjectedDose, ...]
    milestones: tuple[ProjectedMilestone, ...]


def _position(
    forecast: Forecast, history: History, pack: Pack
) -> tuple[tuple[PhaseTiming, ...], Progress, int]:
    """Timings, progress and the index of the phase the next dose belongs to (as ``forecast_plan``)."""
    timings, progress = evaluate_progress(forecast.plan, history, pack, forecast.as_of)
    return timings, progress, advance_phase(progress, timings, history, forecast.as_of)


def _maintenance(anchor: dt.date, first_k: int, gap: Interval, until: dt.date) -> list[dt.date]:
    dates: list[dt.date] = []
    k = first_k
    while len(dates) < _MAX_DOSES:
        day = add_interval(anchor, gap.times(k))
        if day >= until:
            break
        dates.append(day)
        k += 1
    return dates


def _dose_dates(
    forecast: Forecast, position: tuple[tuple[PhaseTiming, ...], Progress, int], until: dt.date
) -> list[tuple[dt.date, PlannedPhase]]:
    nxt = forecast.next_dose
    if nxt is None:
        return []
    as_of = forecast.as_of
    timings, progress, index = position
    if timings[index].phase.kind != nxt.phase:  # not the forecast's reading: show only what it says
        return [(max(nxt.due, as_of), timings[index].phase)]
    overdue = nxt.due < as_of
    first = max(nxt.due, as_of)
    in_phase = progress.doses_in_phase if index == progress.phase_index else 0
    found: list[tuple[dt.date, PlannedPhase]] = []
    planned_last: dt.date | None = None
    projected_last: dt.date | None = None
    for at in range(index, len(timings)):
        phase = timings[at].phase
        if phase.kind == "oral":
            break
        if phase.kind == "maintenance":
            if at == index:
                last = progress.last_dose
                anchor, k = (last, 1) if last is not None and not overdue else (first, 0)
            elif projected_last is not None:
                anchor, k = projected_last, 1
            else:
                break
            found.extend((day, phase) for day in _maintenance(anchor, k, timings[at].due_gap, until))
            break
        planned = [dose.date for dose in phase.doses]
        if at == index:
            remaining = planned[in_phase:]
            if not remaining:  # an open phase past its dated doses: only the forecast's next dose
                found.append((first, phase))
                break
            shift = first - remaining[0]
        elif planned_last is not None and projected_last is not None and planned:
            remaining, shift = planned, projected_last - planned_last
        else:
            break
        moved = [day + shift for day in remaining]
        found.extend((day, phase) for day in moved if day < until)
        if phase.end == "on_no_further_improvement" or moved[-1] >= until:
            break
        planned_last, projected_last = planned[-1], moved[-1]
    return found


def _milestone_shift(forecast: Forecast, first_dose: dt.date | None) -> dt.timedelta:
    start = forecast.plan.case.start_date
    if first_dose is not None:
        return first_dose - start
    nxt = forecast.next_dose
    if nxt is not None and nxt.due < forecast.as_of:  # not started and overdue: as if started today
        return forecast.as_of - start
    return dt.timedelta(0)


def _milestones(forecast: Forecast, shift: dt.timedelta, until: dt.date) -> tuple[ProjectedMilestone, ...]:
    seen: dict[str, int] = {}
    found: list[ProjectedMilestone] = []
    for milestone in forecast.plan.milestones:
        seen[milestone.rule_id] = seen.get(milestone.rule_id, 0) + 1
        day = milestone.date + shift
        if forecast.as_of <= day < until:
            found.append(ProjectedMilestone(f"{milestone.rule_id}-{seen[milestone.rule_id]}", day, milestone))
    return tuple(found)


def project(forecast: Forecast, history: History, pack: Pack) -> Projection:
    """The injections and milestones from ``forecast.as_of`` for the next 12 months.

    ``history`` and ``pack`` must be the ones ``forecast`` was computed from.

    Reference: b12care-local-policy; bnf-hydroxocobalamin.
    """
    as_of = forecast.as_of
    until = add_interval(as_of, HORIZON)
    if forecast.status == "stopped":
        return Projection(as_of, until, 0, (), ())
    position = _position(forecast, history, pack)
    progress = position[1]
    nxt = forecast.next_dose
    doses = tuple(
        ProjectedDose(
            number=progress.counted + k,
            date=day,
            dose=phase.doses[0].dose if phase.doses else forecast.plan.selection.regimen.dose,
            route=forecast.plan.selection.route,
            phase=phase.kind,
            overdue_since=nxt.due if k == 1 and nxt is not None and nxt.due < as_of else None,
        )
        for k, (day, phase) in enumerate(_dose_dates(forecast, position, until), start=1)
    )
    shift = _milestone_shift(forecast, progress.first_dose)
    return Projection(as_of, until, progress.counted, doses, _milestones(forecast, shift, until))
