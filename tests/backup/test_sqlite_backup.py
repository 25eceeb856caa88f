"""``b12care backup`` / ``restore`` on the embedded SQLite database: an online snapshot while a writer
keeps committing, the checksum file, what restore refuses (with nothing changed) and what it keeps."""

from __future__ import annotations

import datetime as dt
import errno
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from backup_builders import Writer, build_varied_record, open_app, sqlite_url, table_rows
from tests.conftest import CliResult

from b12care.adapters.db import backup_sqlite
from b12care.adapters.db.backup import backup_database, checksum_path, restore_database
from b12care.adapters.db.engine import create_database_engine
from b12care.adapters.db.migrate import head_revision, revisions, upgrade_to
from b12care.application.records import ClinicRecord, new_id

Run = Callable[..., CliResult]
NOW = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
RECORD_TABLES = (
    "clinics", "patients", "plan_versions", "doses", "labs", "symptom_checks", "reviews", "audit_log",
    "stored_forecasts", "recall_timeline", "users", "clinic_memberships", "login_attempts",
    "calendar_events", "cds_jwt_ids", "cds_feedback",
)  # fmt: skip


@pytest.fixture
def live(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, varied_copy: Callable[[Path], object]) -> Path:
    """A SQLite database with the varied record, named by B12CARE_DATABASE_URL for the CLI."""
    path = tmp_path / "live" / "b12care.db"
    varied_copy(path)
    monkeypatch.setenv("B12CARE_DATABASE_URL", sqlite_url(path))
    return path


def _patient_id(database: Path, reference: str) -> str:
    with sqlite3.connect(database) as connection:
        (found,) = connection.execute("SELECT id FROM patients WHERE reference = ?", (reference,)).fetchone()
    connection.close()
    return str(found)


def _folder_listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def test_online_backups_each_equal_the_database_after_one_commit_of_a_running_writer(tmp_path: Path) -> None:
    url = sqlite_url(tmp_path / "live.db")
    with open_app(url) as app:
        made = build_varied_record(app)
        writer = Writer(app, url, made.patient_ids[0])
        writer.start()
        try:
            taken: list[Path] = []
            for number in range(3):
                writer.wait_for(commits=2 * number + 2)
                target = tmp_path / f"online-{number}.db"
                backup_database(url, target, NOW)
                taken.append(target)
            writer.wait_for(commits=len(writer.states) + 1)  # it went on writing after the last backup
        finally:
            writer.stop.set()
            writer.join(timeout=60)
    assert writer.error is None
    assert not [table for table in RECORD_TABLES if not writer.states[0][table]], "a table was left empty"
    found: list[int] = []
    for number, backup in enumerate(taken):
        restored = tmp_path / f"restored-{number}" / "b12care.db"
        restore_database(sqlite_url(restored), backup, NOW)
        rows = table_rows(sqlite_url(restored))
        matches = [k for k, state in enumerate(writer.states) if state == rows]
        assert matches, f"backup {number} equals no committed state of the database"
        found.append(matches[0])
    assert found == sorted(found) and found[0] >= 2, f"the backups caught commits {found} of the writer"
    assert found[-1] < len(writer.states) - 1


def test_a_backup_taken_inside_an_open_write_transaction_neither_waits_for_it_nor_holds_it(
    tmp_path: Path,
) -> None:
    url = sqlite_url(tmp_path / "live.db")
    with open_app(url) as app:
        build_varied_record(app)
        committed = table_rows(url)
        with app.uow() as uow:  # the server is in the middle of a write: BEGIN IMMEDIATE, a row added
            uow.clinics.add(ClinicRecord(new_id(), "Half-written Clinic", NOW, "admin"))
            backup_database(url, tmp_path / "during.db", NOW)
            uow.commit()
    restored = tmp_path / "restored" / "b12care.db"
    restore_database(sqlite_url(restored), tmp_path / "during.db", NOW)

    assert table_rows(sqlite_url(restored)) == committed
    assert len(table_rows(url)["clinics"]) == len(committed["clinics"]) + 1


