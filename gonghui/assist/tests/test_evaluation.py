"""The labelled evaluation set, the metrics by hand, and the floor the engine must keep."""

import math

import pytest

from gonghui.assist.evaluation import (
    RECALL_AT,
    dcg,
    eval_index,
    evaluate_all,
    ndcg_at,
    query_for,
    recall_at,
    render_report,
)

# Measured 2026-11-22 (docs/assist_matching.md) minus 0.02, rounded down to 2 places.
FLOORS = {
    "craftsman": {"ndcg": 0.86, "recall": 0.73},
    "outcome": {"ndcg": 0.92, "recall": 0.93},
}


def test_dcg_and_ndcg_by_hand():
    assert dcg([3, 0, 2]) == pytest.approx(7 + 0 + 3 / 2)
    labels = {"a": 3, "b": 2, "c": 1}
    assert ndcg_at(["a", "b", "c"], labels) == pytest.approx(1.0)
    ideal = 7 + 3 / math.log2(3) + 1 / 2
    assert ndcg_at(["x", "a"], labels) == pytest.approx((7 / math.log2(3)) / ideal)
    assert ndcg_at(["a"], {}) == 0.0


def test_recall_by_hand():
    labels = {"a": 3, "b": 1, "c": 2, "d": 1}
    assert recall_at(["a", "x", "d"], labels) == 0.5
    assert recall_at(["x"] * 20 + ["a"], labels, k=20) == 0.0


def test_eval_set_shape():
    data, _ = eval_index()
    assert len(data.craftsmen) >= 150
    assert len(data.outcomes) >= 120
    assert len(data.demands) >= 60
    craftsmen = {c.external_id for c in data.craftsmen}
    outcomes = {o.external_id for o in data.outcomes}
    assert len(craftsmen) == len(data.craftsmen) and len(outcomes) == len(data.outcomes)
    for demand in data.demands:
        assert 2 <= len(demand.craftsmen) <= 6, demand.id
        assert len(demand.outcomes) <= 4, demand.id
        assert set(demand.craftsmen) <= craftsmen and set(demand.outcomes) <= outcomes, demand.id
        assert set(demand.craftsmen.values()) | set(demand.outcomes.values()) <= {1, 2, 3}, demand.id
        assert 3 in demand.craftsmen.values(), demand.id
    assert sum(d.needs_normalisation for d in data.demands) >= 8


def test_engine_keeps_its_floor_and_beats_the_baseline():
    engine, *_ablations, baseline = evaluate_all()
    for kind, floor in FLOORS.items():
        assert engine.by_kind[kind].ndcg >= floor["ndcg"], kind
        assert engine.by_kind[kind].recall >= floor["recall"], kind
        assert engine.by_kind[kind].ndcg >= baseline.by_kind[kind].ndcg, kind
        assert engine.by_kind[kind].recall >= baseline.by_kind[kind].recall, kind


def test_report_renders_with_figures_and_examples():
    data, index = eval_index()
    page = render_report(data, index, evaluate_all(data, index))
    assert "nDCG@10" in page and "| engine" in page and "匹配词：" in page


def test_queries_carry_the_demand_filters():
    data, _ = eval_index()
    query = query_for(data.demands[0], "craftsman")
    assert (query.industry, query.region, query.limit) == (
        data.demands[0].industry,
        data.demands[0].region,
        RECALL_AT,
    )
