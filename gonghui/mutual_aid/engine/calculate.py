"""The mutual-aid rules engine: what each member is owed under a plan.

Implements "Calculation semantics (normative)" of spec/mutual_aid.md exactly; the policy
simulator and production call the same functions, so they give the same numbers:

* `evaluate_member` replays one member's whole period deterministically (settlements in
  (enddate, setl_id) order, items then benefits in file order) and returns the pay lines
  plus, for explanations, what was *not* paid and why;
* `calculate` does the same for many members (void rows and reversals resolved across the
  whole input first, then grouped by certno).

No ORM and no I/O: inputs are frozen dataclasses, the critical-illness assessor is injected
as a callable `Case -> Assessment`. Money is `Decimal` throughout, rounded down to 0.01
yuan only at the very end of each line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_DOWN, Decimal, localcontext
from typing import Literal

from gonghui.mutual_aid.assessment.types import (
    DECISION_STRENGTH,
    Assessment,
    Case,
    Decision,
    Diagnosis,
    Procedure,
)
from gonghui.mutual_aid.engine.policy import Benefit, Item, Plan, Tier
from gonghui.mutual_aid.engine.records import (
    ZERO,
    Enrolment,
    Settlement,
    Sex,
    in_scope_personal,
    sex_from_certno,
    stay_days,
)

Assessor = Callable[[Case], Assessment]
Status = Literal["auto", "review"]
JSON = dict[str, object]

CENT = Decimal("0.01")

# Why something was not paid: stable code → Chinese label shown to members and staff.
SKIP_REASONS: dict[str, str] = {
    "void": "结算单已作废",
    "reversal": "冲销单（不计算）",
    "reversed": "结算单已被冲销",
    "other_period": "不属于本计划年度",
    "no_benefit": "不符合任何补助的适用条件",
    "not_enrolled": "未参加该互助项目",
    "before_start": "结算日期早于参保开始日期",
    "waiting_period": "首次参保，仍在等待期内",
    "sex": "性别不符合该项目要求",
    "zero_base": "政策范围内个人负担为 0",
    "below_deductible": "累计金额未超过起付标准（比例为 0 的档次）",
    "zero_amount": "补助标准为 0",
    "already_paid": "一次性补助本年度已给付",
    "excluded": "已给付互斥的补助",
    "benefit_cap": "已达到该补助的年度封顶",
    "period_cap": "已达到该项目的年度封顶",
    "rounded_to_zero": "金额不足 0.01 元",
}


# --- assessment ---------------------------------------------------------------------------


def _split(value: str) -> list[str]:
    # Exports sometimes use the full-width semicolon; both separate codes.
    return [part.strip() for part in value.replace("；", ";").split(";")] if value else []


def case_from_settlement(settlement: Settlement) -> Case:
    """The assessor's view of a settlement: diagnoses (codes and names paired by position,
    the first is the main one) and procedures."""
    codes = _split(settlement.diag_codes)
    names = _split(settlement.diag_names)
    diagnoses = tuple(
        Diagnosis(
            code=(codes[i] if i < len(codes) else "") or None,
            name=(names[i] if i < len(names) else "") or None,
        )
        for i in range(max(len(codes), len(names)))
    )
    procedures = tuple(Procedure(code=code) for code in _split(settlement.oprn_codes) if code)
    return Case(
        id=settlement.setl_id,
        diagnoses=tuple(d for d in diagnoses if d.code or d.name),
        procedures=procedures,
    )


class AssessmentCache:
    """Assesses each distinct (diag_codes, diag_names, oprn_codes) once.

    The same diagnosis strings repeat across many settlements, and the assessor (a text
    model behind the code rules) is the costliest step. Usable wherever an `Assessor` is.
    """

    __slots__ = ("_assessor", "_cache", "max_size", "misses")

    def __init__(self, assessor: Assessor, max_size: int = 500_000) -> None:
        self._assessor = assessor
        self._cache: dict[tuple[str, str, str], Assessment] = {}
        self.max_size = max_size
        self.misses = 0

    def __call__(self, case: Case) -> Assessment:
        return self._assessor(case)

    def for_settlement(self, settlement: Settlement) -> Assessment:
        """The (cached) assessment of a settlement's diagnoses and procedures."""
        key = (settlement.diag_codes, settlement.diag_names, settlement.oprn_codes)
        found = self._cache.get(key)
        if found is None:
            self.misses += 1
            if not any(key):
                found = Assessment(case_id=settlement.setl_id)
            else:
                found = self._assessor(case_from_settlement(settlement))
            if len(self._cache) >= self.max_size:
                self._cache.clear()  # bounded memory; a re-assessment is only a cache miss
            self._cache[key] = found
        return found


