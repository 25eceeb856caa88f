"""Backup and restore of the embedded SQLite database.

Backup: the sqlite3 online backup API copies every page in ONE step, that is inside one read
transaction, so the copy is the database as of one commit while the server keeps writing (WAL mode:
the reader does not block the writer, and the writer does not restart the copy). The copy is turned
into a single self-contained file (journal mode DELETE), checked with ``PRAGMA integrity_check`` and
``PRAGMA foreign_key_check``, synced to disk and only then given its name and ``FILE.sha256``.

Restore: the backup is copied to a private work file first (the backup itself is never changed), its
SHA-256 compared with the checksum file, its integrity and schema revision checked (a newer schema than
this program knows is refused; an older one is migrated to the newest on the work copy). Then the live
database is locked EXCLUSIVELY - refused while any other process has it open, e.g. a running
``b12care serve`` - copied aside to ``<db>.before-restore-<UTC time>`` (nothing is deleted) and
replaced with the backup API: one transaction, so a crash leaves either the old or the new database.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

from b12care.adapters.db.backup_manifest import (
    BackupReport,
    Manifest,
    RestoreReport,
    fsync_file,
    read_manifest,
    refuse_changed,
    refuse_unknown_revision,
    require_new_file,
    sha256_of,
    write_manifest,
)
from b12care.adapters.db.engine import create_database_engine
from b12care.adapters.db.migrate import head_revision, revisions, upgrade_to_head
from b12care.domain.errors import BackupFailedError, BackupRefusedError

__all__ = ["LOCK_TIMEOUT_S", "backup_sqlite", "check_sqlite", "restore_sqlite"]

LOCK_TIMEOUT_S = 2.0
"""How long restore waits for the live database's exclusive lock before refusing."""
_READ_TIMEOUT_S = 10.0
_PRIVATE = 0o600  # backups hold patient records: readable by their owner only


def _connect(path: Path, timeout: float = _READ_TIMEOUT_S) -> sqlite3.Connection:
    """A plain connection that leaves transactions to the statements it runs."""
    return sqlite3.connect(path, timeout=timeout, isolation_level=None)


def _problems(connection: sqlite3.Connection) -> list[str]:
    """What ``integrity_check`` and ``foreign_key_check`` find; empty when the database is sound."""
    found = [str(row[0]) for row in connection.execute("PRAGMA integrity_check") if row[0] != "ok"]
    for table, rowid, parent, _ in connection.execute("PRAGMA foreign_key_check"):
        found.append(f"row {rowid} of {table} refers to a missing {parent} row")
    return found


def _revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.OperationalError:  # no such table: not a b12care database
        return None
    return None if row is None else str(row[0])


def _inspect(path: Path, what: str) -> str | None:
    """Check a database file; return its schema revision (None when it has none)."""
    try:
        with closing(_connect(path)) as connection:
            problems = _problems(connection)
            revision = _revision(connection)
    except sqlite3.DatabaseError as error:  # "file is not a database" and the like
        raise BackupRefusedError("FILE", f"{what} is not a readable SQLite database: {error}") from None
    if problems:
        listed = "; ".join(problems[:3]) + (f" (and {len(problems) - 3} more)" if len(problems) > 3 else "")
        raise BackupRefusedError("FILE", f"{what} fails the integrity check: {listed}")
    return revision


