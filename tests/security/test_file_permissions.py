"""Files that hold the record or its keys are readable by their owner only. (The key file beside the SQLite
database: tests/api/test_settings_and_cli.py; backups: tests/backup/.)"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from b12care.bootstrap import bootstrap
from b12care.config import Settings


@pytest.fixture
def usual_umask() -> Iterator[None]:
    """The umask most services start with (022: new files readable by everyone)."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def test_the_sqlite_database_is_readable_by_its_owner_only(tmp_path: Path, usual_umask: None) -> None:
    database = tmp_path / "data" / "b12care.db"

    with bootstrap(Settings(database_url=f"sqlite:///{database}", secret_key="k" * 40)):
        pass

    assert stat.S_IMODE(database.stat().st_mode) & 0o077 == 0
