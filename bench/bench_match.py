"""Benchmark: the assist matching engine (精准匹配) at scale, in-process.

Generates N craftsmen and M outcomes (fixed seed) whose texts are drawn from the evaluation
set's own texts: trades and skills sampled from the labelled craftsmen, bios and descriptions
stitched from 2–4 clauses of the labelled bios and descriptions, industries and regions from
the same mix. Then prints:

- build: seconds to tokenise and index everything, and peak RSS;
- query latency: p50 / p95 / max ms of `index.match` for Q craftsman and Q outcome queries
  (the evaluation demands' texts, repeated), limit 10, with industry and region as the
  platform sends them;
- the reference measured in the same run: normalising and tokenising the query text alone
  (both views), so the engine's cost is a ratio that does not depend on the machine; and the
  single-view BM25 baseline for comparison. Asserts nothing.

    .venv/bin/python bench/bench_match.py                                 # 50,000 + 100,000
    .venv/bin/python bench/bench_match.py --craftsmen 5000 --outcomes 10000   # quick
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gonghui.assist.engine import (  # noqa: E402
    CraftsmanDoc,
    MatchIndex,
    MatchQuery,
    OutcomeDoc,
    baseline_match,
)
from gonghui.assist.evaluation import EvalSet, load_eval_set  # noqa: E402
from gonghui.core.text.tokenise import analyse  # noqa: E402

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
)
GIVEN = "建国明华军伟强平立志海红丽文涛斌杰勇刚峰磊鹏超波辉东林云燕萍敏静婷雪梅兰芳新民宏亮"
HONOURS = (
    "全国劳动模范",
    "大国工匠",
    "全国技术能手",
    "浙江省劳动模范",
    "浙江工匠",
    "杭州工匠",
    "杭州市劳动模范",
    "首席技师",
)
REGIONS = ("330199",) * 6 + (
    "330102",
    "330105",
    "330106",
    "330108",
    "330110",
    "330200",
    "320500",
    "440300",
    "510100",
)
_CLAUSE = re.compile(r"[^，。；]+")


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


class Vocabulary:
    """Pools of real phrases from the evaluation set, sampled with a seeded generator."""

    def __init__(self, data: EvalSet) -> None:
        self.trades = sorted({t for c in data.craftsmen for t in c.trades})
        self.skills = sorted({s for c in data.craftsmen for s in c.skills})
        self.bio_clauses = sorted({m.group() for c in data.craftsmen for m in _CLAUSE.finditer(c.bio)})
        self.titles = sorted({o.title for o in data.outcomes})
        self.desc_clauses = sorted(
            {m.group() for o in data.outcomes for m in _CLAUSE.finditer(o.description)}
        )
        self.types = sorted({o.type for o in data.outcomes})
        self.industries = [c.industry for c in data.craftsmen]

    def sentence(self, rng: random.Random, clauses: Sequence[str]) -> str:
        return "，".join(rng.sample(clauses, rng.randint(2, 4))) + "。"


def generate_craftsmen(n: int, vocab: Vocabulary, rng: random.Random) -> list[CraftsmanDoc]:
    """N craftsmen; a tenth full, a twentieth with a conflict of interest (enterprise 1–50)."""
    out = []
    for i in range(1, n + 1):
        out.append(
            CraftsmanDoc(
                id=i,
                external_id=f"B{i:07d}",
                name=rng.choice(SURNAMES) + "".join(rng.choices(GIVEN, k=rng.randint(1, 2))),
                honours=tuple(rng.sample(HONOURS, rng.choice((0, 1, 1, 2)))),
                region=rng.choice(REGIONS),
                industry=rng.choice(vocab.industries),
                trades=tuple(rng.sample(vocab.trades, rng.randint(1, 2))),
                skills=tuple(rng.sample(vocab.skills, rng.randint(2, 4))),
                bio=vocab.sentence(rng, vocab.bio_clauses),
                capacity_left=0 if rng.random() < 0.1 else rng.randint(1, 5),
                confirmed_solutions=rng.randint(0, 30),
                rating_avg=round(rng.uniform(3.5, 5.0), 1) if rng.random() < 0.6 else None,
                conflict_enterprise_ids=frozenset({rng.randint(1, 50)})
                if rng.random() < 0.05
                else frozenset(),
            )
        )
    return out


def generate_outcomes(n: int, vocab: Vocabulary, rng: random.Random) -> list[OutcomeDoc]:
    return [
        OutcomeDoc(
            id=i,
            external_id=f"O{i:07d}",
            title=rng.choice(vocab.titles),
            type=rng.choice(vocab.types),
            industry=rng.choice(vocab.industries),
            description=vocab.sentence(rng, vocab.desc_clauses),
        )
        for i in range(1, n + 1)
    ]


def _timed(run: Callable[[MatchQuery], object], query: MatchQuery) -> float:
    started = time.perf_counter()
    run(query)
    return (time.perf_counter() - started) * 1000


def _interleaved(
    runs: Sequence[Callable[[MatchQuery], object]], queries: Sequence[MatchQuery]
) -> list[list[float]]:
    """Milliseconds of each run on each query, the runs alternating query by query so that a
    noisy neighbour on a shared machine slows the reference and the engine alike."""
    out: list[list[float]] = [[] for _ in runs]
    for query in queries:
        for times, run in zip(out, runs, strict=True):
            times.append(_timed(run, query))
    return out


def _p95(ms: Sequence[float]) -> float:
    ordered = sorted(ms)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def _summary(label: str, ms: Sequence[float]) -> str:
    return (
        f"{label}: p50 {statistics.median(ms):.2f} ms, p95 {_p95(ms):.2f} ms, "
        f"max {max(ms):.2f} ms over {len(ms)} queries"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--craftsmen", type=int, default=50_000)
    parser.add_argument("--outcomes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500, help="queries of each kind")
    parser.add_argument("--seed", type=int, default=20_251_122)
    args = parser.parse_args(argv)

    data = load_eval_set()
    vocab = Vocabulary(data)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    craftsmen = generate_craftsmen(args.craftsmen, vocab, rng)
    outcomes = generate_outcomes(args.outcomes, vocab, rng)
    print(
        f"generated {len(craftsmen):,} craftsmen + {len(outcomes):,} outcomes in {time.perf_counter() - started:.1f} s"
    )

    analyse("预热分词器")  # jieba's dictionary load is a one-off, not part of indexing
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    index = MatchIndex.build(craftsmen=craftsmen, outcomes=outcomes)
    build_s = time.perf_counter() - started
    docs = len(craftsmen) + len(outcomes)
    print(
        f"build: {build_s:.1f} s ({docs / build_s:,.0f} docs/s); peak RSS {_peak_rss_mb():.0f} MB "
        f"(before build {rss_before:.0f} MB); vocabulary words {len(index.craftsmen.words.vocabulary):,} + "
        f"{len(index.outcomes.words.vocabulary):,}, bigrams {len(index.craftsmen.bigrams.vocabulary):,} + "
        f"{len(index.outcomes.bigrams.vocabulary):,}; postings "
        f"{sum(len(c.words.post_docs) + len(c.bigrams.post_docs) for c in (index.craftsmen, index.outcomes)):,}"
    )

    texts = list(data.demands)
    queries = {
        kind: [
            MatchQuery(
                text=texts[i % len(texts)].text,
                industry=texts[i % len(texts)].industry or None,
                region=texts[i % len(texts)].region or None,
                kind=kind,
                limit=10,
                enterprise_id=(i % 50) + 1,
            )
            for i in range(args.queries)
        ]
        for kind in ("craftsman", "outcome")
    }
    for kind in ("craftsman", "outcome"):
        index.match(queries[kind][0])  # warm
    for kind in ("craftsman", "outcome"):
        reference, engine, baseline = _interleaved(
            (lambda q: analyse(q.text), index.match, lambda q: baseline_match(index, q)), queries[kind]
        )
        print(_summary(f"reference ({kind} queries): normalise + both token views of the text", reference))
        print(
            _summary(f"engine {kind}", engine)
            + f"  → p50 {statistics.median(engine) / statistics.median(reference):.0f}×,"
            f" p95 {_p95(engine) / _p95(reference):.0f}× the reference"
        )
        print(_summary(f"baseline {kind} (word BM25 only)", baseline))
    print(f"peak RSS {_peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
