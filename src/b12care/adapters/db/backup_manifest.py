"""The checksum file beside every backup, and what backups and restores report and refuse.

``FILE.sha256`` is in the format of ``sha256sum``: ``sha256sum -c FILE.sha256`` (run in the folder of
the backup) checks the backup with standard tools. Lines starting with ``#`` (which ``sha256sum``
skips) record what the backup is::

    # b12care backup
    # kind: sqlite
    # schema-revision: 0006_calendar
    # b12care-version: 0.1.0
    # created: 2026-01-05T09:30:00+00:00
    9f2c...e1  b12care-2026-01-05.db

``kind`` is ``sqlite`` (a SQLite database file) or ``postgresql`` (a ``pg_dump --format=custom``
archive). The schema revision is also read from the backup itself on restore; the two must agree.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from b12care import __version__
from b12care.domain.errors import BackupRefusedError

__all__ = [
    "BackupKind",
    "BackupReport",
    "Manifest",
    "RestoreReport",
    "checksum_path",
    "fsync_file",
    "read_manifest",
    "refuse_changed",
    "refuse_unknown_revision",
    "require_new_file",
    "sha256_of",
    "write_manifest",
]

BackupKind = Literal["sqlite", "postgresql"]
KINDS: tuple[BackupKind, ...] = ("sqlite", "postgresql")
_CHUNK = 1 << 20
_DIGEST_LINE = re.compile(r"^([0-9a-f]{64}) [ *](.+)$")


@dataclass(frozen=True, slots=True)
class Manifest:
    """What the checksum file says about its backup."""

    kind: BackupKind
    revision: str
    version: str
    created: dt.datetime
    sha256: str
    file_name: str


@dataclass(frozen=True, slots=True)
class BackupReport:
    """A finished backup: the file, its checksum file and what they record."""

    path: Path
    checksum_path: Path
    manifest: Manifest
    size: int


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """A finished (or, with ``checked_only``, a verified) restore.

    ``migrated_from`` is the backup's older schema revision when the restored database was brought
    to the newest one; ``kept_aside`` is where the database it replaced was kept (SQLite; None when
    there was none, and always for PostgreSQL, which restores into a new empty database).
    """

    manifest: Manifest
    checked_only: bool
    migrated_from: str | None = None
    kept_aside: Path | None = None


def checksum_path(backup: Path) -> Path:
    """The checksum file of ``backup``: ``FILE.sha256`` beside it."""
    return backup.with_name(backup.name + ".sha256")


def sha256_of(path: Path) -> str:
    """The SHA-256 of a file's bytes, as 64 hex digits."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def require_new_file(path: Path) -> None:
    """Refuse a backup target that exists (with its checksum file) or whose folder does not."""
    if not path.parent.is_dir():
        raise BackupRefusedError("FILE", f"no folder {path.parent} for the backup")
    for existing in (path, checksum_path(path)):
        if existing.exists():
            raise BackupRefusedError(
                "FILE", f"{existing} exists: a backup never overwrites a file; choose a new name"
            )


def fsync_file(path: Path) -> None:
    """Flush a file's bytes to the disk."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_manifest(
    backup: Path, kind: BackupKind, revision: str, created: dt.datetime, sha256: str
) -> Manifest:
    """Write ``FILE.sha256`` (readable by its owner only, like the backup) and return what it says."""
    manifest = Manifest(kind, revision, __version__, created, sha256, backup.name)
    text = (
        "# b12care backup\n"
        f"# kind: {kind}\n"
        f"# schema-revision: {revision}\n"
        f"# b12care-version: {__version__}\n"
        f"# created: {created.isoformat()}\n"
        f"{sha256}  {backup.name}\n"
    )
    target = checksum_path(backup)
    partial = target.with_name(f".{target.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text)
        file.flush()
        os.fsync(file.fileno())
    partial.replace(target)
    return manifest


def read_manifest(backup: Path) -> Manifest:
    """The checksum file of ``backup``; refused when the backup or the file is missing or malformed."""
    if not backup.is_file():
        raise BackupRefusedError("FILE", f"no backup file at {backup}")
    path = checksum_path(backup)
    if not path.is_file():
        raise BackupRefusedError(
            "FILE", f"no checksum file {path.name} beside the backup: a backup is restored only with it"
        )
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise BackupRefusedError("FILE", f"cannot read {path.name}: {error}") from None
    fields: dict[str, str] = {}
    digests: list[tuple[str, str]] = []
    for line in lines:
        if line.startswith("#"):
            key, separator, value = line[1:].partition(":")
            if separator:
                fields[key.strip()] = value.strip()
        elif match := _DIGEST_LINE.match(line.strip()):
            digests.append((match[1], match[2]))
    return _manifest(path, fields, digests, backup.name)


def _manifest(path: Path, fields: dict[str, str], digests: list[tuple[str, str]], name: str) -> Manifest:
    missing = [key for key in ("kind", "schema-revision", "created") if not fields.get(key)]
    if missing or len(digests) != 1:
        what = f"no {', '.join(missing)} line" if missing else "not exactly one SHA-256 line"
        raise BackupRefusedError("FILE", f"{path.name} is not a b12care checksum file ({what})")
    digest, file_name = digests[0]
    if file_name != name:
        raise BackupRefusedError("FILE", f"{path.name} is the checksum of {file_name!r}, not of {name!r}")
    kind = fields["kind"]
    if kind not in KINDS:
        raise BackupRefusedError("FILE", f"{path.name}: unknown kind {kind!r} (use {', '.join(KINDS)})")
    try:
        created = dt.datetime.fromisoformat(fields["created"])
    except ValueError:
        raise BackupRefusedError(
            "FILE", f"{path.name}: created {fields['created']!r} is not a time"
        ) from None
    return Manifest(
        kind,  # checked against KINDS above
        fields["schema-revision"],
        fields.get("b12care-version", "unknown"),
        created,
        digest,
        file_name,
    )


def refuse_changed(backup: Path, manifest: Manifest, actual: str) -> None:
    """Refuse a backup whose bytes do not have the SHA-256 its checksum file records."""
    if actual != manifest.sha256:
        raise BackupRefusedError(
            "FILE",
            f"checksum mismatch: {backup.name} has SHA-256 {actual[:12]}..., "
            f"{checksum_path(backup).name} records {manifest.sha256[:12]}...: the backup is damaged or "
            "was changed; nothing was restored",
        )


def refuse_unknown_revision(manifest: Manifest, revision: str | None, known: list[str]) -> str:
    """The backup's own schema revision, refused when it is missing, disagrees with the checksum file or
    is newer than this program knows."""
    if revision is None:
        raise BackupRefusedError("FILE", "the backup holds no b12care schema (no alembic_version)")
    if revision != manifest.revision:
        raise BackupRefusedError(
            "FILE",
            f"the backup holds schema {revision!r} but its checksum file says {manifest.revision!r}",
        )
    if revision not in known:
        raise BackupRefusedError(
            "FILE",
            f"the backup has schema revision {revision!r}, newer than this b12care {__version__} knows "
            f"(newest: {known[-1]}): restore it with the b12care version that wrote it "
            f"({manifest.version}) or a later one",
        )
    return revision
