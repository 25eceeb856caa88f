"""The calendar feed use: read the patient, export the .ics, store the new sequence state in one go.

``calendar_for(app, patient_id, now)`` is what a face calls (CLI ``b12care schedule export``, the
share-link route). The patient, plan version, forecast and history are read in one unit of work (one
consistent snapshot); the sequence state is read, compared and written in one transaction that holds
the patient's row lock, so two exports at once cannot both raise a SEQUENCE from the same start.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import Connection, Engine, RowMapping, select

from b12care.adapters.calendar.ics import EventState, patient_calendar
from b12care.adapters.db.audit import SqlAuditLog
from b12care.adapters.db.tables import patients
from b12care.adapters.db.tables_calendar import calendar_events
from b12care.application.planning import choose_pack
from b12care.application.ports import UnitOfWorkFactory
from b12care.application.records import AuditEntry, new_id
from b12care.application.treatment import PatientView, current_forecast, load_history
from b12care.domain.errors import InputError

__all__ = ["FEED_ACTOR", "CalendarApp", "SqlCalendarStateRepository", "calendar_for"]

FEED_ACTOR = "calendar-feed"


class CalendarApp(Protocol):
    """What the feed needs of the bootstrapped ``App``."""

    @property
    def engine(self) -> Engine:
        """The database engine."""
        ...

    @property
    def uow(self) -> UnitOfWorkFactory:
        """The unit of work factory."""
        ...


def _state(row: RowMapping) -> EventState:
    return EventState(
        date=row["date"],
        summary=row["summary"],
        fingerprint=row["fingerprint"],
        sequence=row["sequence"],
        status=row["status"],
        created_at=row["created_at"],
        changed_at=row["changed_at"],
    )


class SqlCalendarStateRepository:
    """Each patient's calendar event state, on the caller's connection and transaction."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def lock(self, patient_id: str) -> None:
        """Hold the patient's row until the transaction ends (PostgreSQL; SQLite writers already queue)."""
        statement = select(patients.c.id).where(patients.c.id == patient_id).with_for_update()
        if self._connection.execute(statement).first() is None:
            raise InputError("patient", f"no patient with id {patient_id}")

    def load(self, patient_id: str) -> dict[str, EventState]:
        """Every event the patient's feed has ever sent, by key."""
        statement = select(calendar_events).where(calendar_events.c.patient_id == patient_id)
        return {row["event_key"]: _state(row) for row in self._connection.execute(statement).mappings()}

    def save(
        self,
        patient_id: str,
        before: Mapping[str, EventState],
        after: Mapping[str, EventState],
        *,
        actor: str,
        at: dt.datetime,
    ) -> int:
        """Store the events that are new or changed (none is deleted); audit them; return how many."""
        c = calendar_events.c
        changed = {key: state for key, state in after.items() if before.get(key) != state}
        for key, state in sorted(changed.items()):
            values = {
                "date": state.date,
                "summary": state.summary,
                "fingerprint": state.fingerprint,
                "sequence": state.sequence,
                "status": state.status,
                "created_at": state.created_at,
                "changed_at": state.changed_at,
            }
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
            cancelled = sum(1 for s in changed.values() if s.status == "CANCELLED")
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


def calendar_for(
    app: CalendarApp,
    patient_id: str,
    now: dt.datetime,
    *,
    public_url: str | None = None,
    actor: str = FEED_ACTOR,
) -> bytes:
    """The patient's .ics feed on ``now`` (aware), its sequence state stored; serve as text/calendar.

    Raises RecordNotFoundError for an unknown patient and InputError for one without a plan.
    """
    as_of = now.date()
    with app.uow() as uow:
        patient = uow.patients.get(patient_id)
        version, forecast = current_forecast(uow, patient_id, as_of)
        history = load_history(uow, patient_id)
    view = PatientView(patient, version, forecast)
    pack = choose_pack(None, version.pack_id)
    with app.engine.begin() as connection:
        repository = SqlCalendarStateRepository(connection)
        repository.lock(patient_id)
        before = repository.load(patient_id)
        feed, after = patient_calendar(
            view, history, pack, public_url=public_url, now=now, sequence_state=before
        )
        repository.save(patient_id, before, after, actor=actor, at=now)
    return feed
