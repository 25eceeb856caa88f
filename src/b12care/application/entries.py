"""Use cases of a patient's entries: record a dose, a laboratory result or a symptom check, and mark any
entry entered-in-error. Each write refreshes the patient's stored forecast in the same unit of work
(:func:`~b12care.application.history.write_patient`). Nothing is deleted.

Reviews, which may also change the plan, are :mod:`b12care.application.reviews`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from b12care.application.commands import (
    DoseFields,
    EntryKind,
    MarkEnteredInError,
    RecordDose,
    RecordLab,
    RecordSymptoms,
)
from b12care.application.history import refresh_forecast, write_patient
from b12care.application.planning import choose_pack
from b12care.application.ports import Deps, EntryRepository, UnitOfWork
from b12care.application.records import (
    DoseRecord,
    DoseStatus,
    EnteredInError,
    LabRecord,
    SymptomCheckRecord,
    new_id,
)
from b12care.domain.case import LabResult
from b12care.domain.errors import ConflictingInputError, InputError
from b12care.domain.labs import validate_lab_units

__all__ = [
    "dose_content",
    "dose_record",
    "mark_entered_in_error",
    "record_dose",
    "record_lab",
    "record_symptoms",
]


def dose_record(patient_id: str, dose: DoseFields, actor: str, at: dt.datetime) -> DoseRecord:
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


def record_dose(command: RecordDose, deps: Deps) -> DoseRecord:
    """Record a dose (given, or not done with a reason); a repeated idempotency key stores one dose,
    and a key repeated with other content is refused (ConflictingInputError) with nothing stored."""

    def add(uow: UnitOfWork, at: dt.datetime) -> DoseRecord:
        record = dose_record(command.patient_id, command, command.actor, at)
        stored = uow.doses.add(record)
        if stored.id != record.id and dose_content(stored) != dose_content(record):
            raise ConflictingInputError(
                "idempotency_key",
                f"{command.idempotency_key!r} already stands for another dose ({_dose_summary(stored)}); "
                f"this one ({_dose_summary(record)}) was not stored: send it with a new key",
            )
        return stored

    return write_patient(deps, command.patient_id, command.actor, add)


def record_lab(command: RecordLab, deps: Deps) -> LabRecord:
    """Record a laboratory result (units checked against the patient's pack)."""

    def add(uow: UnitOfWork, at: dt.datetime) -> LabRecord:
        c = command
        version = uow.plans.latest(c.patient_id)
        if version is not None:
            pack = choose_pack(None, version.pack_id)
            validate_lab_units((LabResult(c.test, c.value, c.unit, c.date),), pack, c.date)
        return uow.labs.add(LabRecord(new_id(), c.patient_id, c.test, c.value, c.unit, c.date, c.actor, at))

    return write_patient(deps, command.patient_id, command.actor, add)


def record_symptoms(command: RecordSymptoms, deps: Deps) -> SymptomCheckRecord:
    """Record a symptom check: scores 0-3 and the overall direction."""

    def add(uow: UnitOfWork, at: dt.datetime) -> SymptomCheckRecord:
        c = command
        return uow.symptom_checks.add(
            SymptomCheckRecord(new_id(), c.patient_id, c.date, c.overall, c.actor, at, dict(c.scores))
        )

    return write_patient(deps, command.patient_id, command.actor, add)


def _entries(uow: UnitOfWork, kind: EntryKind) -> EntryRepository[Any]:
    repositories: dict[str, EntryRepository[Any]] = {
        "dose": uow.doses,
        "lab": uow.labs,
        "symptoms": uow.symptom_checks,
        "review": uow.reviews,
    }
    return repositories[kind]


def mark_entered_in_error(command: MarkEnteredInError, deps: Deps) -> str:
    """Mark a dose, lab, symptom check or review entered-in-error (kept, audited); return its patient."""
    at = deps.clock()
    with deps.uow() as uow:
        repository = _entries(uow, command.kind)
        patient_id: str = repository.get(command.entry_id).patient_id
        try:
            repository.mark_entered_in_error(
                command.entry_id, EnteredInError(at, command.actor, command.reason)
            )
        except ValueError as error:
            raise InputError("reason", str(error)) from None
        refresh_forecast(uow, uow.patients.claim(patient_id), at.date(), actor=command.actor, at=at)
        uow.commit()
    return patient_id