def _as_cache(assessor: Assessor) -> AssessmentCache:
    return assessor if isinstance(assessor, AssessmentCache) else AssessmentCache(assessor)


# --- results ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TierSlice:
    """The part of this settlement's base that fell in one tier, and what it earned."""

    lower: Decimal
    upper: Decimal | None
    ratio: Decimal
    portion: Decimal
    amount: Decimal

    def as_dict(self) -> JSON:
        """JSON-ready form (Decimal as text)."""
        return {
            "from": str(self.lower),
            "to": None if self.upper is None else str(self.upper),
            "ratio": str(self.ratio),
            "portion": str(self.portion),
            "amount": str(self.amount),
        }


@dataclass(frozen=True, slots=True)
class Coverage:
    """Whether the member was covered by an item on the settlement's end date, and why.

    `waiting_end` is the first covered day of a first-time joiner (None for a renewal);
    `reason` is a `SKIP_REASONS` code when not covered.
    """

    covered: bool
    reason: str | None = None
    start_date: date | None = None
    renewal: bool | None = None
    waiting_days: int = 0
    waiting_end: date | None = None
    sex_required: Sex | None = None
    member_sex: Sex | None = None

    def as_dict(self) -> JSON:
        """JSON-ready form."""
        return {
            "covered": self.covered,
            "reason": self.reason,
            "enrolment_start": _iso(self.start_date),
            "renewal": self.renewal,
            "waiting_days": self.waiting_days,
            "waiting_end": _iso(self.waiting_end),
            "sex_required": self.sex_required,
            "member_sex": self.member_sex,
            "sex_ok": self.sex_required is None or self.sex_required == self.member_sex,
        }


@dataclass(frozen=True, slots=True)
class CategoryHit:
    """A category of the benefit's list found by the assessor, with its strongest decision."""

    code: str
    decision: Decision
    matched_by: str
    probability: float | None = None

    def as_dict(self) -> JSON:
        """JSON-ready form."""
        return {
            "code": self.code,
            "decision": self.decision,
            "matched_by": self.matched_by,
            "probability": self.probability,
        }


@dataclass(frozen=True, slots=True)
class Trace:
    """How one pay line was computed: base, tier slices, raw amount, caps, rounding,
    coverage and matched categories — what the archive keeps and a reviewer reads."""

    rule: str
    kind: str
    base: Decimal
    days: int
    raw: Decimal
    unrounded: Decimal
    amount: Decimal
    coverage: Coverage
    cum_before: Decimal | None = None
    cum_after: Decimal | None = None
    slices: tuple[TierSlice, ...] = ()
    per_day: Decimal | None = None
    lump_sum: Decimal | None = None
    benefit_cap: Decimal | None = None
    benefit_cap_left: Decimal | None = None
    benefit_cap_bound: bool = False
    period_cap: Decimal = ZERO
    period_cap_left: Decimal = ZERO
    period_cap_bound: bool = False
    categories: tuple[CategoryHit, ...] = ()

    def as_dict(self) -> JSON:
        """JSON-ready form (Decimal and dates as text)."""
        out: JSON = {"rule": self.rule, "kind": self.kind, "base": str(self.base)}
        out["days"] = self.days
        if self.kind == "tiered_ratio":
            out["cum_before"] = _str(self.cum_before)
            out["cum_after"] = _str(self.cum_after)
            out["slices"] = [s.as_dict() for s in self.slices]
        if self.per_day is not None:
            out["per_day"] = str(self.per_day)
        if self.lump_sum is not None:
            out["lump_sum"] = str(self.lump_sum)
        out["raw"] = str(self.raw)
        out["benefit_cap"] = (
            None
            if self.benefit_cap is None
            else {
                "cap": str(self.benefit_cap),
                "left": _str(self.benefit_cap_left),
                "bound": self.benefit_cap_bound,
            }
        )
        out["period_cap"] = {
            "cap": str(self.period_cap),
            "left": str(self.period_cap_left),
            "bound": self.period_cap_bound,
        }
        out["unrounded"] = str(self.unrounded)
        out["amount"] = str(self.amount)
        out["coverage"] = self.coverage.as_dict()
        out["categories"] = [c.as_dict() for c in self.categories]
        return out


