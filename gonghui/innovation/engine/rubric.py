"""Evaluation rubrics (评审标准) as data, and one judge's weighted score sheet.

A rubric is a list of criteria with weights summing to 100 and 1/3/5 anchor texts
(spec/innovation.md, "Evaluation and roadshows"). A judge scores every criterion 1–5; the
criterion contributes score / 5 × weight, so a sheet totals 20–100 on the 0–100 scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

SCORE_MIN = 1
SCORE_MAX = 5
ANCHOR_LEVELS: frozenset[int] = frozenset(range(SCORE_MIN, SCORE_MAX + 1))
TOTAL_WEIGHT = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal(0)


def round_cent(value: Decimal) -> Decimal:
    """Round to 2 places, half up (the rounding used for every displayed score)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class RubricError(ValueError):
    """A rubric or a score sheet is invalid; `criterion` is the offending criterion code."""

    def __init__(self, message: str, *, criterion: str | None = None) -> None:
        self.criterion = criterion
        super().__init__(message)


def _as_decimal(value: object, what: str, criterion: str) -> Decimal:
    # Floats would carry binary error into money and scores; bools are ints in Python.
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise RubricError(f"评分项 {criterion}：{what}必须是整数或 Decimal", criterion=criterion)
    return Decimal(value)


@dataclass(frozen=True, slots=True)
class Criterion:
    """One criterion (评分项): a positive weight (points out of 100) and anchor texts
    describing what a score of 1, 3 and 5 looks like."""

    code: str
    name: str
    weight: Decimal
    anchors: Mapping[int, str] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        label = self.code or "(未命名)"
        if not self.code.strip() or not self.name.strip():
            raise RubricError(f"评分项 {label}：代码和名称不能为空", criterion=self.code)
        weight = _as_decimal(self.weight, "权重", self.code)
        if weight <= ZERO:
            raise RubricError(f"评分项 {self.code}（{self.name}）：权重必须大于 0", criterion=self.code)
        object.__setattr__(self, "weight", weight)
        bad = sorted(str(k) for k in self.anchors if isinstance(k, bool) or k not in ANCHOR_LEVELS)
        if bad:
            raise RubricError(
                f"评分项 {self.code}（{self.name}）：锚点分值只能是 1–5，不能是 {'、'.join(bad)}",
                criterion=self.code,
            )
        if any(not str(text).strip() for text in self.anchors.values()):
            raise RubricError(f"评分项 {self.code}（{self.name}）：锚点说明不能为空", criterion=self.code)
        object.__setattr__(self, "anchors", dict(sorted(self.anchors.items())))

    def points(self, score: int) -> Decimal:
        """The criterion's contribution to a sheet's total: score / 5 × weight (unrounded)."""
        return Decimal(score) * self.weight / SCORE_MAX


@dataclass(frozen=True, slots=True)
class Rubric:
    """A rubric (评审标准): criteria in tie-break order, unique codes, weights summing to 100."""

    code: str
    name: str
    criteria: tuple[Criterion, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "criteria", tuple(self.criteria))
        if not self.criteria:
            raise RubricError(f"评审标准 {self.code}：至少需要一个评分项")
        seen: set[str] = set()
        for criterion in self.criteria:
            if criterion.code in seen:
                raise RubricError(
                    f"评审标准 {self.code}：评分项代码 {criterion.code}（{criterion.name}）重复",
                    criterion=criterion.code,
                )
            seen.add(criterion.code)
        total = sum((c.weight for c in self.criteria), ZERO)
        if total != TOTAL_WEIGHT:
            raise RubricError(f"评审标准 {self.code}：各评分项权重之和为 {total}，应为 100")

    def criterion(self, code: str) -> Criterion:
        """The criterion with this code (KeyError if none)."""
        for criterion in self.criteria:
            if criterion.code == code:
                return criterion
        raise KeyError(code)

    @property
    def codes(self) -> tuple[str, ...]:
        """Criterion codes in rubric (tie-break) order."""
        return tuple(c.code for c in self.criteria)


