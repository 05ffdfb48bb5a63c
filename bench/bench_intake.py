"""Benchmark: 医保 intake + screening into PostgreSQL, against plain COPY of the same file.

Builds a scratch database (``gonghui_bench``) with N/5 consenting, enrolled members, writes
N synthetic settlements (the simulator benchmark's generator, fixed seed), then measures
in the same run:

* reference — ``COPY`` of the file into an unindexed table of text columns (the physical
  limit of getting these bytes into this PostgreSQL on this machine);
* intake — ``settlements_import`` (validation, consent check, staging, idempotent insert);
* screening — ``screen_after_intake`` (the rules engine for every affected member, claims).

Prints rows/s of each, the ratio to COPY and peak RSS. Asserts nothing. Needs the local
PostgreSQL (127.0.0.1:5432, user postgres).

    .venv/bin/python bench/bench_intake.py             # 1,000,000 settlements, 200,000 members
    .venv/bin/python bench/bench_intake.py --n 100000  # quicker
"""

from __future__ import annotations

import argparse
import csv
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB = "gonghui_bench"


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident set size now (Linux), to tell the intake's memory from the set-up's peak."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * resource.getpagesize() / 2**20


def recreate_database() -> None:
    import psycopg

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB}")
        conn.execute(f"CREATE DATABASE {DB}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=0, help="default n/5")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--profile", metavar="DIR", help="write cProfile stats of intake and screening to DIR"
    )
    parser.add_argument(
        "--engine",
        choices=("auto", "python"),
        default="auto",
        help="intake validator: auto = SQL on PostgreSQL (intake_sql), python = the row-by-row reader",
    )
    args = parser.parse_args()
    members_n = args.members or args.n // 5

    recreate_database()
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{DB}"
    os.environ.setdefault("GONGHUI_TESTING", "1")  # dev keys; SMS to memory
    os.environ.setdefault("SMS_BACKEND", "gonghui.accounts.sms.LocmemSmsBackend")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bench.bench_simulate import generate

    call_command("migrate", verbosity=0)
    work = Path(tempfile.mkdtemp(prefix="gonghui-bench-"))
    t = time.perf_counter()
    enrolments_path, settlements_path = generate(work, args.n, members_n, 2026)
    print(f"generated {args.n:,} settlements for {members_n:,} members in {time.perf_counter() - t:.1f} s")

    district, _plan = _populate(enrolments_path)

    # Reference: plain COPY into an unindexed table, same file, same server, same run.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE copy_reference (" + ", ".join(f"c{i} text" for i in range(20)) + ")")
        t = time.perf_counter()
        with (
            open(settlements_path, "rb") as fh,
            cursor.cursor.copy("COPY copy_reference FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while chunk := fh.read(1 << 20):
                copy.write(chunk)
        copy_s = time.perf_counter() - t
        cursor.execute("SELECT count(*) FROM copy_reference")
        copied = cursor.fetchone()[0]
        cursor.execute("DROP TABLE copy_reference")

    from gonghui.mutual_aid.assessment.service import default_assessor
    from gonghui.mutual_aid.intake import screen_after_intake, settlements_import
    from gonghui.mutual_aid.intake_sql import STEP_SECONDS
    from gonghui.mutual_aid.models import Claim

    default_assessor()  # train the text model before the clock starts (a per-process cost)
    rss_before = rss_mb()
    peak_before = peak_rss_mb()
    t = time.perf_counter()
    result = _profiled(
        args.profile,
        "intake",
        lambda: settlements_import(
            actor=None,
            org_unit=district,
            path=str(settlements_path),
            filename="bench.csv",
            engine=args.engine,
        ),
    )
    intake_s = time.perf_counter() - t
    intake_steps = dict(STEP_SECONDS)
    rss_intake = rss_mb()
    t = time.perf_counter()
    claims = _profiled(args.profile, "screening", lambda: screen_after_intake(result=result))
    screen_s = time.perf_counter() - t
    total_s = intake_s + screen_s
    rows = args.n
    print()
    print(f"COPY reference        {copied:>10,} rows  {copy_s:8.1f} s  {copied / copy_s:>10,.0f} rows/s")
    print(
        f"intake ({result.engine:6})       {result.batch.rows_created:>10,} rows  {intake_s:8.1f} s  {rows / intake_s:>10,.0f} rows/s"
        f"  ({(rows / intake_s) / (copied / copy_s):.0%} of COPY)"
    )
    print(
        f"screening             {len(result.member_ids):>10,} membs {screen_s:8.1f} s  {rows / screen_s:>10,.0f} rows/s"
        f"  -> {len(claims):,} claims, {Claim.objects.count():,} stored"
    )
    print(
        f"intake + screening    {rows:>10,} rows  {total_s:8.1f} s  {rows / total_s:>10,.0f} rows/s"
        f"  ({(rows / total_s) / (copied / copy_s):.0%} of COPY)"
    )
    print(
        f"peak RSS              {peak_rss_mb():.0f} MB (set-up peak {peak_before:.0f} MB; resident "
        f"{rss_before:.0f} MB before intake, {rss_intake:.0f} MB after, {rss_mb():.0f} MB after screening)"
    )
    print("intake steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in intake_steps.items()))
    print(
        f"batch: created {result.batch.rows_created:,}, duplicate {result.batch.rows_duplicate:,}, "
        f"no consent {result.batch.rows_no_consent:,}, rejected {result.batch.rows_rejected:,}"
    )
    connection.close()
    shutil.rmtree(work, ignore_errors=True)
    if not args.keep_db:
        import psycopg

        with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {DB}")


def _profiled(directory: str | None, name: str, run):  # type: ignore[no-untyped-def]
    """Run ``run()``; with a directory, under cProfile, stats to ``DIR/name.prof``."""
    if not directory:
        return run()
    import cProfile
    import pstats

    profiler = cProfile.Profile()
    value = profiler.runcall(run)
    Path(directory).mkdir(parents=True, exist_ok=True)
    profiler.dump_stats(str(Path(directory) / f"{name}.prof"))
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return value


def _populate(enrolments_path: Path):  # type: ignore[no-untyped-def]
    """Members (one per certno in the enrolment file), consents, the 2026 plan, enrolments."""
    import datetime as dt
    import random
    from decimal import Decimal

    from django.db import connection
    from django.utils import timezone

    from gonghui.core.crypto import blind_index
    from gonghui.core.masking import mask_id_number
    from gonghui.core.validators import parse_id_number
    from gonghui.members.models import Member
    from gonghui.mutual_aid.models import Consent, Enrolment
    from gonghui.mutual_aid.plans import plan_create
    from gonghui.orgs.factories import build_district

    t = time.perf_counter()
    rng = random.Random(1)
    built = build_district(
        rng,
        street_names=[f"第{i}街道" for i in range(1, 11)],
        communities_per_street=1,
        enterprises_per_street=10,
    )
    with open(enrolments_path, encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    certnos = sorted({r["certno"] for r in rows})
    members = []
    for i, certno in enumerate(certnos):
        info = parse_id_number(certno)
        enterprise = built.enterprises[i % len(built.enterprises)]
        members.append(
            Member(
                name="职工",
                id_number=certno,
                id_number_index=blind_index(certno),
                id_number_masked=mask_id_number(certno),
                sex=info.sex,
                birth_date=info.birth_date,
                org_unit=enterprise.union,
                employer=enterprise,
                joined_on=dt.date(2020, 1, 1),
            )
        )
    Member.objects.bulk_create(members, batch_size=5000)
    ids = dict(Member.objects.values_list("id_number_index", "pk"))
    now = timezone.now()
    Consent.objects.bulk_create(
        [
            Consent(member_id=pk, source="medical_insurance", text_version="bench", granted_at=now)
            for pk in ids.values()
        ],
        batch_size=5000,
    )
    plan = plan_create(
        actor=None,
        org_unit=built.district,
        policy_yaml=(ROOT / "gonghui/mutual_aid/data/policy_2026.yaml").read_text(encoding="utf-8"),
    )
    by_cert = {c: ids[blind_index(c)] for c in certnos}
    units = dict(Member.objects.values_list("pk", "org_unit_id"))
    Enrolment.objects.bulk_create(
        [
            Enrolment(
                plan=plan,
                member_id=by_cert[r["certno"]],
                item=r["item"],
                start_date=dt.date.fromisoformat(r["start_date"]),
                renewal=r["renewal"] == "1",
                fee=Decimal("36"),
                org_unit_id=units[by_cert[r["certno"]]],
            )
            for r in rows
            if r["year"] == str(plan.year)
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
    with connection.cursor() as cursor:
        # A working database has planner statistics; freshly bulk-loaded tables have none yet
        # (autovacuum would analyze them a minute later) and get seq-scan plans.
        cursor.execute("ANALYZE")
    print(
        f"populated {len(certnos):,} members, consents, plan and enrolments in {time.perf_counter() - t:.1f} s"
    )
    return built.district, plan


if __name__ == "__main__":
    main()
