"""Fake repositories of a patient's entries - plan versions, doses, labs, symptom checks, reviews - over
the fake store's dicts, ordered as the SQL repositories order them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any, Generic, TypeVar

from fake_store import Working, audit_write

from b12care.application.records import (
    AuditDetail,
    DoseRecord,
    EnteredInError,
    LabRecord,
    PlanVersionRecord,
    ReviewRecord,
    SymptomCheckRecord,
)
from b12care.domain.errors import AlreadyEnteredInError, ConstraintError, RecordNotFoundError

__all__ = ["FakeDoses", "FakeEntries", "FakeLabs", "FakePlans"]

R = TypeVar("R", DoseRecord, LabRecord, SymptomCheckRecord, ReviewRecord, PlanVersionRecord)


def _recorded(record: Any) -> tuple[dt.datetime, str]:
    """When and by whom an entry was recorded (the field names differ per record type)."""
    if isinstance(record, PlanVersionRecord):
        return record.created_at, record.created_by
    if isinstance(record, ReviewRecord):
        return record.recorded_at, record.reviewed_by
    return record.recorded_at, record.recorded_by


class FakeEntries(Generic[R]):
    """One kind of patient entry in a dict: add, get, list (by date, recording time, id), mark."""

    def __init__(
        self, uow: Working, table: str, entity: str, owner: Callable[[R], AuditDetail] | None = None
    ) -> None:
        self._uow = uow
        self._table = table
        self.entity = entity
        self._owner: Callable[[R], AuditDetail] = owner or (lambda record: {"patient_id": record.patient_id})

    def rows(self) -> dict[str, R]:
        """The table of the unit of work's working copy."""
        rows: dict[str, R] = getattr(self._uow.work, self._table)
        return rows

    def _order(self, record: R) -> tuple[Any, ...]:
        if isinstance(record, PlanVersionRecord):
            return (record.version,)
        return (record.date, _recorded(record)[0], record.id)

    def add(self, record: R) -> R:
        if record.patient_id not in self._uow.work.patients:
            raise ConstraintError(f"no patient {record.patient_id}")
        self._insert(record, self._owner(record))
        return record

    def _insert(self, record: R, detail: AuditDetail) -> None:
        self.rows()[record.id] = record
        at, actor = _recorded(record)
        audit_write(
            self._uow.work,
            at=at,
            actor=actor,
            action=f"{self.entity}.add",
            entity=self.entity,
            entity_id=record.id,
            detail=detail,
        )

    def get(self, record_id: str) -> R:
        found = self.rows().get(record_id)
        if found is None:
            raise RecordNotFoundError(self.entity, record_id)
        return found

    def list_for(self, patient_id: str) -> list[R]:
        return self.list_for_many([patient_id]).get(patient_id, [])

    def list_for_many(self, patient_ids: Collection[str]) -> dict[str, list[R]]:
        wanted = set(patient_ids)
        found: dict[str, list[R]] = {}
        for record in sorted(self.rows().values(), key=self._order):
            if record.patient_id in wanted:
                found.setdefault(record.patient_id, []).append(record)
        return found

    def mark_entered_in_error(self, record_id: str, mark: EnteredInError) -> R:
        record = self.get(record_id)
        if record.entered_in_error is not None:
            raise AlreadyEnteredInError(self.entity, record_id)
        marked = replace(record, entered_in_error=mark)
        self.rows()[record_id] = marked
        audit_write(
            self._uow.work,
            at=mark.at,
            actor=mark.by,
            action=f"{self.entity}.entered_in_error",
            entity=self.entity,
            entity_id=record_id,
            detail=self._owner(record),
        )
        return marked


class FakePlans(FakeEntries[PlanVersionRecord]):
    """Plan versions: one per (patient, version)."""

    def __init__(self, uow: Working) -> None:
        super().__init__(
            uow,
            "plans",
            "plan_version",
            lambda r: {"patient_id": r.patient_id, "version": r.version, "review_id": r.review_id},
        )

    def add(self, record: PlanVersionRecord) -> PlanVersionRecord:
        if any(v.version == record.version for v in self.list_for(record.patient_id)):
            raise ConstraintError(f"plan version {record.version} of {record.patient_id} exists")
        return super().add(record)

    def latest(self, patient_id: str) -> PlanVersionRecord | None:
        return self.latest_many([patient_id]).get(patient_id)

    def latest_many(self, patient_ids: Collection[str]) -> dict[str, PlanVersionRecord]:
        return {
            patient_id: kept[-1]
            for patient_id, versions in self.list_for_many(patient_ids).items()
            if (kept := [v for v in versions if v.entered_in_error is None])
        }


class FakeDoses(FakeEntries[DoseRecord]):
    """Doses, idempotent per (patient, idempotency key)."""

    def __init__(self, uow: Working) -> None:
        super().__init__(uow, "doses", "dose")

    def add(self, record: DoseRecord) -> DoseRecord:
        key = record.idempotency_key
        if key is None:
            return super().add(record)
        for stored in self.list_for(record.patient_id):
            if stored.idempotency_key == key:
                return stored
        if record.patient_id not in self._uow.work.patients:
            raise ConstraintError(f"no patient {record.patient_id}")
        self._insert(record, {"patient_id": record.patient_id, "idempotency_key": key})
        return record

    def add_many(self, records: Sequence[DoseRecord]) -> None:
        for record in records:
            if record.idempotency_key is not None and any(
                d.idempotency_key == record.idempotency_key for d in self.list_for(record.patient_id)
            ):
                raise ConstraintError(f"dose key {record.idempotency_key} exists")
            self._insert(record, {"patient_id": record.patient_id, "idempotency_key": record.idempotency_key})


class FakeLabs(FakeEntries[LabRecord]):
    """Laboratory results (one per (patient, idempotency key) where a key is given)."""

    def __init__(self, uow: Working) -> None:
        super().__init__(uow, "labs", "lab")

    def add_many(self, records: Sequence[LabRecord]) -> None:
        for record in records:
            if record.idempotency_key is not None and any(
                x.idempotency_key == record.idempotency_key for x in self.list_for(record.patient_id)
            ):
                raise ConstraintError(f"lab key {record.idempotency_key} exists")
            self.add(record)
