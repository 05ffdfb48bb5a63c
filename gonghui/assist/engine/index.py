"""The matching pipeline (spec/assist.md, "Matching"), built once and queried many times.

For a query of one kind (craftsmen or outcomes):

1. normalise the text and take its two views, jieba words and character bigrams;
2. BM25 on each view, restricted to the eligible documents: with `strict_industry` only the
   query's industry section; craftsmen with a conflict of interest with the asking
   enterprise are never eligible;
3. fuse the two lists (top `VIEW_DEPTH` each) by reciprocal rank, k = 60, equal BM25 scores
   sharing a rank;
4. compute each fused document's features (fused rank score, idf coverage of the query,
   industry, region, honours, track record, capacity) and score it with the linear re-ranker (`RankerWeights`, hand-set by default,
   fitted from labelled pairs once they exist);
5. order by score (rounded to 4 places) descending, then id ascending, and explain each
   result with reasons.

Only documents with some textual match are returned: boosts reorder candidates, they do not
create them. `baseline_match` is plain BM25 on the word view for comparison.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from gonghui.assist.engine import reasons as why
from gonghui.assist.engine.documents import CraftsmanDoc, Kind, MatchQuery, MatchResult, OutcomeDoc
from gonghui.assist.engine.features import (
    DEFAULT_WEIGHTS,
    Features,
    RankerWeights,
    craftsman_track_record,
    outcome_track_record,
    region_proximity,
    top_honour,
)
from gonghui.core.text.bm25 import Bm25Builder, Bm25Hit, Bm25Index, IntArray
from gonghui.core.text.fusion import fuse_scored, max_rrf_score
from gonghui.core.text.tokenise import TokenViews, analyse

# Documents taken from each view before fusion: deep enough that a document ranked low in one
# view but high in the other still reaches the re-ranker.
VIEW_DEPTH = 100
SCORE_DECIMALS = 4

Doc = CraftsmanDoc | OutcomeDoc


@dataclass(frozen=True, slots=True)
class Candidate:
    """A fused document with its features and the query terms it matched in each view."""

    position: int
    doc: Doc
    features: Features
    matched_words: tuple[str, ...]
    matched_bigrams: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Static:
    """Per-document features that do not depend on the query, computed once at build."""

    honours: float
    track_record: float
    capacity: float


@dataclass(frozen=True)
class Corpus:
    """One kind of document with its two BM25 views and its filter lookups."""

    kind: Kind
    docs: tuple[Doc, ...]
    words: Bm25Index
    bigrams: Bm25Index
    static: tuple[_Static, ...]
    by_industry: dict[str, IntArray] = field(repr=False)
    conflicts: dict[int, frozenset[int]] = field(repr=False)

    @classmethod
    def build(cls, kind: Kind, docs: Iterable[Doc]) -> Corpus:
        ordered = tuple(docs)
        # One tokenising pass feeds both views; the tokens themselves are not kept.
        return cls.from_views(kind, ordered, (analyse(doc.searchable_text()) for doc in ordered))

    @classmethod
    def from_views(cls, kind: Kind, docs: Sequence[Doc], views: Iterable[TokenViews]) -> Corpus:
        """The corpus of `docs` from their token views, computed elsewhere (the database index
        stores them), in the same order; nothing is tokenised again."""
        ordered = tuple(docs)
        try:
            return cls.from_pairs(kind, zip(ordered, views, strict=True))
        except ValueError as exc:
            raise ValueError(f"{len(ordered)} documents but another number of token views") from exc

    @classmethod
    def from_pairs(cls, kind: Kind, pairs: Iterable[tuple[Doc, TokenViews]]) -> Corpus:
        """The corpus of documents given with their token views, one pair at a time: only the
        documents are kept, so a large library streams through with its tokens freed as it
        goes."""
        ordered: list[Doc] = []
        words, bigrams = Bm25Builder(), Bm25Builder()
        for doc, view in pairs:
            ordered.append(doc)
            words.add(view.words)
            bigrams.add(view.bigrams)
        by_industry: dict[str, list[int]] = {}
        conflicts: dict[int, set[int]] = {}
        for position, doc in enumerate(ordered):
            if doc.industry:
                by_industry.setdefault(doc.industry, []).append(position)
            if isinstance(doc, CraftsmanDoc):
                for enterprise_id in doc.conflict_enterprise_ids:
                    conflicts.setdefault(enterprise_id, set()).add(position)
        return cls(
            kind=kind,
            docs=tuple(ordered),
            words=words.build(),
            bigrams=bigrams.build(),
            static=tuple(_static_features(doc) for doc in ordered),
            by_industry={k: np.array(v, dtype=np.int32) for k, v in by_industry.items()},
            conflicts={k: frozenset(v) for k, v in conflicts.items()},
        )

    def eligible(self, query: MatchQuery) -> IntArray | None:
        """Positions allowed by the hard industry filter (None: every document)."""
        if query.strict_industry and query.industry:
            return self.by_industry.get(query.industry, np.empty(0, dtype=np.int32))
        return None

    def excluded(self, query: MatchQuery) -> frozenset[int]:
        """Positions excluded for a conflict of interest with the asking enterprise."""
        if query.enterprise_id is None:
            return frozenset()
        return self.conflicts.get(query.enterprise_id, frozenset())

    def search(self, view: Bm25Index, terms: Sequence[str], query: MatchQuery, depth: int) -> list[Bm25Hit]:
        """BM25 hits of one view over the eligible documents, conflicts removed."""
        excluded = self.excluded(query)
        hits = view.search(terms, depth + len(excluded), self.eligible(query))
        return [hit for hit in hits if hit.doc not in excluded][:depth]


def _static_features(doc: Doc) -> _Static:
    if isinstance(doc, CraftsmanDoc):
        level, _ = top_honour(doc.honours)
        track = craftsman_track_record(
            confirmed_solutions=doc.confirmed_solutions,
            accepted_answers=doc.accepted_answers,
            rating_avg=doc.rating_avg,
            median_response_hours=doc.median_response_hours,
        )
        return _Static(honours=level, track_record=track, capacity=float(doc.capacity_left > 0))
    return _Static(honours=0.0, track_record=outcome_track_record(doc.verified_benefit), capacity=1.0)


@dataclass(frozen=True)
class MatchIndex:
    """Craftsmen and outcomes indexed for matching; immutable once built."""

    craftsmen: Corpus
    outcomes: Corpus
    weights: RankerWeights = DEFAULT_WEIGHTS

    @classmethod
    def build(
        cls,
        *,
        craftsmen: Iterable[CraftsmanDoc] = (),
        outcomes: Iterable[OutcomeDoc] = (),
        weights: RankerWeights = DEFAULT_WEIGHTS,
    ) -> MatchIndex:
        """Tokenise and index every document once (the expensive step)."""
        return cls(
            craftsmen=Corpus.build("craftsman", craftsmen),
            outcomes=Corpus.build("outcome", outcomes),
            weights=weights,
        )

    def corpus(self, kind: Kind) -> Corpus:
        return self.craftsmen if kind == "craftsman" else self.outcomes

    def candidates(self, query: MatchQuery) -> tuple[Candidate, ...]:
        """Every fused candidate with its features, in fused order (for ranking and for
        building labelled pairs from dispatcher choices)."""
        corpus = self.corpus(query.kind)
        views = analyse(query.text)
        return _fuse_and_featurise(corpus, views, query)

    def match(
        self, query: MatchQuery, *, weights: RankerWeights | None = None, limit: int | None = None
    ) -> tuple[MatchResult, ...]:
        """The ranked results for a query (see the module docstring for the pipeline): the
        query's limit, or ``limit`` results when given (a caller that filters afterwards)."""
        ranker = weights or self.weights
        scored = [(round(ranker.score(c.features), SCORE_DECIMALS), c) for c in self.candidates(query)]
        scored.sort(key=lambda pair: (-pair[0], pair[1].doc.id))
        wanted = query.limit if limit is None else limit
        return tuple(_result(candidate, score, query) for score, candidate in scored[:wanted])


