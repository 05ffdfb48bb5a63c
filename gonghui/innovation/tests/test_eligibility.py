"""Award eligibility rules, hand-computed at every boundary. No database."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from gonghui.innovation.engine import (
    ADVANCED_OPERATION_METHOD,
    INNOVATION_OUTCOME,
    RULE_TYPES,
    AwardRules,
    CompletedWithinYears,
    EligibilityError,
    FirstCompleter,
    NominationFacts,
    NotAwardedAtOrAbove,
    OneLevelUp,
    PriorAward,
    ProvenFor,
    RuleResult,
    VerifiedBenefit,
    check_eligibility,
    rules_from_dict,
)

D = date.fromisoformat
WORKER = FirstCompleter(is_enterprise_head=False, has_senior_title=False, position="班组长")

# Evaluated 2025-06-30: applied exactly 12 months, completed exactly 3 years before.
BASE = NominationFacts(
    outcome_type="operation_method",
    evaluated_on=D("2025-06-30"),
    proven_since=D("2024-06-30"),
    completed_on=D("2022-06-30"),
    first_completer=WORKER,
    current_level="enterprise",
    target_level="district",
    verified_yearly_benefit=Decimal("12000"),
)


def facts(**changes: Any) -> NominationFacts:
    return replace(BASE, **changes)


def result(rules: AwardRules, code: str, nomination: NominationFacts) -> RuleResult:
    (found,) = (r for r in check_eligibility(rules, nomination).results if r.code == code)
    return found


def test_baseline_is_eligible_for_both_awards() -> None:
    for award in (ADVANCED_OPERATION_METHOD, INNOVATION_OUTCOME):
        outcome = check_eligibility(award, BASE)
        assert outcome.eligible, [r.explanation for r in outcome.failures]
        assert outcome.failures == ()
        assert [r.code for r in outcome.results] == [rule.code for rule in award.rules]


# --- proven for 12 months ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "on", "months", "passed"),
    [
        ("2024-06-30", "2025-06-30", 12, True),  # exactly 12 months
        ("2024-07-01", "2025-06-30", 11, False),  # one day short
        ("2024-05-01", "2025-06-30", 13, True),
        ("2024-02-29", "2025-02-28", 12, True),  # leap day: the month ends on the 28th
        ("2024-03-31", "2025-03-30", 11, False),
        ("2024-01-31", "2025-01-31", 12, True),
        ("2025-06-30", "2025-06-30", 0, False),  # started on the evaluation day
    ],
)
def test_proven_months_boundary(since: str, on: str, months: int, passed: bool) -> None:
    r = ProvenFor(min_months=12).evaluate(facts(proven_since=D(since), evaluated_on=D(on)))
    assert r.passed is passed
    assert f"已应用 {months} 个月，要求 ≥12 个月" in r.explanation
    assert r.label == "已应用满 12 个月"


def test_proven_months_short_month_end() -> None:
    # 2024-01-31 + 1 month is 2024-02-29, so one whole month has passed on the 29th.
    r = ProvenFor(min_months=1).evaluate(facts(proven_since=D("2024-01-31"), evaluated_on=D("2024-02-29")))
    assert r.passed and "已应用 1 个月" in r.explanation
    r = ProvenFor(min_months=1).evaluate(facts(proven_since=D("2024-01-31"), evaluated_on=D("2024-02-28")))
    assert not r.passed and "已应用 0 个月" in r.explanation


def test_proven_months_missing_or_future_date() -> None:
    r = ProvenFor().evaluate(facts(proven_since=None))
    assert not r.passed and "未填写应用起始日期" in r.explanation
    r = ProvenFor().evaluate(facts(proven_since=D("2025-07-01")))
    assert not r.passed and "晚于评审日" in r.explanation


# --- completed within the last 3 years -------------------------------------------------------


@pytest.mark.parametrize(
    ("completed", "on", "passed"),
    [
        ("2022-06-30", "2025-06-30", True),  # exactly 3 years before: included
        ("2022-06-29", "2025-06-30", False),
        ("2025-06-30", "2025-06-30", True),  # completed on the evaluation day
        ("2025-07-01", "2025-06-30", False),  # after the evaluation day
        ("2025-02-28", "2028-02-29", True),  # leap evaluation day: 3 years earlier is 02-28
        ("2025-02-27", "2028-02-29", False),
    ],
)
def test_completed_within_three_years(completed: str, on: str, passed: bool) -> None:
    r = CompletedWithinYears(years=3).evaluate(facts(completed_on=D(completed), evaluated_on=D(on)))
    assert r.passed is passed
    assert completed in r.explanation and on in r.explanation


def test_completed_within_explains_the_window() -> None:
    r = CompletedWithinYears(years=3).evaluate(facts(completed_on=D("2022-06-29")))
    assert r.explanation == (
        "完成于 2022-06-29，早于 2022-06-30；评审日 2025-06-30，要求在 2022-06-30 至 2025-06-30 之间完成（近 3 年），不符合"
    )
    r = CompletedWithinYears().evaluate(facts(completed_on=None))
    assert not r.passed and "未填写完成日期" in r.explanation


# --- the first completer ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("head", "senior", "head_ok", "senior_ok"),
    [
        (False, False, True, True),
        (True, False, False, True),
        (False, True, True, False),
        (True, True, False, False),
    ],
)
def test_first_completer(head: bool, senior: bool, head_ok: bool, senior_ok: bool) -> None:
    person = FirstCompleter(is_enterprise_head=head, has_senior_title=senior, position="副总经理")
    nomination = facts(first_completer=person)
    not_head = result(ADVANCED_OPERATION_METHOD, "first_completer_not_head", nomination)
    no_title = result(ADVANCED_OPERATION_METHOD, "first_completer_no_senior_title", nomination)
    assert (not_head.passed, no_title.passed) == (head_ok, senior_ok)
    assert "第一完成人（副总经理）" in not_head.explanation
    assert check_eligibility(ADVANCED_OPERATION_METHOD, nomination).eligible is (head_ok and senior_ok)


def test_first_completer_without_position() -> None:
    person = FirstCompleter(is_enterprise_head=True, has_senior_title=False)
    r = result(ADVANCED_OPERATION_METHOD, "first_completer_not_head", facts(first_completer=person))
    assert r.explanation == "第一完成人是企业负责人，不符合"


# --- prior awards -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("awards", "passed"),
    [
        ((), True),
        ((PriorAward("province", 2024, "operation_method"),), True),
        ((PriorAward("national", 2023, "operation_method"),), False),
        ((PriorAward("city", 2022, "five_small"), PriorAward("national", 2024, "five_small")), False),
    ],
)
def test_operation_method_not_awarded_nationally(awards: tuple[PriorAward, ...], passed: bool) -> None:
    r = result(ADVANCED_OPERATION_METHOD, "not_awarded_at_or_above", facts(prior_awards=awards))
    assert r.passed is passed
    assert r.label == "未获全国级奖励"
    if not passed:
        assert "年全国级奖励" in r.explanation


@pytest.mark.parametrize(
    ("level", "passed"),
    [("enterprise", True), ("district", True), ("city", False), ("province", False), ("national", False)],
)
def test_innovation_outcome_not_awarded_at_target_or_above(level: str, passed: bool) -> None:
    nomination = facts(
        current_level="district", target_level="city", prior_awards=(PriorAward(level, 2024, "x"),)
    )
    r = result(INNOVATION_OUTCOME, "not_awarded_at_or_above", nomination)
    assert r.passed is passed
    if not passed:
        assert r.explanation.endswith("已有市级及以上奖励的不再推荐")


def test_not_awarded_limited_to_award_codes() -> None:
    rule = NotAwardedAtOrAbove(level="city", awards=("innovation_outcome",))
    other = facts(prior_awards=(PriorAward("national", 2024, "five_small"),))
    same = facts(prior_awards=(PriorAward("city", 2024, "innovation_outcome"),))
    assert rule.evaluate(other).passed
    assert not rule.evaluate(same).passed
    assert rule.label == "未获市级及以上奖励（限 innovation_outcome）"


# --- one level up at a time -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target", "passed", "fragment"),
    [
        (None, "enterprise", True, "尚未获得任何层级认定，本次申报企业级，符合逐级推荐"),
        (None, "district", False, "下一级应为企业级"),
        ("enterprise", "district", True, "已获企业级认定，本次申报区县级"),
        ("district", "city", True, "符合逐级推荐"),
        ("city", "province", True, "符合逐级推荐"),
        ("province", "national", True, "符合逐级推荐"),
        ("enterprise", "city", False, "下一级应为区县级"),  # skipping a level
        ("city", "city", False, "下一级应为省级"),  # the same level again
        ("city", "district", False, "下一级应为省级"),  # downward
        ("national", "national", False, "已达最高层级“全国级”"),
    ],
)
def test_ladder(current: str | None, target: str, passed: bool, fragment: str) -> None:
    r = OneLevelUp().evaluate(facts(current_level=current, target_level=target))
    assert r.passed is passed
    assert fragment in r.explanation


def test_custom_ladder_without_district() -> None:
    rule = OneLevelUp(ladder=("enterprise", "city", "province", "national"))
    assert rule.evaluate(facts(current_level="enterprise", target_level="city")).passed
    r = rule.evaluate(facts(current_level="enterprise", target_level="district"))
    assert not r.passed and "不在推荐序列（企业级→市级→省级→全国级）中" in r.explanation
    r = rule.evaluate(facts(current_level="district", target_level="city"))
    assert not r.passed and "已达层级“区县级”不在推荐序列" in r.explanation


# --- verified benefit and outcome type --------------------------------------------------------


@pytest.mark.parametrize(
    ("minimum", "value", "passed"),
    [
        ("0", None, False),  # not verified
        ("0", "0", True),  # verified, no economic benefit
        ("0", "-0.01", False),  # a verified net loss
        ("10000", "9999.99", False),
        ("10000", "10000", True),  # exactly the minimum
    ],
)
def test_verified_benefit(minimum: str, value: str | None, passed: bool) -> None:
    benefit = None if value is None else Decimal(value)
    r = VerifiedBenefit(min_amount=Decimal(minimum)).evaluate(facts(verified_yearly_benefit=benefit))
    assert r.passed is passed


def test_verified_benefit_explanations() -> None:
    rule = VerifiedBenefit(min_amount=Decimal(10000))
    r = rule.evaluate(facts(verified_yearly_benefit=Decimal("9999.99")))
    assert r.explanation == "核验年效益 9,999.99 元，要求已核验且 ≥10,000.00 元，不足"
    assert rule.label == "核验年效益不低于 10,000.00 元"
    assert VerifiedBenefit().label == "年效益已核验"
    assert (
        VerifiedBenefit()
        .evaluate(facts(verified_yearly_benefit=None))
        .explanation.startswith("年效益尚未核验")
    )


def test_outcome_type() -> None:
    r = result(ADVANCED_OPERATION_METHOD, "outcome_type", facts(outcome_type="five_small"))
    assert not r.passed
    assert r.explanation == "成果类型为“five_small”，本奖项仅限：先进操作法"
    assert result(ADVANCED_OPERATION_METHOD, "outcome_type", BASE).passed


# --- every rule is evaluated ------------------------------------------------------------------


def test_all_rules_evaluated_and_every_reason_shown() -> None:
    hopeless = facts(
        outcome_type="five_small",
        current_level="enterprise",
        target_level="city",
        proven_since=None,
        completed_on=D("2020-01-01"),
        first_completer=FirstCompleter(is_enterprise_head=True, has_senior_title=True, position="总经理"),
        prior_awards=(PriorAward("national", 2021, "operation_method"),),
    )
    outcome = check_eligibility(ADVANCED_OPERATION_METHOD, hopeless)
    assert not outcome.eligible
    assert [r.code for r in outcome.results] == [
        "outcome_type",
        "one_level_up",
        "proven_months",
        "completed_within_years",
        "first_completer_not_head",
        "first_completer_no_senior_title",
        "not_awarded_at_or_above",
    ]
    assert outcome.failures == outcome.results
    assert all(r.explanation for r in outcome.results)


def test_one_failure_among_passes() -> None:
    outcome = check_eligibility(ADVANCED_OPERATION_METHOD, facts(proven_since=D("2024-07-01")))
    assert not outcome.eligible
    assert [r.code for r in outcome.failures] == ["proven_months"]
    assert len(outcome.results) == len(ADVANCED_OPERATION_METHOD.rules)


def test_result_as_dict_for_storage() -> None:
    r = ProvenFor().evaluate(BASE)
    assert json.loads(json.dumps(r.as_dict(), ensure_ascii=False)) == {
        "code": "proven_months",
        "label": "已应用满 12 个月",
        "passed": True,
        "explanation": "自 2024-06-30 起至评审日 2025-06-30 已应用 12 个月，要求 ≥12 个月，符合",
    }


# --- facts validation -------------------------------------------------------------------------


def test_facts_reject_unknown_levels() -> None:
    with pytest.raises(EligibilityError) as raised:
        facts(target_level="galaxy")
    assert raised.value.key == "target_level"
    with pytest.raises(EligibilityError, match="current_level"):
        facts(current_level="street")
    with pytest.raises(EligibilityError, match="未知的层级"):
        PriorAward("county", 2024, "x")


# --- configuration: the JSON loader -----------------------------------------------------------


def test_rule_codes_are_stable() -> None:
    # Stored in JSON per organisation: renaming a code breaks saved configurations.
    assert set(RULE_TYPES) == {
        "outcome_type",
        "proven_months",
        "completed_within_years",
        "first_completer_not_head",
        "first_completer_no_senior_title",
        "not_awarded_at_or_above",
        "one_level_up",
        "verified_benefit",
    }


@pytest.mark.parametrize("award", [ADVANCED_OPERATION_METHOD, INNOVATION_OUTCOME])
def test_defaults_round_trip_through_json(award: AwardRules) -> None:
    stored = json.loads(json.dumps(award.to_dict(), ensure_ascii=False))
    assert rules_from_dict(stored) == award


def test_organisation_config_loads_with_defaults_for_missing_params() -> None:
    rules = rules_from_dict(
        {
            "code": "city_operation_method",
            "label": "市级先进操作法",
            "rules": [
                {"code": "proven_months", "min_months": 24},
                {"code": "completed_within_years"},  # default 3 years
                {"code": "verified_benefit", "min_amount": "50000"},
                {"code": "one_level_up", "ladder": ["enterprise", "city", "province"]},
                {"code": "not_awarded_at_or_above", "level": None},
            ],
        }
    )
    assert rules.rules == (
        ProvenFor(min_months=24),
        CompletedWithinYears(years=3),
        VerifiedBenefit(min_amount=Decimal(50000)),
        OneLevelUp(ladder=("enterprise", "city", "province")),
        NotAwardedAtOrAbove(level=None),
    )
    outcome = check_eligibility(rules, facts(target_level="city"))
    assert [r.passed for r in outcome.results] == [False, True, False, True, True]


def _award(*rules: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"code": "x", "label": "某奖项", "rules": list(rules), **top}


@pytest.mark.parametrize(
    ("data", "key", "fragment"),
    [
        (_award({"code": "proven_months"}, extra=1), "extra", "未知的键 'extra'"),
        ({"code": "x", "label": "某奖项"}, "rules", "缺少此键"),
        ({"label": "某奖项", "rules": []}, "code", "缺少此键"),
        (_award(rules="proven_months"), "rules", "必须是规则列表"),
        (_award(), "rules", "至少需要一条规则"),
        (_award({"code": "proven_months"}, code=""), "code", "非空字符串"),
        (_award({"code": "proven_months"}, label=5), "label", "非空字符串"),
        (_award("proven_months"), "rules[0]", "每条规则必须是对象"),
        (_award({"min_months": 12}), "rules[0].code", "缺少规则代码"),
        (
            _award({"code": "proven_months"}, {"code": "age_limit"}),
            "rules[1].code",
            "未知的规则代码 'age_limit'",
        ),
        (_award({"code": "proven_months", "min_month": 12}), "rules[0].min_month", "没有参数 'min_month'"),
        (_award({"code": "first_completer_not_head", "strict": True}), "rules[0].strict", "可用参数：无"),
        (_award({"code": "proven_months", "min_months": "12"}), "rules[0].min_months", "必须是整数"),
        (_award({"code": "proven_months", "min_months": 0}), "rules[0].min_months", "不能小于 1"),
        (_award({"code": "completed_within_years", "years": True}), "rules[0].years", "必须是整数"),
        (_award({"code": "verified_benefit", "min_amount": 0.5}), "rules[0].min_amount", "金额字符串"),
        (_award({"code": "verified_benefit", "min_amount": "-1"}), "rules[0].min_amount", "不小于 0"),
        (_award({"code": "verified_benefit", "min_amount": "abc"}), "rules[0].min_amount", "不是有效金额"),
        (_award({"code": "verified_benefit", "min_amount": "NaN"}), "rules[0].min_amount", "不小于 0"),
        (_award({"code": "not_awarded_at_or_above", "level": "galaxy"}), "rules[0].level", "未知的层级"),
        (_award({"code": "not_awarded_at_or_above", "awards": "x"}), "rules[0].awards", "字符串列表"),
        (_award({"code": "one_level_up", "ladder": ["city", "enterprise"]}), "rules[0].ladder", "从低到高"),
        (_award({"code": "one_level_up", "ladder": ["city"]}), "rules[0].ladder", "至少需要两个层级"),
        (_award({"code": "one_level_up", "ladder": ["city", "city"]}), "rules[0].ladder", "重复"),
        (_award({"code": "outcome_type", "types": {}}), "rules[0].types", "至少需要一个成果类型"),
        (_award({"code": "outcome_type", "types": ["x"]}), "rules[0].types", "成果类型代码: 名称"),
        (_award({"code": "outcome_type"}), "rules[0]", "缺少参数：types"),
        (_award({"code": "proven_months"}, {"code": "proven_months"}), "rules", "规则重复：proven_months"),
    ],
)
def test_loader_errors_name_the_key(data: dict[str, Any], key: str, fragment: str) -> None:
    with pytest.raises(EligibilityError) as raised:
        rules_from_dict(data)
    assert raised.value.key == key
    assert str(raised.value).startswith(f"{key}：")
    assert fragment in str(raised.value)


def test_loader_rejects_a_non_mapping() -> None:
    with pytest.raises(EligibilityError, match="奖项规则必须是对象"):
        rules_from_dict(["proven_months"])  # type: ignore[arg-type]


def test_rules_validate_on_construction_too() -> None:
    with pytest.raises(EligibilityError) as raised:
        ProvenFor(min_months=0)
    assert raised.value.key == "min_months"
    with pytest.raises(EligibilityError, match="从低到高"):
        OneLevelUp(ladder=("national", "city"))
