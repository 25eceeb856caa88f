"""Export of the treatment record of one patient or a whole clinic as CSV: one row per recorded entry.

Rows, per patient in the clinic's order: the patient, then every plan version, dose, lab, symptom check
and review by date (then recording time). Entries marked entered-in-error are exported too, with the
mark (who, when, why): an export is a copy of the record, not a clinical view of it. Columns:
:data:`CSV_COLUMNS`; ``details`` is the entry's own fields as a JSON object; ``plan_version`` is the
version a plan version row is, or the plan version in force when the entry was recorded. Every export
is written to the audit log (who exported which patient or clinic, in which format).

Every cell goes through :func:`spreadsheet_safe` (OWASP "CSV injection"): free text such as a name, a
dose site or a reason can never run as a spreadsheet formula. The FHIR form of the same export is in
``b12care.adapters.fhir.bulk``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from b12care.application.ports import Clock, UnitOfWork, UnitOfWorkFactory
from b12care.application.records import (
    AuditDetail,
    AuditEntry,
    DoseRecord,
    EnteredInError,
    LabRecord,
    PatientRecord,
    PlanVersionRecord,
    ReviewRecord,
    SymptomCheckRecord,
    new_id,
)
from b12care.domain.errors import InputError

__all__ = [
    "BATCH",
    "CSV_COLUMNS",
    "audit_recall_export",
    "csv_chunks",
    "patients_to_export",
    "spreadsheet_safe",
]

BATCH = 500
"""Patients read per query batch (one ``IN (...)`` per table), so a large clinic streams in pieces."""
CSV_COLUMNS = (
    "clinic_id",
    "patient_id",
    "patient_reference",
    "kind",
    "entry_id",
    "date",
    "details",
    "plan_version",
    "recorded_by",
    "recorded_at",
    "entered_in_error",
    "entered_in_error_at",
    "entered_in_error_by",
    "entered_in_error_reason",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: str) -> str:
    """A cell a spreadsheet will not run as a formula (OWASP CSV injection): a leading ``= + - @``,
    tab or carriage return gets a ``'`` in front."""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def patients_to_export(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    actor: str,
    output: str,
    patient_id: str | None = None,
    clinic_id: str | None = None,
) -> list[PatientRecord]:
    """The patient, or every patient of the clinic (RecordNotFoundError naming ``patient`` or
    ``clinic`` for an unknown id); exactly one of the two must be given. The export is audited
    (``record.export``: who, which patient or clinic, which format, how many patients)."""
    if (patient_id is None) == (clinic_id is None):
        raise InputError("--patient", "give a patient id (--patient) or a clinic id (--clinic), not both")
    with uow_factory() as uow:
        if patient_id is not None:
            found = [uow.patients.get(patient_id)]
            entity, entity_id = "patient", patient_id
        else:
            entity, entity_id = "clinic", clinic_id or ""
            uow.clinics.get(entity_id)
            found = uow.patients.list_for_clinic(entity_id)
        detail: AuditDetail = {"format": output, "patients": len(found)}
        uow.audit.append(AuditEntry(new_id(), clock(), actor, "record.export", entity, entity_id, detail))
        uow.commit()
    return found


def audit_recall_export(
    uow_factory: UnitOfWorkFactory,
    clock: Clock,
    *,
    actor: str,
    clinic_ids: Sequence[str],
    detail: AuditDetail,
) -> None:
    """Audit a download of the recall list (names, references and dates of the patients on it) as an
    export of each clinic it covers (``record.export``, entity ``clinic``), as every export is."""
    with uow_factory() as uow:
        for clinic_id in clinic_ids:
            entry = AuditEntry(new_id(), clock(), actor, "record.export", "clinic", clinic_id, dict(detail))
            uow.audit.append(entry)
        uow.commit()


@dataclass(frozen=True, slots=True)
class _Row:
    kind: str
    entry_id: str
    date: dt.date
    details: dict[str, Any]
    recorded_by: str
    recorded_at: dt.datetime
    mark: EnteredInError | None
    plan_version: int | None = None


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    return str(value)


def _details(**fields: object) -> dict[str, Any]:
    """The entry's fields that are set, as JSON-ready values (decimals as their exact text)."""
    return {
        name: value if isinstance(value, int | dict) else str(value)
        for name, value in fields.items()
        if value is not None
    }


