"""The fake store: every table as a dict, and the fake repositories of clinics, patients, the audit log and
stored forecasts (entries are :mod:`fake_entries`). Each repository reads the working copy of its unit of
work, and each write appends the audit entry the SQL repository writes (same action, entity, detail ids).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from b12care.application.records import (
    AuditDetail,
    AuditEntry,
    ClinicRecord,
    DoseRecord,
    EnteredInError,
    LabRecord,
    PatientRecord,
    PlanVersionRecord,
    RecallEntry,
    ReviewRecord,
    StoredForecast,
    SymptomCheckRecord,
    new_id,
)
from b12care.domain.errors import AlreadyEnteredInError, ConstraintError, RecordNotFoundError
from b12care.domain.recall import urgency

__all__ = ["FakeAudit", "FakeClinics", "FakeForecasts", "FakePatients", "FakeStore", "Working", "audit_write"]

_NO_DUE_DATE = dt.date(9999, 12, 31)


@dataclass
class FakeStore:
    """Every table as a dict by id (the audit log as a list); ``copy()`` is a snapshot."""

    clinics: dict[str, ClinicRecord] = field(default_factory=dict)
    patients: dict[str, PatientRecord] = field(default_factory=dict)
    plans: dict[str, PlanVersionRecord] = field(default_factory=dict)
    doses: dict[str, DoseRecord] = field(default_factory=dict)
    labs: dict[str, LabRecord] = field(default_factory=dict)
    symptom_checks: dict[str, SymptomCheckRecord] = field(default_factory=dict)
    reviews: dict[str, ReviewRecord] = field(default_factory=dict)
    forecasts: dict[str, StoredForecast] = field(default_factory=dict)
    stamps: dict[str, dt.datetime] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)

    def copy(self) -> FakeStore:
        """A snapshot: new dicts and list holding the same frozen records."""
        return FakeStore(
            dict(self.clinics),
            dict(self.patients),
            dict(self.plans),
            dict(self.doses),
            dict(self.labs),
            dict(self.symptom_checks),
            dict(self.reviews),
            dict(self.forecasts),
            dict(self.stamps),
            list(self.audit),
        )


class Working(Protocol):
    """A unit of work as its repositories see it: the working copy of the store."""

    work: FakeStore


def audit_write(
    store: FakeStore,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: AuditDetail,
) -> None:
    store.audit.append(AuditEntry(new_id(), at, actor, action, entity, entity_id, detail))


class FakeClinics:
    """Clinics in a dict."""

    def __init__(self, uow: Working) -> None:
        self._uow = uow

    def add(self, clinic: ClinicRecord) -> ClinicRecord:
        store = self._uow.work
        store.clinics[clinic.id] = clinic
        audit_write(
            store,
            at=clinic.created_at,
            actor=clinic.created_by,
            action="clinic.add",
            entity="clinic",
            entity_id=clinic.id,
            detail={},
        )
        return clinic

    def get(self, clinic_id: str) -> ClinicRecord:
        found = self._uow.work.clinics.get(clinic_id)
        if found is None:
            raise RecordNotFoundError("clinic", clinic_id)
        return found


class FakePatients:
    """Patients in a dict; ``claim`` is ``get`` (one process, no other writer)."""

    def __init__(self, uow: Working) -> None:
        self._uow = uow

    def add(self, patient: PatientRecord) -> PatientRecord:
        store = self._uow.work
        if patient.clinic_id not in store.clinics:
            raise ConstraintError(f"no clinic {patient.clinic_id}")
        store.patients[patient.id] = patient
        detail: AuditDetail = {"clinic_id": patient.clinic_id}
        audit_write(
            store,
            at=patient.created_at,
            actor=patient.created_by,
            action="patient.add",
            entity="patient",
            entity_id=patient.id,
            detail=detail,
        )
        return patient

    def get(self, patient_id: str) -> PatientRecord:
        found = self._uow.work.patients.get(patient_id)
        if found is None:
            raise RecordNotFoundError("patient", patient_id)
        return found

    def claim(self, patient_id: str) -> PatientRecord:
        return self.get(patient_id)

    def list_for_clinic(self, clinic_id: str) -> list[PatientRecord]:
        found = [p for p in self._uow.work.patients.values() if p.clinic_id == clinic_id]
        return sorted(found, key=lambda p: (p.created_at, p.reference, p.id))

    def get_many(self, patient_ids: Collection[str]) -> list[PatientRecord]:
        patients = self._uow.work.patients
        return [patients[i] for i in sorted(set(patient_ids)) if i in patients]

    def all_ids(self, clinic_id: str | None = None) -> list[str]:
        return sorted(
            p.id
            for p in self._uow.work.patients.values()
            if p.entered_in_error is None and clinic_id in (None, p.clinic_id)
        )

    def mark_entered_in_error(self, patient_id: str, mark: EnteredInError) -> PatientRecord:
        store = self._uow.work
        patient = self.get(patient_id)
        if patient.entered_in_error is not None:
            raise AlreadyEnteredInError("patient", patient_id)
        store.patients[patient_id] = patient = replace(patient, entered_in_error=mark)
        if patient_id in store.forecasts:  # off every recall list, as the SQL repository clears it
            store.forecasts[patient_id] = replace(store.forecasts[patient_id], timeline=())
        audit_write(
            store,
            at=mark.at,
            actor=mark.by,
            action="patient.entered_in_error",
            entity="patient",
            entity_id=patient_id,
            detail={"clinic_id": patient.clinic_id},
        )
        return patient


class FakeAudit:
    """The audit log as a list."""

    def __init__(self, uow: Working) -> None:
        self._uow = uow

    def append(self, entry: AuditEntry) -> None:
        self._uow.work.audit.append(entry)

    def for_entity(self, entity: str, entity_id: str) -> list[AuditEntry]:
        return [e for e in self._uow.work.audit if (e.entity, e.entity_id) == (entity, entity_id)]

    def since(self, at: dt.datetime, limit: int = 1000) -> list[AuditEntry]:
        return [e for e in self._uow.work.audit if e.at >= at][:limit]


class FakeForecasts:
    """Stored forecasts by patient; the recall list read from their timelines as the SQL one is."""

    def __init__(self, uow: Working) -> None:
        self._uow = uow

    def save(self, forecast: StoredForecast, *, actor: str, at: dt.datetime) -> None:
        self.save_many([forecast], actor=actor, at=at)

    def save_many(self, forecasts: Sequence[StoredForecast], *, actor: str, at: dt.datetime) -> None:
        store = self._uow.work
        for f in forecasts:
            store.forecasts[f.patient_id] = f
            store.stamps[f.patient_id] = at
            detail: AuditDetail = {
                "clinic_id": f.clinic_id,
                "status": f.status,
                "due": None if f.due is None else f.due.isoformat(),
            }
            audit_write(
                store,
                at=at,
                actor=actor,
                action="forecast.save",
                entity="forecast",
                entity_id=f.patient_id,
                detail=detail,
            )

    def stamps(self, patient_ids: Collection[str]) -> dict[str, dt.datetime | None]:
        store = self._uow.work
        return {
            i: store.stamps.get(i)
            for i in patient_ids
            if i in store.patients and store.patients[i].entered_in_error is None
        }

    def get(self, patient_id: str) -> StoredForecast | None:
        return self._uow.work.forecasts.get(patient_id)

    def count_recall(
        self, clinic_ids: Collection[str] | None, as_of: dt.date, due_by: dt.date
    ) -> dict[str, int]:
        raise NotImplementedError("count_recall: no use case on the fakes needs it yet")

    def recall(
        self,
        clinic_ids: Collection[str] | None,
        statuses: Collection[str] | None,
        as_of: dt.date,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RecallEntry]:
        store = self._uow.work
        lines: list[RecallEntry] = []
        for forecast in store.forecasts.values():
            patient = store.patients[forecast.patient_id]
            for span in forecast.timeline:
                if not span.valid_from <= as_of < span.valid_to:
                    continue
                if clinic_ids is not None and forecast.clinic_id not in clinic_ids:
                    continue
                if statuses is not None and span.status not in statuses:
                    continue
                lines.append(
                    RecallEntry(
                        patient.id,
                        forecast.clinic_id,
                        patient.reference,
                        patient.name,
                        span.status,
                        urgency(span.status, span.flags),
                        span.earliest,
                        span.due,
                        span.overdue,
                        span.flags,
                        forecast.pack_id,
                        forecast.pack_version,
                    )
                )
        lines.sort(key=lambda e: (e.urgency, e.due or _NO_DUE_DATE, e.patient_id))
        return lines[offset : offset + limit]
