"""Use case: a clinician's review; an interval change also becomes a new plan version citing it.

Overrides need the clinician's reason in the note (FACTS.md section 8): stopping lifelong replacement
(``stop_cause_resolved`` or ``confirm_stop`` when the plan's cause is irreversible), and a new interval
outside the regimen's licensed range (stored as the new plan version's ``interval_reason``).
``confirm_stop`` confirms an earlier stop that is not confirmed yet.
"""

from __future__ import annotations

import datetime as dt

from b12care.application.case_file import parse_case_json
from b12care.application.commands import RecordReview
from b12care.application.history import write_patient
from b12care.application.planning import plan_case
from b12care.application.ports import Deps, UnitOfWork
from b12care.application.records import PlanVersionRecord, ReviewRecord, new_id
from b12care.domain.calendar import Interval
from b12care.domain.errors import InputError
from b12care.domain.history import ReviewDecision
from b12care.domain.plan import Plan
from b12care.domain.schedule import within_range

__all__ = ["record_review"]

_STOPS: frozenset[str] = frozenset({"stop_cause_resolved", "confirm_stop"})
_INTERVAL_CHANGES: frozenset[str] = frozenset({"shorten_interval", "lengthen_interval"})


def _plan_of(version: PlanVersionRecord) -> Plan:
    """The plan of a stored version as far as overrides need it (cause, lifelong, licensed range):
    those do not depend on the chosen maintenance interval, so it is left out."""
    return plan_case(parse_case_json(version.case_json), pack_id=version.pack_id)


def _licensed_range(plan: Plan) -> tuple[Interval, Interval] | None:
    """The maintenance interval range of the plan's regimen; None when it gives none to leave (as
    ``plan_case`` and the forecast's OUTSIDE_LICENCE flag see it)."""
    for phase in plan.phases:
        if phase.kind == "maintenance" and phase.interval_range is not None:
            return phase.interval_range
    return None


def _check_stop(
    uow: UnitOfWork, patient_id: str, plan: Plan, *, day: dt.date, decision: ReviewDecision, reason: str
) -> None:
    """Refuse a stop of lifelong replacement without a reason, and a confirm_stop with nothing to confirm."""
    if plan.lifelong and not reason:
        raise InputError(
            "note",
            f"stopping lifelong replacement for {plan.case.cause} is a clinician override: give the"
            " reason in the note (the cause is irreversible; replacement is not normally stopped)",
        )
    if decision != "confirm_stop":
        return
    reviews = [r for r in uow.reviews.list_for(patient_id) if r.entered_in_error is None and r.date <= day]
    stops = [r.date for r in reviews if r.decision == "stop_cause_resolved"]
    if not stops:
        raise InputError(
            "decision", "confirm_stop confirms an earlier stop_cause_resolved review: there is none"
        )
    if any(r.decision == "confirm_stop" and r.date >= max(stops) for r in reviews):
        raise InputError("decision", f"the stop of {max(stops).isoformat()} is already confirmed")
    if not plan.lifelong:
        raise InputError(
            "decision",
            f"{plan.case.cause} is not an irreversible cause: its stop needs no confirmation",
        )


def _outside_licence(command: RecordReview, plan: Plan) -> bool:
    """Whether the review's new interval leaves the licensed range; refused without a reason."""
    interval = command.interval
    allowed = _licensed_range(plan)
    if interval is None or allowed is None or within_range(interval, allowed):
        return False
    if not command.reason:
        raise InputError(
            "note",
            f"{command.new_interval} is outside the licensed range of {plan.selection.record.id}"
            f" ({allowed[0]} to {allowed[1]}): an off-licence interval is a prescriber's"
            " decision, give the reason in the note",
        )
    return True


def _check_overrides(uow: UnitOfWork, command: RecordReview, latest: PlanVersionRecord | None) -> bool:
    """Refuse an override without its reason; return whether the new interval is off-licence."""
    c = command
    changes_interval = c.interval is not None and c.decision in _INTERVAL_CHANGES
    if latest is None:
        if c.decision == "confirm_stop":
            raise InputError("decision", "confirm_stop: there is no stop to confirm (no plan)")
        return False
    if c.decision not in _STOPS and not changes_interval:
        return False
    plan = _plan_of(latest)  # only an override needs the plan
    if c.decision in _STOPS:
        _check_stop(uow, c.patient_id, plan, day=c.date, decision=c.decision, reason=c.reason)
    return changes_interval and _outside_licence(c, plan)


def record_review(command: RecordReview, deps: Deps) -> ReviewRecord:
    """Record a clinical review; an interval change also becomes a new plan version citing it.

    Raises:
        InputError: on ``note`` when an override has no reason; on ``decision`` for a
            ``confirm_stop`` with no stop to confirm.
    """
    c = command

    def add(uow: UnitOfWork, at: dt.datetime) -> ReviewRecord:
        latest = uow.plans.latest(c.patient_id)
        outside = _check_overrides(uow, c, latest)
        review = uow.reviews.add(
            ReviewRecord(new_id(), c.patient_id, c.date, c.decision, c.note, c.actor, at, c.new_interval)
        )
        if c.decision in _INTERVAL_CHANGES and c.new_interval is not None and latest is not None:
            uow.plans.add(
                PlanVersionRecord(
                    new_id(),
                    c.patient_id,
                    latest.version + 1,
                    latest.case_json,
                    latest.pack_id,
                    latest.pack_version,
                    c.new_interval,
                    review.id,
                    c.actor,
                    at,
                    interval_reason=c.reason if outside else None,
                )
            )
        return review

    return write_patient(deps, command.patient_id, command.actor, add)
