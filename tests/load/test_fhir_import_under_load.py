"""The FHIR import benchmark in small (security probe M4): a real ``b12care serve`` on loopback and SQLite,
other users reading forecasts and recording doses while a nurse imports big bundles.

Speed is not asserted here (the figures, p99 included, live in docs/performance.md from
benchmarks/fhir_import.py); what is asserted is what the probe saw break: no 503 "database is locked"
or any other error for the other users, every acknowledged dose stored once, every entry imported once.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import fhir_import

ENTRIES = 1500
IMPORTS = 2


@pytest.fixture(scope="module")
def summary(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    folder: Path = tmp_path_factory.mktemp("fhir-import")
    found: dict[str, Any] = fhir_import.import_under_load(
        folder, ENTRIES, imports=IMPORTS, clients=2, quiet=1.0
    )
    return found


def test_each_big_import_answers_with_every_entry_imported_and_stored_once(summary: dict[str, Any]) -> None:
    assert summary["import"]["statuses"] == [200] * IMPORTS
    assert summary["import"]["imported"] == [ENTRIES] * IMPORTS
    assert summary["import"]["issues"] == [0] * IMPORTS
    assert summary["labs_stored"] == [ENTRIES] * IMPORTS


def test_other_users_working_during_the_imports_get_no_error(summary: dict[str, Any]) -> None:
    assert summary["others"]["import"]["all"]["n"] > 0
    assert set(summary["statuses"]) <= {"200", "201"}, summary["statuses"]
    assert summary["server_log_problems"] == []


def test_every_dose_other_users_saw_acknowledged_during_the_imports_is_stored_once(
    summary: dict[str, Any],
) -> None:
    assert summary["doses"]["acknowledged"] > 0
    assert summary["doses"]["not_stored_once"] == 0