def _fuse_and_featurise(corpus: Corpus, views: TokenViews, query: MatchQuery) -> tuple[Candidate, ...]:
    word_hits = corpus.search(corpus.words, views.words, query, VIEW_DEPTH)
    bigram_hits = corpus.search(corpus.bigrams, views.bigrams, query, VIEW_DEPTH)
    words_by_doc = {hit.doc: hit.matched for hit in word_hits}
    bigrams_by_doc = {hit.doc: hit.matched for hit in bigram_hits}
    word_idf = _query_idf(corpus.words, views.words)
    bigram_idf = _query_idf(corpus.bigrams, views.bigrams)
    fused = fuse_scored([[(h.doc, h.score) for h in word_hits], [(h.doc, h.score) for h in bigram_hits]])
    top = max_rrf_score(2)
    candidates = []
    for item in fused:
        words = words_by_doc.get(item.key, ())
        bigrams = bigrams_by_doc.get(item.key, ())
        coverage = (_share(word_idf, words) + _share(bigram_idf, bigrams)) / 2
        candidates.append(
            Candidate(
                position=item.key,
                doc=corpus.docs[item.key],
                features=_features(corpus, item.key, item.score / top, coverage, query),
                matched_words=words,
                matched_bigrams=bigrams,
            )
        )
    return tuple(candidates)


