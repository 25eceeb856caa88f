"""Each patient's stored forecast and recall timeline, and the recall list read from the timeline.

Both are derived from the record and replaced in the same transaction as the write that changed them
(the timeline is a cache of the forecast, not a clinical entry: replacing it deletes nothing of the
record). The recall list of a day is one range of ``ix_recall_timeline_order`` (or its per-clinic
twin): spans covering the day, in urgency order, then due date - never a scan of every history.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import Connection, RowMapping, Select, case, delete, func, insert, select

from b12care.adapters.db._statements import execute, upsert_statement
from b12care.adapters.db.tables import audit_log, patients, recall_timeline, stored_forecasts
from b12care.application.records import FORECAST_STATUSES, RecallEntry, RecallSegment, StoredForecast, new_id
from b12care.domain.forecast import ForecastStatus
from b12care.domain.recall import urgencies_of, urgency

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


def _current_values(forecast: StoredForecast, *, actor: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "patient_id": forecast.patient_id,
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


def _timeline_rows(forecast: StoredForecast) -> list[dict[str, Any]]:
    return [
        {
            "patient_id": forecast.patient_id,
            "clinic_id": forecast.clinic_id,
            "valid_from": span.valid_from,
            "valid_to": span.valid_to,
            "status": span.status,
            "urgency": urgency(span.status, span.flags),
            "earliest": span.earliest,
            "due": span.due,
            "overdue": span.overdue,
            "sort_due": span.due or NO_DUE_DATE,
            "flags": list(span.flags),
            "pack_id": forecast.pack_id,
            "pack_version": forecast.pack_version,
        }
        for span in forecast.timeline
    ]


def _audit_row(forecast: StoredForecast, *, actor: str, at: dt.datetime) -> dict[str, Any]:
    return {
        "id": new_id(),
        "at": at,
        "actor": actor,
        "action": "forecast.save",
        "entity": "forecast",
        "entity_id": forecast.patient_id,
        "detail": {
            "clinic_id": forecast.clinic_id,
            "status": forecast.status,
            "due": None if forecast.due is None else forecast.due.isoformat(),
        },
    }


class SqlForecastRepository:
    """Stored forecasts (one row per patient) and their recall timelines."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def save(self, forecast: StoredForecast, *, actor: str, at: dt.datetime) -> None:
        """Insert or replace the patient's forecast and timeline, and audit it."""
        self.save_many([forecast], actor=actor, at=at)

    def save_many(self, forecasts: Sequence[StoredForecast], *, actor: str, at: dt.datetime) -> None:
        """Insert or replace many patients' forecasts and timelines: a few statements for the lot."""
        if not forecasts:
            return
        current = [_current_values(f, actor=actor, at=at) for f in forecasts]
        statement = upsert_statement(self._connection, stored_forecasts)
        replace = {name: statement.excluded[name] for name in current[0] if name != "patient_id"}
        execute(
            self._connection,
            statement.on_conflict_do_update(index_elements=["patient_id"], set_=replace),
            current,
        )
        ids = [f.patient_id for f in forecasts]
        execute(self._connection, delete(recall_timeline).where(recall_timeline.c.patient_id.in_(ids)))
        spans = [row for f in forecasts for row in _timeline_rows(f)]
        if spans:
            execute(self._connection, insert(recall_timeline), spans)
        execute(self._connection, insert(audit_log), [_audit_row(f, actor=actor, at=at) for f in forecasts])

    def stamps(self, patient_ids: Collection[str]) -> dict[str, dt.datetime | None]:
        """When each patient's stored forecast was last written (None: never); patients entered in
        error are left out. A write in between changes the stamp."""
        p = patients.c
        statement = (
            select(p.id, stored_forecasts.c.updated_at)
            .outerjoin(stored_forecasts, stored_forecasts.c.patient_id == p.id)
            .where(p.id.in_(list(patient_ids)), p.entered_in_error_at.is_(None))
        )
        return {row.id: row.updated_at for row in self._connection.execute(statement)}

    def get(self, patient_id: str) -> StoredForecast | None:
        """The patient's stored forecast with its recall timeline, or None."""
        statement = select(stored_forecasts).where(stored_forecasts.c.patient_id == patient_id)
        row = self._connection.execute(statement).mappings().first()
        if row is None:
            return None
        t = recall_timeline.c
        spans = select(recall_timeline).where(t.patient_id == patient_id).order_by(t.valid_from)
        timeline = tuple(
            RecallSegment(
                span["valid_from"],
                span["valid_to"],
                span["status"],
                span["earliest"],
                span["due"],
                span["overdue"],
                tuple(span["flags"]),
            )
            for span in self._connection.execute(spans).mappings()
        )
        return replace(_forecast(row), timeline=timeline)

    def count_recall(
        self, clinic_ids: Collection[str] | None, as_of: dt.date, due_by: dt.date
    ) -> dict[str, int]:
        """How many patients the recall list of ``as_of`` holds: per status, plus ``due_soon_by`` (due
        soon with a due date on or before ``due_by``) and ``lapsed`` (flagged MAINTENANCE_LAPSED).

        Spans covering the day, read through the recall indexes; the flags are read only for urgency 1
        (the only urgency a lapse has), so the count never parses every row's flags.
        """
        t = recall_timeline.c
        covering = [t.valid_from <= as_of, t.valid_to > as_of]
        if clinic_ids is not None:
            covering.append(t.clinic_id.in_(list(clinic_ids)))
        soon = func.sum(case((t.sort_due <= due_by, 1), else_=0))
        per_status = select(t.status, func.count(), soon).where(*covering).group_by(t.status)
        counts = dict.fromkeys(FORECAST_STATUSES, 0) | {"due_soon_by": 0, "lapsed": 0}
        for status, count, due_by_count in self._connection.execute(per_status):
            counts[status] = int(count)
            if status == "due_soon":
                counts["due_soon_by"] = int(due_by_count or 0)
        urgent = select(t.flags).where(t.urgency == urgency("overdue", ["MAINTENANCE_LAPSED"]), *covering)
        counts["lapsed"] = sum("MAINTENANCE_LAPSED" in flags for (flags,) in self._connection.execute(urgent))
        return counts

    def recall(
        self,
        clinic_ids: Collection[str] | None,
        statuses: Collection[str] | None,
        as_of: dt.date,
        limit: int = 100,
        offset: int = 0,
    ) -> list[RecallEntry]:
        """The recall list of ``as_of``, most urgent first (urgency, then due date, then patient).

        ``clinic_ids``/``statuses`` filter when given; patients marked entered-in-error are left out.
        """
        statement = recall_statement(clinic_ids, statuses, as_of, limit, offset)
        return [
            RecallEntry(
                patient_id=row["patient_id"],
                clinic_id=row["clinic_id"],
                reference=row["reference"],
                name=row["name"],
                status=row["status"],
                urgency=row["urgency"],
                earliest=row["earliest"],
                due=row["due"],
                overdue=row["overdue"],
                flags=tuple(row["flags"]),
                pack_id=row["pack_id"],
                pack_version=row["pack_version"],
            )
            for row in self._connection.execute(statement).mappings()
        ]