@dataclass(frozen=True, slots=True)
class PayLine:
    """What one settlement earns from one benefit (only lines with amount > 0 exist).

    `status` is `review` for a categories benefit none of whose matched categories the
    assessor accepts on the code alone; `category` is the first listed category matched.
    """

    setl_id: str
    certno: str
    item: str
    benefit: str
    kind: str
    enddate: date
    base: Decimal
    days: int
    amount: Decimal
    status: Status
    category: str | None
    trace: Trace


@dataclass(frozen=True, slots=True)
class Skip:
    """Something not paid, and why (`reason` is a `SKIP_REASONS` code).

    `item`/`benefit` are None when the whole settlement is out (void, reversed, another
    year, no benefit applies); `detail` adds the figures (dates, caps) for explanations.
    """

    setl_id: str
    reason: str
    item: str | None = None
    benefit: str | None = None
    detail: str = ""

    @property
    def label(self) -> str:
        """The reason in Chinese."""
        return SKIP_REASONS[self.reason]


@dataclass(frozen=True, slots=True)
class MemberResult:
    """One member's replayed period: pay lines in processing order, and what was skipped."""

    certno: str
    lines: tuple[PayLine, ...]
    skipped: tuple[Skip, ...] = ()

    @property
    def total(self) -> Decimal:
        """Total amount owed to the member."""
        return sum((line.amount for line in self.lines), ZERO)


# --- preparation --------------------------------------------------------------------------


def resolve_reversals(
    settlements: Iterable[Settlement],
) -> tuple[list[Settlement], list[Skip]]:
    """Spec rule 1: drop void rows; a valid reversal is dropped with the settlement it
    cancels (`orig_setl_id`). A void reversal cancels nothing; an unknown target is ignored.
    """
    valid: list[Settlement] = []
    skipped: list[Skip] = []
    cancelled: set[str] = set()
    for s in settlements:
        if not s.vali_flag:
            skipped.append(Skip(s.setl_id, "void"))
        elif s.refd_setl_flag:
            cancelled.add(s.orig_setl_id)
            skipped.append(Skip(s.setl_id, "reversal", detail=f"冲销 {s.orig_setl_id}"))
        else:
            valid.append(s)
    kept = []
    for s in valid:
        if s.setl_id in cancelled:
            skipped.append(Skip(s.setl_id, "reversed"))
        else:
            kept.append(s)
    return kept, skipped


def group_by_member(
    settlements: Iterable[Settlement],
    *,
    year: int | None = None,
    keep: Callable[[Settlement], bool] | None = None,
) -> dict[str, list[Settlement]]:
    """Stream settlements into per-member lists, applying rule 1 across the whole input.

    Only settlements of `year` (when given) and accepted by `keep` are held; `keep` lets the
    simulator drop rows no benefit can apply to, which changes no result (rule 5's
    accumulators only grow on applicable settlements) but saves memory.
    """
    groups: dict[str, list[Settlement]] = {}
    cancelled: set[str] = set()
    for s in settlements:
        if not s.vali_flag:
            continue
        if s.refd_setl_flag:
            cancelled.add(s.orig_setl_id)
            continue
        if year is not None and s.enddate.year != year:
            continue
        if keep is not None and not keep(s):
            continue
        groups.setdefault(s.certno, []).append(s)
    if cancelled:
        for certno in list(groups):
            rows = [s for s in groups[certno] if s.setl_id not in cancelled]
            if rows:
                groups[certno] = rows
            else:
                del groups[certno]
    return groups


