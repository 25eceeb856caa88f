"""The API's settings (signing key, lifetimes, public URL) and the serve / user add commands."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import ValidationError

from b12care.application.accounts import Accounts
from b12care.bootstrap import bootstrap
from b12care.config import SECRET_FILE_NAME, Settings
from b12care.domain.errors import ConfigurationError


@pytest.fixture
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("B12CARE_SECRET_KEY", "B12CARE_DATABASE_URL", "B12CARE_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)


def test_on_sqlite_a_key_is_generated_once_into_a_0600_file_beside_the_database(
    tmp_path: Path, clean_environment: None
) -> None:
    url = f"sqlite:///{tmp_path / 'db' / 'b12care.db'}"

    first = Settings(database_url=url).resolved_secret_key(url)
    second = Settings(database_url=url).resolved_secret_key(url)

    key_file = tmp_path / "db" / SECRET_FILE_NAME
    assert first == second
    assert len(first) >= 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


def test_on_postgresql_the_key_must_be_set(clean_environment: None) -> None:
    url = "postgresql+psycopg://u@127.0.0.1/b12care"

    with pytest.raises(ConfigurationError, match="B12CARE_SECRET_KEY"):
        Settings(database_url=url).resolved_secret_key(url)


def test_a_short_key_or_a_public_url_without_a_scheme_is_refused(clean_environment: None) -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(secret_key="short")
    with pytest.raises(ValidationError, match="B12CARE_PUBLIC_URL"):
        Settings(public_url="b12.example.org")


def test_the_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("B12CARE_TOKEN_LIFETIME_MINUTES", "15")
    monkeypatch.setenv("B12CARE_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("B12CARE_PUBLIC_URL", "https://b12.example.org/")

    settings = Settings()

    assert (settings.token_lifetime_minutes, settings.login_max_failures) == (15, 3)
    assert settings.public_url == "https://b12.example.org"


def test_serve_refuses_several_workers_on_sqlite(
    run_cli: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("B12CARE_DATABASE_URL", f"sqlite:///{tmp_path / 'b12care.db'}")

    result = run_cli("serve", "--workers", "2")

    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert result.stderr.startswith("error: workers: the embedded SQLite database")  # type: ignore[attr-defined]


def test_user_add_creates_the_first_admin_from_standard_input(
    run_cli: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'b12care.db'}"
    monkeypatch.setenv("B12CARE_DATABASE_URL", url)
    clinic_id = run_cli("clinic", "add", "Riverside").stdout.strip()  # type: ignore[attr-defined]

    added = run_cli(
        "user",
        "add",
        "Admin",
        "--role",
        "admin",
        "--clinic",
        clinic_id,
        "--password-stdin",
        stdin="a long enough password\n",
    )

    assert added.exit_code == 0  # type: ignore[attr-defined]
    with bootstrap(Settings(database_url=url)) as app:
        accounts = Accounts(app.uow, app.clock, secret="x" * 32)
        assert accounts.login("admin", "a long enough password", "test")
        assert accounts.user("admin").clinic_ids == (clinic_id,)


def test_user_add_names_the_field_of_a_bad_password(
    run_cli: Callable[..., object], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("B12CARE_DATABASE_URL", f"sqlite:///{tmp_path / 'b12care.db'}")
    clinic_id = run_cli("clinic", "add", "Riverside").stdout.strip()  # type: ignore[attr-defined]

    result = run_cli(
        "user", "add", "nurse", "--role", "nurse", "--clinic", clinic_id, "--password-stdin", stdin="x\n"
    )

    assert result.exit_code == 2  # type: ignore[attr-defined]
    assert result.stderr.startswith("error: password:")  # type: ignore[attr-defined]
