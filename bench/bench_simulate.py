"""Benchmark: the policy simulator (政策测算) over a synthetic 医保 settlement file.

Generates N settlements for N/5 members (fixed seed; realistic mix of med types, hospital
levels and amounts, ~3% critical-illness diagnoses, reversals, void rows, a few settlements
of the previous year) in a temporary directory, then runs the simulator in-process exactly
as `manage.py mutual_aid_simulate` does. Prints rows/s, seconds and peak RSS, and, as the
reference measured on the same machine in the same run, the rate of a bare `csv.reader`
pass over the same file. Asserts nothing.

    .venv/bin/python bench/bench_simulate.py            # 1,000,000 rows
    .venv/bin/python bench/bench_simulate.py --n 50000  # quick
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gonghui.core.factories import make_id_number  # noqa: E402
from gonghui.mutual_aid.assessment.types import Assessment, Case, CategoryMatch  # noqa: E402
from gonghui.mutual_aid.engine.io import SETTLEMENT_HEADER  # noqa: E402
from gonghui.mutual_aid.engine.policy import CATALOGUE_PATH, load_policy  # noqa: E402
from gonghui.mutual_aid.engine.simulate import simulate  # noqa: E402

POLICY = ROOT / "gonghui" / "mutual_aid" / "data" / "policy_2026.yaml"
YEAR = 2026

HEADER = list(SETTLEMENT_HEADER)

# (med_type, weight): outpatient dominates the number of settlements.
MED_MIX = [
    ("11", 50.0),
    ("14", 15.0),
    ("21", 22.0),
    ("22", 2.0),
    ("23", 0.5),
    ("24", 2.0),
    ("25", 1.5),
    ("26", 0.5),
    ("28", 3.0),
    ("51", 1.5),
    ("52", 2.0),
]
INPATIENT = {"21", "22", "23", "24", "25", "26", "28", "52"}
ORDINARY_DX = [
    ("J18.900", "肺炎"),
    ("I10.x00", "高血压"),
    ("E11.900", "2型糖尿病"),
    ("K35.800", "急性阑尾炎"),
    ("S82.201", "胫骨骨干骨折"),
    ("J06.900", "急性上呼吸道感染"),
    ("K29.700", "胃炎"),
    ("M54.500", "腰痛"),
    ("N20.000", "肾结石"),
    ("K80.200", "胆囊结石"),
    ("I25.103", "冠状动脉粥样硬化性心脏病"),
    ("M17.900", "膝关节骨性关节炎"),
    ("H25.900", "老年性白内障"),
    ("J44.900", "慢性阻塞性肺疾病"),
]
CRITICAL_DX = [
    ("C34.900", "肺恶性肿瘤", ""),
    ("C50.900", "乳腺恶性肿瘤", ""),
    ("C16.900", "胃恶性肿瘤", ""),
    ("C73.x00", "甲状腺恶性肿瘤", ""),
    ("D05.100", "乳腺导管原位癌", ""),
    ("I21.900x011", "急性心肌梗死", ""),
    ("I63.900", "脑梗死", ""),
    ("N18.500", "慢性肾脏病5期", ""),
    ("D32.900", "脑膜良性肿瘤", ""),
    ("I25.103", "冠状动脉粥样硬化性心脏病", "36.1"),
    ("I35.000", "主动脉瓣狭窄", "35.2"),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀英华"
HOSPITALS = [f"{town}{kind}" for town in ("萧山区", "滨江区", "上城区", "西湖区", "余杭区") for kind in (
    "第一人民医院", "中医院", "妇幼保健院", "城厢街道社区卫生服务中心", "第二人民医院",
)]  # fmt: skip


def make_certno(rng: random.Random, sex: str) -> str:
    """A valid 18-digit ID number of the given sex, born 1966–2003, from a Hangzhou district."""
    return make_id_number(rng, sex=sex, region=rng.choice(("330109", "330108", "330102", "330106", "330110")))


def _money(value: float) -> str:
    return f"{max(0.0, value):.2f}"


def generate(directory: Path, n: int, members: int, seed: int) -> tuple[Path, Path]:
    """Write enrolments.csv and settlements.csv; streaming, so memory stays flat."""
    rng = random.Random(seed)
    last_day = min(date(YEAR, 12, 31), date.today() - timedelta(days=1))
    span = (last_day - date(YEAR, 1, 1)).days + 1
    people: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(people) < members:
        sex = "F" if rng.random() < 0.48 else "M"
        certno = make_certno(rng, sex)
        if certno not in seen:
            seen.add(certno)
            people.append((certno, rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)))
    del seen

    enrolments = directory / "enrolments.csv"
    with enrolments.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(("certno", "year", "item", "start_date", "renewal"))
        for i, (certno, _) in enumerate(people):
            if rng.random() < 0.08:  # not enrolled this year
                continue
            renewal = "1" if rng.random() < 0.8 else "0"
            start = (
                date(YEAR, 1, 1)
                if renewal == "1" or rng.random() < 0.7
                else (date(YEAR, 1, 1) + timedelta(days=rng.randrange(180)))
            )
            items = ["selfpay"]
            if rng.random() < 0.7:
                items.append("critical")
            if int(certno[16]) % 2 == 0 and rng.random() < 0.6:
                items.append("female")
            for item in items:
                w.writerow((certno, YEAR, item, start.isoformat(), renewal))
            if i % 10 == 0:
                w.writerow((certno, YEAR - 1, "selfpay", f"{YEAR - 1}-01-01", "1"))

    med_codes = [m for m, _ in MED_MIX]
    med_weights = [wt for _, wt in MED_MIX]
    settlements = directory / "settlements.csv"
    recent: list[tuple[str, list[str]]] = []  # candidates for a later reversal
    with settlements.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        row = 0
        while row < n:
            row += 1
            setl_id = f"33{YEAR}{row:010d}"
            if recent and rng.random() < 0.01:
                # A reversal repeats its original's amounts, a few days later.
                orig_id, orig = recent.pop(rng.randrange(len(recent)))
                rev = list(orig)
                rev[0] = setl_id
                end = date.fromisoformat(orig[7]) + timedelta(days=rng.randrange(1, 5))
                rev[7] = min(end, last_day).isoformat()
                rev[17], rev[18] = "1", orig_id
                w.writerow(rev)
                continue
            certno, name = people[rng.randrange(members)]
            med = rng.choices(med_codes, med_weights)[0]
            level = rng.choices(("1", "2", "3"), (30, 35, 35))[0]
            year_end = date(YEAR - 1, 12, 31) if rng.random() < 0.02 else None
            if year_end is not None:
                enddate = year_end - timedelta(days=rng.randrange(60))
            else:
                enddate = date(YEAR, 1, 1) + timedelta(days=rng.randrange(span))
            if med in INPATIENT:
                days = max(0, int(rng.lognormvariate(1.8, 0.6)))
                medfee = rng.lognormvariate(9.2, 0.8)
            else:
                days = 0
                medfee = rng.lognormvariate(5.0, 1.0) * (4 if med == "14" else 1)
            begndate = enddate - timedelta(days=days)
            fund = medfee * rng.uniform(0.5, 0.85)
            fulamt = 0.0 if rng.random() < 0.6 else medfee * rng.uniform(0, 0.1)
            overlmt = 0.0 if rng.random() < 0.85 else medfee * rng.uniform(0, 0.05)
            hosp_part = 0.0 if rng.random() < 0.95 else medfee * 0.01
            presel = medfee * rng.uniform(0, 0.1)
            oprn = ""
            if rng.random() < 0.03:
                code, dx_name, oprn = rng.choice(CRITICAL_DX)
            else:
                code, dx_name = rng.choice(ORDINARY_DX)
            codes, names = code, dx_name
            if rng.random() < 0.3:
                extra_code, extra_name = rng.choice(ORDINARY_DX)
                codes, names = f"{code};{extra_code}", f"{dx_name};{extra_name}"
            cells = [
                setl_id,
                certno,
                name,
                med,
                level,
                rng.choice(HOSPITALS),
                begndate.isoformat(),
                enddate.isoformat(),
                _money(medfee),
                _money(fund),
                _money(hosp_part),
                _money(fulamt),
                _money(overlmt),
                _money(presel),
                codes,
                names,
                oprn,
                "0",
                "",
                "0" if rng.random() < 0.005 else "1",
            ]
            w.writerow(cells)
            if len(recent) < 1000:
                recent.append((setl_id, cells))
    return enrolments, settlements


class PrefixAssessor:
    """Fallback when the real assessor is not installed: catalogue code prefixes only."""

    def __init__(self) -> None:
        with CATALOGUE_PATH.open(encoding="utf-8-sig", newline="") as fh:
            self.rows = list(csv.DictReader(fh))

    @staticmethod
    def _norm(code: str | None) -> str:
        text = (code or "").upper()
        if "X" in text[1:]:
            text = text[0] + text[1:].split("X", 1)[0]
        return text.replace(".", "")

    def __call__(self, case: Case) -> Assessment:
        dx = [self._norm(d.code) for d in case.diagnoses if d.code]
        px = [self._norm(p.code) for p in case.procedures if p.code]
        found = []
        for r in self.rows:
            dx_p = [p for p in r["dx_prefixes"].split("|") if p]
            dx_x = [p for p in r["dx_excludes"].split("|") if p]
            px_p = [p for p in r["proc_prefixes"].split("|") if p]
            for c in dx:
                if any(c.startswith(p) for p in dx_p) and not any(c.startswith(x) for x in dx_x):
                    found.append(CategoryMatch(r["code"], r["severity"], r["dx_decision"], "", f"dx:{c}"))  # type: ignore[arg-type]
            for c in px:
                if any(c.startswith(p) for p in px_p):
                    found.append(CategoryMatch(r["code"], r["severity"], r["proc_decision"], "", f"proc:{c}"))  # type: ignore[arg-type]
        return Assessment(case_id=case.id, categories=tuple(found))


def pick_assessor(which: str) -> tuple[str, Callable[[Case], Assessment]]:
    if which in ("auto", "real"):
        try:
            from gonghui.mutual_aid.assessment.service import default_assessor
        except ImportError:
            if which == "real":
                raise
        else:
            return "real (assessment.service.default_assessor)", default_assessor()
    return "fallback (catalogue prefixes)", PrefixAssessor()


def peak_rss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux (bytes on macOS).
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--n", type=int, default=1_000_000, help="settlements (default 1,000,000)")
    parser.add_argument("--members", type=int, default=0, help="members (default n/5)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--assessor", choices=("auto", "real", "fallback"), default="auto")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    args = parser.parse_args(argv)
    members = args.members or max(1, args.n // 5)

    directory = Path(tempfile.mkdtemp(prefix="bench_simulate_"))
    try:
        t0 = time.perf_counter()
        enrolments, settlements = generate(directory, args.n, members, args.seed)
        gen_s = time.perf_counter() - t0
        size_mb = settlements.stat().st_size / 1e6
        print(f"generated {args.n:,} settlements for {members:,} members ({size_mb:.0f} MB) in {gen_s:.1f} s")
        rss_before = peak_rss_mb()

        # Reference: the bare cost of reading the file with the csv module.
        t0 = time.perf_counter()
        with settlements.open(encoding="utf-8", newline="") as fh:
            rows = sum(1 for _ in csv.reader(fh)) - 1
        ref_s = time.perf_counter() - t0

        label, assessor = pick_assessor(args.assessor)
        plan = load_policy(POLICY)
        t0 = time.perf_counter()
        summary = simulate(
            plan=plan,
            enrolments_path=enrolments,
            settlements_path=settlements,
            out_path=directory / "R.csv",
            assessor=assessor,
        )
        sim_s = time.perf_counter() - t0
        peak = peak_rss_mb()
    finally:
        if args.keep:
            print(f"files kept in {directory}")
        else:
            shutil.rmtree(directory, ignore_errors=True)

    print(f"assessor: {label}; distinct diagnosis strings assessed: {summary.assessments:,}")
    print(f"reference csv.reader pass: {rows / ref_s:,.0f} rows/s ({ref_s:.2f} s)")
    print(
        f"simulator: {summary.settlements_read / sim_s:,.0f} rows/s ({sim_s:.1f} s); "
        f"{ref_s / sim_s:.1%} of the bare csv.reader rate"
    )
    print(
        f"  settlements read {summary.settlements_read:,}, used {summary.settlements_used:,}, "
        f"members {summary.members:,}, paid {summary.members_paid:,}"
    )
    print(
        f"  pay lines {summary.rows:,}, total {summary.total_amount:,} yuan, "
        f"auto rate {summary.auto_rate:.2%}"
    )
    print(f"peak RSS: {peak:,.0f} MB (after generation: {rss_before:,.0f} MB)")


if __name__ == "__main__":
    main()
