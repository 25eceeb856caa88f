"""Private helpers shared by the repositories: run a statement, dialect upserts, the audit insert."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Connection, Executable, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from b12care.adapters.db.tables import audit_log
from b12care.application.records import AuditDetail, new_id
from b12care.domain.errors import ConstraintError

__all__ = ["execute", "upsert_statement", "write_audit"]


def execute(
    connection: Connection, statement: Executable, parameters: list[dict[str, Any]] | None = None
) -> CursorResult[Any]:
    """Run ``statement`` (once per parameter set when given); a refused write (foreign key, unique,
    check) becomes ConstraintError."""
    try:
        return connection.execute(statement, parameters)
    except IntegrityError as error:
        raise ConstraintError(f"the database refused the write: {error.orig}") from error


def upsert_statement(connection: Connection, table: Table) -> sqlite.Insert | postgresql.Insert:
    """An INSERT that can take ``ON CONFLICT`` clauses (both databases spell it the same way)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def write_audit(
    connection: Connection,
    *,
    at: dt.datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    detail: AuditDetail,
    entry_id: str | None = None,
) -> None:
    """Append one audit entry in the caller's transaction (a fresh id unless ``entry_id`` is given)."""
    execute(
        connection,
        audit_log.insert().values(
            id=entry_id or new_id(),
            at=at,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            detail=dict(detail),
        ),
    )