def recall_statement(
    clinic_ids: Collection[str] | None,
    statuses: Collection[str] | None,
    as_of: dt.date,
    limit: int,
    offset: int = 0,
) -> Select[Any]:
    """The recall query of ``as_of``: the page of spans covering the day, in index order, then each
    listed patient's reference and name by primary key.

    Patients are joined after the page is cut, so the planner never builds a filter over the whole
    patients table; a patient marked entered-in-error has no timeline (the patient repository clears
    it in the same transaction).
    """
    t = recall_timeline.c
    page = (
        select(recall_timeline)
        .where(t.valid_from <= as_of, t.valid_to > as_of)
        .order_by(t.urgency, t.sort_due, t.patient_id)
        .limit(limit)
        .offset(offset)
    )
    if clinic_ids is not None:
        page = page.where(t.clinic_id.in_(list(clinic_ids)))
    if statuses is not None:
        known = [s for s in statuses if s in FORECAST_STATUSES]
        page = page.where(
            t.urgency.in_(sorted(urgencies_of(cast("list[ForecastStatus]", known)))),
            t.status.in_(known),
        )
    spans = page.subquery("page")
    return (
        select(spans, patients.c.reference, patients.c.name)
        .join(patients, patients.c.id == spans.c.patient_id)
        .order_by(spans.c.urgency, spans.c.sort_due, spans.c.patient_id)
    )
