"""Run benchmarks: ``python -m bench [NAME ...]`` runs bench/bench_NAME.py's ``main()`` (all when none).

A benchmark split over several files registers its entry module in MODULES instead.
"""

from __future__ import annotations

import os

# Measure in-process contenders as a Codette worker runs them: one BLAS thread per process
# (worker/celery_app.py sets the same default before numpy loads). Peers share the setting.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import importlib
import pkgutil
import sys
from pathlib import Path

#: Benchmarks kept in modules not named bench_NAME.py (a harness split over several files).
MODULES = {
    "advice": "bench.advice",
    "advice_issue": "bench.advice_issue",
    "advice_service": "bench.advice_service",
}


def available() -> list[str]:
    here = Path(__file__).parent
    found = {
        m.name.removeprefix("bench_")
        for m in pkgutil.iter_modules([str(here)])
        if m.name.startswith("bench_")
    }
    return sorted(found | set(MODULES))


def main(argv: list[str]) -> int:
    names = argv or available()
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(
            f"unknown benchmark(s): {', '.join(unknown)}; available: {', '.join(available())}",
            file=sys.stderr,
        )
        return 2
    for name in names:
        print(f"== bench {name}", flush=True)
        importlib.import_module(MODULES.get(name, f"bench.bench_{name}")).main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
