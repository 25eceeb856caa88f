"""Cold start of ``b12care plan examples/pernicious-anaemia.json --format json`` (target <= 0.4 s median),
for one or more source trees measured in the same run, their runs alternating so that each sees the same
load.

    .venv/bin/python benchmarks/cold_start.py                                   # this tree's src/
    git worktree add /tmp/wt HEAD~1                                             # the previous commit
    .venv/bin/python benchmarks/cold_start.py --src /tmp/wt/src --src src --runs 15
    git worktree remove /tmp/wt

Each run is a new process (``python -c "...main()"`` with ``PYTHONPATH=<src>``, so that tree's code is
what runs; the script checks it) timed from start to exit; one unmeasured run per tree first writes its
bytecode caches. Prints the median, min and max per tree, the load average before and after, and
whether the trees printed the same plan.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["main", "run_once"]

ROOT = Path(__file__).resolve().parent.parent
CASE = ROOT / "examples" / "pernicious-anaemia.json"
# ``python -c``: also runs a tree whose cli/app.py has no ``__main__`` block (the entry point's call).
ENTRY = "from b12care.entrypoints.cli.app import main; main()"


def _environment(src: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(src), "COLUMNS": "100"}


def _check_tree(python: str, src: Path) -> None:
    """Stop unless ``import b12care`` under ``PYTHONPATH=src`` loads that tree's package."""
    where = subprocess.run(
        [python, "-c", "import b12care; print(b12care.__file__)"],
        env=_environment(src),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(where).resolve().is_relative_to(src.resolve()):
        raise SystemExit(f"PYTHONPATH={src} loads b12care from {where}, not from that tree")


def run_once(python: str, src: Path, case: Path) -> tuple[float, bytes]:
    """Wall seconds of one cold ``b12care plan CASE --format json`` and what it printed."""
    command = [python, "-c", ENTRY, "plan", str(case), "--format", "json"]
    start = time.perf_counter()
    done = subprocess.run(command, env=_environment(src), capture_output=True, check=True, cwd=ROOT)
    return time.perf_counter() - start, done.stdout


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f}, {five:.2f}, {fifteen:.2f}"


def main() -> None:
    """Measure each ``--src`` tree ``--runs`` times, alternating, and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--src", type=Path, action="append", help="a src/ folder (repeat; default: src)")
    parser.add_argument("--runs", type=int, default=15, help="measured runs per tree (default 15)")
    parser.add_argument("--python", default=sys.executable, help="the interpreter (default: this one)")
    parser.add_argument("--case", type=Path, default=CASE, help="the case file")
    arguments = parser.parse_args()
    trees: list[Path] = arguments.src or [ROOT / "src"]
    for src in trees:
        _check_tree(arguments.python, src)
    outputs = {src: run_once(arguments.python, src, arguments.case)[1] for src in trees}  # warm-up
    times: dict[Path, list[float]] = {src: [] for src in trees}
    print(f"load average before: {_load()} ({os.cpu_count()} cores)")
    for _ in range(arguments.runs):
        for src in trees:
            times[src].append(run_once(arguments.python, src, arguments.case)[0])
    print(f"load average after:  {_load()}")
    for src in trees:
        runs = times[src]
        print(
            f"{src}: median {statistics.median(runs):.3f} s, min {min(runs):.3f} s, max {max(runs):.3f} s "
            f"({len(runs)} runs)"
        )
    same = len(set(outputs.values())) == 1
    print(
        "every tree printed the same plan"
        if same
        else "the trees printed different plans (a pack edited between them changes its content_hash)"
    )


if __name__ == "__main__":
    main()