def _stamp(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")


def _copy_into(source: sqlite3.Connection, path: Path) -> None:
    """Copy a whole database into a new single file at ``path`` (one step, so one snapshot)."""
    path.unlink(missing_ok=True)  # a partial file of ours left by an interrupted run
    with closing(_connect(path)) as copy:
        source.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
    path.chmod(_PRIVATE)


def backup_sqlite(live: Path, target: Path, now: dt.datetime) -> BackupReport:
    """An online, consistent copy of ``live`` at ``target``, checked, with ``target.sha256``."""
    if not live.is_file():
        raise BackupRefusedError("database", f"no database file at {live}")
    require_new_file(target)
    partial = target.with_name(f".{target.name}.partial")
    try:
        try:
            with closing(_connect(live)) as source:
                _copy_into(source, partial)
        except sqlite3.Error as error:
            raise BackupFailedError(f"cannot copy {live}: {error}") from None
        revision = _inspect(partial, f"the copy of {live}")
        if revision is None:
            raise BackupRefusedError("database", f"{live} is not a b12care database (no alembic_version)")
        fsync_file(partial)
        digest = sha256_of(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    manifest = write_manifest(target, "sqlite", revision, now, digest)
    return BackupReport(target, target.with_name(target.name + ".sha256"), manifest, target.stat().st_size)


@contextmanager
def _exclusive(live: Path) -> Iterator[sqlite3.Connection]:
    """The live database, held with an exclusive lock until the block ends; refused while another
    connection (another process, or a server) has it open."""
    live.parent.mkdir(parents=True, exist_ok=True)
    with closing(_connect(live, LOCK_TIMEOUT_S)) as connection:
        try:
            connection.execute("PRAGMA locking_mode = EXCLUSIVE")
            connection.execute("BEGIN EXCLUSIVE")
            connection.execute("COMMIT")  # the lock stays: locking_mode EXCLUSIVE keeps it until close
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode & 0xFF not in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
                raise _unreadable(live, error) from None
            raise BackupRefusedError(
                "database",
                f"{live} is in use by another process ({error}): stop `b12care serve` and every other "
                "b12care command using it, then restore again; nothing was changed",
            ) from None
        except sqlite3.DatabaseError as error:  # "file is not a database": a damaged live file
            raise _unreadable(live, error) from None
        yield connection


def _unreadable(live: Path, error: sqlite3.Error) -> BackupFailedError:
    return BackupFailedError(
        f"cannot read the live database {live} ({error}): move the file away yourself (keep it) and "
        "restore again into the empty path; nothing was changed"
    )


def _keep_aside(live_connection: sqlite3.Connection, live: Path, now: dt.datetime) -> Path:
    """Copy the live database to ``<db>.before-restore-<time>`` (a new name, never overwritten)."""
    aside = live.with_name(f"{live.name}.before-restore-{_stamp(now)}")
    counter = 1
    while aside.exists():
        counter += 1
        aside = live.with_name(f"{live.name}.before-restore-{_stamp(now)}-{counter}")
    try:
        _copy_into(live_connection, aside)
    except sqlite3.DatabaseError as error:
        aside.unlink(missing_ok=True)
        if error.sqlite_errorcode & 0xFF in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
            raise _unreadable(live, error) from None
        raise BackupFailedError(
            f"cannot keep the database aside at {aside} ({error}); nothing was changed"
        ) from None
    fsync_file(aside)
    return aside


def _migrate(work: Path) -> None:
    engine = create_database_engine(f"sqlite:///{work}")
    try:
        upgrade_to_head(engine)
    finally:
        engine.dispose()


def _checked_copy(source: Path, work: Path) -> tuple[Manifest, str]:
    """Copy the backup to ``work`` and check it there: checksum, integrity, schema revision."""
    manifest = read_manifest(source)
    if manifest.kind != "sqlite":
        raise BackupRefusedError(
            "FILE", f"{source.name} is a {manifest.kind} backup; B12CARE_DATABASE_URL names a SQLite database"
        )
    shutil.copyfile(source, work)
    refuse_changed(source, manifest, sha256_of(work))
    revision = refuse_unknown_revision(manifest, _inspect(work, source.name), revisions())
    return manifest, revision


def check_sqlite(source: Path) -> RestoreReport:
    """Verify a SQLite backup as a restore would (checksum, integrity, schema revision) on a private
    copy; change nothing."""
    with tempfile.TemporaryDirectory(prefix="b12care-check-") as scratch:
        manifest, _ = _checked_copy(source, Path(scratch) / "check.db")
    return RestoreReport(manifest, checked_only=True)


def restore_sqlite(source: Path, live: Path, now: dt.datetime) -> RestoreReport:
    """Restore the backup ``source`` into the database file ``live`` (kept aside first); refused, with
    nothing changed, when a check fails or another process has the database open."""
    live.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".b12care-restore-", dir=live.parent) as scratch:
        work = Path(scratch) / "restore.db"
        manifest, revision = _checked_copy(source, work)
        migrated_from = None
        if revision != head_revision():
            _migrate(work)
            migrated_from = revision
        existed = live.is_file() and live.stat().st_size > 0
        with _exclusive(live) as target:
            kept = _keep_aside(target, live, now) if existed else None
            try:
                with closing(_connect(work)) as restored:
                    restored.backup(target)
            except sqlite3.Error as error:
                raise BackupFailedError(
                    f"restoring into {live} failed ({error}); the database is as it was"
                    + (f", and a copy of it is kept at {kept}" if kept else "")
                ) from None
            problems = _problems(target)
            if problems:  # pragma: no cover - the work copy was checked; a disk fault could do this
                raise BackupFailedError(f"the restored {live} fails the integrity check: {problems[0]}")
    return RestoreReport(manifest, checked_only=False, migrated_from=migrated_from, kept_aside=kept)
