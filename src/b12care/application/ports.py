"""Ports: what the use cases need from storage, as Protocols (no SQLAlchemy here).

A use case opens one unit of work, reads and writes through its repositories and calls ``commit()``;
leaving the ``with`` block without committing rolls everything back::

    with uow_factory() as uow:
        dose = uow.doses.add(record)
        uow.forecasts.save(forecast, actor=record.recorded_by, at=record.recorded_at)
        uow.commit()

Every write method also appends an :class:`~b12care.application.records.AuditEntry` in the same
transaction. Nothing is deleted: ``mark_entered_in_error`` keeps the row and records who, when, why.
Reads return entries marked entered-in-error too (the mark is on the record); callers filter.

Repositories raise the storage errors of ``domain/errors.py`` (``StorageError`` and below: not found,
already entered-in-error, constraint refused, and the storage faults).

The adapters raise the three faults in place of driver errors, so every face can answer them plainly
(HTTP 503, a distinct CLI exit code, an error page) without knowing SQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Protocol, Self, TypeVar

from b12care.application.feed_ports import (
    CalendarStateRepository,
    CdsFeedbackRepository,
    CdsReplayRepository,
    EhrLinkRepository,
)
from b12care.application.records import (
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
)

if TYPE_CHECKING:
    from b12care.application.accounts import UserRepository

__all__ = [
    "AuditLog",
    "CalendarStateRepository",
    "CdsFeedbackRepository",
    "CdsReplayRepository",
    "ClinicRepository",
    "Clock",
    "Deps",
    "DoseRepository",
    "EhrLinkRepository",
    "EntryRepository",
    "ForecastRepository",
    "LabRepository",
    "PatientRepository",
    "PlanVersionRepository",
    "ReviewRepository",
    "SymptomCheckRepository",
    "UnitOfWork",
    "UnitOfWorkFactory",
]

R = TypeVar("R")

Clock = Callable[[], dt.datetime]
"""Returns the current time, timezone-aware; injected so tests and replays control time."""


class ClinicRepository(Protocol):
    """Clinics."""

    def add(self, clinic: ClinicRecord) -> ClinicRecord:
        """Store a new clinic."""
        ...

    def get(self, clinic_id: str) -> ClinicRecord:
        """The clinic; RecordNotFoundError when there is none."""
        ...


class PatientRepository(Protocol):
    """Patients, each of one clinic."""

    def add(self, patient: PatientRecord) -> PatientRecord:
        """Store a new patient (ConstraintError for an unknown clinic)."""
        ...

    def get(self, patient_id: str) -> PatientRecord:
        """The patient; RecordNotFoundError when there is none."""
        ...

    def claim(self, patient_id: str) -> PatientRecord:
        """``get``, and hold the patient against other writers until the unit of work ends: writes to
        one patient take turns, so each refreshes the forecast from a history holding the others'
        entries (no lost update). Every use case that writes a patient's record claims it first."""
        ...

    def list_for_clinic(self, clinic_id: str) -> list[PatientRecord]:
        """The clinic's patients by creation time, then their reference."""
        ...

    def get_many(self, patient_ids: Collection[str]) -> list[PatientRecord]:
        """The patients with these ids (unknown ids left out), in id order."""
        ...

    def all_ids(self, clinic_id: str | None = None) -> list[str]:
        """Every patient id not marked entered-in-error (of one clinic when given), for recompute jobs."""
        ...

    def mark_entered_in_error(self, patient_id: str, mark: EnteredInError) -> PatientRecord:
        """Keep the patient but mark it as entered in error (who, when, why)."""
        ...


class EntryRepository(Protocol[R]):
    """What every patient-level entry store offers: add, get, list, mark entered-in-error."""

    def add(self, record: R) -> R:
        """Store a new entry (ConstraintError for an unknown patient or an out-of-range value)."""
        ...

    def get(self, record_id: str) -> R:
        """The entry; RecordNotFoundError when there is none."""
        ...

    def list_for(self, patient_id: str) -> list[R]:
        """The patient's entries oldest first (by date, then recording time), marked ones included."""
        ...

    def list_for_many(self, patient_ids: Collection[str]) -> dict[str, list[R]]:
        """``list_for`` of many patients at once (patients without entries left out)."""
        ...

    def mark_entered_in_error(self, record_id: str, mark: EnteredInError) -> R:
        """Keep the entry but mark it entered-in-error; AlreadyEnteredInError when it already is."""
        ...


class PlanVersionRepository(EntryRepository[PlanVersionRecord], Protocol):
    """Plan versions; ``list_for`` orders them by version number."""

    def latest(self, patient_id: str) -> PlanVersionRecord | None:
        """The highest version not marked entered-in-error, or None."""
        ...

    def latest_many(self, patient_ids: Collection[str]) -> dict[str, PlanVersionRecord]:
        """``latest`` of many patients at once (patients without a plan left out)."""
        ...


