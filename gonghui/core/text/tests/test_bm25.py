"""BM25 scores computed by hand on a 3-document corpus, candidate subsets and top-k ties."""

import math

import numpy as np
import pytest

from gonghui.core.text.bm25 import Bm25Index, idf, top_k

DOCS = [["主轴", "异响", "主轴"], ["异响", "焊接"], ["焊接", "变形", "薄板", "工装"]]


def _hand_bm25(tf: int, length: int, df: int, n: int = 3, avgdl: float = 3.0) -> float:
    k1, b = 1.2, 0.75
    idf_ = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf_ * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / avgdl))


def test_scores_match_the_formula():
    index = Bm25Index.build(DOCS)
    scores = index.scores(["主轴", "焊接"])
    # doc 0: 主轴 tf=2, |d|=3, df=1 → idf ln(1 + 2.5/1.5) = 0.98083; tf part 2·2.2/(2 + 1.2) = 1.375
    assert scores[0] == pytest.approx(0.980829 * 1.375, abs=1e-5)
    assert scores[0] == pytest.approx(_hand_bm25(tf=2, length=3, df=1), rel=1e-6)
    # doc 1: 焊接 tf=1, |d|=2, df=2 → idf ln(1 + 1.5/2.5) = 0.47000; 2.2/(1 + 1.2·0.75) = 1.15789
    assert scores[1] == pytest.approx(0.470004 * 1.157895, abs=1e-5)
    assert scores[2] == pytest.approx(_hand_bm25(tf=1, length=4, df=2), rel=1e-6)
    assert idf(3, 1) == pytest.approx(0.980829, abs=1e-6)


def test_search_orders_by_score_and_reports_matched_terms_most_specific_first():
    index = Bm25Index.build(DOCS)
    hits = index.search(["异响", "主轴", "未知词"], k=5)
    assert [h.doc for h in hits] == [0, 1]
    assert hits[0].matched == ("主轴", "异响")  # both df 2 vs 1: 主轴 (df 1) is more specific
    assert hits[1].matched == ("异响",)


def test_repeated_query_terms_count_once():
    index = Bm25Index.build(DOCS)
    assert index.scores(["主轴", "主轴"]).tolist() == index.scores(["主轴"]).tolist()


@pytest.mark.parametrize("candidates", [[1, 2], [2], [0, 1, 2]])
def test_candidate_subset_scores_equal_the_full_scores(candidates):
    index = Bm25Index.build(DOCS)
    subset = np.array(candidates, dtype=np.int32)
    full = index.scores(["异响", "焊接"])
    assert index.scores_for(["异响", "焊接"], subset).tolist() == pytest.approx(full[subset].tolist())
    hits = index.search(["异响", "焊接"], k=5, candidates=subset)
    assert {h.doc for h in hits} <= set(candidates)


def test_small_subset_uses_binary_search_path_with_the_same_result():
    rng = np.random.default_rng(0)
    docs = [[f"t{x}" for x in rng.integers(0, 30, size=12)] for _ in range(3000)]
    index = Bm25Index.build(docs)
    subset = np.array([5, 17, 2999], dtype=np.int32)
    terms = ["t1", "t2", "t3"]
    assert index.scores_for(terms, subset) == pytest.approx(index.scores(terms)[subset])


def test_top_k_breaks_ties_by_position():
    scores = np.array([0.5, 0.9, 0.5, 0.0, 0.5, 0.9])
    assert top_k(scores, 3).tolist() == [1, 5, 0]
    assert top_k(scores, 10).tolist() == [1, 5, 0, 2, 4]  # zero scores never returned


def test_empty_corpus_and_empty_query():
    assert Bm25Index.build([]).search(["x"], k=3) == ()
    assert Bm25Index.build(DOCS).search([], k=3) == ()
