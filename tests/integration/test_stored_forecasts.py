"""The stored forecast: one row per patient, replaced on every save; the recall list of any day reads
the stored timelines off an index."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import pytest
from db_builders import NOW, TODAY, Seed, clinic, forecast, patient
from sqlalchemy import Connection, Engine, event, text

from b12care.adapters.db.forecasts import recall_statement
from b12care.application.records import (
    ClinicRecord,
    EnteredInError,
    PatientRecord,
    RecallEntry,
    RecallSegment,
    StoredForecast,
)
from b12care.bootstrap import App
from b12care.domain.forecast import ForecastStatus
from b12care.domain.recall import RECALL_STATUSES

D = dt.date


def _ids(rows: Sequence[RecallEntry | StoredForecast]) -> list[str]:
    return [row.patient_id for row in rows]


def test_saving_a_forecast_twice_keeps_one_row_with_the_latest_values(app: App, seed: Seed) -> None:
    first = forecast(seed.patient.id, seed.clinic.id, due=D(2026, 2, 1), overdue=D(2026, 2, 8))
    second = forecast(
        seed.patient.id, seed.clinic.id, status="needs_review", due=D(2026, 3, 1), flags=("REVIEW_OVERDUE",)
    )
    with app.uow() as uow:
        uow.forecasts.save(first, actor="nurse", at=NOW)
        uow.commit()
    with app.uow() as uow:
        uow.forecasts.save(second, actor="nurse", at=NOW)
        uow.commit()

    with app.uow() as uow:
        assert uow.forecasts.get(seed.patient.id) == second
        (entry,) = uow.forecasts.recall(None, None, TODAY)
    assert (entry.status, entry.due, entry.flags) == ("needs_review", D(2026, 3, 1), ("REVIEW_OVERDUE",))
    assert (entry.reference, entry.name, entry.pack_id) == (
        seed.patient.reference,
        seed.patient.name,
        "uk-nice-2024",
    )


def test_a_patient_without_a_forecast_has_none(app: App, seed: Seed) -> None:
    with app.uow() as uow:
        assert uow.forecasts.get(seed.patient.id) is None


def _patients(app: App, owner: ClinicRecord, count: int) -> list[PatientRecord]:
    people = [patient(owner.id, f"R-{n}") for n in range(count)]
    with app.uow() as uow:
        for person in people:
            uow.patients.add(person)
        uow.commit()
    return people


def test_the_recall_list_orders_by_urgency_then_due_date(app: App, seed: Seed) -> None:
    people = iter(_patients(app, seed.clinic, 10))
    cid = seed.clinic.id

    def saved(status: ForecastStatus, due: D | None, overdue: D | None, *flags: str) -> StoredForecast:
        return forecast(next(people).id, cid, status=status, due=due, overdue=overdue, flags=flags)

    expected = [
        saved("overdue", D(2025, 12, 25), D(2026, 1, 1), "MAINTENANCE_LAPSED"),
        saved("overdue", D(2025, 12, 20), D(2026, 1, 4)),
        saved("overdue", D(2025, 12, 30), TODAY),  # the overdue date is the first overdue day
        saved("due", D(2026, 1, 2), D(2026, 1, 20)),
        saved("due", D(2026, 1, 3), D(2026, 1, 4)),  # a stale status is brought up to date by recompute
        saved("due", D(2026, 1, 4), D(2026, 1, 10)),
        saved("needs_review", None, None, "NO_IMPROVEMENT"),
        saved("due_soon", D(2026, 1, 12), D(2026, 1, 19)),
        saved("on_track", D(2026, 2, 1), D(2026, 2, 8)),
        saved("stopped", None, None),
    ]
    with app.uow() as uow:
        for stored in reversed(expected):
            uow.forecasts.save(stored, actor="recall-job", at=NOW)
        uow.commit()

    with app.uow() as uow:
        everyone = _ids(uow.forecasts.recall([cid], None, as_of=TODAY))
        first_two = _ids(uow.forecasts.recall([cid], None, as_of=TODAY, limit=2))
        next_two = _ids(uow.forecasts.recall([cid], None, as_of=TODAY, limit=2, offset=2))
        on_the_list = _ids(uow.forecasts.recall([cid], RECALL_STATUSES, as_of=TODAY))

    assert everyone == on_the_list == [f.patient_id for f in expected[:8]]  # on track and stopped are not
    assert first_two + next_two == everyone[:4]


def test_the_recall_list_filters_by_clinic_and_status(app: App, seed: Seed) -> None:
    other_clinic = clinic("East")
    with app.uow() as uow:
        uow.clinics.add(other_clinic)
        uow.commit()
    (here,) = _patients(app, seed.clinic, 1)
    (there,) = _patients(app, other_clinic, 1)
    mine_due = forecast(seed.patient.id, seed.clinic.id, due=D(2026, 1, 6))
    mine_overdue = forecast(
        here.id, seed.clinic.id, status="overdue", due=D(2025, 12, 1), overdue=D(2025, 12, 8)
    )
    theirs = forecast(there.id, other_clinic.id, due=D(2026, 1, 1))
    with app.uow() as uow:
        for saved in (mine_due, mine_overdue, theirs):
            uow.forecasts.save(saved, actor="recall-job", at=NOW)
        uow.commit()

    with app.uow() as uow:
        recall = uow.forecasts.recall
        assert _ids(recall([seed.clinic.id], None, TODAY)) == _ids([mine_overdue, mine_due])
        assert _ids(recall([seed.clinic.id], {"due"}, TODAY)) == _ids([mine_due])
        assert _ids(recall([other_clinic.id], ["due", "overdue"], TODAY)) == _ids([theirs])
        assert _ids(recall(None, ["due"], TODAY)) == _ids([theirs, mine_due])
        assert _ids(recall([seed.clinic.id, other_clinic.id], ["due"], TODAY)) == _ids([theirs, mine_due])
        assert recall([seed.clinic.id], [], TODAY) == []


def test_a_patient_entered_in_error_drops_off_the_recall_list(app: App, seed: Seed) -> None:
    with app.uow() as uow:
        uow.forecasts.save(forecast(seed.patient.id, seed.clinic.id, due=TODAY), actor="x", at=NOW)
        uow.patients.mark_entered_in_error(seed.patient.id, EnteredInError(NOW, "admin", "duplicate patient"))
        uow.commit()

    with app.uow() as uow:
        assert uow.forecasts.recall([seed.clinic.id], None, TODAY) == []


def test_the_recall_list_of_a_later_day_reads_the_stored_timeline(app: App, seed: Seed) -> None:
    due, overdue, lapsed = D(2026, 2, 1), D(2026, 2, 15), D(2026, 4, 1)
    timeline = (
        RecallSegment(D(2026, 1, 25), due, "due_soon", D(2026, 1, 25), due, overdue, ()),
        RecallSegment(due, overdue, "due", D(2026, 1, 25), due, overdue, ()),
        RecallSegment(overdue, lapsed, "overdue", D(2026, 1, 25), due, overdue, ()),
        RecallSegment(lapsed, D.max, "overdue", D(2026, 1, 25), due, overdue, ("MAINTENANCE_LAPSED",)),
    )
    stored = forecast(seed.patient.id, seed.clinic.id, status="on_track", due=due, timeline=timeline)
    with app.uow() as uow:
        uow.forecasts.save(stored, actor="nurse", at=NOW)
        uow.commit()

    def on(day: D) -> list[tuple[str, tuple[str, ...]]]:
        with app.uow() as uow:
            return [(e.status, e.flags) for e in uow.forecasts.recall(None, None, day)]

    assert on(TODAY) == []
    assert on(D(2026, 1, 25)) == [("due_soon", ())]
    assert on(D(2026, 2, 1)) == [("due", ())]
    assert on(D(2026, 2, 14)) == [("due", ())]
    assert on(D(2026, 2, 15)) == [("overdue", ())]
    assert on(D(2027, 1, 1)) == [("overdue", ("MAINTENANCE_LAPSED",))]


def test_saving_a_new_timeline_replaces_the_old_one(app: App, seed: Seed) -> None:
    with app.uow() as uow:
        uow.forecasts.save(forecast(seed.patient.id, seed.clinic.id, status="overdue"), actor="x", at=NOW)
        uow.commit()
    with app.uow() as uow:
        uow.forecasts.save(forecast(seed.patient.id, seed.clinic.id, status="on_track"), actor="x", at=NOW)
        uow.commit()

    with app.uow() as uow:
        assert uow.forecasts.recall(None, None, TODAY) == []
        assert uow.forecasts.recall(None, None, D(2030, 1, 1)) == []


@contextmanager
def _explained(engine: Engine, prefix: str) -> Iterator[None]:
    """Run SELECTs as ``<prefix> SELECT ...`` so the rows are the database's query plan."""

    def explain(conn: Connection, cursor: object, statement: str, *rest: object) -> tuple[str, object]:
        parameters = rest[0]
        return (prefix + statement if statement.lstrip().startswith("SELECT") else statement), parameters

    event.listen(engine, "before_cursor_execute", explain, retval=True)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", explain)


@pytest.mark.parametrize("one_clinic", [True, False])
def test_the_recall_list_is_read_from_a_recall_index_not_a_scan(
    app: App, seed: Seed, one_clinic: bool
) -> None:
    statement = recall_statement([seed.clinic.id] if one_clinic else None, ["due", "overdue"], TODAY, 50)
    postgres = app.engine.dialect.name == "postgresql"
    with app.engine.connect() as connection:
        if postgres:
            # A tiny test table is cheapest to scan; forbid that to see which index the planner can use.
            connection.execute(text("SET LOCAL enable_seqscan = off"))
        with _explained(app.engine, "EXPLAIN " if postgres else "EXPLAIN QUERY PLAN "):
            plan = "\n".join(str(row[-1]) for row in connection.execute(statement))

    # Which recall_timeline index a planner picks on a near-empty table varies (benchmarks/recall.py
    # shows the plan over a million patients); what must never happen is a scan of the table.
    assert "ix_recall_timeline_" in plan or "pk_recall_timeline" in plan
    assert "SCAN recall_timeline\n" not in plan + "\n"
    assert "Seq Scan on recall_timeline" not in plan
