"""Use cases of the treatment record: patients, doses, labs, symptom checks, reviews, forecasts, recall.

Every write runs in one unit of work together with the patient's refreshed forecast, so the stored
forecast (and with it the recall list) is never behind the record. Nothing is deleted.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Literal, TypeVar, cast

from b12care.application.case_file import parse_case_json
from b12care.application.forecasting import forecast_case, timeline_case
from b12care.application.planning import choose_pack, plan_case
from b12care.application.ports import Clock, EntryRepository, UnitOfWork, UnitOfWorkFactory
from b12care.application.records import (
    ClinicRecord,
    DoseRecord,
    DoseSource,
    DoseStatus,
    EnteredInError,
    LabRecord,
    PatientRecord,
    PlanVersionRecord,
    RecallEntry,
    RecallSegment,
    ReviewRecord,
    Sex,
    StoredForecast,
    SymptomCheckRecord,
    new_id,
    new_plan_version,
)
from b12care.domain.calendar import Interval, check_day, parse_interval
from b12care.domain.case import LabResult
from b12care.domain.errors import ConflictingInputError, InputError
from b12care.domain.forecast import Forecast
from b12care.domain.history import AdministeredDose, History, Overall, Review, ReviewDecision, SymptomCheck
from b12care.domain.labs import validate_lab_units
from b12care.domain.plan import Plan
from b12care.domain.quantity import Quantity
from b12care.domain.recall import on_recall
from b12care.domain.schedule import within_range
from b12care.domain.vocabulary import Drug, Route, Test, codes_of

__all__ = [
    "MAX_DIGITS",
    "TEXT_LIMITS",
    "DoseInput",
    "EntryKind",
    "PatientView",
    "Services",
    "check_amount",
    "check_code",
    "check_storable",
    "current_forecast",
    "history_from",
    "load_history",
    "refresh_forecast",
    "stored_forecast",
]

T = TypeVar("T")
_RECOMPUTE_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class PatientView:
    """A patient with the current plan version and forecast."""

    patient: PatientRecord
    plan_version: PlanVersionRecord
    forecast: Forecast


@dataclass(frozen=True, slots=True)
class DoseInput:
    """A dose as a nurse records it."""

    date: dt.date
    drug: Drug | None = None
    dose: Decimal | None = None
    unit: str | None = None
    route: Route | None = None
    site: str | None = None
    lot: str | None = None
    given_by: str | None = None
    source: DoseSource = "clinic"
    not_done_reason: str | None = None
    idempotency_key: str | None = None


TEXT_LIMITS: Mapping[str, int] = MappingProxyType(
    {
        "name": 200,
        "reference": 100,
        "unit": 32,
        "site": 100,
        "lot": 100,
        "given_by": 200,
        "idempotency_key": 200,
        "actor": 200,
        "interval_reason": 4000,
    }
)
"""The longest text a field of the record holds (the API's request models allow the same)."""
MAX_DIGITS = 18
"""Digits an amount (a dose, a lab value) may have in all, as the API and the case file allow: larger or
finer numbers are typing errors, and stored they would break every later chart and conversion."""


MULTILINE_FIELDS = frozenset({"note", "reason", "not_done_reason", "interval_reason"})
"""Free-text fields that may hold line breaks and tabs; every other text is one line."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_IN_TEXT = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_storable(**texts: str | None) -> None:
    """Refuse text the record cannot hold or must not show - a NUL character (PostgreSQL text has none),
    any other control character (terminal escapes in a name reach an admin's terminal; free-text notes
    keep line breaks and tabs), or more than the field's :data:`TEXT_LIMITS` - with an InputError naming
    the field: every face (API, web forms, FHIR import, CLI) answers it the same."""
    for field, value in texts.items():
        if value is None:
            continue
        if "\x00" in value:
            raise InputError(field, "contains a NUL character (\\x00), which cannot be stored")
        control = (_CONTROL_IN_TEXT if field in MULTILINE_FIELDS else _CONTROL).search(value)
        if control is not None:
            raise InputError(field, f"contains a control character ({control.group()!r}); it is not stored")
        limit = TEXT_LIMITS.get(field)
        if limit is not None and len(value) > limit:
            raise InputError(field, f"longer than {limit} characters")


def check_code(field: str, value: str | None, vocabulary: object) -> None:
    """Refuse a code that is not one of the Literal ``vocabulary`` (a form sends any text)."""
    if value is not None and value not in codes_of(vocabulary):
        raise InputError(field, f"{value!r} is not one of {', '.join(codes_of(vocabulary))}")


def check_amount(field: str, value: Decimal | None) -> None:
    """Refuse an amount that is not finite or has more than :data:`MAX_DIGITS` digits (``1E+400``)."""
    if value is None:
        return
    if not value.is_finite():
        raise InputError(field, f"{value} is not a number")
    _, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)  # a finite Decimal's exponent is a number
    count = len(digits) + exponent if exponent >= 0 else max(len(digits), -exponent)
    if count > MAX_DIGITS:
        raise InputError(field, f"{value} has more than {MAX_DIGITS} digits")


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


def _latest_plan(uow: UnitOfWork, patient_id: str) -> PlanVersionRecord:
    version = uow.plans.latest(patient_id)
    if version is None:
        raise InputError("patient", f"patient {patient_id} has no plan")
    return version


def current_forecast(uow: UnitOfWork, patient_id: str, as_of: dt.date) -> tuple[PlanVersionRecord, Forecast]:
    """The patient's forecast on ``as_of`` from the latest plan version and the whole record."""
    version = _latest_plan(uow, patient_id)
    forecast = forecast_case(
        parse_case_json(version.case_json),
        load_history(uow, patient_id),
        as_of=as_of,
        pack_id=version.pack_id,
        maintenance_interval=version.maintenance_interval,
        interval_reason=version.interval_reason,
    )
    return version, forecast


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
        timeline=tuple(spans),
    )