def test_a_restore_over_the_live_database_keeps_it_aside_and_brings_back_every_row(
    run_cli: Run, live: Path, tmp_path: Path
) -> None:
    before = table_rows(sqlite_url(live))
    backup = tmp_path / "b12care-backup.db"
    assert run_cli("backup", str(backup)).exit_code == 0
    with open_app(sqlite_url(live)) as app:  # the record goes on after the backup
        Writer(app, sqlite_url(live), _patient_id(live, "H-001"), limit=2).run()
    after_backup = table_rows(sqlite_url(live))

    result = run_cli("restore", str(backup))

    assert result.exit_code == 0, result.stderr
    assert table_rows(sqlite_url(live)) == before
    kept = [p for p in live.parent.iterdir() if p.name.startswith("b12care.db.before-restore-")]
    assert len(kept) == 1
    assert table_rows(sqlite_url(kept[0])) == after_backup
    assert f"kept at {kept[0]}" in result.stdout


def test_the_checksum_file_records_schema_and_version_and_sha256sum_checks_it(
    run_cli: Run, live: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "nightly.db"

    result = run_cli("backup", str(backup))

    assert result.exit_code == 0, result.stderr
    text = checksum_path(backup).read_text()
    assert f"# schema-revision: {head_revision()}\n" in text
    assert "# b12care-version: 0.1.0\n" in text
    assert "# kind: sqlite\n" in text
    assert [oct(p.stat().st_mode & 0o777) for p in (backup, checksum_path(backup))] == [oct(0o600)] * 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live", "nightly.db", "nightly.db.sha256"]
    with sqlite3.connect(backup) as connection:  # self-contained: no -wal file to go with it
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)
    connection.close()
    tool = shutil.which("sha256sum")
    if tool is not None:
        command = [tool, "-c", checksum_path(backup).name]
        checked = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_a_backup_never_overwrites_a_file(run_cli: Run, live: Path, tmp_path: Path) -> None:
    backup = tmp_path / "taken.db"
    backup.write_text("an older backup the admin keeps")

    result = run_cli("backup", str(backup))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: FILE: {backup} exists")
    assert backup.read_text() == "an older backup the admin keeps"
    assert not checksum_path(backup).exists()


def _refused_and_unchanged(run_cli: Run, live: Path, backup: Path, *words: str) -> None:
    """``restore`` exits 2 with one line containing ``words``; the live database and its folder are
    exactly as they were (no before-restore copy, no stray file)."""
    rows, listing = table_rows(sqlite_url(live)), _folder_listing(live.parent)

    result = run_cli("restore", str(backup))

    assert result.exit_code == 2, result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr
    assert table_rows(sqlite_url(live)) == rows
    assert _folder_listing(live.parent) == listing


