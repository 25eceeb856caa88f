"""The files the CLI writes for people - exports, FHIR Bundles, handouts, calendars - written safely.

A patient record on disk deserves what a backup gets (docs/threat-model.md, security probe M3):
- **never over an existing file** unless the user says ``--force``: a mistyped path must not destroy a
  file (an earlier export, a backup);
- **never over the live database** or its ``-wal``/``-shm``/``-journal`` files, not even with ``--force``
  (a running server would go on writing to the unlinked file and lose everything at restart);
- **owner-only** (0600) whatever the umask: the file holds a clinic's health record;
- **whole or not at all**: written to a temporary file beside the target, synced, then moved into place.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from pathlib import Path

from b12care.domain.errors import InputError

__all__ = ["PRIVATE_MODE", "write_private"]

PRIVATE_MODE = 0o600
_DATABASE_COMPANIONS = ("", "-wal", "-shm", "-journal")
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EXDEV, errno.EMLINK})


def _database_files() -> list[Path]:
    """The live SQLite database and its companion files (none for PostgreSQL)."""
    from b12care.adapters.db.engine import sqlite_file  # SQLAlchemy: loaded when a file is written
    from b12care.config import Settings

    database = sqlite_file(Settings().resolved_database_url())
    if database is None:
        return []
    return [database.with_name(database.name + suffix) for suffix in _DATABASE_COMPANIONS]


def _same_file(path: Path, other: Path) -> bool:
    try:
        if path.resolve() == other.resolve():
            return True
        return other.exists() and path.exists() and path.samefile(other)  # a hard link to it
    except OSError:
        return False


def _check_target(path: Path, field: str, *, force: bool) -> None:
    if any(_same_file(path, database) for database in _database_files()):
        raise InputError(field, f"{path} is the live b12care database: choose another file")
    if path.is_dir():
        raise InputError(field, f"{path} is a folder: name a file")
    if path.exists() and not force:
        raise InputError(field, f"{path} exists: choose another name, or --force to replace it")


def _move_without_replacing(partial: Path, path: Path) -> None:
    """Give ``partial`` the name ``path`` unless that name exists: a hard link refuses, atomically, a file
    that appeared since the check; a filesystem without hard links gets a last look, then a rename."""
    try:
        os.link(partial, path)
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if path.exists():
            raise FileExistsError(path) from None
        partial.replace(path)


def write_private(
    path: Path, chunks: Iterable[str | bytes], *, force: bool = False, field: str = "--output"
) -> None:
    """Write ``chunks`` to ``path`` safely (see the module docstring); raise InputError naming ``field``."""
    _check_target(path, field, force=force)
    partial = path.with_name(f".{path.name}.partial")
    try:
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_MODE)
        os.fchmod(descriptor, PRIVATE_MODE)  # also when the partial file was left by a crash
        with os.fdopen(descriptor, "wb") as file:
            for chunk in chunks:
                file.write(chunk.encode("utf-8") if isinstance(chunk, str) else chunk)
            file.flush()
            os.fsync(file.fileno())
        if force:
            partial.replace(path)
        else:
            _move_without_replacing(partial, path)
    except FileExistsError:
        raise InputError(field, f"{path} exists: choose another name, or --force to replace it") from None
    except OSError as error:
        raise InputError(field, f"cannot write {path}: {error.strerror or error}") from None
    finally:
        partial.unlink(missing_ok=True)
