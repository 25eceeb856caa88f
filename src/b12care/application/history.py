"""The patient's record as the domain sees it, the forecast stored beside it, and the record as rows.

Every write to a patient runs through :func:`write_patient`: one unit of work that claims the patient,
writes, and refreshes the stored forecast (and with it the recall list), so the stored forecast is never
behind the record. Nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import replace
from typing import TypeVar

from b12care.application.case_file import parse_case_json
from b12care.application.fields import check_storable
from b12care.application.forecasting import forecast_case, timeline_case
from b12care.application.ports import Deps, UnitOfWork
from b12care.application.records import (
    DoseRecord,
    EnteredInError,
    LabRecord,
    PatientRecord,
    PlanVersionRecord,
    RecallSegment,
    ReviewRecord,
    StoredForecast,
    SymptomCheckRecord,
)
from b12care.domain.calendar import parse_interval
from b12care.domain.case import LabResult
from b12care.domain.errors import InputError
from b12care.domain.forecast import Forecast
from b12care.domain.history import AdministeredDose, History, Review, SymptomCheck
from b12care.domain.quantity import Quantity
from b12care.domain.recall import on_recall

__all__ = [
    "HistoryRow",
    "current_forecast",
    "history_from",
    "history_rows",
    "latest_plan",
    "load_history",
    "refresh_forecast",
    "stored_forecast",
    "write_patient",
]

T = TypeVar("T")
HistoryRow = tuple[str, str, str, str, str]
"""(date, entry, detail, recorded by, entered-in-error) of one entry."""


def history_from(
    doses: Iterable[DoseRecord],
    labs: Iterable[LabRecord],
    checks: Iterable[SymptomCheckRecord],
    reviews: Iterable[ReviewRecord],
) -> History:
    """The stored entries as the domain History (entries marked entered-in-error left out, except
    doses, which carry the mark so evaluation can show them); a review's note is its reason."""
    return History(
        tuple(
            AdministeredDose(
                d.date,
                Quantity(d.dose, d.dose_unit) if d.dose is not None and d.dose_unit else None,
                d.route,
                d.drug,
                d.status,
                d.entered_in_error is not None,
            )
            for d in doses
        ),
        tuple(LabResult(x.test, x.value, x.unit, x.date) for x in labs if not x.entered_in_error),
        tuple(
            SymptomCheck(c.date, c.overall, dict(c.scores))  # type: ignore[arg-type]
            for c in checks
            if not c.entered_in_error
        ),
        tuple(
            Review(r.date, r.decision, parse_interval(r.new_interval) if r.new_interval else None, r.note)
            for r in reviews
            if not r.entered_in_error
        ),
    )


def load_history(uow: UnitOfWork, patient_id: str) -> History:
    """The patient's record as the domain History."""
    return history_from(
        uow.doses.list_for(patient_id),
        uow.labs.list_for(patient_id),
        uow.symptom_checks.list_for(patient_id),
        uow.reviews.list_for(patient_id),
    )


def latest_plan(uow: UnitOfWork, patient_id: str) -> PlanVersionRecord:
    """The plan version in force; InputError on ``patient`` when the patient has none."""
    version = uow.plans.latest(patient_id)
    if version is None:
        raise InputError("patient", f"patient {patient_id} has no plan")
    return version


def current_forecast(uow: UnitOfWork, patient_id: str, as_of: dt.date) -> tuple[PlanVersionRecord, Forecast]:
    """The patient's forecast on ``as_of`` from the latest plan version and the whole record."""
    version = latest_plan(uow, patient_id)
    forecast = forecast_case(
        parse_case_json(version.case_json),
        load_history(uow, patient_id),
        as_of=as_of,
        pack_id=version.pack_id,
        maintenance_interval=version.maintenance_interval,
        interval_reason=version.interval_reason,
    )
    return version, forecast


def _recall_spans(timeline: list[Forecast]) -> tuple[RecallSegment, ...]:
    """The timeline's spans on the recall list; equal neighbours merged."""
    spans: list[RecallSegment] = []
    for index, forecast in enumerate(timeline):
        codes = tuple(f.code for f in forecast.flags)
        if not on_recall(forecast.status, codes):
            continue
        start = dt.date.min if index == 0 else forecast.as_of
        end = timeline[index + 1].as_of if index + 1 < len(timeline) else dt.date.max
        nxt = forecast.next_dose
        span = RecallSegment(
            start,
            end,
            forecast.status,
            nxt.earliest if nxt else None,
            nxt.due if nxt else None,
            nxt.overdue if nxt else None,
            codes,
        )
        if (
            spans
            and spans[-1].valid_to == start
            and replace(spans[-1], valid_to=end) == replace(span, valid_from=spans[-1].valid_from)
        ):
            span = replace(span, valid_from=spans.pop().valid_from)
        spans.append(span)
    return tuple(spans)