def _query_idf(view: Bm25Index, terms: Sequence[str]) -> dict[str, float]:
    """The idf of each distinct query term (0 for terms the corpus never holds)."""
    return {term: view.idf_of(term) for term in dict.fromkeys(terms)}


def _share(query_idf: dict[str, float], matched: Sequence[str]) -> float:
    """Σ idf of the matched query terms over Σ idf of all query terms."""
    mass = sum(query_idf.values())
    return sum(query_idf[term] for term in matched) / mass if mass else 0.0


def _features(corpus: Corpus, position: int, text: float, coverage: float, query: MatchQuery) -> Features:
    doc = corpus.docs[position]
    static = corpus.static[position]
    same_industry = bool(query.industry) and doc.industry == query.industry
    region, _ = region_proximity(query.region, doc.region)
    return Features(
        text=text,
        coverage=coverage,
        industry=float(same_industry),
        region=region,
        honours=static.honours,
        track_record=static.track_record,
        capacity=static.capacity,
    )


def _result(candidate: Candidate, score: float, query: MatchQuery) -> MatchResult:
    return MatchResult(
        id=candidate.doc.id,
        external_id=candidate.doc.external_id,
        name=candidate.doc.label,
        score=score,
        reasons=_reasons(candidate, query),
    )


def _reasons(candidate: Candidate, query: MatchQuery) -> tuple[str, ...]:
    doc = candidate.doc
    _, region_label = region_proximity(query.region, doc.region)
    out = [why.terms_reason(candidate.matched_words, candidate.matched_bigrams)]
    if isinstance(doc, OutcomeDoc):
        out.append(why.outcome_type_reason(doc))
    if candidate.features.industry:
        out.append(why.industry_reason(doc.industry))
    out.append(region_label)
    if isinstance(doc, CraftsmanDoc):
        _, honour = top_honour(doc.honours)
        out += [honour, why.track_record_reason(doc), why.capacity_reason(doc)]
    else:
        out.append(why.benefit_reason(doc.verified_benefit))
    return tuple(reason for reason in out if reason)


def baseline_match(index: MatchIndex, query: MatchQuery) -> tuple[MatchResult, ...]:
    """Plain BM25 on the word view: no bigrams, no fusion, no boosts, no re-ranking.

    Eligibility (strict industry, conflicts of interest) still applies — those are rules, not
    ranking. Score = the BM25 score rounded to 4 places; ties by id.
    """
    corpus = index.corpus(query.kind)
    hits = corpus.search(corpus.words, analyse(query.text).words, query, query.limit)
    ranked = sorted(
        ((round(hit.score, SCORE_DECIMALS), hit) for hit in hits),
        key=lambda p: (-p[0], corpus.docs[p[1].doc].id),
    )
    return tuple(
        MatchResult(
            id=corpus.docs[hit.doc].id,
            external_id=corpus.docs[hit.doc].external_id,
            name=corpus.docs[hit.doc].label,
            score=score,
            reasons=tuple(r for r in (why.terms_reason(hit.matched, ()),) if r),
        )
        for score, hit in ranked
    )


def candidate_index(
    kind: Kind,
    docs: Sequence[Doc],
    views: Sequence[TokenViews],
    *,
    weights: RankerWeights = DEFAULT_WEIGHTS,
) -> MatchIndex:
    """An index over candidates retrieved by another index (the database's full-text index),
    with their stored token views, so the same pipeline can rank them.

    BM25 statistics (document count, average length, idf) are those of the candidate set: the
    candidates are every document holding one of the query terms (up to the retrieval depth),
    so each query term's document frequency is the corpus's; only N and the mean length shrink.
    """
    corpus = Corpus.from_views(kind, docs, views)
    other: Kind = "outcome" if kind == "craftsman" else "craftsman"
    empty = Corpus.from_views(other, (), ())
    if kind == "craftsman":
        return MatchIndex(craftsmen=corpus, outcomes=empty, weights=weights)
    return MatchIndex(craftsmen=empty, outcomes=corpus, weights=weights)


def rank_candidates(
    docs: Sequence[Doc],
    views: Sequence[TokenViews],
    query: MatchQuery,
    *,
    weights: RankerWeights = DEFAULT_WEIGHTS,
) -> tuple[MatchResult, ...]:
    """The ranked results of `query` among the candidate documents (see `candidate_index`)."""
    return candidate_index(query.kind, docs, views, weights=weights).match(query)
