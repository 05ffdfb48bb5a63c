"""Innovation studio star rating (创新工作室星级评定).

Two steps (spec/innovation.md, "Studios"):

1. The 六有 gate: a studio is rated only if all six are met *and* evidenced; otherwise it is
   not rated and every missing item is listed.
2. The 六大成效 score out of 100 from a year of platform figures. Each dimension is made of
   rules with their own points; a rule is either linear to a target and capped
   (points × min(figure, target) / target) or banded (the points of the highest threshold
   reached). Every rule gives one line of the score sheet, rounded half-up to 0.01, and the
   total is the sum of the lines, so the sheet always adds up.

Stars by total (default): 2★ ≥60, 3★ ≥70, 4★ ≥80, 5★ ≥90; below 60 no star (0).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal

from gonghui.innovation.engine.grading import WAN
from gonghui.innovation.engine.rubric import ZERO, round_cent

MAX_SCORE = Decimal(100)


class RatingError(ValueError):
    """An invalid rating scheme (points not adding up, unknown figure, bad thresholds)."""


# --- the 六有 gate -----------------------------------------------------------------------

SIX_HAVES: dict[str, str] = {
    "leader": "有领军人物",
    "core_team": "有核心骨干",
    "facilities": "有场地设施",
    "rules": "有管理制度",
    "plans": "有课题计划",
    "mentoring": "有导师带徒",
}


@dataclass(frozen=True, slots=True)
class Evidence:
    """Whether one of the 六有 is met, and the evidence (材料) that shows it."""

    met: bool
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class SixHaves:
    """The six gate conditions (六有) of a studio, each with its evidence."""

    leader: Evidence
    core_team: Evidence
    facilities: Evidence
    rules: Evidence
    plans: Evidence
    mentoring: Evidence


@dataclass(frozen=True, slots=True)
class GateResult:
    """The outcome of the 六有 gate; `reasons` names every condition missing or unevidenced."""

    passed: bool
    reasons: tuple[str, ...]


def check_gate(haves: SixHaves) -> GateResult:
    """All six must be met and each must carry evidence text."""
    reasons: list[str] = []
    for code, label in SIX_HAVES.items():
        item: Evidence = getattr(haves, code)
        if not item.met:
            reasons.append(f"未达到“{label}”")
        elif not item.evidence.strip():
            reasons.append(f"“{label}”未提供佐证材料")
    return GateResult(passed=not reasons, reasons=tuple(reasons))


# --- the 六大成效 score --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StudioFigures:
    """A studio's figures for the rating year, as read from the platform."""

    outcomes_filed: int = 0  # 创新成果申报数
    patents_granted: int = 0  # 授权专利数
    problems_solved: int = 0  # 解决并经确认的现场问题数
    verified_value: Decimal = ZERO  # 核验年效益（元）
    apprentices: int = 0  # 本年带徒人数
    high_skill_workers: int = 0  # 本年培养的高技能人才数
    conversions: int = 0  # 成果转化数（许可 / 先用后转）
    activities: int = 0  # 创新文化活动次数
    participation_rate: Decimal = ZERO  # 职工参与率，0–1


FIGURE_NAMES = frozenset(f.name for f in fields(StudioFigures))


@dataclass(frozen=True, slots=True)
class LinearToTarget:
    """`points` × min(figure, target) / target: linear up to the target, capped there."""

    figure: str
    label: str
    unit: str
    target: Decimal
    points: Decimal

    @property
    def max_points(self) -> Decimal:
        return self.points

    def score(self, value: Decimal) -> Decimal:
        return round_cent(self.points * min(max(value, ZERO), self.target) / self.target)

    def describe(self) -> str:
        return f"达到 {self.target}{self.unit} 得满分 {self.points} 分，不足按比例计，超出不加分"

    def validate(self) -> None:
        if self.target <= ZERO:
            raise RatingError(f"{self.label}：目标值必须大于 0")


@dataclass(frozen=True, slots=True)
class Banded:
    """The points of the highest threshold reached (`steps` are (threshold, points))."""

    figure: str
    label: str
    unit: str
    steps: tuple[tuple[Decimal, Decimal], ...]

    @property
    def max_points(self) -> Decimal:
        return max(points for _, points in self.steps)

    def score(self, value: Decimal) -> Decimal:
        reached = [points for threshold, points in self.steps if value >= threshold]
        return round_cent(max(reached, default=ZERO))

    def describe(self) -> str:
        parts = "；".join(f"≥{threshold}{self.unit} 得 {points} 分" for threshold, points in self.steps)
        return f"{parts}；以下 0 分"

    def validate(self) -> None:
        thresholds = [threshold for threshold, _ in self.steps]
        points = [p for _, p in self.steps]
        if not self.steps or thresholds != sorted(thresholds) or points != sorted(points):
            raise RatingError(f"{self.label}：分档必须按门槛和分值从低到高排列")


Rule = LinearToTarget | Banded


@dataclass(frozen=True, slots=True)
class Dimension:
    """One of the 六大成效: its maximum points and the rules that share them."""

    code: str
    name: str
    max_points: Decimal
    rules: tuple[Rule, ...]


