"""Engines for the two supported databases, set up the same way every time they connect.

SQLite (the embedded default): WAL journal (readers never block the writer), foreign keys on (off by
default in SQLite), a busy timeout so a second process waits instead of failing, and every transaction
begun with ``BEGIN IMMEDIATE`` so two writers queue up at the start rather than fail on lock upgrade.
PostgreSQL: ``pool_pre_ping`` so a restarted server costs a reconnect, not an error, and a connect
timeout (``CONNECT_TIMEOUT_SECONDS`` unless the URL sets ``connect_timeout``) so a request waits a bounded
time for a server that does not answer.

On both, driver errors that mean the database cannot work now (unreachable, full, read-only) are raised
as the service's storage faults (:mod:`b12care.adapters.db.faults`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import ConnectionPoolEntry

from b12care.adapters.db.faults import install_fault_translation

__all__ = ["BUSY_TIMEOUT_MS", "CONNECT_TIMEOUT_SECONDS", "create_database_engine", "sqlite_file"]

BUSY_TIMEOUT_MS = 10_000
CONNECT_TIMEOUT_SECONDS = 5


def sqlite_file(url: str | URL) -> Path | None:
    """The database file of a SQLite URL, also of a URI one (``sqlite:///file:PATH?mode=ro&uri=true``);
    None for an in-memory database or another backend."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or database is None:
        return None
    if parsed.query.get("uri") == "true" and database.startswith("file:"):
        database = database.removeprefix("file:")
        if parsed.query.get("mode") == "memory":
            return None
    return None if database in ("", ":memory:") else Path(database)


def _configure_sqlite_connection(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Take transaction control away from the sqlite3 module; the "begin" hook below starts them.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # FULL syncs the WAL at every commit: an acknowledged dose survives a power cut, not just a crash.
        cursor.execute("PRAGMA synchronous = FULL")
    finally:
        cursor.close()


READ_ONLY = "b12care_read_only"
"""Connection execution option: this connection's transactions only read (SQLite: ``BEGIN DEFERRED``,
so they take no write lock and run beside a writer in WAL mode)."""


def _begin_immediate(connection: Connection) -> None:
    read_only = connection.get_execution_options().get(READ_ONLY, False)
    connection.exec_driver_sql("BEGIN DEFERRED" if read_only else "BEGIN IMMEDIATE")


def _create_private_file(path: Path) -> None:
    """Create ``path``'s folder (0700) and ``path`` itself (empty, 0600) unless they exist; where that is
    impossible (a read-only place) SQLite's own open reports it, translated like every storage fault."""
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return


def create_database_engine(url: str | URL) -> Engine:
    """An engine for ``url`` (``sqlite:///path`` or ``postgresql+psycopg://...``).

    A SQLite file's folder (0700) and the empty file (0600) are created when missing, so the record is
    readable by its owner only whatever the umask (SQLite gives its -wal and -shm files the database
    file's mode). The caller owns the engine and disposes it.
    """
    parsed = make_url(url)
    path = sqlite_file(parsed)
    if parsed.get_backend_name() == "sqlite":
        if path is not None:
            _create_private_file(path)
        engine = create_engine(parsed)
        event.listen(engine, "connect", _configure_sqlite_connection)
        event.listen(engine, "begin", _begin_immediate)
    else:
        timeout = {} if "connect_timeout" in parsed.query else {"connect_timeout": CONNECT_TIMEOUT_SECONDS}
        engine = create_engine(parsed, pool_pre_ping=True, connect_args=timeout)
    install_fault_translation(engine, path)
    return engine
