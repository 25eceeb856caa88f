"""FHIR test fixtures: a bootstrapped app on SQLite and on PostgreSQL (pattern of tests/integration)."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.service.treatment import Services

POSTGRES_URL = os.environ.get(
    "B12CARE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
NOW = dt.datetime(2026, 1, 20, 9, 0, tzinfo=dt.UTC)
ROOT = Path(__file__).resolve().parents[2]
CASE = ROOT / "examples" / "pernicious-anaemia.json"


@pytest.fixture(scope="session")
def fhir_postgres_admin() -> Iterator[Engine]:
    engine = create_engine(
        POSTGRES_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 3}
    )
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as error:
        engine.dispose()
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is unreachable: {error.orig}", pytrace=False)
        pytest.skip(f"PostgreSQL is unreachable: {error.orig}")
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fhir_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[App]:
    """A migrated app on a fixed clock, on an empty SQLite file or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'fhir.db'}"
        with bootstrap(Settings(database_url=url), clock=lambda: NOW) as app:
            yield app
        return
    admin: Engine = request.getfixturevalue("fhir_postgres_admin")
    schema = f"b12care_fhir_{uuid.uuid4().hex[:16]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
        with bootstrap(
            Settings(database_url=url.render_as_string(hide_password=False)), clock=lambda: NOW
        ) as app:
            yield app
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))


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
