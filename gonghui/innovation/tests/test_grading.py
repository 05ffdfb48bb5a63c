"""Grade bands and the benefit calculators. No database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from gonghui.innovation.engine.grading import (
    DEFAULT_GRADES,
    WAN,
    Amount,
    GradeBand,
    GradeScale,
    GradingError,
    benefit_window,
    grade_for,
    labour_time_saving,
    material_saving,
    net_yearly_benefit,
)


@pytest.mark.parametrize(
    ("value", "grade"),
    [
        ("5000000", "一等"),
        ("1000000", "一等"),  # exactly 100万
        ("999900", "二等"),  # 99.99万
        ("999999.99", "二等"),
        ("500000", "二等"),
        ("499999.99", "三等"),
        ("100000", "三等"),
        ("99999.99", "四等"),
        ("10000", "四等"),  # exactly 1万
        ("9999.99", "五等"),
        ("0", "五等"),
        ("-500", "五等"),  # a net loss is still below 1万
    ],
)
def test_default_grade_bands(value: str, grade: str) -> None:
    band = grade_for(Decimal(value))
    assert band is not None and band.name == grade


def test_custom_scale_in_any_order_with_closed_bottom() -> None:
    scale = GradeScale(
        bands=(
            GradeBand("a", "甲", 20 * WAN, None),
            GradeBand("c", "丙", Decimal(0), 5 * WAN),
            GradeBand("b", "乙", 5 * WAN, 20 * WAN),
        )
    )
    assert [b.code for b in scale.bands] == ["c", "b", "a"]
    assert grade_for(20 * WAN, scale).name == "甲"  # type: ignore[union-attr]
    assert grade_for(Decimal(-1), scale) is None


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ((GradeBand("a", "甲", 10 * WAN, None), GradeBand("b", "乙", None, 5 * WAN)), "不连续"),
        ((GradeBand("a", "甲", 5 * WAN, None), GradeBand("b", "乙", None, 10 * WAN)), "不连续"),
        ((GradeBand("a", "甲", 5 * WAN, 9 * WAN), GradeBand("b", "乙", None, 5 * WAN)), "不应有上限"),
        ((GradeBand("a", "甲", 5 * WAN, None), GradeBand("a", "乙", None, 5 * WAN)), "代码重复"),
        ((GradeBand("a", "甲", 5 * WAN, 5 * WAN),), "必须小于上限"),
        ((), "不能为空"),
    ],
)
def test_invalid_scales(bands: tuple[GradeBand, ...], message: str) -> None:
    with pytest.raises(GradingError, match=message):
        GradeScale(bands=bands)


def test_default_scale_is_contiguous_lowest_first() -> None:
    assert [b.name for b in DEFAULT_GRADES.bands] == ["五等", "四等", "三等", "二等", "一等"]


def test_labour_time_saving() -> None:
    saving = labour_time_saving(hours_saved=Decimal("2.5"), hourly_cost=Decimal("80.00"), times_per_year=250)
    # 2.5 h × 80 元 × 250 次 = 50,000
    assert saving.amount == Decimal("50000.00")
    assert "50,000.00 元" in saving.formula


def test_material_saving_rounds_half_up() -> None:
    # 1,200 kg × 3.4565 元/kg = 4147.80
    assert material_saving(quantity=Decimal(1200), unit_price=Decimal("3.4565"), unit="kg").amount == Decimal(
        "4147.80"
    )
    # 3 × 0.335 = 1.005 → 1.01
    assert material_saving(quantity=Decimal(3), unit_price=Decimal("0.335")).amount == Decimal("1.01")


def test_calculators_reject_negative_input() -> None:
    with pytest.raises(GradingError, match="不能为负数"):
        material_saving(quantity=Decimal(-1), unit_price=Decimal(1))
    with pytest.raises(GradingError, match="整数或 Decimal"):
        labour_time_saving(hours_saved=1.5, hourly_cost=Decimal(1), times_per_year=1)  # type: ignore[arg-type]


def test_net_yearly_benefit_over_twelve_months_from_first_benefit() -> None:
    result = net_yearly_benefit(
        first_benefit=date(2025, 3, 10),
        gains=[
            Amount("节约工时", Decimal(10000), date(2025, 3, 10)),  # first day: in
            Amount("节约材料", Decimal(5000), date(2026, 3, 9)),  # last day: in
            Amount("节约材料", Decimal(7000), date(2026, 3, 10)),  # next year: out
            Amount("试运行", Decimal(3000), date(2025, 3, 1)),  # before first benefit: out
        ],
        costs=[
            Amount("改造费用", Decimal(4000), date(2025, 1, 15)),  # implementation: in
            Amount("维护", Decimal(1000), date(2025, 6, 1)),
            Amount("维护", Decimal(2000), date(2026, 3, 10)),  # after the window: out
        ],
    )
    assert (result.start, result.end) == (date(2025, 3, 10), date(2026, 3, 10))
    assert (result.gross, result.cost, result.net) == (Decimal(15000), Decimal(5000), Decimal(10000))
    assert result.lines[-1] == "年净效益 = 15,000.00 元 − 5,000.00 元 = 10,000.00 元"
    assert sum("不计" in line for line in result.lines) == 3


def test_net_benefit_may_be_negative() -> None:
    result = net_yearly_benefit(
        first_benefit=date(2025, 1, 1),
        gains=[Amount("收益", Decimal(100), date(2025, 1, 1))],
        costs=[Amount("成本", Decimal(300), date(2024, 12, 1))],
    )
    assert result.net == Decimal(-200)


def test_benefit_window_from_leap_day() -> None:
    assert benefit_window(date(2024, 2, 29)) == (date(2024, 2, 29), date(2025, 3, 1))