@dataclass(frozen=True, slots=True)
class ScoreSheet:
    """One judge's validated scores for one entry: `scores` in rubric order, `total` on the
    0–100 scale rounded half-up to 2 places. Build it with `score_sheet`."""

    judge: str
    entry: str
    scores: tuple[tuple[str, int], ...]
    total: Decimal

    def score(self, code: str) -> int:
        """The 1–5 score given for criterion `code` (KeyError if none)."""
        for criterion_code, value in self.scores:
            if criterion_code == code:
                return value
        raise KeyError(code)


def weighted_total(rubric: Rubric, scores: Mapping[str, int]) -> Decimal:
    """Σ score / 5 × weight over every criterion, rounded half-up to 2 places.

    Every criterion must be scored with an integer 1–5 and nothing else may be scored.
    """
    unknown = sorted(set(scores) - set(rubric.codes))
    if unknown:
        raise RubricError(f"评分项 {unknown[0]} 不在评审标准 {rubric.code} 中", criterion=unknown[0])
    total = ZERO
    for criterion in rubric.criteria:
        if criterion.code not in scores:
            raise RubricError(f"评分项 {criterion.code}（{criterion.name}）未打分", criterion=criterion.code)
        value = scores[criterion.code]
        if isinstance(value, bool) or not isinstance(value, int) or not SCORE_MIN <= value <= SCORE_MAX:
            raise RubricError(
                f"评分项 {criterion.code}（{criterion.name}）：分数 {value!r} 无效，应为 1–5 的整数",
                criterion=criterion.code,
            )
        total += criterion.points(value)
    return round_cent(total)


def score_sheet(rubric: Rubric, *, judge: str, entry: str, scores: Mapping[str, int]) -> ScoreSheet:
    """Validate a judge's scores for an entry against the rubric and total them."""
    total = weighted_total(rubric, scores)
    ordered = tuple((code, scores[code]) for code in rubric.codes)
    return ScoreSheet(judge=judge, entry=entry, scores=ordered, total=total)


DEFAULT_RUBRIC = Rubric(
    code="default",
    name="职工创新成果评审标准（默认）",
    criteria=(
        Criterion(
            code="novelty",
            name="创新性",
            weight=Decimal(25),
            anchors={
                1: "照搬现有做法，仅作少量调整",
                3: "对现有方法有明显改进，在本单位属首创",
                5: "思路原创，在行业内未见同类做法，解决了长期难题",
            },
        ),
        Criterion(
            code="technology",
            name="技术先进性",
            weight=Decimal(15),
            anchors={
                1: "技术含量低，采用常规手段",
                3: "技术水平在本单位处于领先",
                5: "技术水平达到行业先进，已申请或取得专利",
            },
        ),
        Criterion(
            code="practicality",
            name="实用性/可推广性",
            weight=Decimal(20),
            anchors={
                1: "仅适用于个别岗位，推广价值有限",
                3: "已在本单位稳定应用，可在同类岗位推广",
                5: "已在多家单位或全行业推广应用，效果稳定",
            },
        ),
        Criterion(
            code="economic",
            name="经济效益",
            weight=Decimal(25),
            anchors={
                1: "核验年效益不足 1 万元",
                3: "核验年效益 10 万至 50 万元",
                5: "核验年效益 100 万元及以上",
            },
        ),
        Criterion(
            code="social",
            name="社会/安全效益",
            weight=Decimal(10),
            anchors={
                1: "对安全、环保、劳动强度无明显影响",
                3: "明显降低安全风险或劳动强度",
                5: "消除重大安全隐患，或显著节能减排、改善作业环境",
            },
        ),
        Criterion(
            code="presentation",
            name="现场表达与答辩",
            weight=Decimal(5),
            anchors={
                1: "表达不清，未能回答评委提问",
                3: "表达清楚，能回答大部分提问",
                5: "表达精炼生动，答辩准确有说服力",
            },
        ),
    ),
)
