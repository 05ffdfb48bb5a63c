"""Studio star rating: the 六有 gate, the 六大成效 score sheet, star thresholds. No database."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from gonghui.innovation.engine.grading import WAN
from gonghui.innovation.engine.studio_rating import (
    DEFAULT_SCHEME,
    Dimension,
    Evidence,
    LinearToTarget,
    RatingError,
    RatingScheme,
    SixHaves,
    StudioFigures,
    check_gate,
    rate_studio,
)

OK = Evidence(met=True, evidence="见附件")
ALL_HAVES = SixHaves(leader=OK, core_team=OK, facilities=OK, rules=OK, plans=OK, mentoring=OK)

FULL = StudioFigures(
    outcomes_filed=10,
    patents_granted=3,
    problems_solved=20,
    verified_value=500 * WAN,
    apprentices=10,
    high_skill_workers=3,
    conversions=3,
    activities=12,
    participation_rate=Decimal("0.5"),
)
# 10 + 0 + 10 + 12 (50万) + 8 + 0 + 10 (2 of 3 conversions) + 5 + 5 = 60
SIXTY = StudioFigures(
    outcomes_filed=10,
    patents_granted=0,
    problems_solved=10,
    verified_value=50 * WAN,
    apprentices=10,
    high_skill_workers=0,
    conversions=2,
    activities=12,
    participation_rate=Decimal("0.5"),
)


def test_full_figures_score_100_and_five_stars() -> None:
    rating = rate_studio(haves=ALL_HAVES, figures=FULL)
    assert rating.rated and rating.score == Decimal(100) and rating.stars == 5


def test_figures_beyond_the_target_are_capped() -> None:
    more = replace(FULL, outcomes_filed=40, problems_solved=99, verified_value=9000 * WAN)
    assert rate_studio(haves=ALL_HAVES, figures=more).score == Decimal(100)


@pytest.mark.parametrize(
    ("figures", "score", "stars"),
    [
        (replace(SIXTY, participation_rate=Decimal("0.499")), "59.99", 0),  # 4.99 for participation
        (SIXTY, "60.00", 2),
        (replace(SIXTY, activities=0, high_skill_workers=2), "59.67", 0),  # −5 + 14/3 (4.67)
        (replace(FULL, conversions=1), "90.00", 5),  # −10
        (replace(FULL, conversions=1, participation_rate=Decimal("0.499")), "89.99", 4),
    ],
)
def test_star_thresholds_at_the_boundaries(figures: StudioFigures, score: str, stars: int) -> None:
    rating = rate_studio(haves=ALL_HAVES, figures=figures)
    assert rating.score == Decimal(score)
    assert rating.stars == stars


@pytest.mark.parametrize(
    ("score", "stars"),
    [
        ("0", 0),
        ("59.99", 0),
        ("60", 2),
        ("69.99", 2),
        ("70", 3),
        ("80", 4),
        ("89.99", 4),
        ("90", 5),
        ("100", 5),
    ],
)
def test_stars_for(score: str, stars: int) -> None:
    assert DEFAULT_SCHEME.stars_for(Decimal(score)) == stars


def test_gate_failure_lists_every_missing_item_and_gives_no_star() -> None:
    haves = replace(ALL_HAVES, core_team=Evidence(met=False), facilities=Evidence(met=True, evidence="  "))
    gate = check_gate(haves)
    assert not gate.passed
    assert gate.reasons == ("未达到“有核心骨干”", "“有场地设施”未提供佐证材料")
    rating = rate_studio(haves=haves, figures=FULL)
    assert not rating.rated and rating.stars == 0
    assert rating.score == Decimal(100)  # the sheet is still worked out for guidance


def test_score_sheet_explains_every_point() -> None:
    figures = StudioFigures(
        outcomes_filed=7,  # 7.00
        patents_granted=1,  # 10/3 → 3.33
        problems_solved=13,  # 13.00
        verified_value=12 * WAN,  # ≥10万 → 8
        apprentices=4,  # 8 × 4/10 → 3.20
        high_skill_workers=1,  # 7/3 → 2.33
        conversions=1,  # 5.00
        activities=5,  # 5 × 5/12 → 2.08
        participation_rate=Decimal("0.37"),  # 5 × 0.37/0.5 → 3.70
    )
    rating = rate_studio(haves=ALL_HAVES, figures=figures)
    assert [line.points for line in rating.lines] == [
        Decimal(p) for p in ("7.00", "3.33", "13.00", "8.00", "3.20", "2.33", "5.00", "2.08", "3.70")
    ]
    assert rating.score == Decimal("47.64") == sum(line.points for line in rating.lines)
    assert rating.stars == 0
    economic = rating.lines[3]
    assert (economic.dimension, economic.figure, economic.value) == ("产生经济效益", "核验年效益", 12 * WAN)
    assert "≥100000元 得 8 分" in economic.rule
    assert {line.dimension for line in rating.lines} == {
        "孵化创新技术",
        "解决现场问题",
        "产生经济效益",
        "培养创新人才",
        "转化创新成果",
        "营造创新文化",
    }


def test_default_dimension_maxima_match_the_spec() -> None:
    assert [(d.name, d.max_points) for d in DEFAULT_SCHEME.dimensions] == [
        ("孵化创新技术", 20),
        ("解决现场问题", 20),
        ("产生经济效益", 20),
        ("培养创新人才", 15),
        ("转化创新成果", 15),
        ("营造创新文化", 10),
    ]


def _one_dimension(points: int, figure: str = "problems_solved", target: int = 10) -> Dimension:
    rule = LinearToTarget(figure, "问题数", "个", Decimal(target), Decimal(points))
    return Dimension("d", "维度", Decimal(points), (rule,))


@pytest.mark.parametrize(
    ("dimensions", "stars", "message"),
    [
        ((_one_dimension(90),), ((Decimal(60), 2),), "满分之和为 90"),
        ((_one_dimension(100, figure="smiles"),), ((Decimal(60), 2),), "未知的指标 smiles"),
        ((_one_dimension(100, target=0),), ((Decimal(60), 2),), "目标值必须大于 0"),
        ((_one_dimension(100),), ((Decimal(60), 3), (Decimal(70), 2)), "星级门槛"),
        (
            (Dimension("d", "维度", Decimal(100), (_one_dimension(90).rules[0],)),),
            ((Decimal(60), 2),),
            "各规则满分之和为 90，应为 100",
        ),
    ],
)
def test_invalid_schemes(
    dimensions: tuple[Dimension, ...], stars: tuple[tuple[Decimal, int], ...], message: str
) -> None:
    with pytest.raises(RatingError, match=message):
        RatingScheme(dimensions=dimensions, stars=stars)


def test_custom_scheme() -> None:
    scheme = RatingScheme(dimensions=(_one_dimension(100),), stars=((Decimal(50), 1),))
    rating = rate_studio(haves=ALL_HAVES, figures=StudioFigures(problems_solved=5), scheme=scheme)
    assert (rating.score, rating.stars) == (Decimal("50.00"), 1)
