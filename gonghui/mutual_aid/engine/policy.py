"""The policy file (互助计划 YAML): strict loader into frozen dataclasses.

The file is the contract staff edit (spec/mutual_aid.md, "Policy file"): anything the engine
would have to guess about — an unknown key, a gap between tiers, a category the assessor
does not know — rejects the whole file. Every problem is reported at once with its key path
and line number, so staff can fix a file in one round.

Numbers are parsed from the YAML *text* into `Decimal` (never through float), so `0.1` in
the file is exactly 0.1 in the engine.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Literal, cast

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from gonghui.mutual_aid.engine.records import MED_TYPES, Sex

Kind = Literal["tiered_ratio", "per_day", "lump_sum"]

KINDS: dict[str, str] = {
    "tiered_ratio": "分段比例（按年度累计的政策范围内个人负担）",
    "per_day": "按住院天数定额",
    "lump_sum": "一次性定额",
}

# The project's copy of the critical-illness catalogue; its `code` column is the set of
# category codes a policy may name.
CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "data" / "critical_illness.csv"

# Fallback when the project catalogue is not installed: the category codes of the shared
# starting catalogue (the codes are part of the contract in spec/mutual_aid.md).
CONTRACT_CATEGORY_CODES: frozenset[str] = frozenset(
    {
        "malignant_tumor", "acute_mi", "stroke_sequelae", "organ_transplant", "cabg",
        "ckd_end_stage", "multiple_limb_loss", "fulminant_hepatitis", "benign_brain_tumor",
        "chronic_liver_failure", "encephalitis_sequelae", "deep_coma", "deafness",
        "blindness", "paralysis", "heart_valve_surgery", "alzheimer", "brain_injury",
        "parkinson", "severe_burns", "pulmonary_hypertension", "motor_neuron_disease",
        "aphasia", "aplastic_anemia", "aorta_surgery", "chronic_respiratory_failure",
        "crohn", "ulcerative_colitis", "mild_malignant_tumor", "in_situ", "thyroid_cancer",
        "female_cancer", "hysterectomy",
    }
)  # fmt: skip

ROOT = "(root)"


@dataclass(frozen=True, slots=True)
class Tier:
    """One band of a tiered ratio: `ratio` of the part of the accumulated base in
    [`lower`, `upper`); `upper` None means no upper bound."""

    lower: Decimal
    upper: Decimal | None
    ratio: Decimal


@dataclass(frozen=True, slots=True)
class Benefit:
    """One benefit (补助) of an item: when it applies (med types, hospital level,
    critical-illness categories) and how much it pays (`kind`), capped by `cap` per member
    and period."""

    code: str
    kind: Kind
    name: str = ""
    med_types: frozenset[str] | None = None
    min_hosp_level: int | None = None
    categories: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    cap: Decimal | None = None
    tiers: tuple[Tier, ...] = ()
    per_day: Decimal | None = None
    amount: Decimal | None = None
    line: int = 0


@dataclass(frozen=True, slots=True)
class Item:
    """One item (互助项目) members enrol in and pay a fee for; its benefits share
    `period_cap` per member and period. First-time joiners wait `waiting_days`."""

    code: str
    name: str
    fee: Decimal
    period_cap: Decimal
    benefits: tuple[Benefit, ...]
    waiting_days: int = 0
    claim_deadline: tuple[int, int] | None = None  # (month, day) of the next year
    sex: Sex | None = None
    line: int = 0

    def claim_deadline_date(self, year: int) -> date | None:
        """Last day to claim for settlements of `year` (the deadline is in the next year)."""
        if self.claim_deadline is None:
            return None
        month, day = self.claim_deadline
        return date(year + 1, month, day)


@dataclass(frozen=True, slots=True)
class Plan:
    """A year's mutual-aid plan (互助计划) as loaded from its policy file.

    `digest` (SHA-256 of the file) identifies the version a result was computed with.
    """

    name: str
    year: int
    items: tuple[Item, ...]
    digest: str = ""
    source: str = ""

    def item(self, code: str) -> Item:
        """The item with this code (KeyError if none)."""
        for item in self.items:
            if item.code == code:
                return item
        raise KeyError(code)

    def benefit(self, code: str) -> tuple[Item, Benefit]:
        """The benefit with this code and its item (benefit codes are unique in a plan)."""
        for item in self.items:
            for benefit in item.benefits:
                if benefit.code == code:
                    return item, benefit
        raise KeyError(code)


@dataclass(frozen=True, slots=True)
class PolicyIssue:
    """One problem in a policy file: key path, 1-based line, Chinese message."""

    path: str
    line: int | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}（第 {self.line} 行）" if self.line else self.path
        return f"{where}: {self.message}"


class PolicyError(ValueError):
    """A policy file was rejected; `errors` lists every problem found, in file order."""

    def __init__(self, errors: Iterable[PolicyIssue], source: str = "") -> None:
        self.errors: list[PolicyIssue] = sorted(errors, key=lambda e: (e.line or 0, e.path))
        self.source = source
        head = (
            f"互助计划文件 {source} 有 {len(self.errors)} 处错误"
            if source
            else (f"互助计划文件有 {len(self.errors)} 处错误")
        )
        super().__init__("\n".join([head, *(str(e) for e in self.errors)]))


@lru_cache(maxsize=1)
def default_known_categories() -> frozenset[str]:
    """Category codes of the project's critical-illness catalogue (its `code` column).

    Falls back to the contract's codes when the catalogue file is not installed.
    """
    if not CATALOGUE_PATH.exists():
        return CONTRACT_CATEGORY_CODES
    with CATALOGUE_PATH.open(encoding="utf-8-sig", newline="") as fh:
        codes = {(row.get("code") or "").strip() for row in csv.DictReader(fh)}
    codes.discard("")
    return frozenset(codes) or CONTRACT_CATEGORY_CODES


def load_policy(path: str | Path, *, known_categories: Collection[str] | None = None) -> Plan:
    """Read and validate a policy file; raise `PolicyError` listing every problem."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        issue = PolicyIssue(ROOT, None, f"无法读取文件：{exc.strerror}")
        raise PolicyError([issue], str(p)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        issue = PolicyIssue(ROOT, None, f"文件不是 UTF-8 编码（第 {exc.start} 字节）")
        raise PolicyError([issue], str(p)) from None
    return parse_policy(text, known_categories=known_categories, source=str(p))


def parse_policy(text: str, *, known_categories: Collection[str] | None = None, source: str = "") -> Plan:
    """Validate policy YAML text and build the `Plan`; raise `PolicyError` on any problem."""
    known = frozenset(known_categories) if known_categories is not None else (default_known_categories())
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        msg = f"YAML 语法错误：{exc.problem or exc.context or ''}".rstrip("：")
        raise PolicyError([PolicyIssue(ROOT, line, msg)], source) from None
    except yaml.YAMLError as exc:
        raise PolicyError([PolicyIssue(ROOT, None, f"YAML 语法错误：{exc}")], source) from None
    if root is None:
        raise PolicyError([PolicyIssue(ROOT, None, "文件为空")], source)
    parser = _Parser(known)
    plan = parser.plan(root)
    if parser.issues or plan is None:
        raise PolicyError(parser.issues, source)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Plan(name=plan.name, year=plan.year, items=plan.items, digest=digest, source=source)


# --- parsing ----------------------------------------------------------------------------

_NUMBER = re.compile(r"[+-]?\d[\d_]*(?:\.\d+)?")
_CODE = re.compile(r"[a-z][a-z0-9_]*")
_DEADLINE = re.compile(r"(\d\d)-(\d\d)")
_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_STR = "tag:yaml.org,2002:str"
_TAG_INT = "tag:yaml.org,2002:int"
_TAG_FLOAT = "tag:yaml.org,2002:float"

_PLAN_KEYS = ({"plan", "year", "items"}, set[str]())
_ITEM_KEYS = (
    {"code", "name", "fee", "period_cap", "benefits"},
    {"waiting_days", "claim_deadline", "sex"},
)
_BENEFIT_COMMON = {"code", "kind"}
_BENEFIT_OPTIONAL = {"name", "med_types", "min_hosp_level", "categories", "cap"}
# Keys each kind requires, and keys only that kind may use.
_KIND_KEYS: dict[str, tuple[set[str], set[str]]] = {
    "tiered_ratio": ({"tiers"}, set()),
    "per_day": ({"per_day"}, set()),
    "lump_sum": ({"amount"}, {"excludes"}),
}
_KIND_ONLY = {"tiers", "per_day", "amount", "excludes"}


def _line(node: Node) -> int:
    return int(node.start_mark.line) + 1


@dataclass
class _Parser:
    """Walks the YAML node tree, collecting issues instead of stopping at the first."""

    known_categories: frozenset[str]
    issues: list[PolicyIssue] = field(default_factory=list)
    item_lines: dict[str, int] = field(default_factory=dict)  # item code → line of first use
    benefit_lines: dict[str, int] = field(default_factory=dict)
    # (path, node, referring benefit code, referenced code), checked once all are known.
    excludes_refs: list[tuple[str, Node, str, str]] = field(default_factory=list)

    def error(self, path: str, node: Node | None, message: str) -> None:
        self.issues.append(PolicyIssue(path, _line(node) if node is not None else None, message))

    # -- structure -----------------------------------------------------------------------

    def mapping(
        self, node: Node, path: str, required: set[str], optional: set[str]
    ) -> dict[str, tuple[Node, Node]] | None:
        """Keys → (key node, value node); reports unknown, duplicate and missing keys."""
        if not isinstance(node, MappingNode):
            self.error(path, node, "应为映射（键: 值）")
            return None
        allowed = required | optional
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.error(path, key_node, "键应为文本")
                continue
            sub = _join(path, key)
            if key in out:
                self.error(sub, key_node, f"重复的键（第 {_line(out[key][0])} 行已出现）")
                continue
            if key not in allowed:
                self.error(sub, key_node, f"未知的键「{key}」；允许的键：{_list(allowed)}")
                continue
            out[key] = (key_node, value_node)
        for key in sorted(required - out.keys()):
            self.error(_join(path, key), node, "缺少必填的键")
        return out

    def sequence(self, node: Node, path: str, *, non_empty: str | None = None) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.error(path, node, "应为列表")
            return []
        if non_empty and not node.value:
            self.error(path, node, non_empty)
        return list(node.value)

    # -- scalars -------------------------------------------------------------------------

    def text(self, node: Node, path: str) -> str | None:
        if not isinstance(node, ScalarNode) or node.tag != _TAG_STR or not node.value.strip():
            self.error(path, node, "应为非空文本")
            return None
        return str(node.value).strip()

    def code(self, node: Node, path: str) -> str | None:
        value = self.text(node, path)
        if value is not None and not _CODE.fullmatch(value):
            self.error(path, node, "代码只能由小写英文字母、数字和下划线组成，且以字母开头")
            return None
        return value

    def decimal(self, node: Node, path: str) -> Decimal | None:
        """A number written as plain decimal text (int, float or quoted), never via float."""
        ok_tag = isinstance(node, ScalarNode) and node.tag in (
            _TAG_INT,
            _TAG_FLOAT,
            _TAG_STR,
        )
        raw = str(node.value).strip() if isinstance(node, ScalarNode) else ""
        if not ok_tag or not _NUMBER.fullmatch(raw):
            self.error(path, node, "应为数字（如 1000 或 0.5）")
            return None
        try:
            return Decimal(raw.replace("_", ""))
        except InvalidOperation:  # pragma: no cover - the regex admits only valid text
            self.error(path, node, "应为数字（如 1000 或 0.5）")
            return None

    def money(self, node: Node, path: str) -> Decimal | None:
        value = self.decimal(node, path)
        if value is None:
            return None
        if value < 0:
            self.error(path, node, "金额不能为负数")
            return None
        if _decimals(value) > 2:
            self.error(path, node, "金额最多两位小数（单位：元）")
            return None
        return value

    def ratio(self, node: Node, path: str) -> Decimal | None:
        value = self.decimal(node, path)
        if value is None:
            return None
        if value < 0:
            self.error(path, node, "比例不能为负数")
            return None
        if value > 1:
            self.error(path, node, "比例不能大于 1")
            return None
        return value

    def integer(self, node: Node, path: str, low: int, high: int, what: str) -> int | None:
        value = self.decimal(node, path)
        if value is None:
            return None
        if value != value.to_integral_value():
            self.error(path, node, f"{what}应为整数")
            return None
        if not low <= value <= high:
            if value < 0 and low == 0:
                self.error(path, node, f"{what}不能为负数")
            else:
                self.error(path, node, f"{what}应在 {low} 到 {high} 之间")
            return None
        return int(value)

    # -- plan ----------------------------------------------------------------------------

    def plan(self, root: Node) -> Plan | None:
        keys = self.mapping(root, ROOT, *_PLAN_KEYS)
        if keys is None:
            return None
        name = self.text(keys["plan"][1], "plan") if "plan" in keys else None
        year = self.integer(keys["year"][1], "year", 2000, 2100, "年度") if "year" in keys else None
        items: list[Item] = []
        if "items" in keys:
            nodes = self.sequence(keys["items"][1], "items", non_empty="至少需要一个项目")
            for i, node in enumerate(nodes):
                item = self.item(node, f"items[{i}]", year)
                if item is not None:
                    items.append(item)
        self.check_excludes()
        if name is None or year is None or self.issues:
            return None
        return Plan(name=name, year=year, items=tuple(items))

    def check_excludes(self) -> None:
        """`excludes` must name another benefit of the plan (codes are unique plan-wide)."""
        for path, node, own_code, ref in self.excludes_refs:
            if ref == own_code:
                self.error(path, node, "不能排除自身")
            elif ref not in self.benefit_lines:
                self.error(path, node, f"excludes 引用了不存在的补助代码「{ref}」")

    def unique(self, seen: dict[str, int], code: str, path: str, node: Node, what: str) -> None:
        if code in seen:
            self.error(path, node, f"{what}「{code}」重复（第 {seen[code]} 行已使用）")
        else:
            seen[code] = _line(node)

    def item(self, node: Node, path: str, year: int | None) -> Item | None:
        keys = self.mapping(node, path, *_ITEM_KEYS)
        if keys is None:
            return None
        errors_before = len(self.issues)
        code = self.code(keys["code"][1], f"{path}.code") if "code" in keys else None
        if code is not None:
            self.unique(self.item_lines, code, f"{path}.code", keys["code"][1], "项目代码")
        name = self.text(keys["name"][1], f"{path}.name") if "name" in keys else None
        fee = self.money(keys["fee"][1], f"{path}.fee") if "fee" in keys else None
        period_cap = None
        if "period_cap" in keys:
            period_cap = self.money(keys["period_cap"][1], f"{path}.period_cap")
        waiting_days: int | None = 0
        if "waiting_days" in keys:
            waiting_days = self.integer(
                keys["waiting_days"][1], f"{path}.waiting_days", 0, 3660, "等待期天数"
            )
        deadline = None
        if "claim_deadline" in keys:
            deadline = self.deadline(keys["claim_deadline"][1], f"{path}.claim_deadline", year)
        sex: Sex | None = None
        if "sex" in keys:
            sex = self.sex(keys["sex"][1], f"{path}.sex")
        benefits: list[Benefit] = []
        if "benefits" in keys:
            nodes = self.sequence(keys["benefits"][1], f"{path}.benefits", non_empty="至少需要一项补助")
            for j, b_node in enumerate(nodes):
                benefit = self.benefit(b_node, f"{path}.benefits[{j}]")
                if benefit is not None:
                    benefits.append(benefit)
        if len(self.issues) > errors_before:
            return None
        if code is None or name is None or fee is None or period_cap is None:
            return None
        return Item(
            code=code,
            name=name,
            fee=fee,
            period_cap=period_cap,
            benefits=tuple(benefits),
            waiting_days=waiting_days or 0,
            claim_deadline=deadline,
            sex=sex,
            line=_line(node),
        )

    def deadline(self, node: Node, path: str, year: int | None) -> tuple[int, int] | None:
        raw = str(node.value).strip() if isinstance(node, ScalarNode) else ""
        match = _DEADLINE.fullmatch(raw) if isinstance(node, ScalarNode) else None
        if match is not None:
            month, day = int(match.group(1)), int(match.group(2))
            # The deadline falls in the year after the plan year; 02-29 only when it exists.
            try:
                date((year or 2000) + 1, month, day)
            except ValueError:
                pass
            else:
                return month, day
        self.error(path, node, '应为次年的月-日，格式「MM-DD」，如 "03-31"')
        return None

    def sex(self, node: Node, path: str) -> Sex | None:
        value = node.value if isinstance(node, ScalarNode) and node.tag == _TAG_STR else None
        if value in ("M", "F"):
            return cast(Sex, value)
        self.error(path, node, "性别应为 M（男）或 F（女）")
        return None

    def benefit(self, node: Node, path: str) -> Benefit | None:
        if not isinstance(node, MappingNode):
            self.error(path, node, "应为映射（键: 值）")
            return None
        kind_node = next((v for k, v in node.value if getattr(k, "value", None) == "kind"), None)
        kind: str | None = None
        if kind_node is not None:
            kind = self.text(kind_node, f"{path}.kind")
            if kind is not None and kind not in KINDS:
                self.error(
                    f"{path}.kind",
                    kind_node,
                    f"未知的 kind「{kind}」；可选：{_list(KINDS)}",
                )
                kind = None
        errors_before = len(self.issues)
        required, only = _KIND_KEYS[kind] if kind is not None else (set(), _KIND_ONLY)
        # Keys of the other kinds are accepted by `mapping` and reported below as a kind
        # mismatch, which tells staff more than "unknown key".
        keys = self.mapping(node, path, _BENEFIT_COMMON | required, _BENEFIT_OPTIONAL | _KIND_ONLY)
        if keys is None:
            return None
        for key in sorted(_KIND_ONLY - required - only):
            if key in keys:
                self.error(_join(path, key), keys[key][0], f"kind: {kind} 不使用该键")
        code = self.code(keys["code"][1], f"{path}.code") if "code" in keys else None
        if code is not None:
            self.unique(self.benefit_lines, code, f"{path}.code", keys["code"][1], "补助代码")
        name = self.text(keys["name"][1], f"{path}.name") if "name" in keys else ""
        med_types = (
            self.med_types(keys["med_types"][1], f"{path}.med_types") if ("med_types" in keys) else None
        )
        min_level = None
        if "min_hosp_level" in keys:
            min_level = self.integer(keys["min_hosp_level"][1], f"{path}.min_hosp_level", 1, 3, "医院等级")
        categories: tuple[str, ...] = ()
        if "categories" in keys:
            categories = self.categories(keys["categories"][1], f"{path}.categories")
        excludes: tuple[str, ...] = ()
        if "excludes" in keys:
            excludes = self.code_list(keys["excludes"][1], f"{path}.excludes")
            refs = keys["excludes"][1].value if isinstance(keys["excludes"][1], SequenceNode) else []
            for j, ref_node in enumerate(refs):
                if getattr(ref_node, "value", None) in excludes:
                    self.excludes_refs.append(
                        (
                            f"{path}.excludes[{j}]",
                            ref_node,
                            code or "",
                            str(ref_node.value),
                        )
                    )
        cap = self.money(keys["cap"][1], f"{path}.cap") if "cap" in keys else None
        tiers: tuple[Tier, ...] = ()
        if "tiers" in keys:
            tiers = self.tiers(keys["tiers"][1], f"{path}.tiers")
        per_day = self.money(keys["per_day"][1], f"{path}.per_day") if "per_day" in keys else None
        amount = self.money(keys["amount"][1], f"{path}.amount") if "amount" in keys else None
        if len(self.issues) > errors_before or kind is None or code is None:
            return None
        return Benefit(
            code=code,
            kind=cast(Kind, kind),
            name=name or "",
            med_types=med_types,
            min_hosp_level=min_level,
            categories=categories,
            excludes=excludes,
            cap=cap,
            tiers=tiers,
            per_day=per_day,
            amount=amount,
            line=_line(node),
        )

    def med_types(self, node: Node, path: str) -> frozenset[str] | None:
        nodes = self.sequence(node, path, non_empty="不能为空列表；不限医疗类别时请删除该键")
        out: set[str] = set()
        for i, sub in enumerate(nodes):
            value = str(sub.value).strip() if isinstance(sub, ScalarNode) else None
            if value not in MED_TYPES:
                self.error(
                    f"{path}[{i}]",
                    sub,
                    f"未知的医疗类别「{value}」；可选：{_list(MED_TYPES)}",
                )
            elif value in out:
                self.error(f"{path}[{i}]", sub, f"医疗类别「{value}」重复")
            else:
                out.add(value)
        return frozenset(out)

    def code_list(self, node: Node, path: str) -> tuple[str, ...]:
        nodes = self.sequence(node, path, non_empty="不能为空列表")
        out: list[str] = []
        for i, sub in enumerate(nodes):
            value = self.code(sub, f"{path}[{i}]")
            if value is None:
                continue
            if value in out:
                self.error(f"{path}[{i}]", sub, f"「{value}」重复")
            else:
                out.append(value)
        return tuple(out)

    def categories(self, node: Node, path: str) -> tuple[str, ...]:
        codes = self.code_list(node, path)
        nodes = node.value if isinstance(node, SequenceNode) else []
        for i, sub in enumerate(nodes):
            value = getattr(sub, "value", None)
            if value in codes and value not in self.known_categories:
                self.error(f"{path}[{i}]", sub, f"未知的重疾类别代码「{value}」")
        return codes

    def tiers(self, node: Node, path: str) -> tuple[Tier, ...]:
        """Tiers must start at 0, be contiguous and increasing; only the last is open."""
        nodes = self.sequence(node, path, non_empty="至少需要一档")
        tiers: list[Tier] = []
        previous: Tier | None = None
        for i, sub in enumerate(nodes):
            sub_path = f"{path}[{i}]"
            keys = self.mapping(sub, sub_path, {"from", "to", "ratio"}, set())
            if keys is None or len(keys) < 3:
                previous = None
                continue
            lower = self.money(keys["from"][1], f"{sub_path}.from")
            to_node = keys["to"][1]
            upper: Decimal | None = None
            upper_ok = True
            if not (isinstance(to_node, ScalarNode) and to_node.tag == _TAG_NULL):
                upper = self.money(to_node, f"{sub_path}.to")
                upper_ok = upper is not None
            ratio = self.ratio(keys["ratio"][1], f"{sub_path}.ratio")
            if lower is None or ratio is None or not upper_ok:
                previous = None
                continue
            ok = True
            if i == 0 and lower != 0:
                self.error(f"{sub_path}.from", keys["from"][1], "第一档必须从 0 开始")
                ok = False
            if previous is not None:
                if previous.upper is None:
                    self.error(
                        f"{sub_path}.from",
                        keys["from"][1],
                        "档次必须连续且递增（上一档已不设上限，不能再有下一档）",
                    )
                    ok = False
                elif lower != previous.upper:
                    gap = "有空档" if lower > previous.upper else "重叠"
                    self.error(
                        f"{sub_path}.from",
                        keys["from"][1],
                        f"档次必须连续且递增（上一档到 {previous.upper}，本档从 {lower} 开始，{gap}）",
                    )
                    ok = False
            if upper is not None and upper <= lower:
                self.error(f"{sub_path}.to", to_node, "档次上限必须大于下限")
                ok = False
            previous = Tier(lower=lower, upper=upper, ratio=ratio)
            if ok:
                tiers.append(previous)
        return tuple(tiers)


def _join(path: str, key: str) -> str:
    return key if path == ROOT else f"{path}.{key}"


def _list(values: Iterable[str]) -> str:
    return ", ".join(sorted(values))


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0
