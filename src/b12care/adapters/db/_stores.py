"""The stores every repository shares: marked-in-error rows, per-patient entries, audited inserts.

Private to ``adapters.db``: the repositories build on them; nothing else imports them.
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Collection
from dataclasses import fields
from typing import Any, ClassVar, Generic, Protocol, TypeVar, cast

from sqlalchemy import Connection, RowMapping, Table, select, update
from sqlalchemy.sql.elements import ColumnElement

from b12care.adapters.db._statements import execute, write_audit
from b12care.adapters.db.tables import (
    audit_log,
)
from b12care.application.records import (
    AuditDetail,
    DoseRecord,
    EnteredInError,
    LabRecord,
    new_id,
)
from b12care.domain.errors import AlreadyEnteredInError, RecordNotFoundError

__all__ = [
    "EntryStore",
    "MarkableStore",
    "audit_values",
    "by_patient",
    "insert_many",
    "mark_of",
    "mark_values",
]

R = TypeVar("R")


class _OfPatient(Protocol):
    @property
    def patient_id(self) -> str: ...


E = TypeVar("E", bound=_OfPatient)


def by_patient(records: list[E]) -> dict[str, list[E]]:
    """Records grouped by patient, each group in the given order."""
    found: dict[str, list[E]] = {}
    for record in records:
        found.setdefault(record.patient_id, []).append(record)
    return found


def mark_of(row: RowMapping) -> EnteredInError | None:
    if row["entered_in_error_at"] is None:
        return None
    return EnteredInError(
        row["entered_in_error_at"], row["entered_in_error_by"], row["entered_in_error_reason"]
    )


def audit_values(record: DoseRecord | LabRecord, action: str, detail: AuditDetail) -> dict[str, Any]:
    """The audit row of one added entry, as ``write_audit`` writes it."""
    entity = action.partition(".")[0]
    return {
        "id": new_id(),
        "at": record.recorded_at,
        "actor": record.recorded_by,
        "action": action,
        "entity": entity,
        "entity_id": record.id,
        "detail": dict(detail),
    }


def insert_many(
    connection: Connection, table: Table, rows: list[dict[str, Any]], audits: list[dict[str, Any]]
) -> None:
    """Insert the rows and their audit rows: one executemany each (nothing for no rows)."""
    if rows:
        execute(connection, table.insert(), rows)
        execute(connection, audit_log.insert(), audits)


def mark_values(mark: EnteredInError) -> dict[str, Any]:
    return {
        "entered_in_error_at": mark.at,
        "entered_in_error_by": mark.by,
        "entered_in_error_reason": mark.reason,
    }


class MarkableStore(ABC, Generic[R]):
    """Shared SQL for tables whose rows can be marked entered-in-error."""

    table: ClassVar[Table]
    entity: ClassVar[str]
    record_type: ClassVar[type[Any]]

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def _from_row(self, row: RowMapping) -> R:
        """The record of one row: its fields by column name, plus the entered-in-error mark."""
        values = {f.name: row[f.name] for f in fields(self.record_type) if f.name != "entered_in_error"}
        return cast("R", self.record_type(**values, entered_in_error=mark_of(row)))

    @staticmethod
    def _columns(record: Any) -> dict[str, Any]:
        """The record's fields as column values (the entered-in-error mark has columns of its own)."""
        return {f.name: getattr(record, f.name) for f in fields(record) if f.name != "entered_in_error"}

    @abstractmethod
    def _owner(self, record: R) -> AuditDetail:
        """The ids the audit entry names (never a patient's name)."""

    def _insert(self, values: dict[str, Any], *, at: dt.datetime, actor: str, detail: AuditDetail) -> None:
        execute(self._connection, self.table.insert().values(**values))
        write_audit(
            self._connection,
            at=at,
            actor=actor,
            action=f"{self.entity}.add",
            entity=self.entity,
            entity_id=values["id"],
            detail=detail,
        )

    def _select(self, *where: ColumnElement[bool], order_by: tuple[Any, ...] = ()) -> list[R]:
        statement = select(self.table).where(*where).order_by(*order_by)
        return [self._from_row(row) for row in self._connection.execute(statement).mappings()]

    def get(self, record_id: str) -> R:
        """The stored record; RecordNotFoundError when there is none."""
        found = self._select(self.table.c.id == record_id)
        if not found:
            raise RecordNotFoundError(self.entity, record_id)
        return found[0]

    def mark_entered_in_error(self, record_id: str, mark: EnteredInError) -> R:
        """Keep the row, set who/when/why and audit it; AlreadyEnteredInError when it already is."""
        table = self.table
        result = execute(
            self._connection,
            update(table)
            .where(table.c.id == record_id, table.c.entered_in_error_at.is_(None))
            .values(**mark_values(mark)),
        )
        record = self.get(record_id)
        if result.rowcount == 0:
            raise AlreadyEnteredInError(self.entity, record_id)
        write_audit(
            self._connection,
            at=mark.at,
            actor=mark.by,
            action=f"{self.entity}.entered_in_error",
            entity=self.entity,
            entity_id=record_id,
            detail=self._owner(record),
        )
        return record


class EntryStore(MarkableStore[E]):
    """Patient-level entries listed by date, then recording time."""

    def _owner(self, record: E) -> AuditDetail:
        return {"patient_id": record.patient_id}

    def list_for(self, patient_id: str) -> list[E]:
        """The patient's entries oldest first, marked ones included."""
        return self.list_for_many([patient_id]).get(patient_id, [])

    def list_for_many(self, patient_ids: Collection[str]) -> dict[str, list[E]]:
        """Each patient's entries oldest first, marked ones included: one query for all of them."""
        c = self.table.c
        return by_patient(
            self._select(c.patient_id.in_(list(patient_ids)), order_by=(c.date, c.recorded_at, c.id))
        )
