"""Similar-outcome warning (查重提示): rank existing outcomes by shared character bigrams.

Chinese has no spaces, and workers describe the same improvement in different words, so
overlapping character bigrams (with Latin/number runs kept whole, e.g. model numbers) are a
robust, explainable signal: the warning shows the shared terms. Scores are the Dice
coefficient of the bigram sets, weighted towards the title.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

_CJK = re.compile(r"[\u4e00-\u9fff]+")
_LATIN = re.compile(r"[a-z0-9][a-z0-9\-.]*[a-z0-9]|[a-z0-9]")
# Bigrams too common in outcome texts to say anything about similarity.
STOP_BIGRAMS = frozenset(
    {
        "提高",
        "效率",
        "改进",
        "工作",
        "问题",
        "解决",
        "一种",
        "进行",
        "通过",
        "使用",
        "方法",
        "装置",
        "我们",
        "可以",
    }
)
TITLE_WEIGHT = 0.6


@dataclass(frozen=True, slots=True)
class Candidate:
    """An existing outcome as the warning sees it."""

    id: int
    title: str
    text: str


@dataclass(frozen=True, slots=True)
class Similar:
    """A similar outcome, its score in [0, 1] and the shared terms that explain it."""

    id: int
    title: str
    score: float
    shared: tuple[str, ...]


def terms(text: str) -> frozenset[str]:
    """Character bigrams of CJK runs (single characters for one-character runs) plus whole
    Latin/number tokens, after NFKC (full-width → half-width) and lower-casing."""
    text = unicodedata.normalize("NFKC", text).lower()
    found: set[str] = set()
    for run in _CJK.findall(text):
        if len(run) == 1:
            continue
        found.update(run[i : i + 2] for i in range(len(run) - 1))
    found.update(token for token in _LATIN.findall(text) if len(token) >= 2)
    return frozenset(found - STOP_BIGRAMS)


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def similar(
    *, title: str, text: str, candidates: Iterable[Candidate], limit: int = 5, threshold: float = 0.12
) -> tuple[Similar, ...]:
    """Candidates scoring at least ``threshold``, best first (ties by id), at most ``limit``."""
    query_title = terms(title)
    query_all = query_title | terms(text)
    found: list[Similar] = []
    for candidate in candidates:
        cand_title = terms(candidate.title)
        cand_all = cand_title | terms(candidate.text)
        score = TITLE_WEIGHT * _dice(query_title, cand_title) + (1 - TITLE_WEIGHT) * _dice(
            query_all, cand_all
        )
        if score >= threshold:
            shared = tuple(sorted(query_all & cand_all, key=lambda t: (-len(t), t))[:8])
            found.append(Similar(candidate.id, candidate.title, round(score, 4), shared))
    found.sort(key=lambda s: (-s.score, s.id))
    return tuple(found[:limit])
