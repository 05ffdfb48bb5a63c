"""Outcome grades by verified yearly value, and the benefit calculators (效益核算).

Grades (spec/innovation.md, "Outcomes"): a value falls in the band whose `lower` it reaches
(inclusive) and whose `upper` it stays below (exclusive), so exactly 100万 is 一等 and
99.99万 is 二等. Bands are configurable per organisation but must tile the line: sorted by
`lower`, each band starts where the previous one ends and only the top band is open upward.

The verified yearly benefit is net of cost and covers the 12 months from the first benefit.
Money is yuan as `Decimal`, rounded half-up to 0.01 only at the end of each calculation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

from gonghui.innovation.engine.rubric import ZERO, round_cent

WAN = Decimal(10_000)


class GradingError(ValueError):
    """Invalid grade bands or calculator input."""


def _yuan(value: Decimal) -> str:
    return f"{round_cent(value):,} 元"


@dataclass(frozen=True, slots=True)
class GradeBand:
    """One grade (等级): values in [`lower`, `upper`) yuan; None means open on that side."""

    code: str
    name: str
    lower: Decimal | None
    upper: Decimal | None

    def contains(self, value: Decimal) -> bool:
        return (self.lower is None or value >= self.lower) and (self.upper is None or value < self.upper)


@dataclass(frozen=True, slots=True)
class GradeScale:
    """Contiguous grade bands, stored lowest first; `grade` finds a value's band."""

    bands: tuple[GradeBand, ...]

    def __post_init__(self) -> None:
        bands = tuple(sorted(self.bands, key=lambda b: (b.lower is not None, b.lower or ZERO)))
        if not bands:
            raise GradingError("等级档次不能为空")
        codes = [b.code for b in bands]
        if len(set(codes)) != len(codes):
            raise GradingError("等级代码重复")
        for band in bands:
            if band.lower is not None and band.upper is not None and band.lower >= band.upper:
                raise GradingError(f"等级 {band.name}：下限 {band.lower} 必须小于上限 {band.upper}")
        for below, above in pairwise(bands):
            if below.upper is None or above.lower is None or below.upper != above.lower:
                raise GradingError(
                    f"等级 {below.name} 与 {above.name} 不连续：上限 {below.upper}，下一档下限 {above.lower}"
                )
        if bands[-1].upper is not None:
            raise GradingError(f"最高等级 {bands[-1].name} 不应有上限")
        object.__setattr__(self, "bands", bands)

    def grade(self, value: Decimal) -> GradeBand | None:
        """The band of a verified yearly value (None if below a closed lowest band)."""
        for band in self.bands:
            if band.contains(value):
                return band
        return None


DEFAULT_GRADES = GradeScale(
    bands=(
        GradeBand("first", "一等", 100 * WAN, None),
        GradeBand("second", "二等", 50 * WAN, 100 * WAN),
        GradeBand("third", "三等", 10 * WAN, 50 * WAN),
        GradeBand("fourth", "四等", 1 * WAN, 10 * WAN),
        # Open below: the default puts every value under 1万, zero or a net loss, in 五等.
        GradeBand("fifth", "五等", None, 1 * WAN),
    )
)


def grade_for(value: Decimal, scale: GradeScale = DEFAULT_GRADES) -> GradeBand | None:
    """The grade of a verified yearly value under `scale` (the default bands unless given)."""
    return scale.grade(value)


@dataclass(frozen=True, slots=True)
class Saving:
    """A calculated yearly saving in yuan, with the formula written out for the record."""

    amount: Decimal
    formula: str


def _non_negative(**values: Decimal | int) -> None:
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, Decimal | int):
            raise GradingError(f"{name} 必须是整数或 Decimal")
        if value < 0:
            raise GradingError(f"{name} 不能为负数")


def labour_time_saving(
    *, hours_saved: Decimal, hourly_cost: Decimal, times_per_year: Decimal | int
) -> Saving:
    """Labour-time saving (节约工时): hours saved per occurrence × hourly labour cost ×
    occurrences a year."""
    _non_negative(每次节约工时=hours_saved, 人工成本=hourly_cost, 年发生次数=times_per_year)
    amount = round_cent(hours_saved * hourly_cost * times_per_year)
    formula = f"每次节约 {hours_saved} 工时 × 人工成本 {hourly_cost} 元/工时 × 每年 {times_per_year} 次 = {_yuan(amount)}"
    return Saving(amount, formula)


def material_saving(*, quantity: Decimal, unit_price: Decimal, unit: str = "") -> Saving:
    """Material saving (节约材料): quantity saved a year × unit price."""
    _non_negative(年节约数量=quantity, 单价=unit_price)
    amount = round_cent(quantity * unit_price)
    per = f"/{unit}" if unit else ""
    return Saving(amount, f"年节约 {quantity}{unit} × 单价 {unit_price} 元{per} = {_yuan(amount)}")


@dataclass(frozen=True, slots=True)
class Amount:
    """A dated gain (收益) or cost (成本) in yuan."""

    label: str
    amount: Decimal
    on: date


@dataclass(frozen=True, slots=True)
class NetBenefit:
    """The net yearly benefit over [`start`, `end`): counted gains − counted costs, the
    items left out, and one explanation line per item."""

    start: date
    end: date
    gross: Decimal
    cost: Decimal
    net: Decimal
    lines: tuple[str, ...]


def benefit_window(first_benefit: date) -> tuple[date, date]:
    """The 12 months from the first benefit: [first_benefit, same day next year).

    A first benefit on 29 February ends on 1 March of the next year.
    """
    try:
        end = first_benefit.replace(year=first_benefit.year + 1)
    except ValueError:
        end = first_benefit.replace(year=first_benefit.year + 1, day=28) + timedelta(days=1)
    return first_benefit, end


def net_yearly_benefit(
    *, first_benefit: date, gains: Iterable[Amount], costs: Iterable[Amount]
) -> NetBenefit:
    """Net yearly benefit = gains inside the 12-month window − costs up to the window's end.

    Gains before the first benefit or after the window do not count. Costs count if they fall
    before the window ends, including implementation costs spent before the first benefit:
    they are what it took to get that year's benefit; later running costs belong to later years.
    """
    start, end = benefit_window(first_benefit)
    gross = cost = ZERO
    lines = [
        f"核算期间：{start.isoformat()} 至 {(end - timedelta(days=1)).isoformat()}（首次产生效益起 12 个月）"
    ]
    for gain in gains:
        _non_negative(收益=gain.amount)
        if start <= gain.on < end:
            gross += gain.amount
            lines.append(f"收益 {gain.label}（{gain.on.isoformat()}）：+{_yuan(gain.amount)}")
        else:
            lines.append(f"收益 {gain.label}（{gain.on.isoformat()}）不在核算期间内，不计")
    for item in costs:
        _non_negative(成本=item.amount)
        if item.on < end:
            cost += item.amount
            lines.append(f"成本 {item.label}（{item.on.isoformat()}）：−{_yuan(item.amount)}")
        else:
            lines.append(f"成本 {item.label}（{item.on.isoformat()}）在核算期间之后，不计")
    gross, cost = round_cent(gross), round_cent(cost)
    net = gross - cost
    lines.append(f"年净效益 = {_yuan(gross)} − {_yuan(cost)} = {_yuan(net)}")
    return NetBenefit(start=start, end=end, gross=gross, cost=cost, net=net, lines=tuple(lines))