def _patient_row(p: PatientRecord) -> _Row:
    details = _details(name=p.name, birth_date=p.birth_date.isoformat(), sex=p.sex)
    return _Row("patient", p.id, p.created_at.date(), details, p.created_by, p.created_at, p.entered_in_error)


def _plan_row(v: PlanVersionRecord) -> _Row:
    details = _details(
        version=v.version,
        pack=f"{v.pack_id} {v.pack_version}",
        maintenance_interval=v.maintenance_interval,
        interval_reason=v.interval_reason,
        review_id=v.review_id,
        case=json.loads(v.case_json),
    )
    return _Row("plan_version", v.id, v.created_at.date(), details, v.created_by, v.created_at,
                v.entered_in_error, v.version)  # fmt: skip


def _dose_row(d: DoseRecord) -> _Row:
    details = _details(
        status=d.status,
        drug=d.drug,
        product=d.product,
        dose=d.dose,
        unit=d.dose_unit,
        route=d.route,
        site=d.site,
        lot=d.lot,
        given_by=d.given_by,
        source=d.source,
        not_done_reason=d.not_done_reason,
    )
    return _Row("dose", d.id, d.date, details, d.recorded_by, d.recorded_at, d.entered_in_error)


def _lab_row(x: LabRecord) -> _Row:
    details = _details(test=x.test, value=x.value, unit=x.unit)
    return _Row("lab", x.id, x.date, details, x.recorded_by, x.recorded_at, x.entered_in_error)


def _symptoms_row(c: SymptomCheckRecord) -> _Row:
    details = _details(overall=c.overall, scores=dict(c.scores))
    return _Row("symptoms", c.id, c.date, details, c.recorded_by, c.recorded_at, c.entered_in_error)


def _review_row(r: ReviewRecord) -> _Row:
    details = _details(decision=r.decision, new_interval=r.new_interval, note=r.note or None)
    return _Row("review", r.id, r.date, details, r.reviewed_by, r.recorded_at, r.entered_in_error)


def _in_force(versions: Sequence[PlanVersionRecord], at: dt.datetime) -> int | None:
    """The plan version in force at ``at``: the highest one recorded by then and not entered in error."""
    found = [v.version for v in versions if v.created_at <= at and v.entered_in_error is None]
    return max(found, default=None)


def _patient_rows(uow: UnitOfWork, patients: Sequence[PatientRecord]) -> Iterator[tuple[PatientRecord, _Row]]:
    ids = [p.id for p in patients]
    plans = uow.plans.list_for_many(ids)
    doses, labs = uow.doses.list_for_many(ids), uow.labs.list_for_many(ids)
    checks, reviews = uow.symptom_checks.list_for_many(ids), uow.reviews.list_for_many(ids)
    for patient in patients:
        versions = plans.get(patient.id, [])
        entries = [
            *(_plan_row(v) for v in versions),
            *(_dose_row(d) for d in doses.get(patient.id, [])),
            *(_lab_row(x) for x in labs.get(patient.id, [])),
            *(_symptoms_row(c) for c in checks.get(patient.id, [])),
            *(_review_row(r) for r in reviews.get(patient.id, [])),
        ]
        entries.sort(key=lambda row: (row.date, row.recorded_at, row.kind, row.entry_id))
        yield patient, _patient_row(patient)
        for entry in entries:
            in_force = entry.plan_version or _in_force(versions, entry.recorded_at)
            yield patient, replace(entry, plan_version=in_force)


def _cells(patient: PatientRecord, row: _Row) -> list[str]:
    mark = row.mark
    cells = [
        patient.clinic_id,
        patient.id,
        patient.reference,
        row.kind,
        row.entry_id,
        _text(row.date),
        json.dumps(row.details, ensure_ascii=False, sort_keys=True),
        _text(row.plan_version),
        row.recorded_by,
        _text(row.recorded_at),
        "yes" if mark is not None else "no",
        _text(mark.at if mark else None),
        mark.by if mark else "",
        mark.reason if mark else "",
    ]
    return [spreadsheet_safe(cell) for cell in cells]


def csv_chunks(uow_factory: UnitOfWorkFactory, patients: Sequence[PatientRecord]) -> Iterator[str]:
    """The CSV text (RFC 4180, CRLF line ends, header first) in pieces: one per batch of patients."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for start in range(0, len(patients), BATCH):
        with uow_factory(read_only=True) as uow:
            for patient, row in _patient_rows(uow, patients[start : start + BATCH]):
                writer.writerow(_cells(patient, row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
