"""Benchmark: matching as production runs it — candidates from the PostgreSQL full-text index
(GIN over ``to_tsvector('simple', …)``), then the engine's re-ranker — over N craftsmen and M
library outcomes in a scratch database (``gonghui_bench_match``).

The documents are the same synthetic ones as ``bench_match.py`` (texts stitched from the
labelled evaluation set, fixed seed). Prints the index build (rows/s, peak RSS), then p50 /
p95 / max ms of ``matching.match`` for Q craftsman and Q outcome queries (the evaluation
demands' texts, repeated, limit 10), and as the reference measured in the same run the time of
one indexed primary-key look-up through the ORM (a bare round trip to the same database), so
the figure is also given as a ratio. Asserts nothing.

    .venv/bin/python bench/bench_match_db.py                                   # 50,000 + 100,000
    .venv/bin/python bench/bench_match_db.py --craftsmen 5000 --outcomes 10000   # quick
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "gonghui_bench_match"
CHUNK = 5000


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--craftsmen", type=int, default=50_000)
    parser.add_argument("--outcomes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=20_251_122)
    parser.add_argument(
        "--reuse", action="store_true", help="query the scratch database built by an earlier run (no rebuild)"
    )
    args = parser.parse_args()

    if not args.reuse:
        recreate_database()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
    os.environ.setdefault("GONGHUI_TESTING", "1")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.bench_match import Vocabulary, _peak_rss_mb, generate_craftsmen, generate_outcomes
    from gonghui.assist import search
    from gonghui.assist.evaluation import load_eval_set
    from gonghui.assist.models import Craftsman, LibraryOutcome, SearchEntry
    from gonghui.core.text.tokenise import analyse
    from gonghui.orgs.models import OrgUnit

    call_command("migrate", verbosity=0)
    data = load_eval_set()
    if args.reuse:
        query_all(args, data)
        return
    root = OrgUnit.add_root(name="基准测试区总工会", level="district", division_code="330199")
    rng = random.Random(args.seed)
    vocab = Vocabulary(data)
    craftsmen = generate_craftsmen(args.craftsmen, vocab, rng)
    outcomes = generate_outcomes(args.outcomes, vocab, rng)
    analyse("预热分词器")

    started = time.perf_counter()
    for start in range(0, len(craftsmen), CHUNK):
        part = craftsmen[start : start + CHUNK]
        rows = Craftsman.objects.bulk_create(
            Craftsman(
                external_id=d.external_id,
                name=d.name,
                honours=list(d.honours),
                org_unit=root,
                region=d.region,
                industry=d.industry,
                trades=list(d.trades),
                skills=list(d.skills),
                equipment=list(d.equipment),
                bio=d.bio,
            )
            for d in part
        )
        search.index_documents(
            SearchEntry.Kind.CRAFTSMAN,
            ((row.pk, d.searchable_text()) for row, d in zip(rows, part, strict=True)),
        )
    for start in range(0, len(outcomes), CHUNK):
        part_o = outcomes[start : start + CHUNK]
        rows_o = LibraryOutcome.objects.bulk_create(
            LibraryOutcome(
                external_id=d.external_id,
                title=d.title[:160],
                type=d.type,
                industry=d.industry,
                region=d.region,
                description=d.description,
                tags=list(d.tags),
                org_unit=root,
            )
            for d in part_o
        )
        search.index_documents(
            SearchEntry.Kind.OUTCOME,
            ((row.pk, d.searchable_text()) for row, d in zip(rows_o, part_o, strict=True)),
        )
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE assist_searchentry") if connection.vendor == "postgresql" else None
    build_s = time.perf_counter() - started
    docs = len(craftsmen) + len(outcomes)
    print(
        f"index build: {docs:,} documents in {build_s:.1f} s ({docs / build_s:,.0f} docs/s, jieba included); "
        f"peak RSS {_peak_rss_mb():.0f} MB"
    )

    query_all(args, data)


def _rss_mb() -> float:
    """Current resident set size of this process (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def query_all(args: argparse.Namespace, data: Any) -> None:
    """Matching both ways production can answer: through the database index (the fallback),
    then from the resident index (its build time and memory first)."""
    from django.conf import settings

    from gonghui.assist import resident

    settings.ASSIST_RESIDENT_INDEX = False
    time_queries(args, data, "database index")
    settings.ASSIST_RESIDENT_INDEX = True
    for kind in ("craftsman", "outcome"):
        gc.collect()
        before = _rss_mb()
        started = time.perf_counter()
        snapshot = resident._store(resident.build(kind))
        build_s = time.perf_counter() - started
        gc.collect()
        print(
            f"resident {kind:9s} snapshot: {snapshot.documents:,} documents built from the stored "
            f"views in {build_s:.1f} s; RSS +{_rss_mb() - before:.0f} MB"
        )
    time_queries(args, data, "resident index")


def time_queries(args: argparse.Namespace, data: Any, label: str) -> None:
    """p50/p95/max of ``matching.match`` for each kind, with the reference look-up."""
    from gonghui.assist.matching import match
    from gonghui.assist.models import Craftsman

    demands = list(data.demands)
    sample_pk = Craftsman.objects.values_list("pk", flat=True).first()
    for kind in ("craftsman", "outcome"):
        engine_ms: list[float] = []
        reference_ms: list[float] = []
        for i in range(args.queries):
            demand = demands[i % len(demands)]
            t = time.perf_counter()
            Craftsman.objects.filter(pk=sample_pk).first()
            reference_ms.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            match(
                text=demand.text,
                kind=kind,
                industry=demand.industry or None,
                region=demand.region or None,
                limit=10,
            )
            engine_ms.append((time.perf_counter() - t) * 1000)
        print(
            f"{label}: match {kind:9s}: p50 {statistics.median(engine_ms):6.1f} ms  p95 {p95(engine_ms):6.1f} ms  "
            f"max {max(engine_ms):6.1f} ms  | reference pk look-up p95 {p95(reference_ms):.2f} ms "
            f"(ratio {p95(engine_ms) / p95(reference_ms):.0f}×)"
        )


if __name__ == "__main__":
    main()
