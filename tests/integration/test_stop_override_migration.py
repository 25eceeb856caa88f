"""Migration 0007_stop_override: reviews may hold confirm_stop, plan versions an interval_reason.

Upgraded from 0006 with rows already stored (a plan version made by a review references the reviews
table that SQLite has to rebuild), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import IntegrityError

from b12care.adapters.db.migrate import current_revision, downgrade_to, upgrade_to

AT = dt.datetime(2026, 1, 5, 9, 30, tzinfo=dt.UTC)


def _review(connection: Connection, review_id: str, decision: str) -> None:
    connection.execute(
        text(
            "INSERT INTO reviews (id, patient_id, date, decision, note, reviewed_by, recorded_at)"
            " VALUES (:id, 'p-1', :day, :decision, 'because', 'dr.smith', :at)"
        ),
        {"id": review_id, "day": dt.date(2026, 4, 1), "decision": decision, "at": AT},
    )


def _seed_at_0006(engine: Engine) -> None:
    """A clinic, a patient, a shorten_interval review and the plan version it made (at 0006)."""
    upgrade_to(engine, "0006_calendar")
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO clinics (id, name, created_at, created_by) VALUES ('c-1', 'C', :at, 'a')"),
            {"at": AT},
        )
        connection.execute(
            text(
                "INSERT INTO patients"
                " (id, clinic_id, reference, name, birth_date, sex, created_at, created_by)"
                " VALUES ('p-1', 'c-1', 'H1', 'Ann', :born, 'female', :at, 'a')"
            ),
            {"born": dt.date(1958, 3, 14), "at": AT},
        )
        _review(connection, "r-1", "shorten_interval")
        connection.execute(
            text(
                "INSERT INTO plan_versions (id, patient_id, version, case_json, pack_id, pack_version,"
                " maintenance_interval, review_id, created_by, created_at)"
                " VALUES ('v-2', 'p-1', 2, '{}', 'uk-nice-2024', '1.0.0', '2m', 'r-1', 'dr.smith', :at)"
            ),
            {"at": AT},
        )


def test_upgrading_from_0006_keeps_every_review_and_the_plan_version_that_cites_one(engine: Engine) -> None:
    _seed_at_0006(engine)

    upgrade_to(engine, "0007_stop_override")

    with engine.connect() as connection:
        reviews = connection.execute(text("SELECT id, decision FROM reviews")).all()
        versions = connection.execute(text("SELECT id, review_id, interval_reason FROM plan_versions")).all()
    assert [tuple(r) for r in reviews] == [("r-1", "shorten_interval")]
    assert [tuple(v) for v in versions] == [("v-2", "r-1", None)]
    assert current_revision(engine) == "0007_stop_override"


def test_after_0007_a_confirm_stop_review_and_an_interval_reason_can_be_stored(engine: Engine) -> None:
    _seed_at_0006(engine)
    upgrade_to(engine, "0007_stop_override")

    with engine.begin() as connection:
        _review(connection, "r-2", "confirm_stop")
        connection.execute(text("UPDATE plan_versions SET interval_reason = 'relapses at 6 weeks'"))

    with engine.connect() as connection:
        decisions = connection.execute(text("SELECT decision FROM reviews ORDER BY id")).scalars().all()
        reason = connection.execute(text("SELECT interval_reason FROM plan_versions")).scalar_one()
    assert decisions == ["shorten_interval", "confirm_stop"]
    assert reason == "relapses at 6 weeks"


def test_after_0007_an_unknown_decision_is_still_refused_by_the_database(engine: Engine) -> None:
    _seed_at_0006(engine)
    upgrade_to(engine, "0007_stop_override")

    with pytest.raises(IntegrityError), engine.begin() as connection:
        _review(connection, "r-3", "stop_quietly")


def test_the_rebuilt_reviews_table_keeps_its_keys_index_and_constraints(engine: Engine) -> None:
    _seed_at_0006(engine)
    upgrade_to(engine, "0007_stop_override")

    schema = inspect(engine)
    assert schema.get_pk_constraint("reviews")["constrained_columns"] == ["id"]
    assert [(f["referred_table"], f["constrained_columns"]) for f in schema.get_foreign_keys("reviews")] == [
        ("patients", ["patient_id"])
    ]
    assert [i["column_names"] for i in schema.get_indexes("reviews")] == [["patient_id", "date"]]
    checks = {c["name"] for c in schema.get_check_constraints("reviews")}
    assert checks == {"ck_reviews_decision", "ck_reviews_entered_in_error_complete"}
    assert ("reviews", ["review_id"]) in [
        (f["referred_table"], f["constrained_columns"]) for f in schema.get_foreign_keys("plan_versions")
    ]


def test_downgrading_while_a_confirm_stop_is_stored_fails_and_changes_nothing(engine: Engine) -> None:
    _seed_at_0006(engine)
    upgrade_to(engine, "0007_stop_override")
    with engine.begin() as connection:
        _review(connection, "r-2", "confirm_stop")

    with pytest.raises(IntegrityError):
        downgrade_to(engine, "0006_calendar")

    assert current_revision(engine) == "0007_stop_override"
    assert "interval_reason" in {c["name"] for c in inspect(engine).get_columns("plan_versions")}


def test_downgrading_without_confirm_stop_goes_back_to_0006(engine: Engine) -> None:
    _seed_at_0006(engine)
    upgrade_to(engine, "0007_stop_override")

    downgrade_to(engine, "0006_calendar")

    assert current_revision(engine) == "0006_calendar"
    assert "interval_reason" not in {c["name"] for c in inspect(engine).get_columns("plan_versions")}
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM reviews")).scalar_one() == 1
