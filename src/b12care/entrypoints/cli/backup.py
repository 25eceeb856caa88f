"""``b12care backup FILE`` and ``b12care restore FILE [--check]`` (docs/backup.md).

Both work on the database of ``B12CARE_DATABASE_URL`` (default: the embedded SQLite file) without
migrating it first. A refusal - the file exists, a checksum mismatch, a damaged copy, a schema newer
than this program, a database in use or (PostgreSQL) not empty - is one line and exit status 2, with
nothing changed; a failed step (pg_dump, the disk) is one line and exit status 1.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from b12care.domain.errors import BackupFailedError, InputError
from b12care.entrypoints.cli.commands import ConsoleFor, Guard

__all__ = ["EXIT_FAILED", "register"]

EXIT_FAILED = 1


def _database_url() -> str:
    """The configured database URL (the embedded SQLite file unless ``B12CARE_DATABASE_URL`` is set)."""
    from pydantic import ValidationError

    from b12care.config import Settings

    try:
        return Settings().resolved_database_url()
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise InputError("B12CARE_" + "_".join(str(p) for p in first["loc"]).upper(), first["msg"]) from None


def _size(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB" if size >= 100_000 else f"{size / 1000:.1f} kB"


def _add_backup(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``backup`` on ``app``."""

    @app.command()
    def backup(
        file: Annotated[
            Path, typer.Argument(metavar="FILE", help="The new backup file (never overwritten).")
        ],
    ) -> None:
        """Back the database up to FILE, with FILE.sha256 (checksum, schema revision, version).

        SQLite: a consistent online snapshot, safe while the server runs. PostgreSQL: pg_dump
        --format=custom (the client tools must be installed)."""
        err = console(True)
        with guard(err):
            from b12care.adapters.db.backup import backup_database
            from b12care.bootstrap import system_clock

            try:
                report = backup_database(_database_url(), file, system_clock())
            except BackupFailedError as error:
                err.print(f"error: backup: {error}", markup=False, highlight=False, soft_wrap=True)
                raise typer.Exit(EXIT_FAILED) from None
            manifest = report.manifest
            console(False).print(
                f"backup {report.path} ({manifest.kind}, {_size(report.size)}, schema "
                f"{manifest.revision}, version {manifest.version})\n"
                f"sha256 {manifest.sha256} in {report.checksum_path}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def _add_restore(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``restore`` on ``app``."""

    @app.command()
    def restore(
        file: Annotated[Path, typer.Argument(metavar="FILE", help="A backup made by `b12care backup`.")],
        check: Annotated[
            bool, typer.Option("--check", help="Only verify the backup (checksum, integrity, schema).")
        ] = False,
    ) -> None:
        """Restore the database from FILE after checking it against FILE.sha256.

        SQLite: stop the server first (a database in use is refused); the current database is kept as
        <db>.before-restore-<time>. PostgreSQL: B12CARE_DATABASE_URL must name a new, empty database.
        An older schema is migrated to the newest; a newer one is refused."""
        err = console(True)
        with guard(err):
            from b12care.adapters.db.backup import check_backup, restore_database
            from b12care.bootstrap import system_clock

            url = _database_url()
            try:
                report = check_backup(file, url) if check else restore_database(url, file, system_clock())
            except BackupFailedError as error:
                err.print(f"error: restore: {error}", markup=False, highlight=False, soft_wrap=True)
                raise typer.Exit(EXIT_FAILED) from None
            manifest = report.manifest
            lines = [
                f"{'verified' if check else 'restored'} {file} ({manifest.kind}, schema {manifest.revision}, "
                f"version {manifest.version}, made {manifest.created.isoformat()}): checksum, integrity "
                "and schema OK"
            ]
            if report.kept_aside is not None:
                lines.append(f"the database it replaced is kept at {report.kept_aside}")
            if report.migrated_from is not None:
                lines.append(
                    f"migrated from schema {report.migrated_from} to the newest: run `b12care recompute` once"
                )
            console(False).print("\n".join(lines), markup=False, highlight=False, soft_wrap=True)


def register(app: typer.Typer, console: ConsoleFor, guard: Guard) -> None:
    """Register ``backup`` and ``restore`` on ``app``."""
    _add_backup(app, console, guard)
    _add_restore(app, console, guard)