def stored_forecast(
    patient: PatientRecord, version: PlanVersionRecord, history: History, as_of: dt.date
) -> StoredForecast:
    """The patient's forecast on ``as_of`` with its recall timeline, ready to store.

    The first span reaches back to ``date.min`` (the forecast of a write also answers for earlier days)
    and the last forward to ``date.max``; spans off the recall list are not kept, equal neighbours merge.
    """
    timeline = timeline_case(
        parse_case_json(version.case_json),
        history,
        as_of=as_of,
        pack_id=version.pack_id,
        maintenance_interval=version.maintenance_interval,
        interval_reason=version.interval_reason,
    )
    now = timeline[0]
    nxt = now.next_dose
    return StoredForecast(
        patient_id=patient.id,
        clinic_id=patient.clinic_id,
        status=now.status,
        earliest=nxt.earliest if nxt else None,
        due=nxt.due if nxt else None,
        overdue=nxt.overdue if nxt else None,
        flags=tuple(f.code for f in now.flags),
        as_of=as_of,
        pack_id=now.plan.pack_id,
        pack_version=now.plan.pack_version,
        timeline=_recall_spans(list(timeline)),
    )


def refresh_forecast(
    uow: UnitOfWork, patient: PatientRecord, as_of: dt.date, *, actor: str, at: dt.datetime
) -> None:
    """Recompute and store the patient's forecast and recall timeline inside the caller's unit of work."""
    stored = stored_forecast(patient, latest_plan(uow, patient.id), load_history(uow, patient.id), as_of)
    uow.forecasts.save(stored, actor=actor, at=at)


def write_patient(
    deps: Deps, patient_id: str, actor: str, action: Callable[[UnitOfWork, dt.datetime], T]
) -> T:
    """Run ``action`` and refresh the patient's stored forecast in one transaction (the patient claimed:
    writers to one patient take turns). A record refusing its own fields ("field: message", the last
    line behind the commands' checks) becomes an InputError naming the field."""
    check_storable(actor=actor)
    at = deps.clock()
    with deps.uow() as uow:
        patient = uow.patients.claim(patient_id)
        try:
            result = action(uow, at)
        except ValueError as error:
            field, _, message = str(error).partition(": ")
            raise InputError(field if message else "entry", message or field) from None
        refresh_forecast(uow, patient, at.date(), actor=actor, at=at)
        uow.commit()
    return result


def _eie(mark: EnteredInError | None) -> str:
    return "" if mark is None else f"{mark.by} {mark.at:%Y-%m-%d}: {mark.reason}"


def _entry_rows(uow: UnitOfWork, patient_id: str) -> Iterable[tuple[dt.date, str, str, str, str]]:
    for d in uow.doses.list_for(patient_id):
        what = (
            f"{d.dose} {d.dose_unit} {d.route}"
            if d.status == "completed"
            else f"not done: {d.not_done_reason}"
        )
        yield (d.date, "dose", what, d.recorded_by, _eie(d.entered_in_error))
    for x in uow.labs.list_for(patient_id):
        yield (x.date, "lab", f"{x.test} {x.value} {x.unit}", x.recorded_by, _eie(x.entered_in_error))
    for c in uow.symptom_checks.list_for(patient_id):
        scores = " ".join(f"{k}={v}" for k, v in c.scores.items())
        yield (c.date, "symptoms", f"{c.overall} {scores}".strip(), c.recorded_by, _eie(c.entered_in_error))
    for r in uow.reviews.list_for(patient_id):
        what = r.decision + (f" -> {r.new_interval}" if r.new_interval else "")
        what += f": {r.note}" if r.note else ""  # the reason of an override stays in sight
        yield (r.date, "review", what, r.reviewed_by, _eie(r.entered_in_error))


def history_rows(deps: Deps, patient_id: str) -> list[HistoryRow]:
    """Every entry as rows (date, entry, detail, recorded by, entered-in-error), oldest first."""
    with deps.uow(read_only=True) as uow:
        uow.patients.get(patient_id)
        rows = sorted(_entry_rows(uow, patient_id), key=lambda row: row[0])
    return [(day.isoformat(), entry, detail, by, mark) for day, entry, detail, by, mark in rows]
