"""An in-memory Okapi BM25 index over one token view, built once and queried fast.

Score of document d for query terms Q (each distinct term counted once):

    score(d) = Σ_{t ∈ Q ∩ d} idf(t) · tf(t, d) · (k1 + 1) / (tf(t, d) + k1 · (1 − b + b · |d| / avgdl))
    idf(t)   = ln(1 + (N − df(t) + 0.5) / (df(t) + 0.5))

with k1 = 1.2, b = 0.75, |d| the document's token count and avgdl the mean over the corpus.
The idf is the "+1" form (Lucene's), which never goes negative for terms in most documents.

Layout: postings in CSR form — for term id t, `post_docs[ptr[t]:ptr[t+1]]` are the documents
holding it in increasing order and `post_weights[...]` their precomputed per-term BM25
contribution, so a query is one numpy slice-and-add per term and a top-k by argpartition. A
candidate subset (a structured filter) is scored either by masking the full accumulation or,
when it is small next to the postings touched, by binary search of each posting list.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

K1 = 1.2
B = 0.75

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int32]


@dataclass(frozen=True, slots=True)
class Bm25Hit:
    """One scored document: its position in the corpus, BM25 score and the query terms it holds."""

    doc: int
    score: float
    matched: tuple[str, ...]


class Bm25Builder:
    """Collects documents one at a time into compact arrays, then builds the index.

    Only term ids and counts are kept (4 bytes each), never the token lists, so two views of
    a large corpus can be built in one tokenising pass without holding the tokens.
    """

    def __init__(self) -> None:
        self.vocabulary: dict[str, int] = {}
        self._term_ids = array("i")
        self._term_freqs = array("i")
        self._distinct_per_doc = array("i")
        self._lengths = array("i")

    def add(self, tokens: Sequence[str]) -> int:
        """Add the next document; returns its position."""
        counts = Counter(tokens)
        vocabulary = self.vocabulary
        self._term_ids.extend(vocabulary.setdefault(term, len(vocabulary)) for term in counts)
        self._term_freqs.extend(counts.values())
        self._distinct_per_doc.append(len(counts))
        self._lengths.append(len(tokens))
        return len(self._lengths) - 1

    def build(self, *, k1: float = K1, b: float = B) -> Bm25Index:
        """The index of every document added so far (see the module docstring for the layout)."""
        doc_count = len(self._lengths)
        doc_lengths = np.frombuffer(self._lengths, dtype=np.int32).astype(np.float64)
        avg_length = float(doc_lengths.mean()) if doc_count and doc_lengths.sum() else 1.0

        tids = np.frombuffer(self._term_ids, dtype=np.int32)
        tfs = np.frombuffer(self._term_freqs, dtype=np.int32).astype(np.float64)
        docs = np.repeat(
            np.arange(doc_count, dtype=np.int32), np.frombuffer(self._distinct_per_doc, dtype=np.int32)
        )
        # A stable sort by term keeps each posting list in increasing document order.
        order = np.argsort(tids, kind="stable")
        tids, tfs, docs = tids[order], tfs[order], docs[order]

        df = np.bincount(tids, minlength=len(self.vocabulary)).astype(np.float64)
        idf = np.log1p((doc_count - df + 0.5) / (df + 0.5))
        norm = k1 * (1.0 - b + b * doc_lengths[docs] / avg_length)
        weights = idf[tids] * tfs * (k1 + 1.0) / (tfs + norm)
        ptr = np.zeros(len(self.vocabulary) + 1, dtype=np.int64)
        np.cumsum(df.astype(np.int64), out=ptr[1:])
        return Bm25Index(
            vocabulary=dict(self.vocabulary),
            idf=idf,
            term_ptr=ptr,
            post_docs=np.ascontiguousarray(docs, dtype=np.int32),
            post_weights=weights.astype(np.float32),
            doc_count=doc_count,
            avg_length=avg_length,
            k1=k1,
            b=b,
        )


@dataclass(frozen=True, slots=True)
class Bm25Index:
    """Postings and statistics of one token view of a corpus (build with `Bm25Index.build`)."""

    vocabulary: dict[str, int]
    idf: FloatArray
    term_ptr: npt.NDArray[np.int64]
    post_docs: IntArray
    post_weights: npt.NDArray[np.float32]
    doc_count: int
    avg_length: float
    k1: float = K1
    b: float = B

    @classmethod
    def build(cls, documents: Iterable[Sequence[str]], *, k1: float = K1, b: float = B) -> Bm25Index:
        """Index token sequences; document i of the iterable is document i of the index."""
        builder = Bm25Builder()
        for tokens in documents:
            builder.add(tokens)
        return builder.build(k1=k1, b=b)

    def term_ids(self, terms: Iterable[str]) -> list[int]:
        """Distinct ids of the terms the corpus knows, in first-seen order."""
        seen: dict[int, None] = {}
        for term in terms:
            tid = self.vocabulary.get(term)
            if tid is not None:
                seen.setdefault(tid, None)
        return list(seen)

    def _posting(self, tid: int) -> tuple[IntArray, npt.NDArray[np.float32]]:
        start, end = int(self.term_ptr[tid]), int(self.term_ptr[tid + 1])
        return self.post_docs[start:end], self.post_weights[start:end]

    def scores(self, terms: Iterable[str]) -> FloatArray:
        """BM25 scores of every document for the query terms (0 where nothing matches)."""
        acc = np.zeros(self.doc_count, dtype=np.float64)
        for tid in self.term_ids(terms):
            docs, weights = self._posting(tid)
            acc[docs] += weights  # docs are distinct within a posting list: no lost updates
        return acc

    def scores_for(self, terms: Iterable[str], candidates: IntArray) -> FloatArray:
        """BM25 scores of the `candidates` only (sorted, distinct document positions)."""
        tids = self.term_ids(terms)
        touched = sum(int(self.term_ptr[t + 1] - self.term_ptr[t]) for t in tids)
        if len(candidates) * 8 >= touched:
            # The full accumulation is cheaper than a binary search per candidate.
            acc = np.zeros(self.doc_count, dtype=np.float64)
            for tid in tids:
                docs, weights = self._posting(tid)
                acc[docs] += weights
            return acc[candidates]
        out = np.zeros(len(candidates), dtype=np.float64)
        for tid in tids:
            docs, weights = self._posting(tid)
            found, where = _locate(docs, candidates)
            out[found] += weights[where[found]]
        return out

    def search(self, terms: Sequence[str], k: int, candidates: IntArray | None = None) -> tuple[Bm25Hit, ...]:
        """The k best documents with a positive score, best first, ties by document position.

        With `candidates`, only those documents are scored (a structured pre-filter).
        """
        if k <= 0 or self.doc_count == 0:
            return ()
        if candidates is None:
            scores = self.scores(terms)
            best = top_k(scores, k)
            docs = best.astype(np.int32)
        else:
            positions = np.asarray(candidates, dtype=np.int32)
            scores = self.scores_for(terms, positions)
            best = top_k(scores, k)
            docs = positions[best]
        matched = self.matched_terms(terms, docs)
        return tuple(
            Bm25Hit(doc=int(doc), score=float(scores[i]), matched=terms_)
            for doc, i, terms_ in zip(docs, best, matched, strict=True)
        )

    def matched_terms(self, terms: Sequence[str], docs: IntArray) -> list[tuple[str, ...]]:
        """For each document, the query terms it holds, most specific (highest idf) first."""
        per_doc: list[list[str]] = [[] for _ in range(len(docs))]
        if len(docs) == 0:
            return []
        known = [(term, self.vocabulary[term]) for term in dict.fromkeys(terms) if term in self.vocabulary]
        known.sort(key=lambda pair: (-self.idf[pair[1]], pair[0]))
        for term, tid in known:
            posting, _ = self._posting(tid)
            found, _where = _locate(posting, docs)
            for i in np.flatnonzero(found):
                per_doc[i].append(term)
        return [tuple(terms_) for terms_ in per_doc]

    def idf_of(self, term: str) -> float:
        """The idf of a term (0.0 for a term the corpus never holds)."""
        tid = self.vocabulary.get(term)
        return 0.0 if tid is None else float(self.idf[tid])


def _locate(sorted_docs: IntArray, wanted: IntArray) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.intp]]:
    """Which of `wanted` occur in `sorted_docs`, and at which index (valid where found)."""
    where = np.searchsorted(sorted_docs, wanted)
    clipped = np.minimum(where, max(len(sorted_docs) - 1, 0))
    found = (where < len(sorted_docs)) & (sorted_docs[clipped] == wanted) if len(sorted_docs) else where < 0
    return found, clipped


def top_k(scores: FloatArray, k: int) -> npt.NDArray[np.intp]:
    """Indices of the k largest positive scores, best first, equal scores by index.

    argpartition picks the k-th value in linear time; every index scoring at least that value
    is kept before the final sort, so ties at the boundary are resolved by index, not by
    argpartition's internal order.
    """
    positive = np.flatnonzero(scores > 0)
    if len(positive) > k:
        values = scores[positive]
        kth = values[np.argpartition(-values, k - 1)[k - 1]]
        positive = positive[values >= kth]
    order = np.lexsort((positive, -scores[positive]))
    return positive[order[:k]]


def idf(doc_count: int, doc_freq: int) -> float:
    """The idf used by the index, for hand computation and tests."""
    return math.log1p((doc_count - doc_freq + 0.5) / (doc_freq + 0.5))
