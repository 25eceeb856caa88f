"""FHIR test fixtures: a bootstrapped app on SQLite and on PostgreSQL.

``database_url`` (an empty SQLite file, or a fresh PostgreSQL schema) comes from tests/database_fixtures.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from b12care.application.treatment import Services
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings

NOW = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "examples" / "pernicious-anaemia.json"


@pytest.fixture
def fhir_app(database_url: str) -> Iterator[App]:
    """A migrated app on a fixed clock, on an empty SQLite file or a fresh PostgreSQL schema."""
    with bootstrap(Settings(database_url=database_url), clock=lambda: NOW) as app:
        yield app


@pytest.fixture
def services(fhir_app: App) -> Services:
    return Services(fhir_app.uow, fhir_app.clock)


@pytest.fixture
def clinic_patient(services: Services) -> tuple[str, str]:
    """A clinic and its patient H1 (pernicious anaemia example case); returns (clinic id, patient id)."""
    clinic = services.add_clinic("Riverside", "admin")
    patient = services.add_patient(
        clinic_id=clinic.id, reference="H1", name="Ann Example", case_json=CASE.read_text(), actor="admin"
    )
    return clinic.id, patient.id
