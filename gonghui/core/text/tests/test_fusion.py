"""Reciprocal rank fusion computed by hand."""

import pytest

from gonghui.core.text.fusion import fuse_scored, max_rrf_score, reciprocal_rank_fusion


def test_rrf_hand_computed():
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]])
    scores = {f.key: f.score for f in fused}
    assert scores["b"] == pytest.approx(1 / 62 + 1 / 61)
    assert scores["a"] == pytest.approx(1 / 61)
    assert scores["d"] == pytest.approx(1 / 62)
    assert scores["c"] == pytest.approx(1 / 63)
    assert [f.key for f in fused] == ["b", "a", "d", "c"]
    assert fused[0].ranks == (2, 1)
    assert fused[2].ranks == (None, 2)


def test_equal_scores_ordered_by_key_and_duplicates_count_once():
    fused = reciprocal_rank_fusion([[3, 1, 1], [1, 3]])
    assert [f.key for f in fused] == [1, 3]
    assert fused[0].score == fused[1].score == pytest.approx(1 / 61 + 1 / 62)


def test_custom_k_and_maximum():
    fused = reciprocal_rank_fusion([["x"]], k=1)
    assert fused[0].score == pytest.approx(0.5)
    assert max_rrf_score(2) == pytest.approx(2 / 61)


def test_scored_lists_give_equal_scores_the_same_rank():
    fused = fuse_scored([[("x", 9.0), ("y", 9.0), ("z", 7.0)], [("z", 1.0)]])
    ranks = {f.key: f.ranks for f in fused}
    assert ranks == {"x": (1, None), "y": (1, None), "z": (3, 1)}
    assert [f.key for f in fused] == ["z", "x", "y"]
    assert fused[1].score == fused[2].score == pytest.approx(1 / 61)
