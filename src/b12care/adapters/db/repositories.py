"""SQL repositories of the treatment record (the service's ports, on one connection and transaction).

Every write appends an audit entry in the same transaction; nothing issues a DELETE. Entries marked
entered-in-error stay and are returned with their mark.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Collection, Sequence
from dataclasses import fields
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from sqlalchemy import Connection, RowMapping, Table, delete, select, update
from sqlalchemy.sql.elements import ColumnElement

from b12care.adapters.db._statements import execute, upsert_statement, write_audit
from b12care.adapters.db.tables import (
    audit_log,
    clinics,
    doses,
    labs,
    patients,
    plan_versions,
    recall_timeline,
    reviews,
    symptom_checks,
)
from b12care.application.ports import AlreadyEnteredInError, RecordNotFoundError
from b12care.application.records import (
    SYMPTOMS,
    AuditDetail,
    ClinicRecord,
    DoseRecord,
    EnteredInError,
    LabRecord,
    PatientRecord,
    PlanVersionRecord,
    ReviewRecord,
    SymptomCheckRecord,
    new_id,
)

__all__ = [
    "SqlClinicRepository",
    "SqlDoseRepository",
    "SqlLabRepository",
    "SqlPatientRepository",
    "SqlPlanVersionRepository",
    "SqlReviewRepository",
    "SqlSymptomCheckRepository",
]

R = TypeVar("R")


class _OfPatient(Protocol):
    @property
    def patient_id(self) -> str: ...


E = TypeVar("E", bound=_OfPatient)


def _by_patient(records: list[E]) -> dict[str, list[E]]:
    """Records grouped by patient, each group in the given order."""
    found: dict[str, list[E]] = {}
    for record in records:
        found.setdefault(record.patient_id, []).append(record)
    return found


def _mark_of(row: RowMapping) -> EnteredInError | None:
    if row["entered_in_error_at"] is None:
        return None
    return EnteredInError(
        row["entered_in_error_at"], row["entered_in_error_by"], row["entered_in_error_reason"]
    )


def _audit_values(record: DoseRecord | LabRecord, action: str, detail: AuditDetail) -> dict[str, Any]:
    """The audit row of one added entry, as ``write_audit`` writes it."""
    entity = action.partition(".")[0]
    return {
        "id": new_id(),
        "at": record.recorded_at,
        "actor": record.recorded_by,
        "action": action,
        "entity": entity,
        "entity_id": record.id,
        "detail": dict(detail),
    }


def _insert_many(
    connection: Connection, table: Table, rows: list[dict[str, Any]], audits: list[dict[str, Any]]
) -> None:
    """Insert the rows and their audit rows: one executemany each (nothing for no rows)."""
    if rows:
        execute(connection, table.insert(), rows)
        execute(connection, audit_log.insert(), audits)


def _mark_values(mark: EnteredInError) -> dict[str, Any]:
    return {
        "entered_in_error_at": mark.at,
        "entered_in_error_by": mark.by,
        "entered_in_error_reason": mark.reason,
    }


class SqlClinicRepository:
    """Clinics."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def add(self, clinic: ClinicRecord) -> ClinicRecord:
        """Store a new clinic and audit it."""
        execute(
            self._connection,
            clinics.insert().values(
                id=clinic.id, name=clinic.name, created_at=clinic.created_at, created_by=clinic.created_by
            ),
        )
        write_audit(
            self._connection,
            at=clinic.created_at,
            actor=clinic.created_by,
            action="clinic.add",
            entity="clinic",
            entity_id=clinic.id,
            detail={},
        )
        return clinic

    def get(self, clinic_id: str) -> ClinicRecord:
        """The clinic; RecordNotFoundError when there is none."""
        row = self._connection.execute(select(clinics).where(clinics.c.id == clinic_id)).mappings().first()
        if row is None:
            raise RecordNotFoundError("clinic", clinic_id)
        return ClinicRecord(row["id"], row["name"], row["created_at"], row["created_by"])


