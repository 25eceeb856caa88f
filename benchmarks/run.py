"""Speed targets of the clinical engine, measured (not asserted in tests).

    .venv/bin/python benchmarks/run.py            # prints figures; copy them to docs/performance.md

- plan throughput: in-process ``build_plan`` over a mix of cases (target >= 5,000 plans/s on one core);
- forecast throughput: ``forecast_plan`` over a five-year history (6 loading + 20 maintenance doses, five
  symptom checks) with the plan built once (target >= 20,000 histories/s per core);
- CLI cold start: wall time of ``b12care plan examples/pernicious-anaemia.json --format json`` in a new
  process each time (target <= 0.4 s median).
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from b12care.domain.case import Case, LabResult, Patient
from b12care.domain.forecast import forecast_plan
from b12care.domain.history import AdministeredDose, History, SymptomCheck
from b12care.domain.plan import build_plan
from b12care.knowledge import load_pack

ROOT = Path(__file__).resolve().parent.parent


def _cases() -> list[Case]:
    base = Case(
        start_date=date(2026, 1, 5),
        patient=Patient(date(1958, 3, 14), "female"),
        cause="autoimmune_gastritis",
        labs=(LabResult("total_b12", Decimal(120), "ng/L", date(2026, 1, 2)),),
    )
    return [
        base,
        replace(base, neurological_symptoms=True),
        replace(base, cause="dietary"),
        replace(base, indication="prophylaxis", cause="gastrectomy"),
        replace(base, conditions=frozenset({"leber_optic_atrophy"})),
        replace(
            base, medications=frozenset({"folic_acid", "metformin"}), conditions=frozenset({"severe_anaemia"})
        ),
        replace(base, labs=(*base.labs, LabResult("mma", Decimal("0.5"), "umol/L", date(2026, 1, 2)))),
    ]


def plan_throughput(seconds: float = 3.0) -> float:
    """Plans per second on one core (one process, one thread)."""
    packs = [load_pack(p) for p in ("uk-nice-2024", "us-fda-label", "nl-nhg-2014")]
    cases = _cases()
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for pack in packs:
            for case in cases:
                build_plan(case, pack)
                count += 1
    return count / (time.perf_counter() - started)


def forecast_throughput(seconds: float = 3.0) -> float:
    """Five-year histories forecast per second on one core."""
    pack = load_pack("uk-nice-2024")
    start = date(2021, 1, 4)
    plan = build_plan(replace(_cases()[0], start_date=start, labs=()), pack)
    days = [0, 2, 4, 7, 9, 11] + [11 + 91 * k for k in range(1, 21)]
    history = History(
        doses=tuple(AdministeredDose(start + timedelta(days=d)) for d in days),
        symptom_checks=tuple(SymptomCheck(start + timedelta(days=90 * k), "better") for k in range(1, 6)),
    )
    as_of = date(2026, 1, 5)
    count = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        forecast_plan(plan, history, pack, as_of)
        count += 1
    return count / (time.perf_counter() - started)


def cli_cold_start(runs: int = 15) -> list[float]:
    """Wall seconds of each cold ``b12care plan`` run."""
    exe = shutil.which("b12care", path=str(Path(sys.executable).parent)) or "b12care"
    command = [exe, "plan", str(ROOT / "examples" / "pernicious-anaemia.json"), "--format", "json"]
    subprocess.run(
        command, check=True, capture_output=True
    )  # warm the OS file cache, as a clinic machine would be
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print(f"plan throughput: {plan_throughput():,.0f} plans/s (target >= 5,000)")
    print(f"forecast throughput: {forecast_throughput():,.0f} five-year histories/s (target >= 20,000)")
    times = cli_cold_start()
    print(
        f"CLI cold start: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s over {len(times)} runs (target <= 0.4 s median)"
    )


if __name__ == "__main__":
    main()
