"""A database file that is not a database, or is damaged, gives one clear line and exit 5 on every command
that opens it - never a traceback (security probe: ``b12care patient show`` printed one)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from tests.conftest import EXAMPLE_CASE, CliResult

Run = Callable[..., CliResult]
COMMANDS = [
    ("patient", "show", "p-1"),
    ("recall",),
    ("clinic", "add", "Riverside"),
    ("history", "p-1"),
    ("forecast", "p-1"),
    ("patient", "add", "--clinic", "c-1", "--reference", "H1", "--name", "Ann", "--case", str(EXAMPLE_CASE)),
    ("recompute",),
    ("export", "--clinic", "c-1", "--format", "csv"),
]


@pytest.mark.parametrize("content", [b"this is not a database\n", b"SQLite format 3\x00" + b"\xff" * 4000])
@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c[:2]) for c in COMMANDS])
def test_a_damaged_database_file_is_one_line_and_exit_5(
    run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes, command: tuple[str, ...]
) -> None:
    database = tmp_path / "b12care.db"
    database.write_bytes(content)
    monkeypatch.setenv("B12CARE_DATABASE_URL", f"sqlite:///{database}")

    result = run_cli(*command)

    assert result.exit_code == 5, (result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: the database file is damaged")
    assert "Traceback" not in result.stderr
    assert database.read_bytes() == content  # nothing written
