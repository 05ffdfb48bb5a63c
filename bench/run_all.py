"""`make bench`: every benchmark, one after the other, figures printed (nothing asserted).

Sizes default to what finishes in about a quarter of an hour on 2 cores; pass --full for
the spec's sizes (1,000,000 settlements / 200,000 members).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv/bin/python")


def run(title: str, *args: str) -> None:
    print(f"\n=== {title} ===", flush=True)
    subprocess.run([PY, *args], cwd=ROOT, check=False)


if __name__ == "__main__":
    full = "--full" in sys.argv
    n = "1000000" if full else "200000"
    run("assessment (cases/s, p95 ms)", "bench/bench_assess.py")
    run("assist matching, in-memory engine (p50/p95 ms, index build)", "bench/bench_match.py")
    run("assist matching through the PostgreSQL index (p50/p95 ms)", "bench/bench_match_db.py")
    run(f"policy simulator ({n} settlements)", "bench/bench_simulate.py", "--n", n)
    run(f"intake + screening vs COPY ({n} settlements)", "bench/bench_intake.py", "--n", n)
    run("pages at 20 concurrent clients", "bench/bench_pages.py")