@dataclass(frozen=True, slots=True)
class RatingScheme:
    """A configurable rating scheme: dimensions totalling 100 and star thresholds
    ((minimum score, stars), any order)."""

    dimensions: tuple[Dimension, ...]
    stars: tuple[tuple[Decimal, int], ...]

    def __post_init__(self) -> None:
        for dimension in self.dimensions:
            for rule in dimension.rules:
                if rule.figure not in FIGURE_NAMES:
                    raise RatingError(f"{dimension.name}：未知的指标 {rule.figure}")
                rule.validate()
            rule_total = sum((rule.max_points for rule in dimension.rules), ZERO)
            if rule_total != dimension.max_points:
                raise RatingError(
                    f"{dimension.name}：各规则满分之和为 {rule_total}，应为 {dimension.max_points}"
                )
        total = sum((d.max_points for d in self.dimensions), ZERO)
        if total != MAX_SCORE:
            raise RatingError(f"六大成效满分之和为 {total}，应为 100")
        stars = tuple(sorted(self.stars, reverse=True))
        if len({count for _, count in stars}) != len(stars) or [c for _, c in stars] != sorted(
            (c for _, c in stars), reverse=True
        ):
            raise RatingError("星级门槛必须分数越高星级越高，且星级不重复")
        object.__setattr__(self, "stars", stars)

    def stars_for(self, score: Decimal) -> int:
        """Stars for a total score: the highest threshold reached, 0 below all of them."""
        for threshold, count in self.stars:
            if score >= threshold:
                return count
        return 0


def _d(value: str | int) -> Decimal:
    return Decimal(value)


DEFAULT_SCHEME = RatingScheme(
    dimensions=(
        Dimension(
            "incubation",
            "孵化创新技术",
            _d(20),
            (
                LinearToTarget("outcomes_filed", "创新成果申报数", "项", _d(10), _d(10)),
                LinearToTarget("patents_granted", "授权专利数", "项", _d(3), _d(10)),
            ),
        ),
        Dimension(
            "problems",
            "解决现场问题",
            _d(20),
            (LinearToTarget("problems_solved", "解决并确认的现场问题数", "个", _d(20), _d(20)),),
        ),
        Dimension(
            "economic",
            "产生经济效益",
            _d(20),
            (
                Banded(
                    "verified_value",
                    "核验年效益",
                    "元",
                    (
                        (1 * WAN, _d(4)),
                        (10 * WAN, _d(8)),
                        (50 * WAN, _d(12)),
                        (100 * WAN, _d(16)),
                        (500 * WAN, _d(20)),
                    ),
                ),
            ),
        ),
        Dimension(
            "talent",
            "培养创新人才",
            _d(15),
            (
                LinearToTarget("apprentices", "本年带徒人数", "人", _d(10), _d(8)),
                LinearToTarget("high_skill_workers", "本年培养高技能人才数", "人", _d(3), _d(7)),
            ),
        ),
        Dimension(
            "conversion",
            "转化创新成果",
            _d(15),
            (LinearToTarget("conversions", "成果转化数（许可/先用后转）", "项", _d(3), _d(15)),),
        ),
        Dimension(
            "culture",
            "营造创新文化",
            _d(10),
            (
                LinearToTarget("activities", "创新文化活动次数", "次", _d(12), _d(5)),
                LinearToTarget("participation_rate", "职工参与率", "", _d("0.5"), _d(5)),
            ),
        ),
    ),
    stars=((_d(60), 2), (_d(70), 3), (_d(80), 4), (_d(90), 5)),
)


@dataclass(frozen=True, slots=True)
class ScoreLine:
    """One line of the score sheet: where these points came from."""

    dimension: str
    figure: str
    value: Decimal
    rule: str
    points: Decimal


@dataclass(frozen=True, slots=True)
class StudioRating:
    """A studio's rating: the gate, the score sheet and the stars (0 = no star).

    When the gate fails the studio is not rated (`rated` False, 0 stars), but the score
    sheet is still worked out so the studio can see where it stands.
    """

    gate: GateResult
    lines: tuple[ScoreLine, ...]
    score: Decimal
    stars: int

    @property
    def rated(self) -> bool:
        return self.gate.passed


def score_figures(figures: StudioFigures, scheme: RatingScheme = DEFAULT_SCHEME) -> tuple[ScoreLine, ...]:
    """The score sheet lines, one per rule, in scheme order."""
    lines: list[ScoreLine] = []
    for dimension in scheme.dimensions:
        for rule in dimension.rules:
            value = Decimal(getattr(figures, rule.figure))
            lines.append(
                ScoreLine(
                    dimension=dimension.name,
                    figure=rule.label,
                    value=value,
                    rule=rule.describe(),
                    points=rule.score(value),
                )
            )
    return tuple(lines)


def rate_studio(
    *, haves: SixHaves, figures: StudioFigures, scheme: RatingScheme = DEFAULT_SCHEME
) -> StudioRating:
    """Rate a studio for the year: gate first, then the 六大成效 score and its stars."""
    gate = check_gate(haves)
    lines = score_figures(figures, scheme)
    score = sum((line.points for line in lines), ZERO)
    stars = scheme.stars_for(score) if gate.passed else 0
    return StudioRating(gate=gate, lines=lines, score=score, stars=stars)
