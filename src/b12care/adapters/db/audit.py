"""The SQL audit log: append-only, written by every repository in the caller's transaction."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Connection, RowMapping, select

from b12care.adapters.db._statements import write_audit
from b12care.adapters.db.tables import audit_log
from b12care.application.records import AuditEntry

__all__ = ["SqlAuditLog"]


def _entry(row: RowMapping) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        entity=row["entity"],
        entity_id=row["entity_id"],
        detail=dict(row["detail"]),
    )


class SqlAuditLog:
    """Reads the audit log; ``append`` logs an event that is not a repository write."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def append(self, entry: AuditEntry) -> None:
        """Log ``entry`` as given."""
        write_audit(
            self._connection,
            at=entry.at,
            actor=entry.actor,
            action=entry.action,
            entity=entry.entity,
            entity_id=entry.entity_id,
            detail=entry.detail,
            entry_id=entry.id,
        )

    def for_entity(self, entity: str, entity_id: str) -> list[AuditEntry]:
        """Every entry about one record, oldest first."""
        c = audit_log.c
        statement = (
            select(audit_log).where(c.entity == entity, c.entity_id == entity_id).order_by(c.at, c.seq)
        )
        return [_entry(row) for row in self._connection.execute(statement).mappings()]

    def since(self, at: dt.datetime, limit: int = 1000) -> list[AuditEntry]:
        """Entries at or after ``at``, oldest first, at most ``limit``."""
        c = audit_log.c
        statement = select(audit_log).where(c.at >= at).order_by(c.at, c.seq).limit(limit)
        return [_entry(row) for row in self._connection.execute(statement).mappings()]
