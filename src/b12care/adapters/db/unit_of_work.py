"""The SQL unit of work: one connection, one transaction, every repository on it.

When the database fails mid-way (see :mod:`b12care.adapters.db.faults`) the caller gets the storage
fault - ``StorageUnavailableError``, ``StorageFullError`` or ``StorageReadOnlyError`` - and the
transaction is rolled back whole: nothing of it is stored. Rolling back on a connection the failure
broke may fail too; the first error is the one raised.

A factory made with ``serialized=True`` (the CDS Hooks calls) holds one lock per factory on SQLite from
entering a unit of work to leaving it: on SQLite every transaction begins ``IMMEDIATE`` (one at a time
per file), and a thread that finds the file locked waits in SQLite's busy handler, which sleeps 1 to
100 ms between retries whether or not the lock has been freed meanwhile. Under concurrent hook calls
that sleeping, not the work, set the latency (p50 in the hundreds of ms at 50 clients), so the threads
of one process queue in Python instead; on PostgreSQL there is no lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType
from typing import Any, Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from b12care.adapters.db.accounts import SqlUserRepository
from b12care.adapters.db.audit import SqlAuditLog
from b12care.adapters.db.calendar import SqlCalendarStateRepository
from b12care.adapters.db.cds import (
    ReplayPruning,
    SqlCdsFeedbackRepository,
    SqlCdsReplayRepository,
    SqlEhrLinkRepository,
)
from b12care.adapters.db.engine import READ_ONLY
from b12care.adapters.db.entry_repositories import (
    SqlDoseRepository,
    SqlLabRepository,
    SqlReviewRepository,
    SqlSymptomCheckRepository,
)
from b12care.adapters.db.forecasts import SqlForecastRepository
from b12care.adapters.db.repositories import (
    SqlClinicRepository,
    SqlPatientRepository,
    SqlPlanVersionRepository,
)
from b12care.application.ports import UnitOfWorkFactory
from b12care.domain.errors import StorageFaultError, StorageUnavailableError

__all__ = ["Shared", "SqlUnitOfWork", "sql_unit_of_work_factory"]


@dataclass(slots=True)
class Shared:
    """What the units of work of one factory share: the replay pruning clock and (serialized SQLite
    factories) the lock held from entering a unit of work to leaving it."""

    lock: threading.Lock | None = None
    pruning: ReplayPruning = field(default_factory=ReplayPruning)


class SqlUnitOfWork:
    """``with SqlUnitOfWork(engine) as uow: ...; uow.commit()`` - leaving without commit rolls back."""

    clinics: SqlClinicRepository
    patients: SqlPatientRepository
    plans: SqlPlanVersionRepository
    doses: SqlDoseRepository
    labs: SqlLabRepository
    symptom_checks: SqlSymptomCheckRepository
    reviews: SqlReviewRepository
    audit: SqlAuditLog
    forecasts: SqlForecastRepository
    users: SqlUserRepository
    cds_replay: SqlCdsReplayRepository
    cds_feedback: SqlCdsFeedbackRepository
    ehr_links: SqlEhrLinkRepository
    calendar_events: SqlCalendarStateRepository

    def __init__(self, engine: Engine, *, read_only: bool = False, shared: Shared | None = None) -> None:
        self._engine = engine
        self._read_only = read_only
        self._shared = shared if shared is not None else Shared()
        self._connection: Connection | None = None
        self._relaxed = False

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("a unit of work is entered once; make a new one per use")
        lock = self._shared.lock
        if lock is not None:
            lock.acquire()
        try:
            self._connect()
        except BaseException:
            if lock is not None:
                lock.release()
            raise
        return self

    def _connect(self) -> None:
        try:
            connection = self._engine.connect()
        except PoolTimeoutError as error:  # every pooled connection busy for the pool's whole timeout
            raise StorageUnavailableError("no free database connection in the pool") from error
        if self._read_only:  # reads only: no write lock (SQLite BEGIN DEFERRED)
            connection = connection.execution_options(**{READ_ONLY: True})
        self._connection = connection
        self.clinics = SqlClinicRepository(connection)
        self.patients = SqlPatientRepository(connection)
        self.plans = SqlPlanVersionRepository(connection)
        self.doses = SqlDoseRepository(connection)
        self.labs = SqlLabRepository(connection)
        self.symptom_checks = SqlSymptomCheckRepository(connection)
        self.reviews = SqlReviewRepository(connection)
        self.audit = SqlAuditLog(connection)
        self.forecasts = SqlForecastRepository(connection)
        self.users = SqlUserRepository(connection)
        relax = self._relax if connection.dialect.name == "sqlite" else None
        self.cds_replay = SqlCdsReplayRepository(connection, self._shared.pruning, relax)
        self.cds_feedback = SqlCdsFeedbackRepository(connection)
        self.ehr_links = SqlEhrLinkRepository(connection)
        self.calendar_events = SqlCalendarStateRepository(connection)

    def _driver(self) -> Any:
        driver = self._active().connection.driver_connection
        if driver is None:  # pragma: no cover - a live pooled connection always has one
            raise RuntimeError("no SQLite driver connection")
        return driver

    def _relax(self) -> None:
        """SQLite: ``synchronous = NORMAL`` on this connection until the unit of work ends, then
        ``FULL`` again. Set outside any transaction, on the driver connection (the engine begins every
        transaction with ``BEGIN IMMEDIATE``)."""
        self._driver().execute("PRAGMA synchronous = NORMAL")
        self._relaxed = True

    def _restore(self, connection: Connection) -> None:
        """``FULL`` again; a connection whose ``FULL`` could not be restored is discarded, never pooled."""
        if not self._relaxed:
            return
        self._relaxed = False
        try:
            self._driver().execute("PRAGMA synchronous = FULL")
        except Exception:
            connection.invalidate()
            raise

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self._active()
        try:
            try:
                connection.rollback()
            except StorageFaultError:
                if exc is None:  # nothing failed before: the rollback's own failure is the news
                    raise
            finally:
                try:
                    self._restore(connection)
                finally:
                    connection.close()
        finally:
            if self._shared.lock is not None:
                self._shared.lock.release()

    def _active(self) -> Connection:
        if self._connection is None:
            raise RuntimeError("use the unit of work inside a with block")
        return self._connection

    def commit(self) -> None:
        """Make every write since the last commit durable."""
        self._active().commit()

    def rollback(self) -> None:
        """Discard every write since the last commit."""
        self._active().rollback()


def sql_unit_of_work_factory(engine: Engine, *, serialized: bool = False) -> UnitOfWorkFactory:
    """A factory that makes a fresh :class:`SqlUnitOfWork` on ``engine`` per call; ``serialized``: its
    units of work take turns on SQLite (one lock per factory), as the CDS Hooks calls do."""
    lock = threading.Lock() if serialized and engine.dialect.name == "sqlite" else None
    return partial(SqlUnitOfWork, engine, shared=Shared(lock))
