"""Migration 0006_calendar: builds calendar_events as tables_calendar defines it, and reverses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from b12care.adapters.db.engine import create_database_engine
from b12care.adapters.db.migrate import downgrade_to, upgrade_to, upgrade_to_head
from b12care.adapters.db.tables_calendar import calendar_events


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_database_engine(database_url)
    yield engine
    engine.dispose()


def _table_differences(engine: Engine) -> list[object]:
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), calendar_events.metadata)
    return [d for d in differences if "calendar_events" in repr(d)]


def test_the_calendar_table_matches_its_definition_after_upgrade(engine: Engine) -> None:
    upgrade_to_head(engine)

    assert _table_differences(engine) == []


def test_downgrading_to_0005_drops_the_calendar_table_and_upgrading_rebuilds_it(engine: Engine) -> None:
    upgrade_to(engine, "0006_calendar")

    downgrade_to(engine, "0005_recall_timeline")
    dropped = "calendar_events" not in inspect(engine).get_table_names()
    upgrade_to(engine, "0006_calendar")

    assert dropped
    assert "calendar_events" in inspect(engine).get_table_names()