class DoseRepository(EntryRepository[DoseRecord], Protocol):
    """Administered doses. ``add`` is idempotent per (patient, idempotency key): a repeat returns the
    stored dose and writes nothing."""

    def add_many(self, records: Sequence[DoseRecord]) -> None:
        """Store new doses (their keys checked by the caller under the patient's claim) and audit each:
        a statement per table for the lot; ConstraintError (nothing stored) for a key already stored."""
        ...


class LabRepository(EntryRepository[LabRecord], Protocol):
    """Laboratory results (one per (patient, idempotency key) where a key is given)."""

    def add_many(self, records: Sequence[LabRecord]) -> None:
        """Store new results and audit each: a statement per table for the lot; ConstraintError
        (nothing stored) for a key already stored."""
        ...


class SymptomCheckRepository(EntryRepository[SymptomCheckRecord], Protocol):
    """Symptom checks."""


class ReviewRepository(EntryRepository[ReviewRecord], Protocol):
    """Clinical reviews and their decisions."""


class AuditLog(Protocol):
    """The append-only log of every write."""

    def append(self, entry: AuditEntry) -> None:
        """Log an event that is not a repository write (repositories log their own writes)."""
        ...

    def for_entity(self, entity: str, entity_id: str) -> list[AuditEntry]:
        """Every entry about one record, oldest first."""
        ...

    def since(self, at: dt.datetime, limit: int = 1000) -> list[AuditEntry]:
        """Entries at or after ``at``, oldest first, at most ``limit``."""
        ...


class ForecastRepository(Protocol):
    """Each patient's current forecast, updated in the same unit of work as every write."""

    def save(self, forecast: StoredForecast, *, actor: str, at: dt.datetime) -> None:
        """Insert or replace the patient's forecast and recall timeline."""
        ...

    def save_many(self, forecasts: Sequence[StoredForecast], *, actor: str, at: dt.datetime) -> None:
        """``save`` of many patients in a few statements (the recompute job)."""
        ...

    def stamps(self, patient_ids: Collection[str]) -> dict[str, dt.datetime | None]:
        """When each patient's stored forecast was last written (None: never); patients entered in
        error left out. Lets a job compute outside a transaction and store only what nobody changed
        meanwhile."""
        ...

    def get(self, patient_id: str) -> StoredForecast | None:
        """The patient's stored forecast, or None."""
        ...

    def count_recall(
        self, clinic_ids: Collection[str] | None, as_of: dt.date, due_by: dt.date
    ) -> dict[str, int]:
        """How many patients the recall list of ``as_of`` holds: one count per forecast status, plus
        ``due_soon_by`` (due soon with a due date on or before ``due_by``) and ``lapsed`` (flagged
        MAINTENANCE_LAPSED). Filters by clinics when given."""
        ...

    def recall(
        self,
        clinic_ids: Collection[str] | None,
        statuses: Collection[str] | None,
        as_of: dt.date,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RecallEntry]:
        """The recall list of ``as_of`` from the stored timelines, most urgent first:
        ``b12care.domain.recall.urgency`` of status and flags, then due date, then patient id.

        Filters by clinics and status when given; leaves out patients marked entered-in-error.
        """
        ...


class UnitOfWork(Protocol):
    """One transaction over every repository; ``commit()`` makes it durable, leaving rolls back."""

    @property
    def clinics(self) -> ClinicRepository: ...

    @property
    def patients(self) -> PatientRepository: ...

    @property
    def plans(self) -> PlanVersionRepository: ...

    @property
    def doses(self) -> DoseRepository: ...

    @property
    def labs(self) -> LabRepository: ...

    @property
    def symptom_checks(self) -> SymptomCheckRepository: ...

    @property
    def reviews(self) -> ReviewRepository: ...

    @property
    def audit(self) -> AuditLog: ...

    @property
    def forecasts(self) -> ForecastRepository: ...

    @property
    def users(self) -> UserRepository: ...

    @property
    def cds_replay(self) -> CdsReplayRepository: ...

    @property
    def cds_feedback(self) -> CdsFeedbackRepository: ...

    @property
    def ehr_links(self) -> EhrLinkRepository: ...

    @property
    def calendar_events(self) -> CalendarStateRepository: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make every write since the last commit durable."""
        ...

    def rollback(self) -> None:
        """Discard every write since the last commit."""
        ...


class UnitOfWorkFactory(Protocol):
    """Makes a fresh unit of work per use: ``with uow_factory() as uow: ...``; ``read_only=True`` for
    one that only reads (it then takes no write lock: SQLite lets it run beside a writer)."""

    def __call__(self, *, read_only: bool = False) -> UnitOfWork: ...


@dataclass(frozen=True, slots=True)
class Deps:
    """The ports every use case receives beside its command: ``use_case(command, deps)``.

    The composition root builds one; tests build one over a fake unit of work and a fixed clock.
    """

    uow: UnitOfWorkFactory
    clock: Clock

    def today(self) -> dt.date:
        """The clock's date."""
        return self.clock().date()
