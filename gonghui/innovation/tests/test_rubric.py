"""Rubric validation and a judge's weighted total. No database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from gonghui.innovation.engine.rubric import (
    DEFAULT_RUBRIC,
    Criterion,
    Rubric,
    RubricError,
    round_cent,
    score_sheet,
    weighted_total,
)


def crit(code: str, weight: object, anchors: dict[int, str] | None = None) -> Criterion:
    return Criterion(
        code=code, name=f"评分项{code}", weight=weight, anchors=anchors or {1: "差", 3: "中", 5: "优"}
    )  # type: ignore[arg-type]


def test_default_rubric_matches_the_spec() -> None:
    assert [(c.name, c.weight) for c in DEFAULT_RUBRIC.criteria] == [
        ("创新性", 25),
        ("技术先进性", 15),
        ("实用性/可推广性", 20),
        ("经济效益", 25),
        ("社会/安全效益", 10),
        ("现场表达与答辩", 5),
    ]
    assert all(set(c.anchors) == {1, 3, 5} for c in DEFAULT_RUBRIC.criteria)


def test_weights_must_sum_to_100() -> None:
    with pytest.raises(RubricError, match="权重之和为 90"):
        Rubric(code="r", name="r", criteria=(crit("a", 50), crit("b", 40)))


def test_codes_must_be_unique_and_the_error_names_the_criterion() -> None:
    with pytest.raises(RubricError, match="a") as info:
        Rubric(code="r", name="r", criteria=(crit("a", 50), crit("a", 50)))
    assert info.value.criterion == "a"


@pytest.mark.parametrize("weight", [0, -5, Decimal("-0.1")])
def test_weights_must_be_positive(weight: object) -> None:
    with pytest.raises(RubricError, match="权重必须大于 0") as info:
        crit("b", weight)
    assert info.value.criterion == "b"


@pytest.mark.parametrize("weight", [25.0, True, "25"])
def test_weights_must_be_exact_numbers(weight: object) -> None:
    with pytest.raises(RubricError, match="整数或 Decimal"):
        crit("b", weight)


@pytest.mark.parametrize("key", [0, 6])
def test_anchor_keys_must_be_score_levels(key: int) -> None:
    with pytest.raises(RubricError, match=f"评分项 c（评分项c）：锚点分值只能是 1–5，不能是 {key}") as info:
        crit("c", 100, {1: "差", key: "超出"})
    assert info.value.criterion == "c"


def test_integer_weights_become_decimal_and_anchors_any_subset() -> None:
    criterion = crit("a", 100, {2: "较差"})
    assert criterion.weight == Decimal(100) and isinstance(criterion.weight, Decimal)
    assert Rubric(code="r", name="r", criteria=(criterion,)).codes == ("a",)


def test_weighted_total_is_score_over_5_times_weight() -> None:
    # 4/5×25 + 3/5×15 + 4/5×20 + 3/5×25 + 3/5×10 + 3/5×5 = 20 + 9 + 16 + 15 + 6 + 3
    scores = dict(zip(DEFAULT_RUBRIC.codes, (4, 3, 4, 3, 3, 3), strict=True))
    assert weighted_total(DEFAULT_RUBRIC, scores) == Decimal("69.00")
    assert weighted_total(DEFAULT_RUBRIC, dict.fromkeys(DEFAULT_RUBRIC.codes, 5)) == Decimal("100.00")
    assert weighted_total(DEFAULT_RUBRIC, dict.fromkeys(DEFAULT_RUBRIC.codes, 1)) == Decimal("20.00")


def test_weighted_total_rounds_half_up_to_two_places() -> None:
    # 2/5 × 33.335 = 13.334; 5/5 × 33.335 = 33.335; 5/5 × 33.33 → 79.999 → 80.00
    rubric = Rubric(
        code="r",
        name="r",
        criteria=(crit("a", Decimal("33.335")), crit("b", Decimal("33.335")), crit("c", Decimal("33.33"))),
    )
    assert weighted_total(rubric, {"a": 2, "b": 5, "c": 5}) == Decimal("80.00")
    assert round_cent(Decimal("79.985")) == Decimal("79.99")  # half up, not to even
    assert round_cent(Decimal("0.125")) == Decimal("0.13")


@pytest.mark.parametrize("bad", [0, 6, True, 3.5])
def test_scores_must_be_integers_1_to_5(bad: object) -> None:
    scores: dict[str, object] = dict.fromkeys(DEFAULT_RUBRIC.codes, 3)
    scores["technology"] = bad
    with pytest.raises(RubricError, match="技术先进性") as info:
        weighted_total(DEFAULT_RUBRIC, scores)  # type: ignore[arg-type]
    assert info.value.criterion == "technology"


def test_every_criterion_must_be_scored_and_nothing_else() -> None:
    scores = dict.fromkeys(DEFAULT_RUBRIC.codes, 3)
    del scores["social"]
    with pytest.raises(RubricError, match="社会/安全效益）未打分"):
        weighted_total(DEFAULT_RUBRIC, scores)
    with pytest.raises(RubricError, match="beauty"):
        weighted_total(DEFAULT_RUBRIC, dict.fromkeys(DEFAULT_RUBRIC.codes, 3) | {"beauty": 5})


def test_score_sheet_keeps_scores_in_rubric_order() -> None:
    scores = dict(zip(reversed(DEFAULT_RUBRIC.codes), (1, 2, 3, 4, 5, 1), strict=True))
    sheet = score_sheet(DEFAULT_RUBRIC, judge="J1", entry="E1", scores=scores)
    assert [code for code, _ in sheet.scores] == list(DEFAULT_RUBRIC.codes)
    assert sheet.score("novelty") == 1 and sheet.score("presentation") == 1
    assert sheet.total == weighted_total(DEFAULT_RUBRIC, scores)
