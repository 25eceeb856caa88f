"""Shared fixtures: example case data and a CLI runner with injected Consoles."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from b12care.entrypoints.cli.app import create_app

pytest_plugins = [
    "database_fixtures",  # postgres_admin, postgres_url, database_url (SQLite and PostgreSQL)
    "app_fixtures",  # clock, booted, api, client, world: the app of the API and web page tests
]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_CASE = ROOT / "examples" / "pernicious-anaemia.json"

SYSTEM_TIERS = frozenset({"browser", "faults", "load", "hostile", "backup"})
"""Test folders that start whole systems (browser, killed servers, load, attacks, backups): marked ``system``.

The tiers (docs/development.md): ``tests/application`` runs use cases on fakes; adapter contract tests run on
SQLite and PostgreSQL; face tests are thin wiring tests; ``system`` tests run in ``tasks.py test`` only
(``pytest -m "not system"`` leaves them out).
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of a system tier folder ``system``."""
    for item in items:
        parts = item.path.relative_to(ROOT).parts
        if len(parts) > 1 and parts[0] == "tests" and parts[1] in SYSTEM_TIERS:
            item.add_marker(pytest.mark.system)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def base_case() -> dict[str, Any]:
    """A fresh copy of the example case (pernicious anaemia, UK pack)."""
    data: dict[str, Any] = json.loads(EXAMPLE_CASE.read_text())
    return copy.deepcopy(data)


@pytest.fixture
def run_cli() -> Callable[..., CliResult]:
    """Run the b12care CLI in-process with buffered, colourless Consoles of a fixed width."""

    def run(*args: str, stdin: str | None = None, width: int = 120) -> CliResult:
        out_buffer, err_buffer = StringIO(), StringIO()
        out = Console(file=out_buffer, width=width, color_system=None, force_terminal=False)
        err = Console(file=err_buffer, width=width, color_system=None, force_terminal=False)
        result = CliRunner().invoke(create_app(out, err), list(args), input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return CliResult(result.exit_code, out_buffer.getvalue() + result.stdout, err_buffer.getvalue())

    return run


@pytest.fixture
def cli_clinic_and_patient(
    run_cli: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    """A clinic and its patient H1 (the example case), added with the CLI on a temporary SQLite file
    (B12CARE_DATABASE_URL); returns (clinic id, patient id)."""
    monkeypatch.setenv("B12CARE_DATABASE_URL", f"sqlite:///{tmp_path}/clinic.db")
    clinic = run_cli("clinic", "add", "Riverside", "--actor", "nurse.a").stdout.strip()
    result = run_cli(
        "patient", "add", "--clinic", clinic, "--reference", "H1", "--name", "Ann Example",
        "--case", str(EXAMPLE_CASE), "--actor", "nurse.a",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return clinic, result.stdout.strip()


@pytest.fixture
def cli_patient(cli_clinic_and_patient: tuple[str, str]) -> str:
    """The id of the patient of ``cli_clinic_and_patient``."""
    return cli_clinic_and_patient[1]
