"""Backup, restore and export of a demo clinic: wall time, CPU time and peak memory of each command.

    .venv/bin/python benchmarks/backup.py                  # 3,000 demo patients on SQLite
    .venv/bin/python benchmarks/backup.py --patients 500

Seeds a throw-away SQLite database with the demo clinic (every stage of treatment), then runs each
command as a user would (`b12care backup`, `restore --check`, `restore`, `export --format csv|fhir`) in a
child process and reads its cost from the operating system (``getrusage`` of the children). No target is
set by the issue: the figures go to docs/performance.md (and docs/backup.md points there).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy import select

from b12care.adapters.db.tables import clinics
from b12care.application.demo import seed_demo
from b12care.application.treatment import Services
from b12care.bootstrap import bootstrap
from b12care.config import Settings

CLI = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "b12care"
AS_OF = dt.date(2026, 11, 24)


def seed(url: str, patients: int) -> str:
    """The demo clinic of ``patients`` patients in the database at ``url``; its id."""
    with bootstrap(Settings(database_url=url)) as app:
        for _ in seed_demo(Services(app.uow, app.clock), count=patients, as_of=AS_OF):
            pass
        with app.engine.connect() as connection:
            return str(connection.execute(select(clinics.c.id)).scalar_one())


def measure(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``b12care ARGS``; its wall seconds, CPU seconds (user + system) and peak RSS in MB."""
    started = time.perf_counter()
    child = subprocess.Popen([str(CLI), *args], env=env, stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise SystemExit(f"b12care {' '.join(args)} exited {child.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # ru_maxrss: KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--patients", type=int, default=3000, help="demo patients (default 3000)")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="b12care-bench-backup-"))
    try:
        database = folder / "live" / "b12care.db"
        url = f"sqlite:///{database}"
        started = time.perf_counter()
        clinic = seed(url, options.patients)
        print(f"seeded {options.patients} demo patients in {time.perf_counter() - started:.0f} s")
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        env = os.environ | {"B12CARE_DATABASE_URL": url}
        backup = folder / "backup.db"
        steps = [
            ("backup FILE", ["backup", str(backup)]),
            ("restore --check FILE", ["restore", "--check", str(backup)]),
            ("restore FILE", ["restore", str(backup)]),
            ("export --clinic --format csv", ["export", "--clinic", clinic, "--format", "csv",
                                              "--output", str(folder / "clinic.csv")]),
            ("export --clinic --format fhir", ["export", "--clinic", clinic, "--format", "fhir",
                                               "--output", str(folder / "clinic.json")]),
        ]  # fmt: skip
        print(f"database {database.stat().st_size / 2**20:.0f} MB")
        print(f"{'command':32} {'wall s':>8} {'CPU s':>8} {'peak MB':>8}")
        for label, args in steps:
            wall, cpu, peak = measure(args, env)
            print(f"{label:32} {wall:8.1f} {cpu:8.1f} {peak:8.0f}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
