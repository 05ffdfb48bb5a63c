"""Benchmark: the critical-illness assessment (重疾判断), in-process.

Generates N cases (fixed seed) — a third code-only, a third name-only, a third with both;
1–4 diagnoses and 0–2 procedures each; codes with and without the 医保版 `x…` extension,
about a tenth of them critical; names from the shipped training set, a fifth of them given
an extra modifier so the per-name cache does not hide the model's cost. Then prints:

- cold start: importing the package and training the production model;
- throughput: cases/s through the production assessor, and through the JSON contract
  (parse → assess → dump) as the `mutual_aid_assess` command does;
- latency of one case: p50 / p95 / max ms, with the name cache cleared first (every name
  new to the model) and warm;
- the reference measured in the same run: the code rules alone (no text model), so the
  model's share is a ratio that does not depend on the machine;
- peak RSS. Asserts nothing.

    .venv/bin/python bench/bench_assess.py              # 100,000 cases
    .venv/bin/python bench/bench_assess.py --n 10000    # quick
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gonghui.mutual_aid.assessment.types import Assessment, Case, Diagnosis, Procedure  # noqa: E402

ORDINARY_CODES = [
    "J18.900", "I10.x00", "E11.900", "S72.000", "K35.800", "K80.100", "N20.000", "H25.900",
    "O80.000", "M51.202", "I25.100", "I20.000", "G45.900", "E04.101", "D25.900", "N18.300",
    "Z85.300", "R91.x00", "K29.500", "J44.100", "I48.x00", "N40.x00", "K76.000", "E78.500",
]  # fmt: skip
CRITICAL_CODES = [
    "C34.900x001", "C50.901", "C73.x00", "C44.300", "D05.100", "I21.900x011", "I63.900",
    "N18.500", "Z94.000", "G20.x00", "K74.600", "S06.500",
]  # fmt: skip
PROCEDURES = [
    ("36.1000x001", "冠状动脉旁路移植术"), ("35.2100", "主动脉瓣置换术"), ("55.6900", "同种异体肾移植术"),
    ("36.0601", "经皮冠状动脉支架植入术"), ("47.0100", "腹腔镜下阑尾切除术"), ("51.2300", "腹腔镜胆囊切除术"),
    ("68.4900", "腹腔镜下全子宫切除术"), ("81.5100", "全髋关节置换术"), ("13.4100", "白内障超声乳化抽吸术"),
]  # fmt: skip
EXTRA = ["（复诊）", "（住院）", "，待复查", "（门诊）", "（第二次入院）", "（右）", "（左）"]


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _code(rng: random.Random) -> str:
    code = rng.choice(CRITICAL_CODES if rng.random() < 0.1 else ORDINARY_CODES)
    return code if rng.random() < 0.5 else code.split("x")[0]


def _name(rng: random.Random, names: Sequence[str]) -> str:
    name = rng.choice(names)
    return name + rng.choice(EXTRA) if rng.random() < 0.2 else name


def generate(n: int, seed: int, names: Sequence[str]) -> list[Case]:
    """N cases with the mix described in the module docstring."""
    rng = random.Random(seed)
    cases = []
    for i in range(n):
        shape = i % 3  # 0: code only, 1: name only, 2: both
        diagnoses = tuple(
            Diagnosis(
                code=_code(rng) if shape != 1 else None,
                name=_name(rng, names) if shape != 0 else None,
            )
            for _ in range(rng.randint(1, 4))
        )
        procedures = tuple(
            Procedure(code, name if shape != 0 else None)
            for code, name in rng.sample(PROCEDURES, rng.choice((0, 0, 0, 1, 1, 2)))
        )
        cases.append(Case(id=f"B{i:07d}", diagnoses=diagnoses, procedures=procedures))
    return cases


def _rate(assess: Callable[[Case], Assessment], cases: Sequence[Case]) -> tuple[float, float]:
    started = time.perf_counter()
    for case in cases:
        assess(case)
    seconds = time.perf_counter() - started
    return seconds, len(cases) / seconds


def _latencies(assess: Callable[[Case], Assessment], cases: Sequence[Case]) -> list[float]:
    out = []
    for case in cases:
        started = time.perf_counter()
        assess(case)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _summary(label: str, ms: Sequence[float]) -> str:
    ordered = sorted(ms)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return (
        f"{label}: p50 {statistics.median(ordered):.3f} ms, p95 {p95:.3f} ms, "
        f"max {ordered[-1]:.3f} ms over {len(ordered)} cases"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=100_000, help="cases for the throughput run")
    parser.add_argument("--single", type=int, default=2_000, help="cases for the latency run")
    parser.add_argument("--seed", type=int, default=20260101)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    from gonghui.mutual_aid.assessment.assessor import Assessor
    from gonghui.mutual_aid.assessment.dataset import read_csv
    from gonghui.mutual_aid.assessment.service import (
        assessment_to_json,
        case_from_line,
        case_to_json,
        default_assessor,
        default_catalogue,
    )
    from gonghui.mutual_aid.assessment.text_model import MODEL_VERSION, default_model

    imported = time.perf_counter()
    assess = default_assessor()
    trained = time.perf_counter()
    print(f"model {MODEL_VERSION}")
    print(f"cold start: import {imported - started:.2f} s, train {trained - imported:.2f} s")

    names = sorted({row.name for row in read_csv()})
    cases = generate(args.n, args.seed, names)
    lines = [json.dumps(case_to_json(c), ensure_ascii=False) for c in cases]
    rules_only = Assessor(default_catalogue())

    model = default_model()
    ref_seconds, ref_rate = _rate(rules_only, cases)
    model.clear_cache()  # each run starts with no name cached, as a fresh process would
    seconds, rate = _rate(assess, cases)
    catalogue = default_catalogue()
    model.clear_cache()
    json_started = time.perf_counter()
    for line in lines:
        json.dumps(assessment_to_json(assess(case_from_line(line)), catalogue), ensure_ascii=False)
    json_seconds = time.perf_counter() - json_started
    distinct = len({d.name for c in cases for d in c.diagnoses if d.name})
    print(f"cases: {args.n} (code only / name only / both = 1:1:1), {distinct} distinct names")
    print(f"assess: {rate:,.0f} cases/s ({seconds:.2f} s)")
    print(f"assess via JSON contract: {args.n / json_seconds:,.0f} cases/s ({json_seconds:.2f} s)")
    print(f"reference, code rules only: {ref_rate:,.0f} cases/s ({ref_seconds:.2f} s)")
    print(f"ratio assess / rules only: {rate / ref_rate:.2f}")

    single = generate(args.single, args.seed + 1, [n + "（新）" for n in names])
    model.clear_cache()  # every name new to the model: the slow path
    print(_summary("one case, cold name cache", _latencies(assess, single)))
    print(_summary("one case, warm name cache", _latencies(assess, single)))
    print(f"peak RSS: {_peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