class _MarkableStore(ABC, Generic[R]):
    """Shared SQL for tables whose rows can be marked entered-in-error."""

    table: ClassVar[Table]
    entity: ClassVar[str]
    record_type: ClassVar[type[Any]]

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _from_row(self, row: RowMapping) -> R:
        """The record of one row: its fields by column name, plus the entered-in-error mark."""
        values = {f.name: row[f.name] for f in fields(self.record_type) if f.name != "entered_in_error"}
        return cast("R", self.record_type(**values, entered_in_error=_mark_of(row)))

    @staticmethod
    def _columns(record: Any) -> dict[str, Any]:
        """The record's fields as column values (the entered-in-error mark has columns of its own)."""
        return {f.name: getattr(record, f.name) for f in fields(record) if f.name != "entered_in_error"}

    @abstractmethod
    def _owner(self, record: R) -> AuditDetail:
        """The ids the audit entry names (never a patient's name)."""

    def _insert(self, values: dict[str, Any], *, at: dt.datetime, actor: str, detail: AuditDetail) -> None:
        execute(self._connection, self.table.insert().values(**values))
        write_audit(
            self._connection,
            at=at,
            actor=actor,
            action=f"{self.entity}.add",
            entity=self.entity,
            entity_id=values["id"],
            detail=detail,
        )

    def _select(self, *where: ColumnElement[bool], order_by: tuple[Any, ...] = ()) -> list[R]:
        statement = select(self.table).where(*where).order_by(*order_by)
        return [self._from_row(row) for row in self._connection.execute(statement).mappings()]

    def get(self, record_id: str) -> R:
        """The stored record; RecordNotFoundError when there is none."""
        found = self._select(self.table.c.id == record_id)
        if not found:
            raise RecordNotFoundError(self.entity, record_id)
        return found[0]

    def mark_entered_in_error(self, record_id: str, mark: EnteredInError) -> R:
        """Keep the row, set who/when/why and audit it; AlreadyEnteredInError when it already is."""
        table = self.table
        result = execute(
            self._connection,
            update(table)
            .where(table.c.id == record_id, table.c.entered_in_error_at.is_(None))
            .values(**_mark_values(mark)),
        )
        record = self.get(record_id)
        if result.rowcount == 0:
            raise AlreadyEnteredInError(self.entity, record_id)
        write_audit(
            self._connection,
            at=mark.at,
            actor=mark.by,
            action=f"{self.entity}.entered_in_error",
            entity=self.entity,
            entity_id=record_id,
            detail=self._owner(record),
        )
        return record


class SqlPatientRepository(_MarkableStore[PatientRecord]):
    """Patients, each of one clinic."""

    table = patients
    entity = "patient"
    record_type = PatientRecord

    def _owner(self, record: PatientRecord) -> AuditDetail:
        return {"clinic_id": record.clinic_id}

    def add(self, patient: PatientRecord) -> PatientRecord:
        """Store a new patient (ConstraintError for an unknown clinic)."""
        values = self._columns(patient)
        self._insert(values, at=patient.created_at, actor=patient.created_by, detail=self._owner(patient))
        return patient

    def claim(self, patient_id: str) -> PatientRecord:
        """The patient, held against other writers until the transaction ends. PostgreSQL: ``SELECT ...
        FOR NO KEY UPDATE`` (it does not conflict with the key-share locks that inserting an entry takes
        on its patient, so no deadlock); SQLite: a plain read - its writers queue on ``BEGIN IMMEDIATE``."""
        statement = select(patients).where(patients.c.id == patient_id).with_for_update(key_share=True)
        row = self._connection.execute(statement).mappings().first()
        if row is None:
            raise RecordNotFoundError(self.entity, patient_id)
        return self._from_row(row)

    def list_for_clinic(self, clinic_id: str) -> list[PatientRecord]:
        """The clinic's patients by creation time, then their reference."""
        c = patients.c
        return self._select(c.clinic_id == clinic_id, order_by=(c.created_at, c.reference, c.id))

    def get_many(self, patient_ids: Collection[str]) -> list[PatientRecord]:
        """The patients with these ids (unknown ids are left out), in id order."""
        c = patients.c
        return self._select(c.id.in_(list(patient_ids)), order_by=(c.id,))

    def mark_entered_in_error(self, record_id: str, mark: EnteredInError) -> PatientRecord:
        """Mark the patient entered-in-error and take them off every recall list (their recall
        timeline, a cache of the forecast, is cleared in the same transaction)."""
        record = super().mark_entered_in_error(record_id, mark)
        execute(self._connection, delete(recall_timeline).where(recall_timeline.c.patient_id == record_id))
        return record

    def all_ids(self, clinic_id: str | None = None) -> list[str]:
        """Every patient id not marked entered-in-error (of one clinic when given), in id order."""
        c = patients.c
        statement = select(c.id).where(c.entered_in_error_at.is_(None)).order_by(c.id)
        if clinic_id is not None:
            statement = statement.where(c.clinic_id == clinic_id)
        return list(self._connection.execute(statement).scalars())


