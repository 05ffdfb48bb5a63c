"""Award eligibility (评选资格), checked when an outcome is nominated upward level by level.

An award's rules (spec/innovation.md, "Outcomes") are small registered objects, each with a
stable `code`, a Chinese `label` and `evaluate(facts) -> RuleResult` whose explanation
quotes the actual figures. `check_eligibility` runs every rule, never stopping at the first
failure, so staff see every reason at once. Rules are configurable per organisation and
stored as JSON: `rules_from_dict` rebuilds them with strict validation, `AwardRules.to_dict`
writes them back.

Date rules, all relative to the evaluation date (评审日):
- "proven for N months": whole calendar months from the first application; a month from the
  31st ends on the last day of a shorter month (2024-01-31 + 1 month = 2024-02-29).
- "within the last N years": completed on or after the same day N years before (inclusive),
  and not after the evaluation date.
"""

from __future__ import annotations

import calendar
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import ClassVar, TypeVar

from gonghui.innovation.engine.rubric import ZERO, round_cent

# The nomination ladder, lowest first; the codes are the union tree's levels (orgs.OrgUnit).
AWARD_LEVELS: tuple[str, ...] = ("enterprise", "district", "city", "province", "national")
AWARD_LEVEL_LABELS: Mapping[str, str] = MappingProxyType(
    {"enterprise": "企业级", "district": "区县级", "city": "市级", "province": "省级", "national": "全国级"}
)
_RANK = {level: rank for rank, level in enumerate(AWARD_LEVELS)}


class EligibilityError(ValueError):
    """Invalid facts or award rules; `key` names the offending key (e.g. ``rules[2].years``)."""

    def __init__(self, problem: str, *, key: str | None = None) -> None:
        self.problem = problem
        self.key = key
        super().__init__(f"{key}：{problem}" if key else problem)


def _level_label(level: str) -> str:
    return AWARD_LEVEL_LABELS.get(level, level)


def _check_level(level: str, key: str) -> None:
    if level not in _RANK:
        raise EligibilityError(f"未知的层级 {level!r}，可选：{'、'.join(AWARD_LEVELS)}", key=key)


# --- the facts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FirstCompleter:
    """The first completer (第一完成人) as the nomination needs them."""

    is_enterprise_head: bool  # 企业负责人
    has_senior_title: bool  # 高级职称
    position: str = ""  # 职务，shown in explanations


@dataclass(frozen=True, slots=True)
class PriorAward:
    """An award the outcome already received: level, year and award code."""

    level: str
    year: int
    award: str

    def __post_init__(self) -> None:
        _check_level(self.level, "prior_awards.level")

    def describe(self) -> str:
        return f"{self.year} 年{_level_label(self.level)}奖励（{self.award}）"


@dataclass(frozen=True, slots=True, kw_only=True)
class NominationFacts:
    """Everything the rules look at, read by the service before the check.

    `current_level` is the highest level the outcome has already reached (None: none yet);
    `target_level` is the level it is being nominated to.
    """

    outcome_type: str
    evaluated_on: date
    target_level: str
    first_completer: FirstCompleter
    proven_since: date | None = None  # first applied / implemented (应用起始日)
    completed_on: date | None = None
    current_level: str | None = None
    prior_awards: tuple[PriorAward, ...] = ()
    verified_yearly_benefit: Decimal | None = None  # None: not verified (未核验)

    def __post_init__(self) -> None:
        _check_level(self.target_level, "target_level")
        if self.current_level is not None:
            _check_level(self.current_level, "current_level")


# --- results -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule's verdict with a Chinese explanation quoting the figures."""

    code: str
    label: str
    passed: bool
    explanation: str

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code,
            "label": self.label,
            "passed": self.passed,
            "explanation": self.explanation,
        }


@dataclass(frozen=True, slots=True)
class EligibilityResult:
    """Eligible only if every rule passed; `results` holds every rule, in the award's order."""

    eligible: bool
    results: tuple[RuleResult, ...]

    @property
    def failures(self) -> tuple[RuleResult, ...]:
        return tuple(r for r in self.results if not r.passed)


# --- parameter converters (shared by construction and the JSON loader) ----------------------

Converter = Callable[[object, str], object]


def _whole(minimum: int) -> Converter:
    def convert(value: object, key: str) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise EligibilityError("必须是整数", key=key)
        if value < minimum:
            raise EligibilityError(f"不能小于 {minimum}，现为 {value}", key=key)
        return value

    return convert


