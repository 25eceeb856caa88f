"""``b12care backup`` and ``b12care restore``: one entry point for both databases (docs/backup.md).

- SQLite (the embedded default): an online snapshot with the sqlite3 backup API, checked, and restored
  over the live file after keeping that aside as ``<db>.before-restore-<UTC time>``
  (:mod:`b12care.adapters.db.backup_sqlite`).
- PostgreSQL: ``pg_dump --format=custom`` and ``pg_restore`` into a new, empty database
  (:mod:`b12care.adapters.db.backup_postgres`).

Every backup gets ``FILE.sha256`` (``sha256sum -c`` format, with the schema revision and b12care
version: :mod:`b12care.adapters.db.backup_manifest`). A restore is refused, with nothing changed, when
the checksum does not match, the copy fails its integrity check, or its schema is newer than this
program knows; an older schema is migrated to the newest. Refusals are :class:`BackupRefusedError`
(an ``InputError`` naming ``FILE`` or ``database``); failures of a step are :class:`BackupFailedError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from b12care.adapters.db.backup_manifest import (
    BackupReport,
    Manifest,
    RestoreReport,
    checksum_path,
    read_manifest,
)
from b12care.adapters.db.engine import sqlite_file
from b12care.domain.errors import BackupFailedError, BackupRefusedError

__all__ = [
    "BackupReport",
    "Manifest",
    "RestoreReport",
    "backup_database",
    "check_backup",
    "checksum_path",
    "restore_database",
]


def _sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL; refused for an in-memory database."""
    if make_url(url).get_backend_name() != "sqlite":
        return None
    path = sqlite_file(url)
    if path is None:
        raise BackupRefusedError("database", "an in-memory SQLite database cannot be backed up or restored")
    return path


@contextmanager
def _disk_errors(what: str) -> Iterator[None]:
    """An OSError of a file step (disk full, no permission) as a BackupFailedError naming it."""
    try:
        yield
    except OSError as error:
        where = f" ({error.filename})" if error.filename else ""
        raise BackupFailedError(f"{what}: {error.strerror or error}{where}") from None


def backup_database(url: str, target: Path, now: dt.datetime) -> BackupReport:
    """Back the database at ``url`` up to the new file ``target`` (and ``target.sha256``)."""
    path = _sqlite_path(url)
    with _disk_errors(f"cannot write the backup {target}"):
        if path is not None:
            from b12care.adapters.db.backup_sqlite import backup_sqlite

            return backup_sqlite(path, target, now)
        from b12care.adapters.db.backup_postgres import backup_postgresql

        return backup_postgresql(url, target, now)


def restore_database(url: str, source: Path, now: dt.datetime) -> RestoreReport:
    """Restore the backup ``source`` into the database at ``url`` (SQLite: over the live file, kept
    aside first; PostgreSQL: into an empty database)."""
    path = _sqlite_path(url)
    with _disk_errors(f"cannot restore {source}; nothing was changed"):
        if path is not None:
            from b12care.adapters.db.backup_sqlite import restore_sqlite

            return restore_sqlite(source, path, now)
        from b12care.adapters.db.backup_postgres import restore_postgresql

        return restore_postgresql(source, url)


def check_backup(source: Path, url: str | None = None) -> RestoreReport:
    """Verify a backup as a restore would - checksum, integrity, schema revision known to this program -
    and change nothing. The kind (SQLite or PostgreSQL) is the checksum file's."""
    with _disk_errors(f"cannot check {source}"):
        if read_manifest(source).kind == "sqlite":
            from b12care.adapters.db.backup_sqlite import check_sqlite

            return check_sqlite(source)
        from b12care.adapters.db.backup_postgres import check_postgresql

        is_postgres = url is not None and make_url(url).get_backend_name() == "postgresql"
        return check_postgresql(source, url if is_postgres else None)
