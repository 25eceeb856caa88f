"""``b12care user add`` and ``b12care user grant``: a role is held per clinic (docs/adr/0006-clinic-roles.md).
The operator at the CLI has the database itself and no login: the commands are not limited by the
permission table, but every role they store is one clinic's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from b12care.application.accounts import Accounts
from b12care.bootstrap import bootstrap
from b12care.config import Settings

PASSWORD = "a long enough password\n"
Run = Callable[..., Any]  # the run_cli fixture of tests/conftest.py


@pytest.fixture
def two_clinics(run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str, str]:
    """(database URL, clinic A, clinic B) on a temporary SQLite file."""
    url = f"sqlite:///{tmp_path / 'b12care.db'}"
    monkeypatch.setenv("B12CARE_DATABASE_URL", url)
    return url, run_cli("clinic", "add", "A").stdout.strip(), run_cli("clinic", "add", "B").stdout.strip()


def _roles(url: str, username: str) -> dict[str, str]:
    with bootstrap(Settings(database_url=url)) as app:
        return dict(Accounts(app.uow, app.clock, secret="").user(username).roles())


def test_user_add_gives_the_role_in_each_clinic_named(
    run_cli: Run, two_clinics: tuple[str, str, str]
) -> None:
    url, a, b = two_clinics

    added = run_cli(
        "user", "add", "multi", "--role", "nurse", "--clinic", a, "--clinic", b, "--password-stdin",
        stdin=PASSWORD,
    )  # fmt: skip

    assert added.exit_code == 0, added.stderr
    assert _roles(url, "multi") == {a: "nurse", b: "nurse"}


def test_user_grant_changes_the_role_in_one_clinic_and_keeps_the_others(
    run_cli: Run, two_clinics: tuple[str, str, str]
) -> None:
    url, a, b = two_clinics
    run_cli("user", "add", "multi", "--role", "nurse", "--clinic", a, "--password-stdin", stdin=PASSWORD)

    granted = run_cli("user", "grant", "multi", "--clinic", b, "--role", "clinician")

    assert granted.exit_code == 0, granted.stderr
    assert granted.stdout.strip() == ", ".join(sorted([f"{a}:nurse", f"{b}:clinician"]))
    assert _roles(url, "multi") == {a: "nurse", b: "clinician"}


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("--clinic", "no-such-clinic", "--role", "nurse"), "clinic_ids"),
        (("--clinic", "CLINIC", "--role", "superuser"), "role"),
    ],
)
def test_user_grant_names_the_field_of_a_bad_clinic_or_role_and_changes_nothing(
    run_cli: Run, two_clinics: tuple[str, str, str], args: tuple[str, ...], field: str
) -> None:
    url, a, _ = two_clinics
    run_cli("user", "add", "multi", "--role", "nurse", "--clinic", a, "--password-stdin", stdin=PASSWORD)

    result = run_cli("user", "grant", "multi", *(x.replace("CLINIC", a) for x in args))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"error: {field}:")
    assert _roles(url, "multi") == {a: "nurse"}


def test_user_grant_of_an_unknown_user_is_one_line_not_a_traceback(
    run_cli: Run, two_clinics: tuple[str, str, str]
) -> None:
    _, a, _ = two_clinics

    result = run_cli("user", "grant", "nobody", "--clinic", a, "--role", "nurse")

    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
