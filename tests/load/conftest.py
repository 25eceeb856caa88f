"""The load tests drive the benchmark code itself (``benchmarks/soak.py``): its folder is importable
(appended to ``sys.path``, so its script names never shadow another module)."""

from __future__ import annotations

import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
if str(BENCHMARKS) not in sys.path:
    sys.path.append(str(BENCHMARKS))