class _EntryStore(_MarkableStore[E]):
    """Patient-level entries listed by date, then recording time."""

    def _owner(self, record: E) -> AuditDetail:
        return {"patient_id": record.patient_id}

    def list_for(self, patient_id: str) -> list[E]:
        """The patient's entries oldest first, marked ones included."""
        return self.list_for_many([patient_id]).get(patient_id, [])

    def list_for_many(self, patient_ids: Collection[str]) -> dict[str, list[E]]:
        """Each patient's entries oldest first, marked ones included: one query for all of them."""
        c = self.table.c
        return _by_patient(
            self._select(c.patient_id.in_(list(patient_ids)), order_by=(c.date, c.recorded_at, c.id))
        )


class SqlPlanVersionRepository(_MarkableStore[PlanVersionRecord]):
    """Plan versions, one row per version (the unique (patient, version) refuses a duplicate)."""

    table = plan_versions
    entity = "plan_version"
    record_type = PlanVersionRecord

    def _owner(self, record: PlanVersionRecord) -> AuditDetail:
        return {"patient_id": record.patient_id, "version": record.version, "review_id": record.review_id}

    def add(self, record: PlanVersionRecord) -> PlanVersionRecord:
        """Store a new plan version (ConstraintError when that version number exists)."""
        values = self._columns(record)
        self._insert(values, at=record.created_at, actor=record.created_by, detail=self._owner(record))
        return record

    def list_for(self, patient_id: str) -> list[PlanVersionRecord]:
        """Every version of the patient's plan, by version number."""
        return self.list_for_many([patient_id]).get(patient_id, [])

    def list_for_many(self, patient_ids: Collection[str]) -> dict[str, list[PlanVersionRecord]]:
        """Every version of each patient's plan, by version number: one query for all of them."""
        return _by_patient(
            self._select(
                plan_versions.c.patient_id.in_(list(patient_ids)), order_by=(plan_versions.c.version,)
            )
        )

    def latest(self, patient_id: str) -> PlanVersionRecord | None:
        """The highest version not marked entered-in-error, or None."""
        c = plan_versions.c
        statement = (
            select(plan_versions)
            .where(c.patient_id == patient_id, c.entered_in_error_at.is_(None))
            .order_by(c.version.desc())
            .limit(1)
        )
        row = self._connection.execute(statement).mappings().first()
        return None if row is None else self._from_row(row)

    def latest_many(self, patient_ids: Collection[str]) -> dict[str, PlanVersionRecord]:
        """Each patient's highest version not marked entered-in-error (patients without one left out)."""
        c = plan_versions.c
        found: dict[str, PlanVersionRecord] = {}
        for record in self._select(
            c.patient_id.in_(list(patient_ids)), c.entered_in_error_at.is_(None), order_by=(c.version,)
        ):
            found[record.patient_id] = record
        return found


