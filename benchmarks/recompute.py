"""``b12care recompute`` over a large registry (issue 3), measured (not asserted in tests).

    .venv/bin/python benchmarks/recompute.py --patients 100000 --database sqlite
    .venv/bin/python benchmarks/recompute.py --patients 100000 --database postgresql

Builds a fresh database migrated by ``bootstrap`` (a SQLite file under /tmp, or the dedicated PostgreSQL
database ``b12care_bench_recompute`` on 127.0.0.1:5432, user postgres) and bulk-inserts with SQLAlchemy
Core patients made like ``b12care demo``: every demo stage (loading, maintenance on time/overdue/lapsed,
neurological review, not started, stopped, symptoms returning), each patient with plan version 1 from one
of a few hundred case templates (stage x start date), the doses its plan had given by 2026-11-24, the
stage's review or symptom check, and a stored forecast. Then it profiles ``Services.recompute`` on the
first ``--profile`` patients in-process (cProfile: where the time goes) and times the real command
``b12care recompute --as-of 2026-11-24`` over every patient in a new process. Target: <= 60 s for
100,000 patients. The database is removed at the end unless ``--keep`` (``--reuse`` then skips the build).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import itertools
import json
import os
import platform
import pstats
import random
import shutil
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from b12care.adapters.db.forecasts import NO_DUE_DATE
from b12care.adapters.db.tables import clinics, doses, patients, plan_versions, reviews, stored_forecasts
from b12care.adapters.db.tables import symptom_checks as symptom_table
from b12care.application.case_file import parse_case_json
from b12care.application.demo import STAGES
from b12care.application.planning import choose_pack
from b12care.application.treatment import Services
from b12care.bootstrap import App, bootstrap
from b12care.config import Settings
from b12care.domain.plan import build_plan
from bench_db import BenchDatabase, random_uuid

NAME = "b12care_bench_recompute"
AS_OF = dt.date(2026, 11, 24)
AT = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)
TARGET_S = 60.0
CHUNK = 5_000
CLINICS = 20
START_OFFSETS = 21  # start dates per stage, like the demo's 0-20 days of jitter


def _templates(rng: random.Random) -> list[dict[str, Any]]:
    """One case per (demo stage, start offset), with the doses, review and symptom check it implies."""
    templates = []
    for stage, offset in itertools.product(STAGES, range(START_OFFSETS)):
        start = AS_OF - dt.timedelta(days=stage.start_days_ago + offset)
        birth = dt.date(rng.randint(1935, 2000), rng.randint(1, 12), rng.randint(1, 28))
        case = {
            "pack": "uk-nice-2024",
            "start_date": start.isoformat(),
            "patient": {"birth_date": birth.isoformat(), "sex": rng.choice(["female", "male"])},
            "cause": "autoimmune_gastritis",
            "labs": [
                {
                    "test": "total_b12",
                    "value": rng.randint(60, 170),
                    "unit": "ng/L",
                    "date": (start - dt.timedelta(days=3)).isoformat(),
                }
            ],
        } | stage.case
        case_json = json.dumps(case)
        parsed = parse_case_json(case_json)
        plan = build_plan(parsed, choose_pack(parsed.pack))
        cutoff = min(AS_OF - dt.timedelta(days=stage.stop_days_ago), AS_OF)
        given = [
            (planned.date, Decimal(planned.dose.value), planned.dose.unit, planned.route)
            for phase in plan.phases
            for planned in phase.doses
            if planned.date <= cutoff
        ]
        templates.append(
            {
                "case_json": case_json,
                "birth_date": birth,
                "sex": case["patient"]["sex"],
                "drug": plan.selection.regimen.drug,
                "doses": given,
                "review": stage.review,
                "symptoms_worse": stage.symptoms_worse,
            }
        )
    return templates


def build(app: App, count: int, seed: int = 5) -> int:
    """Bulk-insert clinics, patients, plan versions, doses, reviews, symptom checks and forecasts."""
    rng = random.Random(seed)
    templates = _templates(rng)
    clinic_ids = [random_uuid(rng) for _ in range(CLINICS)]
    who = {"recorded_by": "bench", "recorded_at": AT}
    dose_count = 0
    with app.engine.connect() as connection:
        connection.execute(
            insert(clinics),
            [
                {"id": c, "name": f"Clinic {i:02d}", "created_at": AT, "created_by": "bench"}
                for i, c in enumerate(clinic_ids)
            ],
        )
        connection.commit()
        started = time.perf_counter()
        for chunk_start in range(0, count, CHUNK):
            rows: dict[str, list[dict[str, Any]]] = {
                "patients": [],
                "plans": [],
                "doses": [],
                "reviews": [],
                "symptoms": [],
                "forecasts": [],
            }
            for index in range(chunk_start, min(chunk_start + CHUNK, count)):
                template = templates[index % len(templates)]
                patient_id = random_uuid(rng)
                clinic_id = clinic_ids[index % CLINICS]
                rows["patients"].append(
                    {
                        "id": patient_id,
                        "clinic_id": clinic_id,
                        "reference": f"H{index:07d}",
                        "name": f"Bench Patient {index:07d}",
                        "birth_date": template["birth_date"],
                        "sex": template["sex"],
                        "created_at": AT,
                        "created_by": "bench",
                    }
                )
                rows["plans"].append(
                    {
                        "id": random_uuid(rng),
                        "patient_id": patient_id,
                        "version": 1,
                        "case_json": template["case_json"],
                        "pack_id": "uk-nice-2024",
                        "pack_version": "2024.1",
                        "maintenance_interval": None,
                        "review_id": None,
                        "created_by": "bench",
                        "created_at": AT,
                    }
                )
                for day, value, unit, route in template["doses"]:
                    rows["doses"].append(
                        {
                            "id": random_uuid(rng),
                            "patient_id": patient_id,
                            "date": day,
                            "drug": template["drug"],
                            "product": None,
                            "dose_value": value,
                            "dose_unit": unit,
                            "route": route,
                            "site": "left deltoid",
                            "lot": "BENCH1",
                            "given_by": "bench",
                            "source": "clinic",
                            "status": "completed",
                            "not_done_reason": None,
                            "idempotency_key": None,
                        }
                        | who
                    )
                if template["review"] is not None:
                    rows["reviews"].append(
                        {
                            "id": random_uuid(rng),
                            "patient_id": patient_id,
                            "date": AS_OF - dt.timedelta(days=10),
                            "decision": template["review"],
                            "note": "bench",
                            "new_interval": None,
                            "reviewed_by": "bench",
                            "recorded_at": AT,
                        }
                    )
                if template["symptoms_worse"]:
                    rows["symptoms"].append(
                        {
                            "id": random_uuid(rng),
                            "patient_id": patient_id,
                            "date": AS_OF - dt.timedelta(days=3),
                            "overall": "worse",
                            "fatigue": 3,
                            "pins_and_needles": 2,
                        }
                        | who
                    )
                # A stale forecast, as after a pack upgrade: recompute replaces every one of them.
                rows["forecasts"].append(
                    {
                        "patient_id": patient_id,
                        "clinic_id": clinic_id,
                        "status": "on_track",
                        "urgency": 9,
                        "earliest": None,
                        "due": None,
                        "sort_due": NO_DUE_DATE,
                        "overdue": None,
                        "flags": [],
                        "as_of": AS_OF - dt.timedelta(days=1),
                        "pack_id": "uk-nice-2024",
                        "pack_version": "2024.0",
                        "updated_at": AT,
                        "updated_by": "bench",
                    }
                )
            tables = (
                (patients, "patients"),
                (reviews, "reviews"),
                (plan_versions, "plans"),
                (doses, "doses"),
                (symptom_table, "symptoms"),
                (stored_forecasts, "forecasts"),
            )
            for table, key in tables:
                if rows[key]:
                    connection.execute(insert(table), rows[key])
            connection.commit()
            dose_count += len(rows["doses"])
            done = min(chunk_start + CHUNK, count)
            if done % 25_000 == 0 or done == count:
                print(f"  inserted {done:,} patients ({time.perf_counter() - started:.0f} s)", flush=True)
        if app.engine.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")  # what autovacuum would have done by the next night
            connection.commit()
    return dose_count


def profile(app: App, count: int) -> float:
    """Recompute the first ``count`` patients in-process under cProfile; print where the time goes."""
    services = Services(app.uow, app.clock)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    done = 0
    for batch in services.recompute("bench", AS_OF):
        done += batch
        if done >= count:
            break
    profiler.disable()
    elapsed = time.perf_counter() - started
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(
        r"treatment.py.*(stored_forecast|history_from|recompute)|plan.py.*build_plan"
        r"|forecast.py.*(forecast_plan|forecast_timeline)|case_file.py.*parse_case_json|repositories.py"
        r"|forecasts.py.*save"
        r"|_statements.py.*(write_audit|execute)|base.py.*(commit|_execute_context)|unit_of_work.py"
        r"|{method 'execute' of|{method 'commit' of|{method 'fetchall' of|{method 'fetchone' of"
    )
    print(f"\nprofile of Services.recompute over {done:,} patients (cProfile adds overhead):")
    print(f"  {elapsed:.1f} s under the profiler = {elapsed / done * 1000:.2f} ms per patient")
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    for line in lines[start : start + 32]:
        print(f"  {line}")
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
    lines = out.getvalue().splitlines()
    start = next((i for i, line in enumerate(lines) if "ncalls" in line), 0)
    print("\n  own time (tottime), top 12:")
    for line in lines[start : start + 13]:
        print(f"  {line}")
    return elapsed / done


def cli_recompute(url: str) -> float:
    """Wall seconds of ``b12care recompute --as-of 2026-11-24`` in a new process."""
    exe = shutil.which("b12care", path=str(Path(sys.executable).parent)) or "b12care"
    env = os.environ | {"B12CARE_DATABASE_URL": url, "USER": "bench"}
    started = time.perf_counter()
    result = subprocess.run(
        [exe, "recompute", "--as-of", AS_OF.isoformat()], env=env, capture_output=True, text=True, check=True
    )
    elapsed = time.perf_counter() - started
    print(f"  b12care said: {result.stdout.strip().splitlines()[-1]}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--profile", type=int, default=2_000, help="patients to profile in-process (0: none)")
    parser.add_argument("--keep", action="store_true", help="leave the database for a later --reuse")
    parser.add_argument("--reuse", action="store_true", help="measure a database kept by --keep")
    args = parser.parse_args()
    if not 1 <= args.patients <= 200_000 or not 0 <= args.profile <= 20_000:
        parser.error("bounded work: 1..200,000 patients, 0..20,000 profiled")

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
            print(f"building {args.patients:,} demo-like patients ({args.database})", flush=True)
            started = time.perf_counter()
            dose_count = build(app, args.patients)
            print(
                f"built in {time.perf_counter() - started:.0f} s: {dose_count:,} doses "
                f"({dose_count / args.patients:.1f} per patient)",
                flush=True,
            )
            existing = args.patients
        else:
            print(f"reusing {existing:,} patients ({args.database})")
        if args.profile:
            profile(app, min(args.profile, existing))
        app.close()
        print(f"\ntiming `b12care recompute` over {existing:,} patients ({args.database}) ...", flush=True)
        seconds = cli_recompute(database.url())
        verdict = "meets" if seconds <= TARGET_S * existing / 100_000 else "MISSES"
        print(
            f"b12care recompute: {seconds:.1f} s for {existing:,} patients = "
            f"{seconds / existing * 1000:.2f} ms per patient, {existing / seconds:,.0f} patients/s; "
            f"{verdict} the target (<= {TARGET_S:.0f} s per 100,000 patients)"
        )
        if existing != 100_000:
            print(f"  EXTRAPOLATED to 100,000 patients: {seconds / existing * 100_000:.0f} s")
    finally:
        app.close()
        if not args.keep:
            database.drop()
            print(f"\nremoved the {args.database} benchmark database")


if __name__ == "__main__":
    main()