def group_enrolments(
    enrolments: Iterable[Enrolment], *, year: int | None = None
) -> dict[str, list[Enrolment]]:
    """Enrolments per certno (only those of `year` when given)."""
    out: dict[str, list[Enrolment]] = {}
    for e in enrolments:
        if year is None or e.year == year:
            out.setdefault(e.certno, []).append(e)
    return out


def benefit_filters_match(benefit: Benefit, settlement: Settlement) -> bool:
    """Rule 4 without categories: med type listed (if any), hospital level high enough."""
    return _filters_ok(benefit, settlement.med_type, settlement.hosp_lv)


def _filters_ok(benefit: Benefit, med_type: str, hosp_lv: int) -> bool:
    if benefit.med_types is not None and med_type not in benefit.med_types:
        return False
    return benefit.min_hosp_level is None or hosp_lv >= benefit.min_hosp_level


def matched_categories(benefit: Benefit, assessment: Assessment) -> tuple[CategoryHit, ...]:
    """The benefit's categories the assessment found, in the benefit's order.

    A category found several times keeps its strongest decision (auto_accept over
    needs_review); a category the assessor marks `none` is not a match.
    """
    if not benefit.categories or not assessment.categories:
        return ()
    best: dict[str, CategoryHit] = {}
    wanted = set(benefit.categories)
    for match in assessment.categories:
        if match.code not in wanted or match.decision == "none":
            continue
        current = best.get(match.code)
        if current is None or (DECISION_STRENGTH[match.decision] > DECISION_STRENGTH[current.decision]):
            best[match.code] = CategoryHit(match.code, match.decision, match.matched_by, match.probability)
    return tuple(best[code] for code in benefit.categories if code in best)


def plan_may_apply(plan: Plan, settlement: Settlement, assessor: Assessor) -> bool:
    """Whether any benefit of the plan applies to the settlement (rule 4), ignoring the
    member's coverage. A settlement for which this is False can never be paid nor move
    an accumulator, so bulk callers may drop it early."""
    if settlement.enddate.year != plan.year:
        return False
    categories_pending = False
    for item in plan.items:
        for benefit in item.benefits:
            if not benefit_filters_match(benefit, settlement):
                continue
            if not benefit.categories:
                return True
            categories_pending = True
    if not categories_pending:
        return False
    assessment = _as_cache(assessor).for_settlement(settlement)
    return any(
        benefit.categories
        and benefit_filters_match(benefit, settlement)
        and matched_categories(benefit, assessment)
        for item in plan.items
        for benefit in item.benefits
    )


class PlanFilter:
    """`plan_may_apply` for bulk callers, with the rule-4 filters tabulated once per
    (med_type, hosp_lv): the same answer, without walking the plan for every row."""

    __slots__ = ("_benefits", "_cache", "_table", "_year")

    def __init__(self, plan: Plan, assessor: Assessor) -> None:
        self._year = plan.year
        self._cache = _as_cache(assessor)
        self._benefits = tuple(b for item in plan.items for b in item.benefits)
        # (med_type, hosp_lv) → (a benefit without categories applies, categories wanted)
        self._table: dict[tuple[str, int], tuple[bool, frozenset[str]]] = {}

    def _entry(self, med_type: str, hosp_lv: int) -> tuple[bool, frozenset[str]]:
        passing = [b for b in self._benefits if _filters_ok(b, med_type, hosp_lv)]
        direct = any(not b.categories for b in passing)
        wanted = frozenset(code for b in passing for code in b.categories)
        entry = (direct, wanted)
        self._table[(med_type, hosp_lv)] = entry
        return entry

    def __call__(self, settlement: Settlement) -> bool:
        """Whether any benefit of the plan applies to the settlement (rule 4)."""
        if settlement.enddate.year != self._year:
            return False
        entry = self._table.get((settlement.med_type, settlement.hosp_lv))
        direct, wanted = entry or self._entry(settlement.med_type, settlement.hosp_lv)
        if direct:
            return True
        if not wanted:
            return False
        assessment = self._cache.for_settlement(settlement)
        return any(m.code in wanted and m.decision != "none" for m in assessment.categories)