def _money(value: object, key: str) -> Decimal:
    # Floats would carry binary error into money; JSON stores amounts as strings.
    if isinstance(value, bool) or not isinstance(value, Decimal | int | str):
        raise EligibilityError("必须是金额字符串、整数或 Decimal", key=key)
    try:
        amount = Decimal(value)
    except ArithmeticError:
        raise EligibilityError(f"不是有效金额：{value!r}", key=key) from None
    if not amount.is_finite() or amount < ZERO:
        raise EligibilityError(f"必须是不小于 0 的金额，现为 {value}", key=key)
    return amount


def _level_or_target(value: object, key: str) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise EligibilityError("必须是层级代码或 null（表示申报层级）", key=key)
    _check_level(value, key)
    return value


def _str_list(value: object, key: str) -> tuple[str, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
        raise EligibilityError("必须是字符串列表", key=key)
    if not all(isinstance(item, str) and item.strip() for item in value):
        raise EligibilityError("列表中每一项都必须是非空字符串", key=key)
    if len(set(value)) != len(value):
        raise EligibilityError("列表中有重复项", key=key)
    return tuple(value)


def _ladder(value: object, key: str) -> tuple[str, ...]:
    levels = _str_list(value, key)
    for level in levels:
        _check_level(level, key)
    if len(levels) < 2:
        raise EligibilityError("至少需要两个层级", key=key)
    if list(levels) != sorted(levels, key=_RANK.__getitem__):
        raise EligibilityError(f"层级必须从低到高排列：{'→'.join(AWARD_LEVELS)}", key=key)
    return levels


def _type_labels(value: object, key: str) -> tuple[tuple[str, str], ...]:
    if isinstance(value, Mapping):
        pairs: list[object] | tuple[object, ...] = list(value.items())
    elif isinstance(value, list | tuple):
        pairs = value
    else:
        raise EligibilityError("必须是 {成果类型代码: 名称} 对象", key=key)
    result: list[tuple[str, str]] = []
    for pair in pairs:
        if not (isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(p, str) for p in pair)):
            raise EligibilityError("必须是 {成果类型代码: 名称} 对象", key=key)
        if not pair[0].strip() or not pair[1].strip():
            raise EligibilityError("成果类型代码和名称不能为空", key=key)
        result.append((pair[0], pair[1]))
    if not result:
        raise EligibilityError("至少需要一个成果类型", key=key)
    if len({code for code, _ in result}) != len(result):
        raise EligibilityError("成果类型代码重复", key=key)
    return tuple(result)


def _dump(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, tuple) and value and all(isinstance(v, tuple) for v in value):
        return dict(value)
    if isinstance(value, tuple):
        return list(value)
    return value


# --- rules ---------------------------------------------------------------------------------

_RULE_TYPES: dict[str, type[EligibilityRule]] = {}
RULE_TYPES: Mapping[str, type[EligibilityRule]] = MappingProxyType(_RULE_TYPES)


class EligibilityRule(ABC):
    """A rule: a frozen dataclass with a stable `code` and its parameters as fields (`PARAMS`
    names each parameter's converter, used both on construction and by the JSON loader)."""

    __slots__ = ()
    code: ClassVar[str]
    PARAMS: ClassVar[Mapping[str, Converter]] = {}

    def __post_init__(self) -> None:
        for name, convert in self.PARAMS.items():
            object.__setattr__(self, name, convert(getattr(self, name), name))

    @property
    @abstractmethod
    def label(self) -> str:
        """What the rule requires, in Chinese."""

    @abstractmethod
    def check(self, facts: NominationFacts) -> tuple[bool, str]:
        """(passed, explanation)."""

    def evaluate(self, facts: NominationFacts) -> RuleResult:
        passed, explanation = self.check(facts)
        return RuleResult(code=self.code, label=self.label, passed=passed, explanation=explanation)

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code} | {name: _dump(getattr(self, name)) for name in self.PARAMS}


_R = TypeVar("_R", bound=type[EligibilityRule])


def register(cls: _R) -> _R:
    """Make a rule type loadable by its code (codes are stored in JSON, so never reuse one)."""
    if cls.code in _RULE_TYPES:
        raise ValueError(f"duplicate eligibility rule code {cls.code}")
    _RULE_TYPES[cls.code] = cls
    return cls