def refresh_forecast(
    uow: UnitOfWork, patient: PatientRecord, as_of: dt.date, *, actor: str, at: dt.datetime
) -> None:
    """Recompute and store the patient's forecast and recall timeline inside the caller's unit of work."""
    stored = stored_forecast(patient, _latest_plan(uow, patient.id), load_history(uow, patient.id), as_of)
    uow.forecasts.save(stored, actor=actor, at=at)


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


def check_dose(dose: DoseInput) -> None:
    """Refuse, naming the field, a dose the record cannot hold (every face records doses through this)."""
    check_day(dose.date, "date")
    check_storable(
        unit=dose.unit,
        site=dose.site,
        lot=dose.lot,
        given_by=dose.given_by,
        not_done_reason=dose.not_done_reason,
        idempotency_key=dose.idempotency_key,
    )
    check_amount("dose", dose.dose)
    check_code("drug", dose.drug, Drug)
    check_code("route", dose.route, Route)


def dose_record(patient_id: str, dose: DoseInput, actor: str, at: dt.datetime) -> DoseRecord:
    """The checked dose as a new record of the patient (not done when it has a reason)."""
    status: DoseStatus = "not_done" if dose.not_done_reason else "completed"
    return DoseRecord(
        id=new_id(),
        patient_id=patient_id,
        date=dose.date,
        drug=dose.drug,
        product=None,
        dose=dose.dose,
        dose_unit=dose.unit,
        route=dose.route,
        site=dose.site,
        lot=dose.lot,
        given_by=dose.given_by,
        source=dose.source,
        status=status,
        not_done_reason=dose.not_done_reason,
        idempotency_key=dose.idempotency_key,
        recorded_by=actor,
        recorded_at=at,
    )


def dose_content(record: DoseRecord) -> tuple[object, ...]:
    """What a repeated idempotency key must repeat: everything the caller sent about the dose."""
    return (
        record.date,
        record.drug,
        record.dose,
        record.dose_unit,
        record.route,
        record.site,
        record.lot,
        record.given_by,
        record.source,
        record.status,
        record.not_done_reason,
    )


def _dose_summary(record: DoseRecord) -> str:
    if record.status == "not_done":
        return f"{record.date.isoformat()}, not done"
    return f"{record.date.isoformat()}, {record.drug} {record.dose} {record.dose_unit} {record.route}"


EntryKind = Literal["dose", "lab", "symptoms", "review"]


def _entries(uow: UnitOfWork, kind: EntryKind) -> EntryRepository[Any]:
    repositories: dict[str, EntryRepository[Any]] = {
        "dose": uow.doses,
        "lab": uow.labs,
        "symptoms": uow.symptom_checks,
        "review": uow.reviews,
    }
    return repositories[kind]


def _eie(mark: EnteredInError | None) -> str:
    return "" if mark is None else f"{mark.by} {mark.at:%Y-%m-%d}: {mark.reason}"