class SqlDoseRepository(_EntryStore[DoseRecord]):
    """Administered doses, idempotent per (patient, idempotency key)."""

    table = doses
    entity = "dose"
    record_type = DoseRecord

    def _from_row(self, row: RowMapping) -> DoseRecord:
        return DoseRecord(
            id=row["id"],
            patient_id=row["patient_id"],
            date=row["date"],
            drug=row["drug"],
            product=row["product"],
            dose=row["dose_value"],
            dose_unit=row["dose_unit"],
            route=row["route"],
            site=row["site"],
            lot=row["lot"],
            given_by=row["given_by"],
            source=row["source"],
            status=row["status"],
            not_done_reason=row["not_done_reason"],
            idempotency_key=row["idempotency_key"],
            recorded_by=row["recorded_by"],
            recorded_at=row["recorded_at"],
            entered_in_error=_mark_of(row),
        )

    def _by_key(self, patient_id: str, key: str) -> DoseRecord | None:
        found = self._select(doses.c.patient_id == patient_id, doses.c.idempotency_key == key)
        return found[0] if found else None

    @staticmethod
    def _values(record: DoseRecord) -> dict[str, Any]:
        return {
            "id": record.id,
            "patient_id": record.patient_id,
            "date": record.date,
            "drug": record.drug,
            "product": record.product,
            "dose_value": record.dose,
            "dose_unit": record.dose_unit,
            "route": record.route,
            "site": record.site,
            "lot": record.lot,
            "given_by": record.given_by,
            "source": record.source,
            "status": record.status,
            "not_done_reason": record.not_done_reason,
            "idempotency_key": record.idempotency_key,
            "recorded_by": record.recorded_by,
            "recorded_at": record.recorded_at,
        }

    def add(self, record: DoseRecord) -> DoseRecord:
        """Store the dose and audit it; with a known idempotency key return the stored dose instead."""
        values = self._values(record)
        key = record.idempotency_key
        if key is None:
            self._insert(values, at=record.recorded_at, actor=record.recorded_by, detail=self._owner(record))
            return record
        stored = self._by_key(record.patient_id, key)
        if stored is not None:
            return stored
        # A concurrent transaction may insert the same key between the look-up and here: let the
        # unique constraint decide, without an error, and return whichever row won.
        statement = (
            upsert_statement(self._connection, doses)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["patient_id", "idempotency_key"])
            .returning(doses.c.id)
        )
        # RETURNING, not rowcount: drivers need not report a row count for INSERT (psycopg says -1).
        if execute(self._connection, statement).first() is None:
            stored = self._by_key(record.patient_id, key)
            if stored is None:  # pragma: no cover - the conflicting row is committed by now
                raise RecordNotFoundError(self.entity, key)
            return stored
        write_audit(
            self._connection,
            at=record.recorded_at,
            actor=record.recorded_by,
            action="dose.add",
            entity="dose",
            entity_id=record.id,
            detail={"patient_id": record.patient_id, "idempotency_key": key},
        )
        return record

    def add_many(self, records: Sequence[DoseRecord]) -> None:
        """Store new doses and audit each, one INSERT per table for the lot (an import): the caller has
        matched their keys under the patient's claim; a key stored meanwhile is a ConstraintError."""
        audits = [
            _audit_values(r, "dose.add", {"patient_id": r.patient_id, "idempotency_key": r.idempotency_key})
            for r in records
        ]
        _insert_many(self._connection, doses, [self._values(r) for r in records], audits)


class SqlLabRepository(_EntryStore[LabRecord]):
    """Laboratory results (value kept as exact Decimal text)."""

    table = labs
    entity = "lab"
    record_type = LabRecord

    def add(self, record: LabRecord) -> LabRecord:
        """Store the result and audit it."""
        values = self._columns(record)
        self._insert(values, at=record.recorded_at, actor=record.recorded_by, detail=self._owner(record))
        return record

    def add_many(self, records: Sequence[LabRecord]) -> None:
        """Store new results and audit each, one INSERT per table for the lot (an import)."""
        audits = [_audit_values(r, "lab.add", self._owner(r)) for r in records]
        _insert_many(self._connection, labs, [self._columns(r) for r in records], audits)


class SqlSymptomCheckRepository(_EntryStore[SymptomCheckRecord]):
    """Symptom checks: one column per symptom, NULL when it was not asked about."""

    table = symptom_checks
    entity = "symptom_check"
    record_type = SymptomCheckRecord

    def _from_row(self, row: RowMapping) -> SymptomCheckRecord:
        return SymptomCheckRecord(
            id=row["id"],
            patient_id=row["patient_id"],
            date=row["date"],
            overall=row["overall"],
            recorded_by=row["recorded_by"],
            recorded_at=row["recorded_at"],
            scores={symptom: row[symptom] for symptom in SYMPTOMS if row[symptom] is not None},
            entered_in_error=_mark_of(row),
        )

    def add(self, record: SymptomCheckRecord) -> SymptomCheckRecord:
        """Store the check and audit it."""
        values: dict[str, Any] = {
            "id": record.id,
            "patient_id": record.patient_id,
            "date": record.date,
            "overall": record.overall,
            "recorded_by": record.recorded_by,
            "recorded_at": record.recorded_at,
        }
        values.update({symptom: record.scores.get(symptom) for symptom in SYMPTOMS})
        self._insert(values, at=record.recorded_at, actor=record.recorded_by, detail=self._owner(record))
        return record


class SqlReviewRepository(_EntryStore[ReviewRecord]):
    """Clinical reviews and their decision codes."""

    table = reviews
    entity = "review"
    record_type = ReviewRecord

    def _owner(self, record: ReviewRecord) -> AuditDetail:
        return {"patient_id": record.patient_id, "decision": record.decision}

    def add(self, record: ReviewRecord) -> ReviewRecord:
        """Store the review and audit it."""
        values = self._columns(record)
        self._insert(values, at=record.recorded_at, actor=record.reviewed_by, detail=self._owner(record))
        return record