# --- coverage -----------------------------------------------------------------------------


def coverage_on(item: Item, enrolments: Sequence[Enrolment], member_sex: Sex | None, day: date) -> Coverage:
    """Rule 3: covered for `item` on `day` by an enrolment of that year and item with
    start_date ≤ day, and for a first-time joiner day ≥ start_date + waiting_days; the
    item's sex, when set, must be the member's."""
    candidates = [e for e in enrolments if e.item == item.code and e.year == day.year]
    if not candidates:
        return Coverage(False, "not_enrolled", sex_required=item.sex, member_sex=member_sex)
    if len(candidates) > 1:
        # Several enrolments (a data error the CSV reader rejects): any one that covers does.
        candidates.sort(key=lambda e: (not e.renewal, e.start_date))
    best: Coverage | None = None
    for e in candidates:
        waiting_end = None if e.renewal else e.start_date + timedelta(days=item.waiting_days)
        if day < e.start_date:
            reason: str | None = "before_start"
        elif waiting_end is not None and day < waiting_end:
            reason = "waiting_period"
        elif item.sex is not None and item.sex != member_sex:
            reason = "sex"
        else:
            reason = None
        coverage = Coverage(
            covered=reason is None,
            reason=reason,
            start_date=e.start_date,
            renewal=e.renewal,
            waiting_days=item.waiting_days,
            waiting_end=waiting_end,
            sex_required=item.sex,
            member_sex=member_sex,
        )
        if coverage.covered:
            return coverage
        best = best or coverage
    assert best is not None
    return best


# --- the engine ---------------------------------------------------------------------------


@dataclass(slots=True)
class _MemberState:
    """Running totals of one member in one period (rules 5 and 6)."""

    cum: dict[str, Decimal] = field(default_factory=dict)  # tiered base per benefit
    paid_benefit: dict[str, Decimal] = field(default_factory=dict)
    paid_item: dict[str, Decimal] = field(default_factory=dict)
    paid_codes: set[str] = field(default_factory=set)  # benefits paid > 0 this period


def _tier_slices(tiers: Sequence[Tier], cum: Decimal, base: Decimal) -> list[TierSlice]:
    """The parts of [cum, cum + base] in each tier: Σ amounts = F(cum + base) − F(cum)."""
    top = cum + base
    slices = []
    for tier in tiers:
        if tier.upper is not None and tier.upper <= cum:
            continue
        if top <= tier.lower:
            break
        low = cum if cum > tier.lower else tier.lower
        high = top if tier.upper is None or top < tier.upper else tier.upper
        if high <= low:
            continue
        portion = high - low
        slices.append(TierSlice(tier.lower, tier.upper, tier.ratio, portion, portion * tier.ratio))
    return slices


