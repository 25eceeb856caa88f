"""SQL repositories of the entries of a treatment record: doses, labs, symptom checks and reviews.

Every write appends an audit entry in the same transaction; nothing issues a DELETE. Entries marked
entered-in-error stay and are returned with their mark.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import RowMapping

from b12care.adapters.db._statements import execute, upsert_statement, write_audit
from b12care.adapters.db._stores import EntryStore, audit_values, insert_many, mark_of
from b12care.adapters.db.tables import (
    doses,
    labs,
    reviews,
    symptom_checks,
)
from b12care.application.records import (
    SYMPTOMS,
    AuditDetail,
    DoseRecord,
    LabRecord,
    ReviewRecord,
    SymptomCheckRecord,
)
from b12care.domain.errors import RecordNotFoundError

__all__ = ["SqlDoseRepository", "SqlLabRepository", "SqlReviewRepository", "SqlSymptomCheckRepository"]


class SqlDoseRepository(EntryStore[DoseRecord]):
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
            entered_in_error=mark_of(row),
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
            audit_values(r, "dose.add", {"patient_id": r.patient_id, "idempotency_key": r.idempotency_key})
            for r in records
        ]
        insert_many(self._connection, doses, [self._values(r) for r in records], audits)


class SqlLabRepository(EntryStore[LabRecord]):
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
        audits = [audit_values(r, "lab.add", self._owner(r)) for r in records]
        insert_many(self._connection, labs, [self._columns(r) for r in records], audits)


class SqlSymptomCheckRepository(EntryStore[SymptomCheckRecord]):
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
            entered_in_error=mark_of(row),
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


class SqlReviewRepository(EntryStore[ReviewRecord]):
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
