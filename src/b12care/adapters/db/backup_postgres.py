"""Backup and restore of a PostgreSQL database with PostgreSQL's own tools.

Backup runs ``pg_dump --format=custom`` (one transaction with one snapshot: consistent while the
server keeps writing), checks that ``pg_restore --list`` reads the archive back, reads the schema
revision out of it, and writes ``FILE.sha256`` like a SQLite backup.

Restore checks the checksum, the archive and its schema revision, then runs ``pg_restore --no-owner
--no-privileges --single-transaction --exit-on-error`` into the database of ``B12CARE_DATABASE_URL``,
which must be EMPTY (no tables): the database in use is never overwritten, it stays as it is (that is
how it is kept aside), and a failed restore leaves the new database empty. An older schema is then
migrated to the newest.

The tools come from ``PATH``, else from ``/usr/lib/postgresql/<version>/bin`` (Debian), newest first.
A password in the URL reaches them through a temporary passfile (mode 0600), never the command line.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from b12care.adapters.db.backup_manifest import (
    BackupReport,
    RestoreReport,
    checksum_path,
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

__all__ = ["backup_postgresql", "check_postgresql", "find_tool", "libpq_uri", "restore_postgresql"]

_DEBIAN_BINARIES = Path("/usr/lib/postgresql")
_COPY = re.compile(r'^COPY (?:"?([^".\s]+)"?\.)?"?alembic_version"? \(version_num\) FROM stdin;$')
_SEARCH_PATH = re.compile(r"search_path\s*=\s*([^,\s]+)")
_CONNECT_TIMEOUT_S = "10"


def find_tool(name: str) -> str:
    """The path of ``pg_dump`` or ``pg_restore``; BackupFailedError when neither place has it."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name))

    candidates = sorted(_DEBIAN_BINARIES.glob(f"*/bin/{name}"), key=version, reverse=True)
    if candidates:
        return str(candidates[0])
    raise BackupFailedError(
        f"{name} not found: install PostgreSQL's client tools (Debian: apt-get install postgresql-client)"
    )


