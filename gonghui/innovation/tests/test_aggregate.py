"""Panel aggregation on hand-computed panels (default rubric). No database.

Totals under the default rubric: 5a + 3b + 4c + 5d + 2e + f for scores (a..f) in rubric order.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from gonghui.innovation.engine.aggregate import AggregationError, aggregate_panel, needs_normalisation
from gonghui.innovation.engine.rubric import (
    DEFAULT_RUBRIC,
    Criterion,
    Rubric,
    RubricError,
    ScoreSheet,
    score_sheet,
)

# Score tuples (rubric order) for the totals used below.
SCORES: dict[int, tuple[int, ...]] = {
    20: (1, 1, 1, 1, 1, 1),
    63: (3, 4, 3, 3, 3, 3),
    64: (3, 3, 4, 3, 3, 3),
    69: (4, 3, 4, 3, 3, 3),
    70: (4, 3, 3, 4, 3, 3),
    71: (4, 3, 4, 3, 4, 3),
    76: (4, 3, 4, 4, 4, 3),
    77: (4, 4, 4, 4, 3, 3),
    78: (4, 4, 4, 4, 3, 4),
    81: (4, 4, 4, 4, 4, 5),
    85: (5, 4, 4, 4, 4, 4),
    92: (5, 5, 5, 4, 4, 4),
    97: (5, 5, 5, 5, 4, 4),
}


def sheet(
    judge: str, entry: str, total: int | None = None, scores: tuple[int, ...] | None = None
) -> ScoreSheet:
    values = scores if scores is not None else SCORES[total or 0]
    result = score_sheet(
        DEFAULT_RUBRIC, judge=judge, entry=entry, scores=dict(zip(DEFAULT_RUBRIC.codes, values, strict=True))
    )
    if total is not None:
        assert result.total == total  # the table above is right
    return result


def test_five_judges_trimmed_mean() -> None:
    sheets = [sheet(f"J{i}", "E1", t) for i, t in enumerate((92, 85, 78, 64, 97), start=1)]
    result = aggregate_panel(DEFAULT_RUBRIC, sheets).result("E1")
    # drop 97 (J5) and 64 (J4): (92 + 85 + 78) / 3 = 85
    assert result.score == Decimal("85.00")
    assert result.method == "trimmed_mean"
    assert (result.judges_scored, result.judges_counted) == (5, 3)
    assert "去掉最高分：评委 J5 97.00" in result.explanation
    assert "去掉最低分：评委 J4 64.00" in result.explanation


def test_three_judges_plain_mean_rounds_half_up() -> None:
    sheets = [sheet("J1", "E1", 81), sheet("J2", "E1", 76), sheet("J3", "E1", 70)]
    result = aggregate_panel(DEFAULT_RUBRIC, sheets).result("E1")
    # (81 + 76 + 70) / 3 = 75.666…
    assert result.score == Decimal("75.67")
    assert result.method == "mean"
    assert (result.judges_scored, result.judges_counted) == (3, 3)
    assert not any("去掉" in line for line in result.explanation)


def test_trimming_drops_only_one_of_equal_extremes() -> None:
    sheets = [sheet(f"J{i}", "E1", t) for i, t in enumerate((85, 85, 78, 64, 64), start=1)]
    result = aggregate_panel(DEFAULT_RUBRIC, sheets).result("E1")
    # drop one 85 (J1, first by code among equals) and one 64 (J4): (85 + 78 + 64) / 3 = 75.666…
    assert result.score == Decimal("75.67")
    assert "去掉最高分：评委 J1 85.00" in result.explanation
    assert "去掉最低分：评委 J4 64.00" in result.explanation
    assert result.judges_counted == 3


def test_excused_judge_is_not_counted() -> None:
    sheets = [sheet(f"J{i}", "E1", t) for i, t in enumerate((92, 85, 78, 64, 20), start=1)]
    panel = aggregate_panel(DEFAULT_RUBRIC, sheets, excused=[("J5", "E1")])
    result = panel.result("E1")
    # J5 excused: 4 judges left → plain mean (92 + 85 + 78 + 64) / 4 = 79.75
    assert result.score == Decimal("79.75")
    assert result.method == "mean"
    assert result.judges_scored == 4
    assert "评委 J5 回避，不计分" in result.explanation
    assert not panel.normalised


def test_tie_broken_by_criterion_order_then_shared_rank() -> None:
    e1 = (4, 4, 4, 4, 3, 2)  # 20 + 12 + 16 + 20 + 6 + 2 = 76, technology 12
    e2 = (4, 3, 4, 4, 3, 5)  # 20 +  9 + 16 + 20 + 6 + 5 = 76, technology 9
    sheets = [
        sheet(judge, entry, scores=scores)
        for judge in ("J1", "J2")
        for entry, scores in (("E3", e2), ("E2", e2), ("E1", e1))
    ]
    panel = aggregate_panel(DEFAULT_RUBRIC, sheets)
    assert [(r.entry, r.rank, r.score) for r in panel.results] == [
        ("E1", 1, Decimal("76.00")),
        ("E2", 2, Decimal("76.00")),
        ("E3", 2, Decimal("76.00")),
    ]
    e1_result = panel.result("E1")
    # 创新性 equal (20.00); 技术先进性 decides: 12.00 against 9.00
    assert e1_result.criterion_scores[:2] == (("novelty", Decimal("20.00")), ("technology", Decimal("12.00")))
    assert dict(panel.result("E2").criterion_scores)["technology"] == Decimal("9.00")
    assert "与 E2 同分 76.00，按评分项顺序比较“技术先进性”：本项目 12.00，E2 9.00" in e1_result.explanation
    assert "与 E2 同分 76.00，各评分项也相同，名次并列" in panel.result("E3").explanation


def test_z_scores_when_judges_scored_different_subsets() -> None:
    # Harsh judge A scores E1 69, E2 63; lenient judge B scores E2 77, E3 71.
    sheets = [sheet("A", "E1", 69), sheet("A", "E2", 63), sheet("B", "E2", 77), sheet("B", "E3", 71)]
    # Raw means would rank E3 (71) > E2 (70) > E1 (69).
    # Panel: mean (69 + 63 + 77 + 71) / 4 = 70; deviations −1, −7, 7, 1 → sd √(100/4) = 5.
    # A: mean 66, sd 3 → E1 z = +1 → 70 + 5 = 75; E2 z = −1 → 65.
    # B: mean 74, sd 3 → E2 z = +1 → 75;          E3 z = −1 → 65.
    # E1 = 75; E2 = (65 + 75) / 2 = 70; E3 = 65.
    panel = aggregate_panel(DEFAULT_RUBRIC, sheets)
    assert panel.normalised
    assert (panel.panel_mean, panel.panel_sd) == (Decimal("70.00"), Decimal("5.00"))
    assert [(r.entry, r.rank, r.score) for r in panel.results] == [
        ("E1", 1, Decimal("75.00")),
        ("E2", 2, Decimal("70.00")),
        ("E3", 3, Decimal("65.00")),
    ]
    assert "评委 A 原始分 69.00 → 标准化后 75.00" in panel.result("E1").explanation
    assert panel.result("E2").method == "mean"


def test_normalisation_can_be_turned_off() -> None:
    sheets = [sheet("A", "E1", 69), sheet("A", "E2", 63), sheet("B", "E2", 77), sheet("B", "E3", 71)]
    panel = aggregate_panel(DEFAULT_RUBRIC, sheets, normalise=False)
    assert not panel.normalised
    assert [(r.entry, r.score) for r in panel.results] == [
        ("E3", Decimal("71.00")),
        ("E2", Decimal("70.00")),
        ("E1", Decimal("69.00")),
    ]


def test_judge_with_one_entry_or_no_variance_keeps_raw_scores() -> None:
    sheets = [
        sheet("A", "E1", 69),
        sheet("A", "E2", 63),
        sheet("C", "E3", 71),
        sheet("D", "E1", 70),
        sheet("D", "E3", 70),
    ]
    panel = aggregate_panel(DEFAULT_RUBRIC, sheets)
    assert panel.normalised
    assert "评委 C 只评了 1 个项目，保留原始分" in panel.notes
    assert "评委 D 所评分数没有差异，保留原始分" in panel.notes
    # E3: C 71 (raw) and D 70 (raw) → 70.50
    assert panel.result("E3").score == Decimal("70.50")


def test_needs_normalisation_only_for_different_subsets() -> None:
    same = [sheet("A", "E1", 69), sheet("A", "E2", 63), sheet("B", "E1", 77), sheet("B", "E2", 71)]
    assert not needs_normalisation(same)
    assert needs_normalisation([*same, sheet("B", "E3", 70)])


def test_a_judge_may_not_score_an_entry_twice() -> None:
    with pytest.raises(AggregationError, match="重复评分"):
        aggregate_panel(DEFAULT_RUBRIC, [sheet("A", "E1", 69), sheet("A", "E1", 70)])


def test_sheets_must_follow_the_rubric() -> None:
    other = Rubric(code="other", name="其他", criteria=(Criterion("x", "唯一项", Decimal(100)),))
    foreign = score_sheet(other, judge="A", entry="E1", scores={"x": 3})
    with pytest.raises(RubricError, match="不是按评审标准"):
        aggregate_panel(DEFAULT_RUBRIC, [foreign])
