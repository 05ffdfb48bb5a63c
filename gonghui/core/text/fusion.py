"""Reciprocal rank fusion (RRF) of several ranked lists.

    rrf(d) = Σ_lists 1 / (k + rank(d))      rank 1-based; a list without d adds nothing

with k = 60 (Cormack, Clarke & Büttcher, 2009). Only ranks count, so lists whose scores are
on different scales (BM25 on words and on bigrams) fuse without calibration, and a document
near the top of both lists beats one at the top of only one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

RRF_K = 60

Key = TypeVar("Key", int, str)


@dataclass(frozen=True, slots=True)
class Fused(Generic[Key]):
    """One fused item: its key, RRF score and its 1-based rank in each input list (None if absent)."""

    key: Key
    score: float
    ranks: tuple[int | None, ...]


def reciprocal_rank_fusion(rankings: Sequence[Iterable[Key]], *, k: int = RRF_K) -> tuple[Fused[Key], ...]:
    """Fuse ranked lists of keys, best first; a key's rank is its position (1-based).

    Result ordered by RRF score descending, equal scores by key ascending (deterministic).
    A key repeated in one list counts at its first rank.
    """
    return _fuse([list(enumerate(ranking, start=1)) for ranking in rankings], k)


def fuse_scored(scored: Sequence[Iterable[tuple[Key, float]]], *, k: int = RRF_K) -> tuple[Fused[Key], ...]:
    """Fuse lists of (key, score), best first, where equal scores share the better rank.

    Competition ranking (scores 9, 9, 7 → ranks 1, 1, 3): documents a view cannot tell apart
    are not told apart by the fusion either, so equal documents end equal and the final order
    falls to the tie-break by id.
    """
    return _fuse([list(_competition_ranks(pairs)) for pairs in scored], k)


def _competition_ranks(pairs: Iterable[tuple[Key, float]]) -> Iterator[tuple[int, Key]]:
    rank, previous = 0, None
    for position, (key, score) in enumerate(pairs, start=1):
        if score != previous:
            rank, previous = position, score
        yield rank, key


def _fuse(rankings: Sequence[Sequence[tuple[int, Key]]], k: int) -> tuple[Fused[Key], ...]:
    ranks: dict[Key, list[int | None]] = {}
    for list_no, ranking in enumerate(rankings):
        for rank, key in ranking:
            slots = ranks.setdefault(key, [None] * len(rankings))
            if slots[list_no] is None:
                slots[list_no] = rank
    fused = [
        Fused(key=key, score=sum(1.0 / (k + r) for r in slots if r is not None), ranks=tuple(slots))
        for key, slots in ranks.items()
    ]
    fused.sort(key=lambda item: (-item.score, item.key))
    return tuple(fused)


def max_rrf_score(lists: int, *, k: int = RRF_K) -> float:
    """The score of an item ranked first in every one of `lists` lists (for normalising to [0, 1])."""
    return lists / (k + 1)