@dataclass(frozen=True)
class Services:
    """The treatment-record use cases over one database and clock."""

    uow: UnitOfWorkFactory
    clock: Clock

    def today(self) -> dt.date:
        """The clock's date."""
        return self.clock().date()

    def _write(self, patient_id: str, actor: str, action: Callable[[UnitOfWork, dt.datetime], T]) -> T:
        """Run ``action`` and refresh the patient's stored forecast in one transaction."""
        check_storable(actor=actor)
        at = self.clock()
        with self.uow() as uow:
            patient = uow.patients.claim(patient_id)  # writers to one patient take turns
            try:
                result = action(uow, at)
            except ValueError as error:  # a record refused its own fields: "field: message"
                field, _, message = str(error).partition(": ")
                raise InputError(field if message else "entry", message or field) from None
            refresh_forecast(uow, patient, at.date(), actor=actor, at=at)
            uow.commit()
        return result

    def add_clinic(self, name: str, actor: str) -> ClinicRecord:
        """Create a clinic."""
        check_storable(name=name, actor=actor)
        with self.uow() as uow:
            clinic = uow.clinics.add(ClinicRecord(new_id(), name, self.clock(), actor))
            uow.commit()
        return clinic

    def add_patient(
        self,
        *,
        clinic_id: str,
        reference: str,
        name: str,
        case_json: str,
        actor: str,
        maintenance_interval: str | None = None,
        interval_reason: str | None = None,
    ) -> PatientRecord:
        """Create a patient with plan version 1 from a case file, and store the first forecast.

        ``interval_reason`` is the clinician's reason for a ``maintenance_interval`` outside the
        regimen's licensed range (planning refuses such an interval without one); it is stored on the
        plan version.
        """
        check_storable(reference=reference, name=name, actor=actor, interval_reason=interval_reason)
        interval_reason = (interval_reason or "").strip() or None
        case = parse_case_json(case_json)
        plan = plan_case(  # refuses a case it cannot plan
            case, maintenance_interval=maintenance_interval, interval_reason=interval_reason
        )
        at = self.clock()
        sex = cast("Sex", case.patient.sex)  # the case-file contract allows only the record's codes
        record = PatientRecord(new_id(), clinic_id, reference, name, case.patient.birth_date, sex, at, actor)
        with self.uow() as uow:
            patient = uow.patients.add(record)
            version = new_plan_version(
                patient.id,
                1,
                case_json,
                plan,
                maintenance_interval=maintenance_interval,
                interval_reason=interval_reason,
                actor=actor,
                at=at,
            )
            uow.plans.add(version)
            refresh_forecast(uow, patient, at.date(), actor=actor, at=at)
            uow.commit()
        return patient

    def record_dose(self, patient_id: str, dose: DoseInput, actor: str) -> DoseRecord:
        """Record a dose (given, or not done with a reason); a repeated idempotency key stores one dose,
        and a key repeated with other content is refused (ConflictingInputError) with nothing stored."""
        check_dose(dose)

        def add(uow: UnitOfWork, at: dt.datetime) -> DoseRecord:
            record = dose_record(patient_id, dose, actor, at)
            stored = uow.doses.add(record)
            if stored.id != record.id and dose_content(stored) != dose_content(record):
                raise ConflictingInputError(
                    "idempotency_key",
                    f"{dose.idempotency_key!r} already stands for another dose ({_dose_summary(stored)}); "
                    f"this one ({_dose_summary(record)}) was not stored: send it with a new key",
                )
            return stored

        return self._write(patient_id, actor, add)

    def record_lab(
        self, patient_id: str, *, test: Test, value: Decimal, unit: str, day: dt.date, actor: str
    ) -> LabRecord:
        """Record a laboratory result (units checked against the patient's pack)."""
        check_day(day, "date")
        check_storable(unit=unit)
        check_amount("value", value)

        def add(uow: UnitOfWork, at: dt.datetime) -> LabRecord:
            version = uow.plans.latest(patient_id)
            if version is not None:
                pack = choose_pack(None, version.pack_id)
                validate_lab_units((LabResult(test, value, unit, day),), pack, day)
            return uow.labs.add(LabRecord(new_id(), patient_id, test, value, unit, day, actor, at))

        return self._write(patient_id, actor, add)

    def record_symptoms(
        self, patient_id: str, day: dt.date, overall: Overall, scores: dict[str, int], actor: str
    ) -> SymptomCheckRecord:
        """Record a symptom check: scores 0-3 and the overall direction."""
        check_day(day, "date")

        def add(uow: UnitOfWork, at: dt.datetime) -> SymptomCheckRecord:
            return uow.symptom_checks.add(
                SymptomCheckRecord(new_id(), patient_id, day, overall, actor, at, scores)
            )

        return self._write(patient_id, actor, add)

    def record_review(
        self,
        patient_id: str,
        *,
        day: dt.date,
        decision: ReviewDecision,
        actor: str,
        note: str = "",
        new_interval: str | None = None,
    ) -> ReviewRecord:
        """Record a clinical review; an interval change also becomes a new plan version citing it.

        Overrides need the clinician's reason in ``note`` (FACTS.md section 8): stopping lifelong
        replacement (``stop_cause_resolved`` or ``confirm_stop`` when the plan's cause is irreversible),
        and a new interval outside the regimen's licensed range (stored as the new plan version's
        ``interval_reason``). ``confirm_stop`` confirms an earlier stop that is not confirmed yet.

        Raises:
            InputError: on ``note`` when an override has no reason; on ``decision`` for a
                ``confirm_stop`` with no stop to confirm; on a field the record cannot hold.
        """
        check_day(day, "date")
        check_storable(note=note)
        check_code("decision", decision, ReviewDecision)
        interval = parse_interval(new_interval, "new_interval") if new_interval is not None else None
        reason = note.strip()

        def add(uow: UnitOfWork, at: dt.datetime) -> ReviewRecord:
            latest = uow.plans.latest(patient_id)
            outside = False
            changes_interval = interval is not None and decision in _INTERVAL_CHANGES
            if latest is not None and (decision in _STOPS or changes_interval):
                plan = _plan_of(latest)  # only an override needs the plan
                if decision in _STOPS:
                    _check_stop(uow, patient_id, plan, day=day, decision=decision, reason=reason)
                if interval is not None and changes_interval:
                    allowed = _licensed_range(plan)
                    outside = allowed is not None and not within_range(interval, allowed)
                    if allowed is not None and outside and not reason:
                        raise InputError(
                            "note",
                            f"{new_interval} is outside the licensed range of {plan.selection.record.id}"
                            f" ({allowed[0]} to {allowed[1]}): an off-licence interval is a prescriber's"
                            " decision, give the reason in the note",
                        )
            elif latest is None and decision == "confirm_stop":
                raise InputError("decision", "confirm_stop: there is no stop to confirm (no plan)")
            review = uow.reviews.add(
                ReviewRecord(new_id(), patient_id, day, decision, note, actor, at, new_interval)
            )
            if decision in _INTERVAL_CHANGES and new_interval is not None and latest is not None:
                uow.plans.add(
                    PlanVersionRecord(
                        new_id(),
                        patient_id,
                        latest.version + 1,
                        latest.case_json,
                        latest.pack_id,
                        latest.pack_version,
                        new_interval,
                        review.id,
                        actor,
                        at,
                        interval_reason=reason if outside else None,
                    )
                )
            return review

        return self._write(patient_id, actor, add)

    def mark_entered_in_error(self, kind: EntryKind, entry_id: str, reason: str, actor: str) -> str:
        """Mark a dose, lab, symptom check or review entered-in-error (kept, audited); return its patient."""
        check_storable(reason=reason, actor=actor)
        at = self.clock()
        with self.uow() as uow:
            repository = _entries(uow, kind)
            patient_id: str = repository.get(entry_id).patient_id
            try:
                repository.mark_entered_in_error(entry_id, EnteredInError(at, actor, reason))
            except ValueError as error:
                raise InputError("reason", str(error)) from None
            refresh_forecast(uow, uow.patients.claim(patient_id), at.date(), actor=actor, at=at)
            uow.commit()
        return patient_id

    def view(self, patient_id: str, as_of: dt.date | None = None) -> PatientView:
        """The patient, the plan version in force and the forecast on ``as_of`` (default today)."""
        with self.uow(read_only=True) as uow:
            patient = uow.patients.get(patient_id)
            version, forecast = current_forecast(uow, patient_id, as_of or self.today())
        return PatientView(patient, version, forecast)

    def patients(self, clinic_id: str) -> list[PatientRecord]:
        """A clinic's patients."""
        with self.uow(read_only=True) as uow:
            uow.clinics.get(clinic_id)
            return uow.patients.list_for_clinic(clinic_id)

    def history(self, patient_id: str) -> list[tuple[str, str, str, str, str]]:
        """Every entry as rows (date, entry, detail, recorded by, entered-in-error), oldest first."""
        rows: list[tuple[dt.date, str, str, str, str]] = []
        with self.uow(read_only=True) as uow:
            uow.patients.get(patient_id)
            for d in uow.doses.list_for(patient_id):
                what = (
                    f"{d.dose} {d.dose_unit} {d.route}"
                    if d.status == "completed"
                    else f"not done: {d.not_done_reason}"
                )
                rows.append((d.date, "dose", what, d.recorded_by, _eie(d.entered_in_error)))
            for x in uow.labs.list_for(patient_id):
                rows.append(
                    (x.date, "lab", f"{x.test} {x.value} {x.unit}", x.recorded_by, _eie(x.entered_in_error))
                )
            for c in uow.symptom_checks.list_for(patient_id):
                scores = " ".join(f"{k}={v}" for k, v in c.scores.items())
                rows.append(
                    (
                        c.date,
                        "symptoms",
                        f"{c.overall} {scores}".strip(),
                        c.recorded_by,
                        _eie(c.entered_in_error),
                    )
                )
            for r in uow.reviews.list_for(patient_id):
                what = r.decision + (f" -> {r.new_interval}" if r.new_interval else "")
                what += f": {r.note}" if r.note else ""  # the reason of an override stays in sight
                rows.append((r.date, "review", what, r.reviewed_by, _eie(r.entered_in_error)))
        rows.sort(key=lambda row: row[0])
        return [(day.isoformat(), *rest) for day, *rest in rows]  # type: ignore[misc]

    def recall(
        self,
        clinic_ids: Collection[str] | None,
        statuses: Collection[str] | None,
        as_of: dt.date,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RecallEntry]:
        """The recall list on ``as_of``: most urgent first, each line with its patient."""
        with self.uow(read_only=True) as uow:
            return uow.forecasts.recall(clinic_ids, statuses, as_of, limit, offset)

    def patient_ids(self) -> list[str]:
        """Every patient id not marked entered-in-error, in id order (for jobs over the registry)."""
        with self.uow(read_only=True) as uow:
            return uow.patients.all_ids()

    def recompute(
        self,
        actor: str,
        as_of: dt.date | None = None,
        batch: int = 500,
        patient_ids: Sequence[str] | None = None,
    ) -> Iterator[int]:
        """Rebuild the stored forecast and recall timeline of every patient (or of ``patient_ids``), e.g.
        after a pack upgrade: ``batch`` patients per transaction, read with one query per table and
        written with one statement per table; yields how many patients each committed batch held.

        Disjoint ``patient_ids`` lists can run in several processes at once (``b12care recompute
        --workers``).
        """
        day = as_of or self.today()
        ids = list(patient_ids) if patient_ids is not None else self.patient_ids()
        for start in range(0, len(ids), batch):
            chunk = ids[start : start + batch]
            pending = chunk
            for _ in range(_RECOMPUTE_ATTEMPTS):
                pending = self._recompute_unless_changed(pending, day, actor)
                if not pending:
                    break
            else:  # written to again and again: read, compute and store in one transaction
                with self.uow() as uow:
                    uow.forecasts.save_many(
                        self._stored_forecasts(uow, pending, day), actor=actor, at=self.clock()
                    )
                    uow.commit()
            yield len(chunk)

    def _recompute_unless_changed(self, patient_ids: list[str], day: dt.date, actor: str) -> list[str]:
        """Read in one transaction, compute outside any (other processes may write meanwhile: SQLite
        holds its write lock for a whole transaction), then store in another only the forecasts of
        patients nobody wrote to in between; returns those, to do again."""
        with self.uow(read_only=True) as uow:
            before = uow.forecasts.stamps(patient_ids)
            stored = self._stored_forecasts(uow, patient_ids, day)
        with self.uow() as uow:
            now = uow.forecasts.stamps(patient_ids)
            unchanged = [
                f for f in stored if f.patient_id in now and now[f.patient_id] == before.get(f.patient_id)
            ]
            uow.forecasts.save_many(unchanged, actor=actor, at=self.clock())
            uow.commit()
        done = {f.patient_id for f in unchanged}
        return [pid for pid in patient_ids if pid in now and pid not in done]

    @staticmethod
    def _stored_forecasts(uow: UnitOfWork, patient_ids: list[str], day: dt.date) -> list[StoredForecast]:
        """Read a batch of patients' records (one query per table) and compute their forecasts."""
        versions = uow.plans.latest_many(patient_ids)
        doses = uow.doses.list_for_many(patient_ids)
        labs = uow.labs.list_for_many(patient_ids)
        checks = uow.symptom_checks.list_for_many(patient_ids)
        reviews = uow.reviews.list_for_many(patient_ids)
        return [
            stored_forecast(
                patient,
                versions[patient.id],
                history_from(
                    doses.get(patient.id, ()),
                    labs.get(patient.id, ()),
                    checks.get(patient.id, ()),
                    reviews.get(patient.id, ()),
                ),
                day,
            )
            for patient in uow.patients.get_many(patient_ids)
            if patient.id in versions
        ]
