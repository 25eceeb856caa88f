"""In-memory fakes of the application's ports: a unit of work over dicts, no database.

:class:`FakeUnitOfWork` implements :class:`b12care.application.ports.UnitOfWork` for what the use cases
of patients, entries, reviews, plan versions, recall and recompute use (the repositories are in
:mod:`fake_store` and :mod:`fake_entries`). A unit of work works on a copy of the store and publishes
it on ``commit()``; leaving without committing discards it, as a rollback.
Stores no use case here needs (users, CDS, EHR links, calendar) raise NotImplementedError.
"""

from __future__ import annotations

import datetime as dt
from types import TracebackType
from typing import TYPE_CHECKING, Self

from fake_entries import FakeDoses, FakeEntries, FakeLabs, FakePlans
from fake_store import FakeAudit, FakeClinics, FakeForecasts, FakePatients, FakeStore

from b12care.application.ports import (
    CalendarStateRepository,
    CdsFeedbackRepository,
    CdsReplayRepository,
    Deps,
    EhrLinkRepository,
    UnitOfWork,
    UnitOfWorkFactory,
)
from b12care.application.records import ReviewRecord, SymptomCheckRecord

if TYPE_CHECKING:
    from b12care.application.accounts import UserRepository

__all__ = ["FakeStore", "FakeUnitOfWork", "FakeUnitOfWorkFactory", "fake_deps"]


class FakeUnitOfWork:
    """One transaction over the fake repositories: works on a copy of the factory's store."""

    def __init__(self, factory: FakeUnitOfWorkFactory, *, read_only: bool = False) -> None:
        self._factory = factory
        self.read_only = read_only
        self.work = factory.store.copy()
        self._clinics = FakeClinics(self)
        self._patients = FakePatients(self)
        self._plans = FakePlans(self)
        self._doses = FakeDoses(self)
        self._labs = FakeLabs(self)
        self._checks: FakeEntries[SymptomCheckRecord] = FakeEntries(self, "symptom_checks", "symptom_check")
        self._reviews: FakeEntries[ReviewRecord] = FakeEntries(
            self, "reviews", "review", lambda r: {"patient_id": r.patient_id, "decision": r.decision}
        )
        self._audit = FakeAudit(self)
        self._forecasts = FakeForecasts(self)

    @property
    def clinics(self) -> FakeClinics:
        return self._clinics

    @property
    def patients(self) -> FakePatients:
        return self._patients

    @property
    def plans(self) -> FakePlans:
        return self._plans

    @property
    def doses(self) -> FakeDoses:
        return self._doses

    @property
    def labs(self) -> FakeLabs:
        return self._labs

    @property
    def symptom_checks(self) -> FakeEntries[SymptomCheckRecord]:
        return self._checks

    @property
    def reviews(self) -> FakeEntries[ReviewRecord]:
        return self._reviews

    @property
    def audit(self) -> FakeAudit:
        return self._audit

    @property
    def forecasts(self) -> FakeForecasts:
        return self._forecasts

    @property
    def users(self) -> UserRepository:
        raise NotImplementedError("users: no use case on the fakes needs them yet")

    @property
    def cds_replay(self) -> CdsReplayRepository:
        raise NotImplementedError("cds_replay: no use case on the fakes needs it yet")

    @property
    def cds_feedback(self) -> CdsFeedbackRepository:
        raise NotImplementedError("cds_feedback: no use case on the fakes needs it yet")

    @property
    def ehr_links(self) -> EhrLinkRepository:
        raise NotImplementedError("ehr_links: no use case on the fakes needs them yet")

    @property
    def calendar_events(self) -> CalendarStateRepository:
        raise NotImplementedError("calendar_events: no use case on the fakes needs them yet")

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.rollback()

    def commit(self) -> None:
        """Publish the working copy to the factory's store."""
        if self.read_only:
            raise AssertionError("a read-only unit of work committed")
        self._factory.store = self.work.copy()
        self._factory.commits += 1

    def rollback(self) -> None:
        """Discard every write since the last commit."""
        self.work = self._factory.store.copy()


class FakeUnitOfWorkFactory:
    """Makes fake units of work over one shared :class:`FakeStore` (what was committed)."""

    def __init__(self) -> None:
        self.store = FakeStore()
        self.commits = 0

    def __call__(self, *, read_only: bool = False) -> FakeUnitOfWork:
        return FakeUnitOfWork(self, read_only=read_only)


def fake_deps(now: dt.datetime) -> tuple[Deps, FakeUnitOfWorkFactory]:
    """Ports over a fresh fake store and a clock fixed at ``now`` (timezone-aware)."""
    factory = FakeUnitOfWorkFactory()
    return Deps(factory, lambda: now), factory


def _conforms(factory: FakeUnitOfWorkFactory, uow: FakeUnitOfWork) -> tuple[UnitOfWorkFactory, UnitOfWork]:
    """mypy checks here that the fakes implement the Protocols."""
    return factory, uow
