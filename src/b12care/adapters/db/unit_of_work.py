"""The SQL unit of work: one connection, one transaction, every repository on it.

When the database fails mid-way (see :mod:`b12care.adapters.db.faults`) the caller gets the storage
fault - ``StorageUnavailableError``, ``StorageFullError`` or ``StorageReadOnlyError`` - and the
transaction is rolled back whole: nothing of it is stored. Rolling back on a connection the failure
broke may fail too; the first error is the one raised.
"""

from __future__ import annotations

from functools import partial
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

from b12care.adapters.db.accounts import SqlUserRepository
from b12care.adapters.db.audit import SqlAuditLog
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
from b12care.application.ports import StorageFaultError, StorageUnavailableError, UnitOfWorkFactory

__all__ = ["SqlUnitOfWork", "sql_unit_of_work_factory"]


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

    def __init__(self, engine: Engine, *, read_only: bool = False) -> None:
        self._engine = engine
        self._read_only = read_only
        self._connection: Connection | None = None

    def __enter__(self) -> Self:
        if self._connection is not None:
            raise RuntimeError("a unit of work is entered once; make a new one per use")
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
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        connection = self._active()
        try:
            connection.rollback()
        except StorageFaultError:
            if exc is None:  # nothing failed before: the rollback's own failure is the news
                raise
        finally:
            connection.close()

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


def sql_unit_of_work_factory(engine: Engine) -> UnitOfWorkFactory:
    """A factory that makes a fresh :class:`SqlUnitOfWork` on ``engine`` per call."""
    return partial(SqlUnitOfWork, engine)
