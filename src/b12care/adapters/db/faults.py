"""Driver errors that mean "the database cannot do its work now" become the service's storage faults.

:func:`install_fault_translation` hooks SQLAlchemy's ``handle_error`` event of an engine, so every
statement, transaction begin/commit/rollback and connection attempt on it - units of work, the CDS Hooks
store, migrations - raises :class:`~b12care.domain.errors.StorageUnavailableError`,
:class:`~b12care.domain.errors.StorageFullError` or
:class:`~b12care.domain.errors.StorageReadOnlyError`
instead of the driver's error. Other errors (a refused constraint, a bug) pass through unchanged.

==========================================  ===============  =========================================
driver error                                SQLite code      PostgreSQL SQLSTATE
==========================================  ===============  =========================================
unavailable: unreachable, lost, busy        BUSY, LOCKED,    none (connection failed or lost), class
                                            CANTOPEN, IOERR  08, 53 but 53100, 57 (shutdown, starting
                                                             up, cancelled), 58 (I/O), 55P03 (lock)
full                                        FULL             53100 disk_full
read-only                                   READONLY, PERM   25006 read_only_sql_transaction
damaged: not a database, corrupt            NOTADB, CORRUPT  XX001, XX002 (data or index corrupted)
==========================================  ===============  =========================================

SQLite reports a database on a read-only filesystem as CANTOPEN or IOERR (it cannot create or write
its ``-wal``/``-shm`` files): when the database file's folder is read-only (``statvfs`` ``ST_RDONLY``,
or not writable), those codes mean "read-only" too.

A connection SQLAlchemy recognises as broken is "unavailable" whatever its code; the pool then drops
it, and ``pool_pre_ping`` replaces stale ones at checkout - so the service recovers by itself once the
database is back. The pre-ping's own probe is left alone (it must see the driver's error to reconnect).
Whatever failed, the transaction is rolled back by the database: nothing partial is stored.
"""

from __future__ import annotations

import os
import sqlite3
from functools import partial
from pathlib import Path

from sqlalchemy import Engine, event
from sqlalchemy.engine import ExceptionContext

from b12care.domain.errors import (
    StorageDamagedError,
    StorageFaultError,
    StorageFullError,
    StorageReadOnlyError,
    StorageUnavailableError,
)

__all__ = ["install_fault_translation", "storage_fault"]

_REASON_LENGTH = 200

# SQLite primary result codes (https://www.sqlite.org/rescode.html); extended codes keep them in the low byte.
_SQLITE: dict[int, type[StorageFaultError]] = {
    3: StorageReadOnlyError,  # SQLITE_PERM
    5: StorageUnavailableError,  # SQLITE_BUSY: still locked after the busy timeout
    6: StorageUnavailableError,  # SQLITE_LOCKED
    8: StorageReadOnlyError,  # SQLITE_READONLY
    11: StorageDamagedError,  # SQLITE_CORRUPT: "database disk image is malformed"
    10: StorageUnavailableError,  # SQLITE_IOERR
    13: StorageFullError,  # SQLITE_FULL
    14: StorageUnavailableError,  # SQLITE_CANTOPEN
    26: StorageDamagedError,  # SQLITE_NOTADB: "file is not a database"
}
# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html): exact codes first.
_POSTGRES_CODES: dict[str, type[StorageFaultError]] = {
    "53100": StorageFullError,  # disk_full
    "25006": StorageReadOnlyError,  # read_only_sql_transaction (read-only setting, hot standby)
    "55P03": StorageUnavailableError,  # lock_not_available
    "XX001": StorageDamagedError,  # data_corrupted
    "XX002": StorageDamagedError,  # index_corrupted
}
_POSTGRES_CLASSES: dict[str, type[StorageFaultError]] = {
    "08": StorageUnavailableError,  # connection exception
    "53": StorageUnavailableError,  # insufficient resources (memory, connections)
    "57": StorageUnavailableError,  # operator intervention: shutdown, crash, starting up, cancelled
    "58": StorageUnavailableError,  # system error (I/O)
}


def _reason(error: BaseException) -> str:
    """The driver's message in one line: its first line, cut short (no SQL, no parameters)."""
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return first[:_REASON_LENGTH]


def _read_only_place(database: Path) -> bool:
    """The SQLite file's folder is on a read-only filesystem or cannot be written (so neither can the
    journal files beside the database)."""
    folder = database.parent
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY) or not os.access(folder, os.W_OK)
    except OSError:  # the folder is gone: unreachable, not read-only
        return False


def _fault_type(error: BaseException, database: Path | None) -> type[StorageFaultError] | None:
    if isinstance(error, sqlite3.Error):
        code = getattr(error, "sqlite_errorcode", None)
        fault = _SQLITE.get(code & 0xFF) if isinstance(code, int) else None
        if fault is StorageUnavailableError and database is not None and _read_only_place(database):
            return StorageReadOnlyError
        return fault
    import psycopg  # not a SQLite error: a PostgreSQL engine's, whose driver is loaded already

    if not isinstance(error, psycopg.Error):
        return None
    if error.sqlstate is None:  # no answer from the server: connecting failed or the connection broke
        return StorageUnavailableError if isinstance(error, psycopg.OperationalError) else None
    return _POSTGRES_CODES.get(error.sqlstate) or _POSTGRES_CLASSES.get(error.sqlstate[:2])


def storage_fault(
    error: BaseException, *, disconnected: bool = False, database: Path | None = None
) -> StorageFaultError | None:
    """The storage fault a driver error means, or None when it is not one (a constraint, a bug).

    ``database`` is the SQLite file, if any: it tells a read-only place from an unreachable one.
    """
    fault = StorageUnavailableError if disconnected else _fault_type(error, database)
    return fault(_reason(error)) if fault is not None else None


def _translate(database: Path | None, context: ExceptionContext) -> BaseException | None:
    if context.is_pre_ping:  # the pool's liveness probe decides on the driver's own error
        return None
    return storage_fault(context.original_exception, disconnected=context.is_disconnect, database=database)


def translated(error: BaseException, database: Path | None = None) -> BaseException:
    """The storage fault behind an error SQLAlchemy raised outside ``handle_error`` (a connect-time
    event such as SQLite's ``PRAGMA journal_mode``), else the error itself."""
    original = getattr(error, "orig", None)
    fault = storage_fault(original, database=database) if isinstance(original, BaseException) else None
    return fault if fault is not None else error


def install_fault_translation(engine: Engine, database: Path | None = None) -> None:
    """Make ``engine`` raise the service's storage faults in place of the driver errors that mean one;
    ``database`` is its SQLite file (None: PostgreSQL or in-memory)."""
    event.listen(engine, "handle_error", partial(_translate, database))
