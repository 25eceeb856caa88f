"""The ``Services`` facade: the treatment-record use cases as methods, for faces not yet switched to
the functions; to be removed.

Each method builds the command (:mod:`b12care.application.commands`) and calls the use case function
of its capability (:mod:`~b12care.application.patients`, :mod:`~b12care.application.entries`,
:mod:`~b12care.application.reviews`, :mod:`~b12care.application.recall`,
:mod:`~b12care.application.recompute`, :mod:`~b12care.application.history`). New code calls those
functions; the names re-exported below keep the old imports working until their callers move.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from b12care.application import entries, patients, recall, recompute, reviews
from b12care.application.commands import (
    AddClinic,
    AddPatient,
    DoseInput,
    EntryKind,
    MarkEnteredInError,
    RecordDose,
    RecordLab,
    RecordReview,
    RecordSymptoms,
    check_dose,
)
from b12care.application.entries import dose_content, dose_record
from b12care.application.fields import MAX_DIGITS, TEXT_LIMITS, check_amount, check_code, check_storable
from b12care.application.history import (
    current_forecast,
    history_from,
    history_rows,
    load_history,
    refresh_forecast,
    stored_forecast,
)
from b12care.application.patients import PatientView
from b12care.application.ports import Clock, Deps, UnitOfWorkFactory
from b12care.application.records import (
    ClinicRecord,
    DoseRecord,
    LabRecord,
    PatientRecord,
    RecallEntry,
    ReviewRecord,
    SymptomCheckRecord,
)
from b12care.domain.history import Overall, ReviewDecision
from b12care.domain.vocabulary import Test

__all__ = [
    "MAX_DIGITS",
    "TEXT_LIMITS",
    "DoseInput",
    "EntryKind",
    "PatientView",
    "Services",
    "check_amount",
    "check_code",
    "check_dose",
    "check_storable",
    "current_forecast",
    "dose_content",
    "dose_record",
    "history_from",
    "load_history",
    "refresh_forecast",
    "stored_forecast",
]


@dataclass(frozen=True)
class Services:
    """The treatment-record use cases over one database and clock: a facade for faces not yet
    switched (each method builds the command and calls the use case function); to be removed."""

    uow: UnitOfWorkFactory
    clock: Clock

    @property
    def deps(self) -> Deps:
        """The ports the use case functions take."""
        return Deps(self.uow, self.clock)

    def today(self) -> dt.date:
        """The clock's date."""
        return self.clock().date()

    def add_clinic(self, name: str, actor: str) -> ClinicRecord:
        """:func:`~b12care.application.patients.add_clinic`."""
        return patients.add_clinic(AddClinic(name, actor), self.deps)

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
        """:func:`~b12care.application.patients.add_patient`."""
        command = AddPatient(
            clinic_id, reference, name, case_json, actor, maintenance_interval, interval_reason
        )
        return patients.add_patient(command, self.deps)

    def record_dose(self, patient_id: str, dose: DoseInput, actor: str) -> DoseRecord:
        """:func:`~b12care.application.entries.record_dose`."""
        return entries.record_dose(RecordDose.of(patient_id, dose, actor), self.deps)

    def record_lab(
        self, patient_id: str, *, test: Test, value: Decimal, unit: str, day: dt.date, actor: str
    ) -> LabRecord:
        """:func:`~b12care.application.entries.record_lab`."""
        return entries.record_lab(RecordLab(patient_id, test, value, unit, day, actor), self.deps)

    def record_symptoms(
        self, patient_id: str, day: dt.date, overall: Overall, scores: Mapping[str, int], actor: str
    ) -> SymptomCheckRecord:
        """:func:`~b12care.application.entries.record_symptoms`."""
        return entries.record_symptoms(RecordSymptoms(patient_id, day, overall, actor, scores), self.deps)

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
        """:func:`~b12care.application.reviews.record_review`."""
        command = RecordReview(patient_id, day, decision, actor, note, new_interval)
        return reviews.record_review(command, self.deps)

    def mark_entered_in_error(self, kind: EntryKind, entry_id: str, reason: str, actor: str) -> str:
        """:func:`~b12care.application.entries.mark_entered_in_error`."""
        command = MarkEnteredInError(kind, entry_id, reason, actor)
        return entries.mark_entered_in_error(command, self.deps)

    def view(self, patient_id: str, as_of: dt.date | None = None) -> PatientView:
        """:func:`~b12care.application.patients.view_patient`."""
        return patients.view_patient(self.deps, patient_id, as_of)

    def patients(self, clinic_id: str) -> list[PatientRecord]:
        """:func:`~b12care.application.patients.list_patients`."""
        return patients.list_patients(self.deps, clinic_id)

    def history(self, patient_id: str) -> list[tuple[str, str, str, str, str]]:
        """:func:`~b12care.application.history.history_rows`."""
        return history_rows(self.deps, patient_id)

    def recall(
        self,
        clinic_ids: Collection[str] | None,
        statuses: Collection[str] | None,
        as_of: dt.date,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RecallEntry]:
        """:func:`~b12care.application.recall.recall_list`."""
        return recall.recall_list(self.deps, clinic_ids, statuses, as_of, limit=limit, offset=offset)

    def patient_ids(self) -> list[str]:
        """:func:`~b12care.application.patients.patient_ids`."""
        return patients.patient_ids(self.deps)

    def recompute(
        self,
        actor: str,
        as_of: dt.date | None = None,
        batch: int = 500,
        patient_ids: Sequence[str] | None = None,
    ) -> Iterator[int]:
        """:func:`~b12care.application.recompute.recompute`."""
        return recompute.recompute(self.deps, actor, as_of, batch, patient_ids)
