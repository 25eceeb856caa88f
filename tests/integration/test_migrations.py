"""Schema migrations: automatic, repeatable, reversible, and matching the table definitions."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from b12care.adapters.db.migrate import (
    current_revision,
    downgrade_to,
    head_revision,
    revisions,
    upgrade_to,
    upgrade_to_head,
)
from b12care.adapters.db.tables import metadata
from b12care.bootstrap import bootstrap

RECORD_TABLES = {
    "clinics",
    "patients",
    "plan_versions",
    "doses",
    "labs",
    "symptom_checks",
    "reviews",
    "audit_log",
    "stored_forecasts",
}


def test_the_first_revision_is_0001_initial_and_history_is_linear() -> None:
    assert revisions()[0] == "0001_initial"
    assert revisions()[-1] == head_revision()
    assert len(set(revisions())) == len(revisions())


def test_upgrade_from_empty_creates_every_table_at_head(engine: Engine) -> None:
    assert current_revision(engine) is None

    upgrade_to_head(engine)

    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) >= RECORD_TABLES


def test_upgrading_twice_changes_nothing(engine: Engine) -> None:
    upgrade_to_head(engine)
    tables_before = set(inspect(engine).get_table_names())

    upgrade_to_head(engine)

    assert current_revision(engine) == head_revision()
    assert set(inspect(engine).get_table_names()) == tables_before


@pytest.mark.parametrize("revision", revisions())
def test_each_revision_upgrades_from_its_previous_and_back(engine: Engine, revision: str) -> None:
    history = revisions()
    previous = history[history.index(revision) - 1] if history.index(revision) > 0 else "base"
    upgrade_to(engine, previous)

    upgrade_to(engine, revision)
    assert current_revision(engine) == revision

    downgrade_to(engine, previous)
    assert current_revision(engine) == (None if previous == "base" else previous)

    upgrade_to_head(engine)
    assert current_revision(engine) == head_revision()


def test_the_migrated_schema_matches_the_table_definitions(engine: Engine) -> None:
    upgrade_to_head(engine)

    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)

    assert differences == []


def test_the_embedded_database_is_created_on_first_use_with_no_set_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("B12CARE_DATABASE_URL", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    with bootstrap() as app:
        assert current_revision(app.engine) == head_revision()

    assert (tmp_path / "data" / "b12care" / "b12care.db").is_file()
