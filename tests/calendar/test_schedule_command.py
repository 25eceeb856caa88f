"""``b12care schedule export PATIENT --ics`` on an embedded SQLite file."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from calendar_helpers import INJECTION, events, parse

Run = Callable[..., Any]  # tests/conftest.py run_cli: exit_code, stdout, stderr


def test_export_prints_the_calendar_feed_on_standard_output(run_cli: Run, cli_patient: str) -> None:
    result = run_cli("schedule", "export", cli_patient, "--ics")

    assert result.exit_code == 0, result.stderr
    feed = result.stdout.encode()
    assert str(parse(feed)["X-WR-CALNAME"]) == "My B12 injections"
    assert any(e.summary == INJECTION for e in events(feed))
    assert b"Ann Example" not in feed


def test_export_writes_the_same_uids_to_a_file(run_cli: Run, cli_patient: str, tmp_path: Path) -> None:
    target = tmp_path / "b12.ics"

    written = run_cli("schedule", "export", cli_patient, "--ics", "--output", str(target))
    printed = run_cli("schedule", "export", cli_patient, "--ics")

    assert (written.exit_code, written.stdout) == (0, "")
    assert target.read_bytes().startswith(b"BEGIN:VCALENDAR\r\n")
    assert [e.uid for e in events(target.read_bytes())] == [e.uid for e in events(printed.stdout.encode())]


def test_export_without_a_format_names_the_option_and_exits_2(run_cli: Run, cli_patient: str) -> None:
    result = run_cli("schedule", "export", cli_patient)

    assert result.exit_code == 2
    assert result.stderr.strip() == "error: --ics: choose the export format: --ics (iCalendar, RFC 5545)"


def test_export_of_an_unknown_patient_is_one_line_and_exit_2(run_cli: Run, cli_patient: str) -> None:
    result = run_cli("schedule", "export", "no-such-patient", "--ics")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: patient")
    assert len(result.stderr.strip().splitlines()) == 1