@contextmanager
def libpq_uri(url: str) -> Iterator[str]:
    """The libpq connection URI of a SQLAlchemy URL (its password in a temporary 0600 passfile)."""
    parsed = make_url(url)
    query: dict[str, str | tuple[str, ...]] = dict(parsed.query)
    query.setdefault("connect_timeout", _CONNECT_TIMEOUT_S)
    with tempfile.TemporaryDirectory(prefix="b12care-pg-") as folder:
        if parsed.password is not None:
            passfile = Path(folder) / "pgpass"
            secret = str(parsed.password).replace("\\", "\\\\").replace(":", "\\:")
            descriptor = os.open(passfile, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                file.write(f"*:*:*:*:{secret}\n")
            query["passfile"] = str(passfile)
        uri = URL.create(
            "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, query
        )
        yield uri.render_as_string(hide_password=False)


def _run(tool: str, *arguments: str) -> subprocess.CompletedProcess[str]:
    """Run a PostgreSQL tool; BackupFailedError naming its first error line."""
    command = [find_tool(tool), *arguments]
    try:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as error:
        raise BackupFailedError(f"cannot run {tool}: {error}") from None
    if result.returncode != 0:
        lines = [line.strip() for line in result.stderr.splitlines() if line.strip()]
        errors = [line for line in lines if "error:" in line.lower()]  # not the "Command was: ..." lines
        shown = (errors or lines or [f"exit status {result.returncode}"])[0]
        raise BackupFailedError(f"{tool} failed: {shown.removeprefix(f'{tool}: ')}")
    return result


def _schema_of(url: str) -> str:
    """The schema b12care's tables live in: the first of ``-csearch_path=...`` in the URL, else public."""
    options = make_url(url).query.get("options", "")
    found = _SEARCH_PATH.search(options if isinstance(options, str) else " ".join(options))
    return found[1].strip('"') if found else "public"


def _archive_revision(archive: Path, schema: str) -> str | None:
    """The schema revision stored in a pg_dump archive (its ``alembic_version`` data)."""
    listing = _run("pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(archive)).stdout
    found: dict[str, list[str]] = {}
    rows: list[str] | None = None
    for line in listing.splitlines():
        if rows is not None:
            if line == "\\.":
                rows = None
            else:
                rows.append(line)
        elif match := _COPY.match(line):
            rows = found.setdefault(match[1] or "public", [])
    revisions_by_schema = {name: values[0] for name, values in found.items() if len(values) == 1}
    if schema in revisions_by_schema:
        return revisions_by_schema[schema]
    return next(iter(revisions_by_schema.values())) if len(revisions_by_schema) == 1 else None


def _checked_archive(archive: Path, schema: str) -> str | None:
    try:
        _run("pg_restore", "--list", str(archive))
    except BackupFailedError as error:
        raise BackupRefusedError(
            "FILE", f"{archive.name} is not a readable pg_dump archive ({error})"
        ) from None
    return _archive_revision(archive, schema)


def backup_postgresql(url: str, target: Path, now: dt.datetime) -> BackupReport:
    """``pg_dump --format=custom`` of the database at ``target``, checked, with ``target.sha256``."""
    require_new_file(target)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        with libpq_uri(url) as uri:
            _run("pg_dump", "--no-password", "--format=custom", f"--file={partial}", f"--dbname={uri}")
        partial.chmod(0o600)
        revision = _checked_archive(partial, _schema_of(url))
        if revision is None:
            raise BackupRefusedError("database", "the database holds no b12care schema (no alembic_version)")
        fsync_file(partial)
        digest = sha256_of(partial)
        partial.replace(target)
    finally:
        partial.unlink(missing_ok=True)
    manifest = write_manifest(target, "postgresql", revision, now, digest)
    return BackupReport(target, checksum_path(target), manifest, target.stat().st_size)


def _table_count(url: str) -> int:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            count = connection.execute(
                text(
                    "SELECT count(*) FROM pg_catalog.pg_tables "
                    "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
                )
            ).scalar_one()
    finally:
        engine.dispose()
    return int(count)


def _checked_backup(source: Path, schema: str) -> tuple[RestoreReport, str]:
    manifest = read_manifest(source)
    if manifest.kind != "postgresql":
        raise BackupRefusedError(
            "FILE",
            f"{source.name} is a {manifest.kind} backup; B12CARE_DATABASE_URL names a PostgreSQL database",
        )
    refuse_changed(source, manifest, sha256_of(source))
    revision = refuse_unknown_revision(manifest, _checked_archive(source, schema), revisions())
    return RestoreReport(manifest, checked_only=True), revision


def check_postgresql(source: Path, url: str | None = None) -> RestoreReport:
    """Verify a pg_dump backup as a restore would (checksum, archive, schema revision); change nothing."""
    return _checked_backup(source, _schema_of(url) if url else "public")[0]


def restore_postgresql(source: Path, url: str) -> RestoreReport:
    """Restore a ``pg_dump`` backup into the EMPTY database at ``url``; refused, with nothing changed,
    when a check fails or the database has tables."""
    checked, revision = _checked_backup(source, _schema_of(url))
    tables = _table_count(url)
    if tables:
        raise BackupRefusedError(
            "database",
            f"the database of B12CARE_DATABASE_URL is not empty ({tables} tables): restore into a new, empty "
            "database (createdb) and point B12CARE_DATABASE_URL at it; the database in use is left as it is",
        )
    with libpq_uri(url) as uri:
        _run(
            "pg_restore",
            "--no-password",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            f"--dbname={uri}",
            str(source),
        )
    migrated_from = None
    if revision != head_revision():
        engine = create_database_engine(url)
        try:
            upgrade_to_head(engine)
        finally:
            engine.dispose()
        migrated_from = revision
    return RestoreReport(checked.manifest, checked_only=False, migrated_from=migrated_from)