def evaluate_member(
    plan: Plan,
    enrolments: Iterable[Enrolment],
    settlements: Iterable[Settlement],
    assessor: Assessor,
) -> MemberResult:
    """Replay one member's period under the plan: the pay lines and the skips.

    Deterministic: the same inputs give the same lines whatever their order, so production
    (one member at a time) and the simulator (a whole file) agree.
    """
    rows = list(settlements)
    certnos = {s.certno for s in rows}
    if len(certnos) > 1:
        raise ValueError("evaluate_member: settlements of several members")
    if not rows:
        return MemberResult(certno="", lines=())
    certno = certnos.pop()
    member_enrolments = [e for e in enrolments if e.year == plan.year]
    if any(e.certno != certno for e in member_enrolments):
        raise ValueError("evaluate_member: enrolments of another member")
    cache = _as_cache(assessor)
    kept, skipped = resolve_reversals(rows)
    in_period = []
    for s in kept:
        if s.enddate.year == plan.year:
            in_period.append(s)
        else:
            skipped.append(Skip(s.setl_id, "other_period", detail=str(s.enddate.year)))
    in_period.sort(key=lambda s: (s.enddate, s.setl_id))
    lines: list[PayLine] = []
    state = _MemberState()
    member_sex = sex_from_certno(certno)
    by_item: dict[str, list[Enrolment]] = {}
    for e in member_enrolments:
        by_item.setdefault(e.item, []).append(e)
    # A local context: results never depend on the caller's decimal settings.
    with localcontext() as ctx:
        ctx.prec = 34
        for s in in_period:
            _evaluate_settlement(plan, s, by_item, member_sex, cache, state, lines, skipped)
    return MemberResult(certno=certno, lines=tuple(lines), skipped=tuple(skipped))


def _evaluate_settlement(
    plan: Plan,
    s: Settlement,
    enrolments: Mapping[str, Sequence[Enrolment]],
    member_sex: Sex | None,
    cache: AssessmentCache,
    state: _MemberState,
    lines: list[PayLine],
    skipped: list[Skip],
) -> None:
    """Rules 3 to 7 for one settlement: items in file order, benefits in file order."""
    base = in_scope_personal(s)
    days = stay_days(s)
    assessment: Assessment | None = None
    applied = False
    for item in plan.items:
        coverage: Coverage | None = None
        for benefit in item.benefits:
            if not benefit_filters_match(benefit, s):
                continue
            hits: tuple[CategoryHit, ...] = ()
            if benefit.categories:
                if assessment is None:
                    assessment = cache.for_settlement(s)
                hits = matched_categories(benefit, assessment)
                if not hits:
                    continue
            applied = True
            if coverage is None:
                coverage = coverage_on(item, enrolments.get(item.code, ()), member_sex, s.enddate)
            if not coverage.covered:
                reason = coverage.reason or "not_enrolled"
                skipped.append(
                    Skip(
                        s.setl_id,
                        reason,
                        item.code,
                        benefit.code,
                        _coverage_detail(coverage),
                    )
                )
                continue
            line = _pay(item, benefit, s, base, days, coverage, hits, state, skipped)
            if line is not None:
                lines.append(line)
    if not applied:
        skipped.append(Skip(s.setl_id, "no_benefit"))


