"""Fixtures of the backup and export tests: the varied record, built once per session on SQLite and
copied for each test that needs it (a copy of a closed database file is the whole database)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from backup_builders import VariedRecord, build_varied_record, open_app, sqlite_url


@pytest.fixture(scope="session")
def varied_sqlite(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, VariedRecord]:
    """A closed SQLite database file holding the varied record, and what it holds."""
    path = tmp_path_factory.mktemp("varied") / "b12care.db"
    with open_app(sqlite_url(path)) as app:
        made = build_varied_record(app)
    assert not path.with_name(path.name + "-wal").exists()  # closed: everything is in the one file
    return path, made


@pytest.fixture
def varied_copy(varied_sqlite: tuple[Path, VariedRecord]) -> Callable[[Path], VariedRecord]:
    """Copies the varied record's database to a path (its folder made); returns what it holds."""

    def copy(target: Path) -> VariedRecord:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(varied_sqlite[0], target)
        return varied_sqlite[1]

    return copy
