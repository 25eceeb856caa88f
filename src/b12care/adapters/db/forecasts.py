"""Each patient's stored forecast and the recall list read from it.

The forecast is upserted in the same transaction as the write that changed it, so the recall list is
one range of the index ``ix_stored_forecasts_recall (clinic_id, status, due)`` - never a scan of every
patient's history. Its order is the engine's: ``b12care.domain.recall.urgency`` (stored with the row),
then due date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from sqlalchemy import Connection, RowMapping, Select, select

from b12care.adapters.db._statements import execute, upsert_statement, write_audit
from b12care.adapters.db.tables import patients, stored_forecasts
from b12care.domain.recall import urgency
from b12care.service.records import StoredForecast

__all__ = ["NO_DUE_DATE", "SqlForecastRepository", "recall_statement"]

NO_DUE_DATE = dt.date(9999, 12, 31)


def _forecast(row: RowMapping) -> StoredForecast:
    return StoredForecast(
        patient_id=row["patient_id"],
        clinic_id=row["clinic_id"],
        status=row["status"],
        earliest=row["earliest"],
        due=row["due"],
        overdue=row["overdue"],
        flags=tuple(row["flags"]),
        as_of=row["as_of"],
        pack_id=row["pack_id"],
        pack_version=row["pack_version"],
    )


class SqlForecastRepository:
    """Stored forecasts, one row per patient."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def save(self, forecast: StoredForecast, *, actor: str, at: dt.datetime) -> None:
        """Insert or replace the patient's forecast and audit it."""
        values = {
            "clinic_id": forecast.clinic_id,
            "status": forecast.status,
            "urgency": urgency(forecast.status, forecast.flags),
            "earliest": forecast.earliest,
            "due": forecast.due,
            "overdue": forecast.overdue,
            "sort_due": forecast.due or NO_DUE_DATE,
            "flags": list(forecast.flags),
            "as_of": forecast.as_of,
            "pack_id": forecast.pack_id,
            "pack_version": forecast.pack_version,
            "updated_at": at,
            "updated_by": actor,
        }
        statement = (
            upsert_statement(self._connection, stored_forecasts)
            .values(patient_id=forecast.patient_id, **values)
            .on_conflict_do_update(index_elements=["patient_id"], set_=values)
        )
        execute(self._connection, statement)
        write_audit(
            self._connection,
            at=at,
            actor=actor,
            action="forecast.save",
            entity="forecast",
            entity_id=forecast.patient_id,
            detail={
                "clinic_id": forecast.clinic_id,
                "status": forecast.status,
                "due": None if forecast.due is None else forecast.due.isoformat(),
            },
        )

    def get(self, patient_id: str) -> StoredForecast | None:
        """The patient's stored forecast, or None."""
        statement = select(stored_forecasts).where(stored_forecasts.c.patient_id == patient_id)
        row = self._connection.execute(statement).mappings().first()
        return None if row is None else _forecast(row)

    def recall(
        self,
        clinic_id: str | None,
        statuses: Collection[str] | None,
        as_of: dt.date,
        limit: int = 100,
    ) -> list[StoredForecast]:
        """Most urgent first (recall urgency, then overdue on ``as_of``, then due date; none last).

        ``clinic_id``/``statuses`` filter when given; patients marked entered-in-error are left out.
        """
        statement = recall_statement(clinic_id, statuses, as_of, limit)
        return [_forecast(row) for row in self._connection.execute(statement).mappings()]


def recall_statement(
    clinic_id: str | None, statuses: Collection[str] | None, as_of: dt.date, limit: int
) -> Select[Any]:
    """The recall query, read in index order: urgency, then due date (the most overdue first), then id.

    ``as_of`` does not change the order: within one urgency the earliest due date is the most overdue.
    """
    del as_of
    f = stored_forecasts.c
    statement = (
        select(stored_forecasts)
        .join(patients, patients.c.id == f.patient_id)
        .where(patients.c.entered_in_error_at.is_(None))
        .order_by(f.urgency, f.sort_due, f.patient_id)
        .limit(limit)
    )
    if clinic_id is not None:
        statement = statement.where(f.clinic_id == clinic_id)
    if statuses is not None:
        statement = statement.where(f.status.in_(list(statuses)))
    return statement