def _pay(
    item: Item,
    benefit: Benefit,
    s: Settlement,
    base: Decimal,
    days: int,
    coverage: Coverage,
    hits: tuple[CategoryHit, ...],
    state: _MemberState,
    skipped: list[Skip],
) -> PayLine | None:
    """Rules 5 to 7 for one applicable benefit of a covered member."""
    code = benefit.code
    cum_before: Decimal | None = None
    cum_after: Decimal | None = None
    slices: tuple[TierSlice, ...] = ()
    if benefit.kind == "tiered_ratio":
        cum_before = state.cum.get(code, ZERO)
        cum_after = cum_before + base
        # The accumulator grows whatever the caps leave to pay (rule 5).
        state.cum[code] = cum_after
        slices = tuple(_tier_slices(benefit.tiers, cum_before, base))
        raw = sum((sl.amount for sl in slices), ZERO)
    elif benefit.kind == "per_day":
        raw = (benefit.per_day or ZERO) * days
    else:
        if code in state.paid_codes:
            skipped.append(Skip(s.setl_id, "already_paid", item.code, code))
            return None
        excluded = next((x for x in benefit.excludes if x in state.paid_codes), None)
        if excluded is not None:
            skipped.append(Skip(s.setl_id, "excluded", item.code, code, excluded))
            return None
        raw = benefit.amount or ZERO

    pay = raw
    benefit_left: Decimal | None = None
    benefit_bound = False
    if benefit.cap is not None:
        benefit_left = benefit.cap - state.paid_benefit.get(code, ZERO)
        if benefit_left < pay:
            pay, benefit_bound = benefit_left, True
    period_left = item.period_cap - state.paid_item.get(item.code, ZERO)
    period_bound = False
    if period_left < pay:
        pay, period_bound = period_left, True
    amount = pay.quantize(CENT, rounding=ROUND_DOWN)
    if amount <= ZERO:
        skipped.append(
            Skip(s.setl_id, _zero_reason(raw, base, benefit_bound, period_bound, benefit.kind),
                 item.code, code, f"计算金额 {raw}")
        )  # fmt: skip
        return None

    state.paid_benefit[code] = state.paid_benefit.get(code, ZERO) + amount
    state.paid_item[item.code] = state.paid_item.get(item.code, ZERO) + amount
    state.paid_codes.add(code)
    status: Status = "auto"
    if benefit.categories and not any(h.decision == "auto_accept" for h in hits):
        status = "review"
    trace = Trace(
        rule=f"{item.code}.{code}",
        kind=benefit.kind,
        base=base,
        days=days,
        raw=raw,
        unrounded=pay,
        amount=amount,
        coverage=coverage,
        cum_before=cum_before,
        cum_after=cum_after,
        slices=slices,
        per_day=benefit.per_day if benefit.kind == "per_day" else None,
        lump_sum=benefit.amount if benefit.kind == "lump_sum" else None,
        benefit_cap=benefit.cap,
        benefit_cap_left=benefit_left,
        benefit_cap_bound=benefit_bound,
        period_cap=item.period_cap,
        period_cap_left=period_left,
        period_cap_bound=period_bound,
        categories=hits,
    )
    return PayLine(
        setl_id=s.setl_id,
        certno=s.certno,
        item=item.code,
        benefit=code,
        kind=benefit.kind,
        enddate=s.enddate,
        base=base,
        days=days,
        amount=amount,
        status=status,
        category=hits[0].code if hits else None,
        trace=trace,
    )


def _zero_reason(raw: Decimal, base: Decimal, b_bound: bool, p_bound: bool, kind: str) -> str:
    if raw <= ZERO:
        if kind != "tiered_ratio":
            return "zero_amount"
        return "zero_base" if base <= ZERO else "below_deductible"
    if b_bound:
        return "benefit_cap"
    if p_bound:
        return "period_cap"
    return "rounded_to_zero"


def _coverage_detail(coverage: Coverage) -> str:
    if coverage.reason == "before_start":
        return f"参保开始日期 {_iso(coverage.start_date)}"
    if coverage.reason == "waiting_period":
        return f"等待期至 {_iso(coverage.waiting_end)}（当日起保障）"
    if coverage.reason == "sex":
        return f"项目限 {coverage.sex_required}"
    return ""


def calculate_member(
    plan: Plan,
    enrolments: Iterable[Enrolment],
    settlements: Iterable[Settlement],
    assessor: Assessor,
) -> list[PayLine]:
    """The pay lines owed to one member (all of the member's settlements and enrolments)."""
    return list(evaluate_member(plan, enrolments, settlements, assessor).lines)


def iter_members(
    plan: Plan,
    enrolments: Iterable[Enrolment],
    settlements: Iterable[Settlement],
    assessor: Assessor,
) -> Iterator[MemberResult]:
    """Evaluate every member with settlements, in certno order.

    Rule 1 is applied across the whole input first (a reversal may sit anywhere).
    """
    cache = _as_cache(assessor)
    groups = group_by_member(settlements, year=plan.year)
    by_member: Mapping[str, list[Enrolment]] = group_enrolments(enrolments, year=plan.year)
    for certno in sorted(groups):
        yield evaluate_member(plan, by_member.get(certno, ()), groups[certno], cache)


def calculate(
    plan: Plan,
    enrolments: Iterable[Enrolment],
    settlements: Iterable[Settlement],
    assessor: Assessor,
) -> list[PayLine]:
    """All pay lines of a plan year: members in certno order, each in processing order."""
    return [line for result in iter_members(plan, enrolments, settlements, assessor)
            for line in result.lines]  # fmt: skip


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _str(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
