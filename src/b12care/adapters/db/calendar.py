"""Each patient's calendar feed state in SQL, on the unit of work's connection (table ``calendar_events``).

The calendar use case locks the patient, loads the state, renders the feed and saves the state in one
unit of work, so two exports at once cannot both raise a SEQUENCE from the same start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import Connection, RowMapping, select

from b12care.adapters.db.audit import SqlAuditLog
from b12care.adapters.db.tables import patients
from b12care.adapters.db.tables_calendar import calendar_events
from b12care.application.feed_ports import CalendarEventState
from b12care.application.records import AuditEntry, new_id
from b12care.domain.errors import InputError

__all__ = ["SqlCalendarStateRepository", "StoredEventState"]


@dataclass(frozen=True, slots=True)
class StoredEventState:
    """One stored event state as read back (a :class:`CalendarEventState`)."""

    date: dt.date
    summary: str
    fingerprint: str
    sequence: int
    status: str
    created_at: dt.datetime
    changed_at: dt.datetime


def _state(row: RowMapping) -> StoredEventState:
    return StoredEventState(
        date=row["date"],
        summary=row["summary"],
        fingerprint=row["fingerprint"],
        sequence=row["sequence"],
        status=row["status"],
        created_at=row["created_at"],
        changed_at=row["changed_at"],
    )


def _values(state: CalendarEventState | None) -> dict[str, object] | None:
    if state is None:
        return None
    return {
        "date": state.date,
        "summary": state.summary,
        "fingerprint": state.fingerprint,
        "sequence": state.sequence,
        "status": state.status,
        "created_at": state.created_at,
        "changed_at": state.changed_at,
    }


class SqlCalendarStateRepository:
    """Each patient's calendar event state, on the caller's connection and transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def lock(self, patient_id: str) -> None:
        """Hold the patient's row until the transaction ends (PostgreSQL; SQLite writers already queue)."""
        statement = select(patients.c.id).where(patients.c.id == patient_id).with_for_update()
        if self._connection.execute(statement).first() is None:
            raise InputError("patient", f"no patient with id {patient_id}")

    def load(self, patient_id: str) -> dict[str, CalendarEventState]:
        """Every event the patient's feed has ever sent, by key."""
        statement = select(calendar_events).where(calendar_events.c.patient_id == patient_id)
        return {row["event_key"]: _state(row) for row in self._connection.execute(statement).mappings()}

    def save(
        self,
        patient_id: str,
        before: Mapping[str, CalendarEventState],
        after: Mapping[str, CalendarEventState],
        *,
        actor: str,
        at: dt.datetime,
    ) -> int:
        """Store the events that are new or changed (none is deleted); audit them; return how many."""
        c = calendar_events.c
        changed = {
            key: values
            for key, state in after.items()
            if (values := _values(state)) is not None and _values(before.get(key)) != values
        }
        for key, values in sorted(changed.items()):
            if key in before:
                statement = (
                    calendar_events.update()
                    .where(c.patient_id == patient_id, c.event_key == key)
                    .values(**values)
                )
                self._connection.execute(statement)
            else:
                self._connection.execute(
                    calendar_events.insert().values(patient_id=patient_id, event_key=key, **values)
                )
        if changed:
            cancelled = sum(1 for values in changed.values() if values["status"] == "CANCELLED")
            SqlAuditLog(self._connection).append(
                AuditEntry(
                    id=new_id(),
                    at=at,
                    actor=actor,
                    action="calendar.update",
                    entity="patient",
                    entity_id=patient_id,
                    detail={
                        "new": sum(1 for key in changed if key not in before),
                        "changed": sum(1 for key in changed if key in before),
                        "cancelled": cancelled,
                    },
                )
            )
        return len(changed)
