"""``b12care handout PATIENT``: text to standard output, or an A4 PDF with ``--output``; bad input exits 2."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pypdf import PdfReader

Run = Callable[..., Any]  # tests/conftest.py run_cli: returns exit_code, stdout, stderr
DOSE = ("--drug", "hydroxocobalamin", "--dose", "1", "--unit", "mg", "--route", "IM")
URL = "https://clinic.example/calendar/3f9a1c.ics"


def test_handout_prints_the_plain_text_handout(run_cli: Run, cli_patient: str) -> None:
    result = run_cli("handout", cli_patient, "--as-of", "2026-01-05")

    assert result.exit_code == 0, result.stderr
    assert "as recorded by your clinic" in result.stdout
    assert "Monday 5 January 2026 (2026-01-05): Loading injection" in result.stdout
    assert "uk-nice-2024 1.1.0" in result.stdout


def test_handout_writes_a_pdf_with_the_next_dose_and_the_calendar_link(
    run_cli: Run, cli_patient: str, tmp_path: Path
) -> None:
    for day in ("2026-01-05", "2026-01-07"):
        assert run_cli("dose", "record", cli_patient, "--date", day, *DOSE).exit_code == 0
    output = tmp_path / "handout.pdf"

    result = run_cli(
        "handout", cli_patient, "--as-of", "2026-01-08", "--output", str(output), "--calendar-url", URL
    )

    assert result.exit_code == 0, result.stderr
    reader = PdfReader(io.BytesIO(output.read_bytes()))
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Friday 9 January 2026 Next injection" in text
    assert URL in text
    assert sum(len(page.images) for page in reader.pages) == 1


def test_handout_of_an_unknown_patient_exits_2_naming_the_field(run_cli: Run, cli_patient: str) -> None:
    result = run_cli("handout", "no-such-patient")

    assert result.exit_code == 2
    assert result.stderr.startswith("error: patient:")


def test_handout_with_a_bad_date_or_link_exits_2_naming_the_field(run_cli: Run, cli_patient: str) -> None:
    bad_date = run_cli("handout", cli_patient, "--as-of", "2026-02-30")
    bad_link = run_cli("handout", cli_patient, "--calendar-url", "ftp://example.org/x.ics")

    assert (bad_date.exit_code, bad_link.exit_code) == (2, 2)
    assert bad_date.stderr.startswith("error: as_of:")
    assert bad_link.stderr.startswith("error: calendar_url:")
    assert "Traceback" not in bad_date.stderr + bad_link.stderr


def test_handout_to_a_folder_that_does_not_exist_exits_2(
    run_cli: Run, cli_patient: str, tmp_path: Path
) -> None:
    result = run_cli("handout", cli_patient, "--output", str(tmp_path / "missing" / "h.pdf"))

    assert result.exit_code == 2
    assert result.stderr.startswith("error: output:")