def _add_months(day: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the end of a shorter month."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year = day.year + years
    last = calendar.monthrange(year, month0 + 1)[1]
    return date(year, month0 + 1, min(day.day, last))


def _full_months(start: date, end: date) -> int:
    """Whole months from `start` to `end` (start ≤ end)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - 1 if _add_months(start, months) > end else months


@register
@dataclass(frozen=True, slots=True)
class OutcomeTypeIs(EligibilityRule):
    """The award is open to these outcome types only (`types`: code → name)."""

    code: ClassVar[str] = "outcome_type"
    PARAMS: ClassVar[Mapping[str, Converter]] = {"types": _type_labels}
    types: tuple[tuple[str, str], ...]

    @property
    def label(self) -> str:
        return f"成果类型为{'、'.join(name for _, name in self.types)}"

    def check(self, facts: NominationFacts) -> tuple[bool, str]:
        names = dict(self.types)
        if facts.outcome_type in names:
            return True, f"成果类型为“{names[facts.outcome_type]}”，符合"
        allowed = "、".join(names.values())
        return False, f"成果类型为“{facts.outcome_type}”，本奖项仅限：{allowed}"


@register
@dataclass(frozen=True, slots=True)
class ProvenFor(EligibilityRule):
    """Applied in practice for at least `min_months` whole months by the evaluation date."""

    code: ClassVar[str] = "proven_months"
    PARAMS: ClassVar[Mapping[str, Converter]] = {"min_months": _whole(1)}
    min_months: int = 12

    @property
    def label(self) -> str:
        return f"已应用满 {self.min_months} 个月"

    def check(self, facts: NominationFacts) -> tuple[bool, str]:
        since, on = facts.proven_since, facts.evaluated_on
        required = f"要求 ≥{self.min_months} 个月"
        if since is None:
            return False, f"未填写应用起始日期，无法确认应用时长；{required}"
        if since > on:
            return False, f"应用起始日 {since.isoformat()} 晚于评审日 {on.isoformat()}；{required}"
        months = _full_months(since, on)
        verdict = "符合" if months >= self.min_months else "不足"
        return (
            months >= self.min_months,
            f"自 {since.isoformat()} 起至评审日 {on.isoformat()} 已应用 {months} 个月，{required}，{verdict}",
        )


@register
@dataclass(frozen=True, slots=True)
class CompletedWithinYears(EligibilityRule):
    """Completed within the last `years` years of the evaluation date (that day included)."""

    code: ClassVar[str] = "completed_within_years"
    PARAMS: ClassVar[Mapping[str, Converter]] = {"years": _whole(1)}
    years: int = 3

    @property
    def label(self) -> str:
        return f"近 {self.years} 年内完成"

    def check(self, facts: NominationFacts) -> tuple[bool, str]:
        done, on = facts.completed_on, facts.evaluated_on
        earliest = _add_months(on, -12 * self.years)
        window = f"评审日 {on.isoformat()}，要求在 {earliest.isoformat()} 至 {on.isoformat()} 之间完成（近 {self.years} 年）"
        if done is None:
            return False, f"未填写完成日期；{window}"
        if done > on:
            return False, f"完成日期 {done.isoformat()} 晚于评审日；{window}"
        if done < earliest:
            return False, f"完成于 {done.isoformat()}，早于 {earliest.isoformat()}；{window}，不符合"
        return True, f"完成于 {done.isoformat()}；{window}，符合"


def _first_completer(facts: NominationFacts) -> str:
    position = facts.first_completer.position.strip()
    return f"第一完成人（{position}）" if position else "第一完成人"


@register
@dataclass(frozen=True, slots=True)
class FirstCompleterNotHead(EligibilityRule):
    """The first completer is not an enterprise head (企业负责人)."""

    code: ClassVar[str] = "first_completer_not_head"

    @property
    def label(self) -> str:
        return "第一完成人不是企业负责人"

    def check(self, facts: NominationFacts) -> tuple[bool, str]:
        who = _first_completer(facts)
        if facts.first_completer.is_enterprise_head:
            return False, f"{who}是企业负责人，不符合"
        return True, f"{who}不是企业负责人，符合"


@register
@dataclass(frozen=True, slots=True)
class FirstCompleterNoSeniorTitle(EligibilityRule):
    """The first completer holds no senior professional title (高级职称)."""

    code: ClassVar[str] = "first_completer_no_senior_title"

    @property
    def label(self) -> str:
        return "第一完成人无高级职称"

    def check(self, facts: NominationFacts) -> tuple[bool, str]:
        who = _first_completer(facts)
        if facts.first_completer.has_senior_title:
            return False, f"{who}具有高级职称，不符合"
        return True, f"{who}无高级职称，符合"


@register
@dataclass(frozen=True, slots=True)
class NotAwardedAtOrAbove(EligibilityRule):
    """Not already awarded at `level` or above (None: at the target level or above).

    `awards` limits the check to those award codes; empty means any award counts.
    """

    code: ClassVar[str] = "not_awarded_at_or_above"
    PARAMS: ClassVar[Mapping[str, Converter]] = {"level": _level_or_target, "awards": _str_list}
    level: str | None = None
    awards: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        if self.level is None:
            where = "申报层级及以上"
        elif self.level == AWARD_LEVELS[-1]:
            where = _level_label(self.level)
        else:
            where = f"{_level_label(self.level)}及以上"
        limited = f"（限 {'、'.join(self.awards)}）" if self.awards else ""
        return f"未获{where}奖励{limited}"

    def check(self, facts: NominationFacts) -> tuple[bool, str]:
        threshold = self.level or facts.target_level
        where = (
            _level_label(threshold) if threshold == AWARD_LEVELS[-1] else f"{_level_label(threshold)}及以上"
        )
        counted = [a for a in facts.prior_awards if not self.awards or a.award in self.awards]
        blocking = [a for a in counted if _RANK[a.level] >= _RANK[threshold]]
        if blocking:
            listed = "；".join(a.describe() for a in blocking)
            return False, f"已获 {listed}，已有{where}奖励的不再推荐"
        if facts.prior_awards:
            listed = "；".join(a.describe() for a in facts.prior_awards)
            return True, f"未获{where}奖励（已有：{listed}），符合"
        return True, f"无既往奖励，未获{where}奖励，符合"


@register
@dataclass(frozen=True, slots=True)
class OneLevelUp(EligibilityRule):
    """Nomination goes one level up at a time: the target is the rung right above the level
    already reached (the first rung when none is reached yet). `ladder` may skip levels an
    organisation does not use, e.g. enterprise → city → province → national."""

    code: ClassVar[str] = "one_level_up"
    PARAMS: ClassVar[Mapping[str, Converter]] = {"ladder": _ladder}
    ladder: tuple[str, ...] = AWARD_LEVELS

    @property
    def label(self) -> str:
        return "逐级推荐（每次只上一级）"

    def check(self, facts: NominationFacts) -> tuple[bool, str]:
        ladder = "→".join(_level_label(level) for level in self.ladder)
        current, target = facts.current_level, facts.target_level
        if target not in self.ladder:
            return False, f"申报层级“{_level_label(target)}”不在推荐序列（{ladder}）中"
        if current is None:
            reached, expected = "尚未获得任何层级认定", self.ladder[0]
        elif current not in self.ladder:
            return False, f"已达层级“{_level_label(current)}”不在推荐序列（{ladder}）中"
        elif current == self.ladder[-1]:
            return False, f"已达最高层级“{_level_label(current)}”，无法再向上推荐"
        else:
            reached, expected = (
                f"已获{_level_label(current)}认定",
                self.ladder[self.ladder.index(current) + 1],
            )
        asked = f"{reached}，本次申报{_level_label(target)}"
        if target == expected:
            return True, f"{asked}，符合逐级推荐"
        return False, f"{asked}；须逐级推荐（{ladder}），下一级应为{_level_label(expected)}"


@register
@dataclass(frozen=True, slots=True)
class VerifiedBenefit(EligibilityRule):
    """The yearly benefit is verified (核验) and at least `min_amount` yuan. With the default
    0 any verified benefit that is not a net loss qualifies."""

    code: ClassVar[str] = "verified_benefit"
    PARAMS: ClassVar[Mapping[str, Converter]] = {"min_amount": _money}
    min_amount: Decimal = ZERO

    @property
    def label(self) -> str:
        return "年效益已核验" if self.min_amount == ZERO else f"核验年效益不低于 {_yuan(self.min_amount)}"

    def check(self, facts: NominationFacts) -> tuple[bool, str]:
        required = f"要求已核验且 ≥{_yuan(self.min_amount)}"
        value = facts.verified_yearly_benefit
        if value is None:
            return False, f"年效益尚未核验；{required}"
        passed = value >= self.min_amount
        return passed, f"核验年效益 {_yuan(value)}，{required}，{'符合' if passed else '不足'}"


def _yuan(value: Decimal) -> str:
    return f"{round_cent(value):,} 元"


# --- awards --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AwardRules:
    """An award (奖项): code, name and its rules in the order staff read them."""

    code: str
    label: str
    rules: tuple[EligibilityRule, ...] = field(default=())

    def __post_init__(self) -> None:
        for key in ("code", "label"):
            value = getattr(self, key)
            if not isinstance(value, str) or not value.strip():
                raise EligibilityError("必须是非空字符串", key=key)
        if not self.rules:
            raise EligibilityError("奖项至少需要一条规则", key="rules")
        codes = [rule.code for rule in self.rules]
        duplicated = sorted({code for code in codes if codes.count(code) > 1})
        if duplicated:
            raise EligibilityError(f"规则重复：{'、'.join(duplicated)}", key="rules")

    def to_dict(self) -> dict[str, object]:
        """The JSON form read back by `rules_from_dict`."""
        return {"code": self.code, "label": self.label, "rules": [rule.to_dict() for rule in self.rules]}


ADVANCED_OPERATION_METHOD = AwardRules(
    code="operation_method",
    label="先进操作法",
    rules=(
        OutcomeTypeIs(types=(("operation_method", "先进操作法"),)),
        OneLevelUp(),
        ProvenFor(min_months=12),
        CompletedWithinYears(years=3),
        FirstCompleterNotHead(),
        FirstCompleterNoSeniorTitle(),
        NotAwardedAtOrAbove(level="national"),
    ),
)

INNOVATION_OUTCOME = AwardRules(
    code="innovation_outcome",
    label="职工创新成果",
    rules=(
        OneLevelUp(),
        VerifiedBenefit(min_amount=ZERO),
        CompletedWithinYears(years=3),
        NotAwardedAtOrAbove(level=None),
    ),
)


def check_eligibility(rules: AwardRules, facts: NominationFacts) -> EligibilityResult:
    """Evaluate every rule of the award (never stopping at a failure); eligible if all pass."""
    results = tuple(rule.evaluate(facts) for rule in rules.rules)
    return EligibilityResult(eligible=all(r.passed for r in results), results=results)


# --- loading stored rules ------------------------------------------------------------------

_AWARD_KEYS = ("code", "label", "rules")


def _rule_from_dict(data: object, where: str) -> EligibilityRule:
    if not isinstance(data, Mapping):
        raise EligibilityError("每条规则必须是对象", key=where)
    if "code" not in data:
        raise EligibilityError("缺少规则代码", key=f"{where}.code")
    code = data["code"]
    if not isinstance(code, str) or code not in RULE_TYPES:
        known = "、".join(sorted(RULE_TYPES))
        raise EligibilityError(f"未知的规则代码 {code!r}，可选：{known}", key=f"{where}.code")
    rule_type = RULE_TYPES[code]
    params = {key: value for key, value in data.items() if key != "code"}
    for key in params:
        if key not in rule_type.PARAMS:
            allowed = "、".join(rule_type.PARAMS) or "无"
            raise EligibilityError(
                f"规则 {code} 没有参数 {key!r}（可用参数：{allowed}）", key=f"{where}.{key}"
            )
    try:
        return rule_type(**params)
    except EligibilityError as error:
        raise EligibilityError(error.problem, key=f"{where}.{error.key}") from None
    except TypeError:
        missing = [name for name in rule_type.PARAMS if name not in params]
        raise EligibilityError(f"规则 {code} 缺少参数：{'、'.join(missing)}", key=where) from None


def rules_from_dict(data: Mapping[str, object]) -> AwardRules:
    """Rebuild an award's rules from stored JSON, strictly.

    Shape: ``{"code": ..., "label": ..., "rules": [{"code": <rule code>, <param>: ...}, ...]}``;
    an unknown or missing key, an unknown rule code or a bad parameter raises
    `EligibilityError` naming the key (``rules[1].min_months``).
    """
    if not isinstance(data, Mapping):
        raise EligibilityError("奖项规则必须是对象")
    for key in data:
        if key not in _AWARD_KEYS:
            raise EligibilityError(f"未知的键 {key!r}（可用：{'、'.join(_AWARD_KEYS)}）", key=str(key))
    for key in _AWARD_KEYS:
        if key not in data:
            raise EligibilityError("缺少此键", key=key)
    raw_rules = data["rules"]
    if isinstance(raw_rules, str | bytes) or not isinstance(raw_rules, list | tuple):
        raise EligibilityError("必须是规则列表", key="rules")
    code, label = data["code"], data["label"]
    for key, value in (("code", code), ("label", label)):
        if not isinstance(value, str):
            raise EligibilityError("必须是非空字符串", key=key)
    rules = tuple(_rule_from_dict(item, f"rules[{index}]") for index, item in enumerate(raw_rules))
    return AwardRules(code=str(code), label=str(label), rules=rules)
