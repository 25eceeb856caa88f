"""Recall-list speed over a large registry (issue 3), measured (not asserted in tests).

    .venv/bin/python benchmarks/recall.py --patients 1000000 --database sqlite
    .venv/bin/python benchmarks/recall.py --patients 1000000 --database postgresql

Builds a fresh database migrated by ``bootstrap`` (a SQLite file under /tmp, or the dedicated PostgreSQL
database ``b12care_bench`` on 127.0.0.1:5432, user postgres), bulk-inserts ~50 clinics, the patients and
one stored forecast and its recall timeline per patient with SQLAlchemy Core (a realistic mix of
statuses, urgency and due dates, up to 4 spans per patient; 0.1 % of patients entered-in-error), then
times ``Services.recall`` and the raw ``uow.forecasts.recall`` for one clinic, all clinics, a status
filter, 30 days ahead and a deep page: median and p95 of ``--runs`` runs after a warm-up. Prints the
query plan of each query. Target: <= 100 ms per recall list.
The database is removed at the end unless ``--keep`` (``--reuse`` then skips the build next time).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import random
import statistics
import time
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.sql import Select

from b12care.adapters.db.forecasts import NO_DUE_DATE, recall_statement
from b12care.adapters.db.tables import clinics, patients, recall_timeline, stored_forecasts
from b12care.application.treatment import Services
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.domain.recall import RECALL_STATUSES, urgency
from bench_db import BenchDatabase, random_uuid

NAME = "b12care_bench"
AS_OF = dt.date(2026, 11, 24)
AT = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)
TARGET_MS = 100.0
CHUNK = 20_000
LAPSE = dt.timedelta(days=90)  # a synthetic maintenance interval: lapsed one interval after due

# (status, share of patients): most patients are on track between doses; 40 % are on the recall list.
MIX = (
    ("on_track", 0.50),
    ("loading", 0.03),
    ("not_started", 0.02),
    ("stopped", 0.05),
    ("due_soon", 0.10),
    ("due", 0.05),
    ("overdue", 0.15),
    ("needs_review", 0.10),
)


def _forecast(rng: random.Random, status: str) -> dict[str, Any]:
    """Dates and flags that fit the status on AS_OF (earliest = due - 7 days, overdue = due + 14 days)."""
    flags: list[str] = []
    if status == "stopped":
        due = None
    elif status == "on_track":
        due = AS_OF + dt.timedelta(days=rng.randint(15, 90))
    elif status in ("loading", "not_started"):
        due = AS_OF + dt.timedelta(days=rng.randint(0, 10))
    elif status == "due_soon":
        due = AS_OF + dt.timedelta(days=rng.randint(1, 7))
    elif status == "due":
        due = AS_OF - dt.timedelta(days=rng.randint(0, 13))
    elif status == "overdue":
        due = AS_OF - dt.timedelta(days=rng.randint(14, 400))
        if AS_OF - due >= LAPSE:
            flags.append("MAINTENANCE_LAPSED")
    else:  # needs_review
        due = AS_OF + dt.timedelta(days=rng.randint(-30, 60))
        flags.append(rng.choice(("NO_IMPROVEMENT", "SYMPTOMS_RECURRING_BEFORE_DUE", "REVIEW_OVERDUE")))
    return {
        "status": status,
        "urgency": urgency(status, flags),  # type: ignore[arg-type]
        "earliest": None if due is None else due - dt.timedelta(days=7),
        "due": due,
        "sort_due": due or NO_DUE_DATE,
        "overdue": None if due is None else due + dt.timedelta(days=14),
        "flags": flags,
        "as_of": AS_OF,
        "pack_id": "uk-nice-2024",
        "pack_version": "2024.1",
        "updated_at": AT,
        "updated_by": "bench",
    }


def _timeline(forecast: dict[str, Any]) -> list[dict[str, Any]]:
    """The recall spans of a forecast: a maintenance patient's journey through due soon, due, overdue
    and lapsed (up to 4 spans); one open span for needs review; none when loading, not started or
    stopped."""
    status, due = forecast["status"], forecast["due"]
    common = {k: forecast[k] for k in ("patient_id", "clinic_id", "earliest", "due", "overdue", "sort_due")}
    common |= {"pack_id": forecast["pack_id"], "pack_version": forecast["pack_version"]}
    if status == "needs_review":
        span = (dt.date.min, dt.date.max, status, forecast["flags"])
        spans = [span]
    elif status in ("on_track", "due_soon", "due", "overdue"):
        lapse = due + LAPSE
        spans = [
            (forecast["earliest"], due, "due_soon", []),
            (due, forecast["overdue"], "due", []),
            (forecast["overdue"], lapse, "overdue", []),
            (lapse, dt.date.max, "overdue", ["MAINTENANCE_LAPSED"]),
        ]
    else:
        spans = []
    # As stored by a write or the nightly recompute on AS_OF: spans already over are gone and the
    # span in force reaches back to date.min.
    spans = [span for span in spans if span[1] > AS_OF]
    if spans and spans[0][0] <= AS_OF:
        spans[0] = (dt.date.min, *spans[0][1:])
    return [
        common
        | {
            "valid_from": start,
            "valid_to": end,
            "status": state,
            "urgency": urgency(state, flags),
            "flags": flags,
        }
        for start, end, state, flags in spans
    ]


def _rows(count: int, clinic_ids: list[str], seed: int) -> Iterator[tuple[list[dict[str, Any]], ...]]:
    rng = random.Random(seed)
    statuses = [status for status, _ in MIX]
    weights = [share for _, share in MIX]
    for start in range(0, count, CHUNK):
        people: list[dict[str, Any]] = []
        forecasts: list[dict[str, Any]] = []
        spans: list[dict[str, Any]] = []
        for index in range(start, min(start + CHUNK, count)):
            patient_id = random_uuid(rng)
            clinic_id = clinic_ids[index % len(clinic_ids)]
            error = rng.random() < 0.001
            people.append(
                {
                    "id": patient_id,
                    "clinic_id": clinic_id,
                    "reference": f"H{index:07d}",
                    "name": f"Bench Patient {index:07d}",
                    "birth_date": dt.date(rng.randint(1935, 2005), rng.randint(1, 12), rng.randint(1, 28)),
                    "sex": rng.choice(("female", "male")),
                    "created_at": AT,
                    "created_by": "bench",
                    "entered_in_error_at": AT if error else None,
                    "entered_in_error_by": "bench" if error else None,
                    "entered_in_error_reason": "duplicate registration" if error else None,
                }
            )
            status = rng.choices(statuses, weights)[0]
            forecasts.append({"patient_id": patient_id, "clinic_id": clinic_id} | _forecast(rng, status))
            if not error:  # a patient entered in error has no recall timeline
                spans.extend(_timeline(forecasts[-1]))
        yield people, forecasts, spans


def build(app: App, count: int, clinic_count: int, seed: int = 3) -> None:
    """Bulk-insert the clinics, patients and stored forecasts with Core, committing every chunk."""
    rng = random.Random(seed)
    clinic_ids = [random_uuid(rng) for _ in range(clinic_count)]
    with app.engine.connect() as connection:
        connection.execute(
            insert(clinics),
            [
                {"id": c, "name": f"Clinic {i:02d}", "created_at": AT, "created_by": "bench"}
                for i, c in enumerate(clinic_ids)
            ],
        )
        connection.commit()
        done = 0
        started = time.perf_counter()
        for people, forecasts, spans in _rows(count, clinic_ids, seed):
            connection.execute(insert(patients), people)
            connection.execute(insert(stored_forecasts), forecasts)
            connection.execute(insert(recall_timeline), spans)
            connection.commit()
            done += len(people)
            if done % 200_000 == 0 or done == count:
                print(f"  inserted {done:,} patients ({time.perf_counter() - started:.0f} s)", flush=True)
        # What the server would have gathered by itself: SQLite's ANALYZE (the app never runs it, so
        # this is measured both ways) and PostgreSQL's autovacuum statistics.
        if app.engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")
            connection.commit()


def _explain(connection: Connection, statement: Select[Any]) -> list[str]:
    sql = str(
        statement.compile(
            dialect=connection.dialect, compile_kwargs={"literal_binds": True, "render_postcompile": True}
        )
    )
    if connection.dialect.name == "sqlite":
        return [f"{row[3]}" for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")]
    return [row[0] for row in connection.exec_driver_sql(f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")]


def _time(run: Callable[[], object], runs: int, warmup: int = 3) -> tuple[float, float, float]:
    """Median, p95 and max wall milliseconds."""
    for _ in range(warmup):
        run()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
    return statistics.median(times), p95, max(times)


def measure(app: App, runs: int, show_plans: bool) -> list[tuple[str, str, float, float, bool]]:
    """Time each recall list; return (scenario, call, median ms, p95 ms, meets target)."""
    services = Services(app.uow, app.clock)
    with app.engine.connect() as connection:
        clinic_id = connection.execute(select(clinics.c.id).order_by(clinics.c.name).limit(1)).scalar_one()
        per_clinic = connection.execute(
            select(func.count()).select_from(patients).where(patients.c.clinic_id == clinic_id)
        ).scalar_one()
    recall: list[str] = sorted(RECALL_STATUSES)
    later = AS_OF + dt.timedelta(days=30)
    scenarios: list[tuple[str, list[str] | None, list[str] | None, dt.date]] = [
        (f"one clinic ({per_clinic:,} patients)", [clinic_id], None, AS_OF),
        ("all clinics", None, None, AS_OF),
        ("one clinic, status overdue", [clinic_id], ["overdue"], AS_OF),
        ("all clinics, status overdue", None, ["overdue"], AS_OF),
        ("one clinic, 30 days ahead", [clinic_id], None, later),
        ("all clinics, status due, 30 days ahead", None, ["due"], later),
        ("all clinics, page 50 (offset 4,900)", None, recall, AS_OF),
    ]
    results = []
    for name, clinic, statuses, day in scenarios:
        offset = 4_900 if "page 50" in name else 0
        if show_plans:
            with app.engine.connect() as connection:
                print(f"\nplan of the recall query, {name}:")
                for line in _explain(connection, recall_statement(clinic, statuses, day, 100, offset)):
                    print(f"    {line}")

        def raw(
            clinic: list[str] | None = clinic,
            statuses: list[str] | None = statuses,
            day: dt.date = day,
            offset: int = offset,
        ) -> object:
            with app.uow() as uow:
                return uow.forecasts.recall(clinic, statuses, day, 100, offset)

        def full(
            clinic: list[str] | None = clinic,
            statuses: list[str] | None = statuses,
            day: dt.date = day,
            offset: int = offset,
        ) -> object:
            return services.recall(clinic, statuses, day, 100, offset)

        for call, fn in (("uow.forecasts.recall", raw), ("Services.recall", full)):
            median, p95, worst = _time(fn, runs)
            ok = p95 <= TARGET_MS
            results.append((name, call, median, p95, ok))
            print(
                f"{name:<52} {call:<22} median {median:8.1f} ms  p95 {p95:8.1f} ms  max {worst:8.1f} ms"
                f"  {'meets' if ok else 'MISSES'} <= {TARGET_MS:.0f} ms",
                flush=True,
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=1_000_000)
    parser.add_argument("--clinics", type=int, default=50)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="leave the database for a later --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep")
    args = parser.parse_args()
    if not 1 <= args.patients <= 2_000_000 or not 1 <= args.clinics <= 1000 or not 5 <= args.runs <= 200:
        parser.error("bounded work: 1..2,000,000 patients, 1..1,000 clinics, 5..200 runs")

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    database = BenchDatabase(NAME, args.database)
    if not args.reuse:
        database.drop()
        database.create()
    app = bootstrap(Settings(database_url=database.url()), clock=lambda: AT)
    try:
        with app.engine.connect() as connection:
            existing = connection.execute(select(func.count()).select_from(patients)).scalar_one()
        if not args.reuse or existing == 0:
            print(
                f"building {args.patients:,} patients in {args.clinics} clinics ({args.database})", flush=True
            )
            started = time.perf_counter()
            build(app, args.patients, args.clinics)
            print(f"built in {time.perf_counter() - started:.0f} s", flush=True)
        else:
            print(f"reusing {existing:,} patients ({args.database})")
        measure(app, args.runs, show_plans=True)
        if args.database == "sqlite":
            print("\nafter ANALYZE (SQLite keeps no statistics until asked):")
            with app.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
            measure(app, args.runs, show_plans=True)
    finally:
        app.close()
        if not args.keep:
            database.drop()
            print(f"\nremoved the {args.database} benchmark database")


if __name__ == "__main__":
    main()
