"""``b12care backup`` / ``restore`` on PostgreSQL: pg_dump --format=custom with the same checksum file,
pg_restore into a new empty database; every table comes back row for row. Each test makes private
databases and drops them afterwards."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from backup_builders import Rows, build_varied_record, open_app, table_rows
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from tests.conftest import CliResult

from b12care.adapters.db.backup import backup_database
from b12care.adapters.db.backup_manifest import checksum_path
from b12care.adapters.db.backup_postgres import libpq_uri
from b12care.adapters.db.engine import create_database_engine
from b12care.adapters.db.migrate import head_revision, revisions, upgrade_to
from database_fixtures import POSTGRES_URL

Run = Callable[..., CliResult]
NewDatabase = Callable[[], str]
NOW = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)


@contextmanager
def _databases(admin: Engine) -> Iterator[NewDatabase]:
    """Makes private, empty databases (their URLs); every one is dropped afterwards."""
    if shutil.which("pg_dump") is None and not list(Path("/usr/lib/postgresql").glob("*/bin/pg_dump")):
        message = "pg_dump is not installed (Debian: postgresql-client)"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI is set: the PostgreSQL backup tests must run", pytrace=False)
        pytest.skip(message)
    made: list[str] = []

    def create() -> str:
        name = f"b12care_backup_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        made.append(name)
        return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)

    try:
        yield create
    finally:
        with admin.connect() as connection:
            for name in made:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
def new_database(postgres_admin: Engine) -> Iterator[NewDatabase]:
    with _databases(postgres_admin) as create:
        yield create


@dataclass(frozen=True)
class Source:
    """A database holding the varied record, its rows, and a backup of it made once for the module."""

    url: str
    rows: Rows
    backup: Path


@pytest.fixture(scope="module")
def source(postgres_admin: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    with _databases(postgres_admin) as create:
        url = create()
        with open_app(url) as app:
            build_varied_record(app)
        backup = tmp_path_factory.mktemp("pg") / "clinic.dump"
        backup_database(url, backup, NOW)
        yield Source(url, table_rows(url), backup)


def test_a_pg_dump_backup_restores_every_row_of_every_table_into_a_new_database(
    run_cli: Run, source: Source, new_database: NewDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = new_database()
    backup = tmp_path / "clinic.dump"
    monkeypatch.setenv("B12CARE_DATABASE_URL", source.url)

    made = run_cli("backup", str(backup))
    monkeypatch.setenv("B12CARE_DATABASE_URL", target)
    restored = run_cli("restore", str(backup))

    assert made.exit_code == 0, made.stderr
    assert "# kind: postgresql\n" in checksum_path(backup).read_text()
    assert restored.exit_code == 0, restored.stderr
    assert table_rows(target) == source.rows
    assert table_rows(source.url) == source.rows  # the database backed up is left as it was
    assert all(source.rows[table] for table in ("patients", "doses", "audit_log", "users", "calendar_events"))


def test_a_restore_into_a_database_that_is_not_empty_is_refused(
    run_cli: Run, source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("B12CARE_DATABASE_URL", source.url)

    result = run_cli("restore", str(source.backup))

    assert result.exit_code == 2
    assert result.stderr.startswith("error: database: the database of B12CARE_DATABASE_URL is not empty")
    assert table_rows(source.url) == source.rows


def test_a_tampered_dump_is_refused_and_the_empty_database_stays_empty(
    run_cli: Run, source: Source, new_database: NewDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = new_database()
    backup = tmp_path / source.backup.name
    backup.write_bytes(source.backup.read_bytes()[:-100])
    shutil.copyfile(checksum_path(source.backup), checksum_path(backup))
    monkeypatch.setenv("B12CARE_DATABASE_URL", target)

    result = run_cli("restore", str(backup))

    assert result.exit_code == 2
    assert result.stderr.startswith("error: FILE: checksum mismatch")
    assert table_rows(target) == {}


def test_an_older_pg_dump_is_migrated_to_the_newest_schema(
    run_cli: Run, new_database: NewDatabase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source, target = new_database(), new_database()
    engine = create_database_engine(source)
    upgrade_to(engine, revisions()[-2])
    engine.dispose()
    backup = tmp_path / "old.dump"
    monkeypatch.setenv("B12CARE_DATABASE_URL", source)
    run_cli("backup", str(backup))
    monkeypatch.setenv("B12CARE_DATABASE_URL", target)

    checked = run_cli("restore", "--check", str(backup))
    result = run_cli("restore", str(backup))

    assert checked.exit_code == 0, checked.stderr
    assert table_rows(target)["alembic_version"] == [(head_revision(),)]
    assert result.exit_code == 0, result.stderr
    assert f"migrated from schema {revisions()[-2]}" in result.stdout


def test_a_backup_of_an_unreachable_database_fails_with_one_line_and_leaves_no_file(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, new_database: NewDatabase
) -> None:
    missing = make_url(new_database()).set(database=f"no_such_db_{uuid.uuid4().hex[:8]}")
    monkeypatch.setenv("B12CARE_DATABASE_URL", missing.render_as_string(hide_password=False))
    backup = tmp_path / "x.dump"

    result = run_cli("backup", str(backup))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: backup: pg_dump failed:")
    assert "does not exist" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_password_in_the_url_reaches_the_tools_in_a_private_passfile_not_the_command_line() -> None:
    url = "postgresql+psycopg://clinic:s3cr:t@127.0.0.1:5432/b12care?sslmode=prefer"

    with libpq_uri(url) as uri:
        parsed = make_url(uri)
        passfile = Path(str(parsed.query["passfile"]))
        assert "s3cr" not in uri
        assert (parsed.username, parsed.host, parsed.database) == ("clinic", "127.0.0.1", "b12care")
        assert parsed.query["sslmode"] == "prefer"
        assert passfile.read_text() == "*:*:*:*:s3cr\\:t\n"
        assert oct(passfile.stat().st_mode & 0o777) == oct(0o600)
    assert not passfile.exists()


def test_a_pg_restore_that_fails_part_way_restores_nothing(
    run_cli: Run, source: Source, new_database: NewDatabase, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = new_database()
    backup = source.backup
    engine = create_database_engine(target)
    with engine.begin() as connection:  # no table, but a name the dump's CREATE TABLE collides with
        connection.execute(text("CREATE VIEW users AS SELECT 1 AS id"))
    engine.dispose()
    monkeypatch.setenv("B12CARE_DATABASE_URL", target)

    result = run_cli("restore", str(backup))

    assert result.exit_code == 1
    assert result.stderr.startswith("error: restore: pg_restore failed:")
    assert 'relation "users" already exists' in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert table_rows(target) == {}  # no table: one transaction, rolled back whole (the view is no table)
