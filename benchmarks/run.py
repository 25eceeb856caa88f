"""Speed targets of the clinical engine, measured (not asserted in tests).

    .venv/bin/python benchmarks/run.py            # prints figures; copy them to docs/performance.md

- plan throughput: in-process ``build_plan`` over a mix of cases (target >= 5,000 plans/s on one core);
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
from datetime import date
from decimal import Decimal
from pathlib import Path

from b12care.domain.case import Case, LabResult, Patient
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
    times = cli_cold_start()
    print(
        f"CLI cold start: median {statistics.median(times):.3f} s, min {min(times):.3f} s, "
        f"max {max(times):.3f} s over {len(times)} runs (target <= 0.4 s median)"
    )


if __name__ == "__main__":
    main()
