"""SQL repositories of clinics, patients and plan versions (the application's ports, on one connection and
transaction); the entry kinds are in ``entry_repositories``.

Every write appends an audit entry in the same transaction; nothing issues a DELETE. Entries marked
entered-in-error stay and are returned with their mark.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import Connection, delete, select

from b12care.adapters.db._statements import execute, write_audit
from b12care.adapters.db._stores import MarkableStore, by_patient
from b12care.adapters.db.tables import (
    clinics,
    patients,
    plan_versions,
    recall_timeline,
)
from b12care.application.records import (
    AuditDetail,
    ClinicRecord,
    EnteredInError,
    PatientRecord,
    PlanVersionRecord,
)
from b12care.domain.errors import RecordNotFoundError

__all__ = ["SqlClinicRepository", "SqlPatientRepository", "SqlPlanVersionRepository"]


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


class SqlPatientRepository(MarkableStore[PatientRecord]):
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


class SqlPlanVersionRepository(MarkableStore[PlanVersionRecord]):
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
        return by_patient(
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
