"""Forecast throughput alone (``run.py``'s five-year history), for comparing two trees in one run.

    .venv/bin/python benchmarks/forecast_speed.py [rounds] [seconds]

prints each round's histories/s and their median. To measure beside the previous commit, run it with
``PYTHONPATH=<worktree>/src`` for the old code and without for this tree, alternating (docs/performance.md,
"Forecast speed (issue 13)").
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import b12care
from run import forecast_throughput


def main(rounds: int = 3, seconds: float = 3.0) -> None:
    figures = [forecast_throughput(seconds) for _ in range(rounds)]
    where = Path(b12care.__file__).resolve().parents[1]
    print(
        f"{where}: " + ", ".join(f"{f:,.0f}" for f in figures) + f"; median {statistics.median(figures):,.0f}"
        " five-year histories/s"
    )


if __name__ == "__main__":
    main(*(int(a) if i == 0 else float(a) for i, a in enumerate(sys.argv[1:3])))
