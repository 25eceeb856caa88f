"""Dashboard page speed for a 10,000-patient clinic (issue 5), measured (not asserted in tests).

    .venv/bin/python benchmarks/dashboard.py --database sqlite
    .venv/bin/python benchmarks/dashboard.py --database postgresql

Builds a fresh database (a SQLite file under /tmp, or the dedicated PostgreSQL database
``b12care_bench_web`` on 127.0.0.1:5432) with ``recall.build``: ``--patients`` patients in one clinic
(plus ``--other-clinics`` clinics of the same size, so the clinic filter has work to do), each with a
stored forecast and recall timeline (a realistic mix of statuses and due dates). A clinician of the
clinic opens the pages through Starlette's TestClient (in process, no network): the server time of
each request is measured around the call. Reports median and p95 of ``--runs`` runs after a warm-up for
``/`` (counts + the first 50 of the recall list), each category list, a status filter, a search
(name/reference over the clinic's patients) and the CSV export.
Target: ``/`` <= 300 ms. The database is removed at the end.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import platform
import statistics
import time
import warnings

from argon2 import PasswordHasher
from sqlalchemy import select

from b12care.adapters.db.tables import clinics
from b12care.application.accounts import Accounts
from b12care.bootstrap import bootstrap
from b12care.config import Settings
from b12care.entrypoints.api.app import create_app
from b12care.entrypoints.web.session import SESSION_COOKIE
from bench_db import BenchDatabase
from recall import AS_OF, AT, build

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

NAME = "b12care_bench_web"
PAGES = (
    "/",
    "/?view=overdue",
    "/?view=lapsed",
    "/?view=due_today",
    "/?view=due_this_week",
    "/?view=needs_review",
    "/?status=due_soon",
    "/?offset=500",
    "/?q=no-such-name",
    "/recall.csv",
)
TARGET_MS = 300.0


def _time(client: TestClient, path: str, runs: int, warmup: int = 3) -> tuple[float, float, int]:
    for _ in range(warmup):
        client.get(path)
    samples = []
    size = 0
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(path)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        size = len(response.content)
    samples.sort()
    return statistics.median(samples), samples[max(0, round(0.95 * len(samples)) - 1)], size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=10_000, help="patients per clinic")
    parser.add_argument("--other-clinics", type=int, default=4)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    if not 1 <= args.patients <= 200_000 or not 0 <= args.other_clinics <= 50 or not 5 <= args.runs <= 200:
        parser.error("bounded work: 1..200,000 patients, 0..50 other clinics, 5..200 runs")

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    database = BenchDatabase(NAME, args.database)
    database.drop()
    database.create()
    settings = Settings(database_url=database.url(), secret_key="bench-secret-key-of-at-least-32-chars")
    app = bootstrap(settings, clock=lambda: AT)
    try:
        total = args.patients * (1 + args.other_clinics)
        print(
            f"building {total:,} patients in {1 + args.other_clinics} clinics ({args.database})", flush=True
        )
        build(app, total, 1 + args.other_clinics)
        if args.database == "sqlite":
            with app.engine.connect() as connection:
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
        with app.engine.connect() as connection:
            clinic_id = connection.execute(select(clinics.c.id).order_by(clinics.c.name)).scalars().first()
        assert clinic_id is not None
        web = create_app(app)
        accounts: Accounts = web.state.accounts
        accounts = dataclasses.replace(accounts, hasher=PasswordHasher(time_cost=1, memory_cost=1024))
        web.state.accounts = accounts
        accounts.add_user("clinician.bench", "bench password 1234", "clinician", [clinic_id], "bench")
        print(f"as of {AS_OF}; one clinician of one clinic (~{args.patients:,} patients); {args.runs} runs\n")
        print(f"{'page':28} {'median ms':>10} {'p95 ms':>8} {'bytes':>9}")
        with TestClient(web) as client:
            client.cookies.set(SESSION_COOKIE, accounts.issue_token("clinician.bench"))
            for path in PAGES:
                median, p95, size = _time(client, path, args.runs)
                mark = (
                    "" if path != "/" else ("  (target <= 300 ms: met)" if p95 <= TARGET_MS else "  (MISSED)")
                )
                print(f"{path:28} {median:10.1f} {p95:8.1f} {size:9,}{mark}")
    finally:
        app.close()
        database.drop()
        print(f"\nremoved the {args.database} benchmark database")


if __name__ == "__main__":
    main()
