"""Settings: the embedded default, B12CARE_DATABASE_URL, and clear refusals of other databases."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from b12care.config import Settings


@pytest.fixture
def data_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("B12CARE_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data"


def test_without_a_url_the_record_is_a_sqlite_file_in_the_user_data_directory(data_home: Path) -> None:
    url = Settings().resolved_database_url()

    assert url == f"sqlite:///{data_home / 'b12care' / 'b12care.db'}"
    assert (data_home / "b12care").is_dir()


def test_the_url_comes_from_b12care_database_url(data_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B12CARE_DATABASE_URL", "postgresql+psycopg://clinic@db.example:5432/b12care")

    assert Settings().resolved_database_url() == "postgresql+psycopg://clinic@db.example:5432/b12care"
    assert not (data_home / "b12care").exists()


@pytest.mark.parametrize(
    ("given", "used"),
    [
        ("postgresql://u@127.0.0.1/b12care", "postgresql+psycopg://u@127.0.0.1/b12care"),
        ("postgres://u@127.0.0.1/b12care", "postgresql+psycopg://u@127.0.0.1/b12care"),
        ("sqlite:////srv/b12care.db", "sqlite:////srv/b12care.db"),
        ("  ", None),
    ],
)
def test_common_spellings_are_accepted(data_home: Path, given: str, used: str | None) -> None:
    assert Settings(database_url=given).database_url == used


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("mysql://root@localhost/b12care", "unsupported database scheme 'mysql'"),
        ("postgresql+psycopg2://u@h/db", "unsupported database scheme 'postgresql+psycopg2'"),
        ("/home/me/b12care.db", "is not a database URL"),
    ],
)
def test_other_databases_are_refused_with_a_clear_message(data_home: Path, given: str, message: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(message)):
        Settings(database_url=given)