def test_a_tampered_backup_is_refused_by_its_checksum_and_changes_nothing(
    run_cli: Run, live: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "b.db"
    run_cli("backup", str(backup))
    data = bytearray(backup.read_bytes())
    data[len(data) // 2] ^= 0x01
    backup.write_bytes(bytes(data))

    _refused_and_unchanged(run_cli, live, backup, "error: FILE: checksum mismatch")


def test_a_backup_without_its_checksum_file_is_refused(run_cli: Run, live: Path, tmp_path: Path) -> None:
    backup = tmp_path / "b.db"
    run_cli("backup", str(backup))
    checksum_path(backup).unlink()

    _refused_and_unchanged(run_cli, live, backup, "error: FILE: no checksum file b.db.sha256")


def test_a_damaged_database_with_a_matching_checksum_fails_the_integrity_check(
    run_cli: Run, live: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "b.db"
    run_cli("backup", str(backup))
    with sqlite3.connect(backup) as connection:  # a foreign key broken behind the database's back
        connection.execute("PRAGMA foreign_keys = OFF")
        connection.execute("UPDATE doses SET patient_id = 'no-such-patient'")
    connection.close()
    text = checksum_path(backup).read_text().splitlines()
    from b12care.adapters.db.backup_manifest import sha256_of

    text[-1] = f"{sha256_of(backup)}  b.db"
    checksum_path(backup).write_text("\n".join(text) + "\n")

    _refused_and_unchanged(run_cli, live, backup, "fails the integrity check", "doses")


def test_a_backup_from_a_newer_schema_is_refused_naming_the_revision(
    run_cli: Run, live: Path, tmp_path: Path
) -> None:
    newer = tmp_path / "newer" / "b12care.db"
    newer.parent.mkdir()
    shutil.copyfile(live, newer)
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    connection.close()
    backup = tmp_path / "newer.db"
    backup_database(sqlite_url(newer), backup, NOW)

    _refused_and_unchanged(run_cli, live, backup, "0099_from_the_future", "newer than this b12care")


def test_an_older_backup_is_migrated_to_the_newest_schema_on_restore(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = tmp_path / "old.db"
    engine = create_database_engine(sqlite_url(older))
    upgrade_to(engine, revisions()[-2])
    engine.dispose()
    backup = tmp_path / "old-backup.db"
    backup_database(sqlite_url(older), backup, NOW)
    target = tmp_path / "new" / "b12care.db"
    monkeypatch.setenv("B12CARE_DATABASE_URL", sqlite_url(target))

    result = run_cli("restore", str(backup))

    assert result.exit_code == 0, result.stderr
    assert f"migrated from schema {revisions()[-2]}" in result.stdout
    assert table_rows(sqlite_url(target))["alembic_version"] == [(head_revision(),)]


def test_a_restore_is_refused_while_another_process_has_the_database_open(
    run_cli: Run, live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup_sqlite, "LOCK_TIMEOUT_S", 0.2)  # how long restore waits for the lock
    backup = tmp_path / "b.db"
    run_cli("backup", str(backup))
    script = (
        "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT count(*) FROM patients');"
        " print('open', flush=True); sys.stdin.read()"
    )
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(live)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "open\n"
        _refused_and_unchanged(run_cli, live, backup, "in use by another process", "stop `b12care serve`")
    finally:
        holder.communicate(input="", timeout=30)
    assert run_cli("restore", str(backup)).exit_code == 0  # once it is closed, the restore goes ahead


def test_restore_check_verifies_a_backup_and_changes_nothing(
    run_cli: Run, live: Path, tmp_path: Path
) -> None:
    backup = tmp_path / "b.db"
    run_cli("backup", str(backup))
    rows, listing = table_rows(sqlite_url(live)), _folder_listing(live.parent)

    result = run_cli("restore", "--check", str(backup))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith(f"verified {backup} (sqlite, schema {head_revision()}")
    assert (table_rows(sqlite_url(live)), _folder_listing(live.parent)) == (rows, listing)


def test_a_file_that_is_not_a_database_is_refused(run_cli: Run, live: Path, tmp_path: Path) -> None:
    fake = tmp_path / "fake.db"
    fake.write_bytes(b"not a database at all" * 100)
    from b12care.adapters.db.backup_manifest import sha256_of, write_manifest

    write_manifest(fake, "sqlite", head_revision(), NOW, sha256_of(fake))

    _refused_and_unchanged(run_cli, live, fake, "error: FILE: fake.db is not a readable SQLite database")


def test_a_live_file_that_cannot_be_read_is_left_as_it_is_and_named(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source.db"
    with open_app(sqlite_url(source)):
        pass
    backup = tmp_path / "b.db"
    backup_database(sqlite_url(source), backup, NOW)
    live = tmp_path / "live" / "b12care.db"
    live.parent.mkdir()
    live.write_bytes(b"\x00garbage where the database was" * 200)
    monkeypatch.setenv("B12CARE_DATABASE_URL", sqlite_url(live))

    result = run_cli("restore", str(backup))

    assert result.exit_code == 1
    assert result.stderr.startswith(f"error: restore: cannot read the live database {live}")
    assert "move the file away" in result.stderr
    assert live.read_bytes() == b"\x00garbage where the database was" * 200
    assert _folder_listing(live.parent) == ["b12care.db"]


def test_a_disk_error_during_a_backup_is_one_line_exit_1_and_leaves_no_file(
    run_cli: Run, live: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(path: Path) -> str:
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(backup_sqlite, "sha256_of", disk_full)
    backup = tmp_path / "full" / "b.db"
    backup.parent.mkdir()

    result = run_cli("backup", str(backup))

    assert result.exit_code == 1
    assert result.stderr.startswith(
        f"error: backup: cannot write the backup {backup}: No space left on device"
    )
    assert len(result.stderr.strip().splitlines()) == 1
    assert list(backup.parent.iterdir()) == []
