"""The policy file loader: the example loads exactly; every kind of mistake is rejected with
its key path and line number, and all mistakes are reported at once. No database."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from gonghui.mutual_aid.engine.policy import (
    CONTRACT_CATEGORY_CODES,
    PolicyError,
    default_known_categories,
    load_policy,
    parse_policy,
)

POLICY = Path(__file__).resolve().parents[1] / "data" / "policy_2026.yaml"
TEXT = POLICY.read_text(encoding="utf-8")


def edit(old: str, new: str, text: str = TEXT) -> str:
    assert text.count(old) == 1, old
    return text.replace(old, new)


def errors_of(text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    return [(e.path, e.line, e.message) for e in info.value.errors]


def test_example_policy_loads_exactly() -> None:
    plan = load_policy(POLICY)
    assert plan.name == "示范区在职职工医疗互助保障"
    assert plan.year == 2026
    assert [i.code for i in plan.items] == ["selfpay", "critical", "female"]
    selfpay, critical, female = plan.items
    assert selfpay.fee == Decimal(36)
    assert selfpay.period_cap == Decimal(30200)
    assert selfpay.claim_deadline_date(plan.year) == date(2027, 3, 31)
    inpatient = selfpay.benefits[0]
    assert inpatient.kind == "tiered_ratio"
    assert inpatient.med_types == frozenset({"21", "22", "23", "24", "25", "26", "28"})
    assert inpatient.min_hosp_level == 2
    assert [(t.lower, t.upper, t.ratio) for t in inpatient.tiers] == [
        (Decimal(0), Decimal(1000), Decimal(0)),
        (Decimal(1000), Decimal(5000), Decimal("0.5")),
        (Decimal(5000), Decimal(20000), Decimal("0.6")),
        (Decimal(20000), None, Decimal("0.7")),
    ]
    assert all(isinstance(t.ratio, Decimal) for t in inpatient.tiers)
    assert inpatient.cap == Decimal(30000)
    assert critical.waiting_days == 90
    assert critical.benefits[1].excludes == ("critical_illness",)
    assert critical.benefits[0].categories[:2] == ("malignant_tumor", "acute_mi")
    assert critical.benefits[2].per_day == Decimal(100)
    assert female.sex == "F"
    assert female.benefits[0].amount == Decimal(20000)
    assert plan.benefit("in_situ_thyroid")[0].code == "critical"
    assert len(plan.digest) == 64


def test_numbers_never_go_through_float() -> None:
    plan = parse_policy(edit("ratio: 0.2}", "ratio: 0.1}"))
    assert plan.items[0].benefits[1].tiers[1].ratio == Decimal("0.1")
    quoted = parse_policy(edit("fee: 36", 'fee: "36.50"'))
    assert quoted.items[0].fee == Decimal("36.50")


def test_known_categories_is_a_parameter() -> None:
    with pytest.raises(PolicyError, match="未知的重疾类别代码「cabg」"):
        parse_policy(TEXT, known_categories=CONTRACT_CATEGORY_CODES - {"cabg"})


def test_default_categories_come_from_the_project_catalogue() -> None:
    codes = default_known_categories()
    assert {"malignant_tumor", "in_situ", "female_cancer", "hysterectomy"} <= codes


def test_message_format_names_the_key_path_and_line() -> None:
    with pytest.raises(PolicyError) as info:
        parse_policy(edit("{from: 5000, to: 20000", "{from: 4000, to: 20000"))
    first = str(info.value.errors[0])
    assert first.startswith("items[0].benefits[0].tiers[2].from（第 21 行）: 档次必须连续且递增")
    assert "items[0].benefits[0].tiers[2].from（第 21 行）" in str(info.value)


ERROR_CASES = [
    ("unknown top key", ("year: 2026\n", "year: 2026\ncolour: red\n"), ("colour", 6, "未知的键")),
    ("unknown item key", ("    fee: 36\n", "    fee: 36\n    fees: 1\n"), ("items[0].fees", 10, "未知的键")),
    (
        "unknown benefit key",
        ("        cap: 30000\n", "        cap: 30000\n        cop: 1\n"),
        ("items[0].benefits[0].cop", 24, "未知的键"),
    ),
    (
        "missing kind",
        ("      - code: critical_illness\n        kind: lump_sum\n", "      - code: critical_illness\n"),
        ("items[1].benefits[0].kind", 35, "缺少必填的键"),
    ),
    ("missing item name", ("    name: 女职工特殊疾病互助\n", ""), ("items[2].name", 51, "缺少必填的键")),
    (
        "missing lump sum amount",
        ("        amount: 20000\n", ""),
        ("items[2].benefits[0].amount", 58, "缺少必填的键"),
    ),
    ("unknown kind", ("kind: per_day", "kind: per_diem"), ("items[1].benefits[2].kind", 46, "未知的 kind")),
    (
        "key of another kind",
        ("        per_day: 100\n", "        per_day: 100\n        amount: 5\n"),
        ("items[1].benefits[2].amount", 48, "kind: per_day 不使用该键"),
    ),
    (
        "unknown category",
        ("cabg,", "cabbage,"),
        ("items[1].benefits[0].categories[4]", 38, "未知的重疾类别代码「cabbage」"),
    ),
    (
        "overlapping tiers",
        ("{from: 5000, to: 20000", "{from: 4000, to: 20000"),
        ("items[0].benefits[0].tiers[2].from", 21, "档次必须连续且递增"),
    ),
    (
        "gap between tiers",
        ("{from: 20000, to: null", "{from: 25000, to: null"),
        ("items[0].benefits[0].tiers[3].from", 22, "有空档"),
    ),
    (
        "unordered tiers",
        (
            "          - {from: 1000, to: 5000, ratio: 0.5}\n          - {from: 5000, to: 20000, ratio: 0.6}\n",
            "          - {from: 5000, to: 20000, ratio: 0.6}\n          - {from: 1000, to: 5000, ratio: 0.5}\n",
        ),
        ("items[0].benefits[0].tiers[1].from", 20, "档次必须连续且递增"),
    ),
    (
        "first tier not from 0",
        ("{from: 0, to: 500, ratio: 0}", "{from: 100, to: 500, ratio: 0}"),
        ("items[0].benefits[1].tiers[0].from", 27, "第一档必须从 0 开始"),
    ),
    (
        "empty tier",
        ("{from: 1000, to: 5000, ratio: 0.5}", "{from: 1000, to: 1000, ratio: 0.5}"),
        ("items[0].benefits[0].tiers[1].to", 20, "上限必须大于下限"),
    ),
    (
        "open tier not last",
        ("{from: 5000, to: 20000, ratio: 0.6}", "{from: 5000, to: null, ratio: 0.6}"),
        ("items[0].benefits[0].tiers[3].from", 22, "不设上限"),
    ),
    (
        "no tiers",
        (
            "        tiers: [{from: 0, to: 500, ratio: 0}, {from: 500, to: null, ratio: 0.2}]\n",
            "        tiers: []\n",
        ),
        ("items[0].benefits[1].tiers", 27, "至少需要一档"),
    ),
    (
        "negative lump sum",
        ("amount: 5000", "amount: -5000"),
        ("items[1].benefits[1].amount", 42, "不能为负数"),
    ),
    ("negative fee", ("fee: 60", "fee: -60"), ("items[1].fee", 31, "不能为负数")),
    (
        "negative cap",
        ("        cap: 2000\n", "        cap: -2000\n"),
        ("items[1].benefits[2].cap", 50, "不能为负数"),
    ),
    (
        "negative ratio",
        ("ratio: 0.2}", "ratio: -0.2}"),
        ("items[0].benefits[1].tiers[1].ratio", 27, "不能为负数"),
    ),
    (
        "ratio above 1",
        ("ratio: 0.7}", "ratio: 1.5}"),
        ("items[0].benefits[0].tiers[3].ratio", 22, "不能大于 1"),
    ),
    ("three decimals", ("fee: 20", "fee: 20.125"), ("items[2].fee", 53, "两位小数")),
    ("not a number", ("period_cap: 15000", "period_cap: lots"), ("items[1].period_cap", 32, "应为数字")),
    ("float exotica", ("period_cap: 15000", "period_cap: .inf"), ("items[1].period_cap", 32, "应为数字")),
    ("bad deadline format", ('"03-31"', '"3/31"'), ("items[0].claim_deadline", 12, "MM-DD")),
    ("impossible deadline", ('"03-31"', '"02-30"'), ("items[0].claim_deadline", 12, "MM-DD")),
    ("Feb 29 of a common year", ('"03-31"', '"02-29"'), ("items[0].claim_deadline", 12, "MM-DD")),
    ("bad sex", ("sex: F", "sex: W"), ("items[2].sex", 55, "M（男）或 F（女）")),
    (
        "unknown excludes reference",
        ("excludes: [critical_illness]", "excludes: [critical]"),
        ("items[1].benefits[1].excludes[0]", 44, "不存在的补助代码「critical」"),
    ),
    (
        "excludes itself",
        ("excludes: [critical_illness]", "excludes: [in_situ_thyroid]"),
        ("items[1].benefits[1].excludes[0]", 44, "不能排除自身"),
    ),
    (
        "excludes outside lump sums",
        ("        cap: 2000\n", "        cap: 2000\n        excludes: [critical_illness]\n"),
        ("items[1].benefits[2].excludes", 51, "kind: per_day 不使用该键"),
    ),
    (
        "duplicate item code",
        ("  - code: female\n", "  - code: critical\n"),
        ("items[2].code", 51, "重复（第 29 行已使用）"),
    ),
    (
        "duplicate benefit code",
        ("      - code: living_allowance", "      - code: inpatient"),
        ("items[1].benefits[2].code", 45, "重复（第 14 行已使用）"),
    ),
    (
        "duplicate YAML key",
        ("    fee: 36\n", "    fee: 36\n    fee: 37\n"),
        ("items[0].fee", 10, "重复的键（第 9 行已出现）"),
    ),
    (
        "unknown med type",
        ("med_types: [14]", "med_types: [15]"),
        ("items[0].benefits[1].med_types[0]", 26, "未知的医疗类别"),
    ),
    (
        "hospital level 4",
        ("min_hosp_level: 2\n        cap: 2000", "min_hosp_level: 4\n        cap: 2000"),
        ("items[1].benefits[2].min_hosp_level", 49, "医院等级应在 1 到 3 之间"),
    ),
    (
        "negative waiting days",
        (
            "waiting_days: 90\n    benefits:\n      - code: critical_illness",
            "waiting_days: -1\n    benefits:\n      - code: critical_illness",
        ),
        ("items[1].waiting_days", 33, "等待期天数不能为负数"),
    ),
    ("year out of range", ("year: 2026", "year: 1926"), ("year", 5, "年度应在 2000 到 2100 之间")),
    ("bad code", ("code: in_situ_thyroid", "code: In-Situ"), ("items[1].benefits[1].code", 40, "代码只能由")),
    ("no items", ("items:\n", "items: []\nother:\n"), ("items", 6, "至少需要一个项目")),
]


@pytest.mark.parametrize(
    ("change", "expected"), [c[1:] for c in ERROR_CASES], ids=[c[0] for c in ERROR_CASES]
)
def test_each_mistake_is_reported_with_key_and_line(
    change: tuple[str, str], expected: tuple[str, int, str]
) -> None:
    found = errors_of(edit(*change))
    path, line, fragment = expected
    assert any(p == path and ln == line and fragment in m for p, ln, m in found), found


def test_all_mistakes_are_reported_at_once_in_line_order() -> None:
    text = TEXT
    for old, new in [
        ("ratio: 0.7}", "ratio: 1.7}"),
        ("cabg,", "cabg, foo,"),
        ("sex: F", "sex: X"),
        ("fee: 20", "fee: -20"),
        ("year: 2026\n", "year: 2026\nversion: 2\n"),
    ]:
        text = edit(old, new, text)
    with pytest.raises(PolicyError) as info:
        parse_policy(text)
    found = [(e.path, e.line) for e in info.value.errors]
    assert found == [
        ("version", 6),
        ("items[0].benefits[0].tiers[3].ratio", 23),
        ("items[1].benefits[0].categories[5]", 39),
        ("items[2].fee", 54),
        ("items[2].sex", 56),
    ]
    assert str(info.value).startswith("互助计划文件有 5 处错误")


def test_yaml_syntax_error_names_the_line() -> None:
    found = errors_of(edit("    fee: 60\n", "    fee: [60\n"))
    assert found[0][0] == "(root)"
    assert found[0][1] is not None and found[0][1] >= 31
    assert "YAML 语法错误" in found[0][2]


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_empty_file_is_rejected(text: str) -> None:
    assert errors_of(text) == [("(root)", None, "文件为空")]


def test_top_level_must_be_a_mapping() -> None:
    assert errors_of("- a\n- b\n")[0][2] == "应为映射（键: 值）"


def test_missing_file_and_bad_encoding(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="无法读取文件"):
        load_policy(tmp_path / "nope.yaml")
    bad = tmp_path / "gbk.yaml"
    bad.write_bytes(TEXT.encode("gb18030"))
    with pytest.raises(PolicyError, match="UTF-8"):
        load_policy(bad)


def test_error_carries_the_source_path(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(edit("sex: F", "sex: W"), encoding="utf-8")
    with pytest.raises(PolicyError) as info:
        load_policy(path)
    assert info.value.source == str(path)
    assert str(path) in str(info.value)
