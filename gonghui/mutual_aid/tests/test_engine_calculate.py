"""The rules engine against hand-computed tables (spec "Calculation semantics", rules 1-7).

No database. The plan is the spec's example policy (gonghui/mutual_aid/data/policy_2026.yaml)
unless a case needs a smaller one; the critical-illness assessor is a table-driven fake.
Each expected amount is worked out by hand in the comment next to it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gonghui.core.validators import id_number_check_char as gb11643_check_char
from gonghui.mutual_aid.assessment.types import Assessment, Case, CategoryMatch, Decision
from gonghui.mutual_aid.engine import (
    AssessmentCache,
    Enrolment,
    Plan,
    Settlement,
    calculate,
    calculate_member,
    evaluate_member,
    load_policy,
    parse_policy,
)
from gonghui.mutual_aid.engine.calculate import case_from_settlement

POLICY = Path(__file__).resolve().parents[1] / "data" / "policy_2026.yaml"
EXAMPLE = load_policy(POLICY)


def certno(seq: int, sex: str) -> str:
    """A valid ID number; the 17th digit's parity gives the sex (odd M, even F)."""
    first17 = f"33010919900101{seq:02d}{'2' if sex == 'F' else '1'}"
    return first17 + gb11643_check_char(first17)


F1 = certno(1, "F")
F2 = certno(2, "F")
M1 = certno(3, "M")

# The fake assessor: diagnosis or procedure code -> the categories it "finds".
FAKE_TABLE: dict[str, tuple[tuple[str, Decision], ...]] = {
    "C34.9": (("malignant_tumor", "needs_review"),),
    "C50.9": (("malignant_tumor", "needs_review"), ("female_cancer", "needs_review")),
    "D05.1": (("in_situ", "needs_review"),),
    "C73": (("thyroid_cancer", "needs_review"),),
    "36.1": (("cabg", "auto_accept"),),
    # The same category found twice: the strongest decision wins.
    "X1": (("malignant_tumor", "needs_review"), ("malignant_tumor", "auto_accept")),
    # A category the assessor rules out is no match.
    "X2": (("malignant_tumor", "none"),),
    "J18.9": (),
}


class FakeAssessor:
    """Table-driven stand-in for the critical-illness assessor; counts its calls."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, case: Case) -> Assessment:
        self.calls += 1
        codes = [d.code for d in case.diagnoses] + [p.code for p in case.procedures]
        found = tuple(
            CategoryMatch(code=cat, severity="severe", decision=dec, evidence="", matched_by=f"fake:{c}")
            for c in codes
            for cat, dec in FAKE_TABLE.get(c or "", ())
        )
        return Assessment(case_id=case.id, categories=found)


def S(
    setl_id: str,
    end: str,
    base: str = "0",
    *,
    med: str = "21",
    lv: int = 2,
    days: int = 1,
    dx: str = "",
    op: str = "",
    who: str = F1,
    refd: bool = False,
    orig: str = "",
    vali: bool = True,
) -> Settlement:
    """A settlement whose in-scope personal share is `base` (fund paid the rest)."""
    enddate = date.fromisoformat(end)
    medfee = Decimal(base) + Decimal("1000.00")
    return Settlement(
        setl_id=setl_id,
        certno=who,
        med_type=med,
        hosp_lv=lv,
        begndate=enddate - timedelta(days=days),
        enddate=enddate,
        medfee_sumamt=medfee,
        fund_pay_sumamt=Decimal("600.00"),
        hosp_part_amt=Decimal("0"),
        fulamt_ownpay_amt=Decimal("300.00"),
        overlmt_selfpay=Decimal("100.00"),
        diag_codes=dx,
        oprn_codes=op,
        refd_setl_flag=refd,
        orig_setl_id=orig,
        vali_flag=vali,
    )


def E(item: str, start: str = "2026-01-01", *, renewal: bool = True, who: str = F1) -> Enrolment:
    return Enrolment(certno=who, year=2026, item=item, start_date=date.fromisoformat(start), renewal=renewal)


@dataclass(frozen=True)
class Case_:
    id: str
    enrolments: list[Enrolment]
    settlements: list[Settlement]
    lines: list[tuple[str, str, str, str, str]]  # setl_id, benefit, amount, status, category
    skips: list[tuple[str, str | None, str]] | None = None  # setl_id, benefit, reason
    plan: Plan = EXAMPLE


SMALL = parse_policy(
    """
plan: 小额测试计划
year: 2026
items:
  - code: small
    name: 小额
    fee: 10
    period_cap: 1000
    benefits:
      - code: a
        kind: tiered_ratio
        med_types: [21]
        tiers: [{from: 0, to: null, ratio: 0.5}]
        cap: 800
      - code: b
        kind: per_day
        per_day: 50
        med_types: [21]
"""
)

CASES = [
    Case_(
        "tiers accumulate across settlements; benefit caps; special outpatient",
        [E("selfpay")],
        [
            S("s1", "2026-02-01", "800"),  # cum 0→800, all in the 0% tier: 0
            S("s2", "2026-03-01", "3000"),  # 800→3800: 200×0 + 2800×0.5 = 1400
            S("s3", "2026-04-01", "10000"),  # 3800→13800: 1200×0.5 + 8800×0.6 = 600 + 5280
            S("s4", "2026-05-01", "20000"),  # 13800→33800: 6200×0.6 + 13800×0.7 = 3720 + 9660
            S("s5", "2026-06-01", "20000"),  # 20000×0.7 = 14000, cap left 30000−20660 = 9340
            S("s6", "2026-07-01", "1000"),  # 700, but the benefit cap is used up
            S("s7", "2026-08-01", "1500", med="14", lv=1),  # 500×0 + 1000×0.2 = 200, cap 200
            S("s8", "2026-09-01", "1000", med="14", lv=1),  # cap used up
        ],
        [
            ("s2", "inpatient", "1400.00", "auto", ""),
            ("s3", "inpatient", "5880.00", "auto", ""),
            ("s4", "inpatient", "13380.00", "auto", ""),
            ("s5", "inpatient", "9340.00", "auto", ""),
            ("s7", "special_outpatient", "200.00", "auto", ""),
        ],
        [
            ("s1", "inpatient", "below_deductible"),
            ("s6", "inpatient", "benefit_cap"),
            ("s8", "special_outpatient", "benefit_cap"),
        ],
    ),
    Case_(
        "deductible boundary: exactly 1000 pays nothing, 0.02 more pays 0.01",
        [E("selfpay")],
        [S("s1", "2026-02-01", "1000"), S("s2", "2026-02-02", "0.02")],  # 0.02×0.5 = 0.01
        [("s2", "inpatient", "0.01", "auto", "")],
        [("s1", "inpatient", "below_deductible")],
    ),
    Case_(
        "rounding down to 0.01 at the end of each line",
        [E("selfpay")],
        [
            S("s1", "2026-02-01", "1000.01"),  # 0.01×0.5 = 0.005 → 0.00
            S("s2", "2026-02-02", "0.01"),  # again 0.005 → 0.00 (halves are never summed)
            S("s3", "2026-02-03", "3.99"),  # 3.99×0.5 = 1.995 → 1.99
        ],
        [("s3", "inpatient", "1.99", "auto", "")],
        [("s1", "inpatient", "rounded_to_zero"), ("s2", "inpatient", "rounded_to_zero")],
    ),
    Case_(
        "benefit cap then the item's period cap, shared across benefits",
        [E("small")],
        [
            S("s1", "2026-03-01", "1000", days=6),  # a: 500; b: 6×50 = 300 (item paid 800)
            # a: 500 → benefit cap left 800−500 = 300 → period left 1000−800 = 200
            S("s2", "2026-04-01", "1000", days=6),
        ],
        [
            ("s1", "a", "500.00", "auto", ""),
            ("s1", "b", "300.00", "auto", ""),
            ("s2", "a", "200.00", "auto", ""),
        ],
        [("s2", "b", "period_cap")],
        SMALL,
    ),
    Case_(
        "period cap shared: living allowance first, then the lump sum gets what is left",
        [E("critical")],
        [
            S("s1", "2026-03-01", "100", days=5),  # living allowance 5×100 = 500
            S("s2", "2026-04-01", "100", med="11", lv=1, dx="C34.9"),  # 15000 → 15000−500
        ],
        [
            ("s1", "living_allowance", "500.00", "auto", ""),
            ("s2", "critical_illness", "14500.00", "review", "malignant_tumor"),
        ],
    ),
    Case_(
        "waiting period of a first-time joiner: start + 90 days is the first covered day",
        [E("critical", renewal=False)],
        [
            S("s1", "2026-03-31", "100", days=3),  # 2026-01-01 + 90 days = 2026-04-01
            S("s2", "2026-04-01", "100", days=3),  # 3×100
        ],
        [("s2", "living_allowance", "300.00", "auto", "")],
        [("s1", "living_allowance", "waiting_period")],
    ),
    Case_(
        "a renewal does not wait",
        [E("critical", renewal=True)],
        [S("s1", "2026-01-02", "100", days=3), S("s2", "2026-04-01", "100", days=3)],
        [("s1", "living_allowance", "300.00", "auto", ""), ("s2", "living_allowance", "300.00", "auto", "")],
    ),
    Case_(
        "waiting period judged on enddate; mid-year first-time start",
        [E("critical", "2026-02-15", renewal=False)],
        [
            S("s1", "2026-05-15", "100", days=2),  # 2026-02-15 + 90 days = 2026-05-16
            S("s2", "2026-05-16", "100", days=20),  # began 2026-04-26 inside the wait: 20×100
        ],
        [("s2", "living_allowance", "2000.00", "auto", "")],
        [("s1", "living_allowance", "waiting_period")],
    ),
    Case_(
        "enrolment start date; nothing before it accumulates",
        [E("selfpay", "2026-03-01")],
        [
            S("s1", "2026-02-28", "3000"),  # not covered: cum stays 0
            S("s2", "2026-03-01", "3000"),  # 0→3000: 1000×0 + 2000×0.5
        ],
        [("s2", "inpatient", "1000.00", "auto", "")],
        [("s1", "inpatient", "before_start")],
    ),
    Case_(
        "female item pays a woman",
        [E("female", who=F2)],
        [S("s1", "2026-06-01", "100", med="11", lv=1, dx="C50.9", who=F2)],
        [("s1", "female_cancer", "20000.00", "review", "female_cancer")],
        [("s1", "critical_illness", "not_enrolled")],
    ),
    Case_(
        "female item never pays a man, even if enrolled",
        [E("female", who=M1)],
        [S("s1", "2026-06-01", "100", med="11", lv=1, dx="C50.9", who=M1)],
        [],
        [("s1", "critical_illness", "not_enrolled"), ("s1", "female_cancer", "sex")],
    ),
    Case_(
        "a reversal drops itself and its original",
        [E("selfpay")],
        [
            S("s1", "2026-03-01", "3000"),
            S("r1", "2026-03-05", "3000", refd=True, orig="s1"),
            S("s2", "2026-04-01", "3000"),  # cum starts at 0 again: 1000
        ],
        [("s2", "inpatient", "1000.00", "auto", "")],
        [("r1", None, "reversal"), ("s1", None, "reversed")],
    ),
    Case_(
        "a reversal of an unknown setl_id drops only itself",
        [E("selfpay")],
        [S("r9", "2026-03-05", "3000", refd=True, orig="nope"), S("s1", "2026-03-01", "3000")],
        [("s1", "inpatient", "1000.00", "auto", "")],
        [("r9", None, "reversal")],
    ),
    Case_(
        "a void reversal cancels nothing",
        [E("selfpay")],
        [
            S("s1", "2026-03-01", "3000"),  # 1000
            S("r1", "2026-03-05", "3000", refd=True, orig="s1", vali=False),
            S("s2", "2026-04-01", "3000"),  # 3000→6000: 2000×0.5 + 1000×0.6 = 1600
        ],
        [("s1", "inpatient", "1000.00", "auto", ""), ("s2", "inpatient", "1600.00", "auto", "")],
        [("r1", None, "void")],
    ),
    Case_(
        "void rows are dropped",
        [E("selfpay")],
        [S("s1", "2026-03-01", "3000", vali=False), S("s2", "2026-04-01", "3000")],
        [("s2", "inpatient", "1000.00", "auto", "")],
        [("s1", None, "void")],
    ),
    Case_(
        "settlements of another year are ignored and do not accumulate",
        [E("selfpay"), Enrolment(F1, 2025, "selfpay", date(2025, 1, 1), True)],
        [
            S("s0", "2025-12-31", "5000"),
            S("s1", "2026-01-02", "3000", days=5),  # began in 2025, belongs to 2026: 1000
            S("s9", "2027-01-01", "3000"),
        ],
        [("s1", "inpatient", "1000.00", "auto", "")],
        [("s0", None, "other_period"), ("s9", None, "other_period")],
    ),
    Case_(
        "excludes: in situ after a critical illness pays nothing",
        [E("critical")],
        [
            S("s1", "2026-03-01", "100", med="11", lv=1, dx="C34.9"),
            S("s2", "2026-05-01", "100", med="11", lv=1, dx="D05.1"),
        ],
        [("s1", "critical_illness", "15000.00", "review", "malignant_tumor")],
        [("s2", "in_situ_thyroid", "excluded")],
    ),
    Case_(
        "the other order: critical illness after in situ gets the period cap's rest",
        [E("critical")],
        [
            S("s1", "2026-03-01", "100", med="11", lv=1, dx="D05.1"),  # 5000
            S("s2", "2026-05-01", "100", med="11", lv=1, dx="C34.9"),  # 15000 → 15000−5000
        ],
        [
            ("s1", "in_situ_thyroid", "5000.00", "review", "in_situ"),
            ("s2", "critical_illness", "10000.00", "review", "malignant_tumor"),
        ],
    ),
    Case_(
        "both in one settlement: file order pays the critical illness, in situ is excluded",
        [E("critical")],
        [S("s1", "2026-03-01", "100", med="11", lv=1, dx="D05.1;C34.9")],
        [("s1", "critical_illness", "15000.00", "review", "malignant_tumor")],
        [("s1", "in_situ_thyroid", "excluded")],
    ),
    Case_(
        "a lump sum is paid at most once a year",
        [E("critical")],
        [
            S("s1", "2026-03-01", "100", med="11", lv=1, dx="D05.1"),
            S("s2", "2026-06-01", "100", med="11", lv=1, dx="D05.1"),
        ],
        [("s1", "in_situ_thyroid", "5000.00", "review", "in_situ")],
        [("s2", "in_situ_thyroid", "already_paid")],
    ),
    Case_(
        "per day: stay_days = max(1, end − begin); benefit cap 2000",
        [E("critical")],
        [
            S("s1", "2026-03-01", "100", days=0),  # same day counts as 1: 100
            S("s2", "2026-04-01", "100", days=10),  # 1000
            S("s3", "2026-05-01", "100", days=15),  # 1500 → cap left 2000−1100 = 900
            S("s4", "2026-06-01", "100", days=1),  # cap used up
        ],
        [
            ("s1", "living_allowance", "100.00", "auto", ""),
            ("s2", "living_allowance", "1000.00", "auto", ""),
            ("s3", "living_allowance", "900.00", "auto", ""),
        ],
        [("s4", "living_allowance", "benefit_cap")],
    ),
    Case_(
        "hospital level and med type filters",
        [E("selfpay"), E("critical")],
        [
            S("s1", "2026-03-01", "5000", lv=1),  # level 1 hospital: no inpatient benefit
            S("s2", "2026-03-02", "5000", med="11", lv=3),  # ordinary outpatient: nothing
            S("s3", "2026-03-03", "1000", med="14", lv=1),  # no level limit: 500×0.2 = 100
            S("s4", "2026-03-04", "2000", med="28", lv=3),  # day surgery: 1000×0.5; 1 day×100
            S("s5", "2026-03-05", "2000", med="52", lv=3),  # maternity stay: not listed
        ],
        [
            ("s3", "special_outpatient", "100.00", "auto", ""),
            ("s4", "inpatient", "500.00", "auto", ""),
            ("s4", "living_allowance", "100.00", "auto", ""),
        ],
        [("s1", None, "no_benefit"), ("s2", None, "no_benefit"), ("s5", None, "no_benefit")],
    ),
    Case_(
        "auto when a matched category is auto_accept (CABG by procedure code)",
        [E("critical")],
        [S("s1", "2026-03-01", "0", med="11", lv=1, op="36.1")],
        [("s1", "critical_illness", "15000.00", "auto", "cabg")],
    ),
    Case_(
        "auto if any matched category is auto_accept; category = first of the benefit's list",
        [E("critical", who=F2)],
        [S("s1", "2026-03-01", "0", med="11", lv=1, dx="C34.9", op="36.1", who=F2)],
        [("s1", "critical_illness", "15000.00", "auto", "malignant_tumor")],
    ),
    Case_(
        "a category matched by several codes takes the strongest decision",
        [E("critical")],
        [S("s1", "2026-03-01", "0", med="11", lv=1, dx="X1")],
        [("s1", "critical_illness", "15000.00", "auto", "malignant_tumor")],
    ),
    Case_(
        "a category with decision none is not a match; ordinary diagnoses match nothing",
        [E("critical")],
        [
            S("s1", "2026-03-01", "0", med="11", lv=1, dx="X2"),
            S("s2", "2026-03-02", "0", med="11", lv=1, dx="J18.9"),
        ],
        [],
        [("s1", None, "no_benefit"), ("s2", None, "no_benefit")],
    ),
    Case_(
        "not enrolled: nothing paid, the reason is kept",
        [],
        [S("s1", "2026-03-01", "3000", days=2)],
        [],
        [("s1", "inpatient", "not_enrolled"), ("s1", "living_allowance", "not_enrolled")],
    ),
    Case_(
        "processing order is (enddate, setl_id), not file order",
        [E("selfpay")],
        [
            S("b", "2026-03-01", "3000"),  # third: 3500→6500: 1500×0.5 + 1500×0.6 = 1650
            S("a", "2026-03-01", "3000"),  # second (same day, smaller id): 500→3500: 2500×0.5
            S("c", "2026-02-01", "500"),  # first (earlier enddate): 0→500, nothing
        ],
        [("a", "inpatient", "1250.00", "auto", ""), ("b", "inpatient", "1650.00", "auto", "")],
    ),
]


def _lines(result: list) -> list[tuple[str, str, str, str, str]]:  # type: ignore[type-arg]
    return [(p.setl_id, p.benefit, str(p.amount), p.status, p.category or "") for p in result]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_engine_table(case: Case_) -> None:
    result = evaluate_member(case.plan, case.enrolments, case.settlements, FakeAssessor())
    assert _lines(list(result.lines)) == case.lines
    if case.skips is not None:
        got = {(s.setl_id, s.benefit, s.reason) for s in result.skipped}
        assert set(case.skips) <= got, got


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_input_order_does_not_matter(case: Case_) -> None:
    shuffled = list(case.settlements)
    random.Random(7).shuffle(shuffled)
    result = calculate_member(case.plan, list(reversed(case.enrolments)), shuffled, FakeAssessor())
    assert _lines(result) == case.lines


def test_amounts_are_decimal_with_two_places() -> None:
    lines = calculate_member(EXAMPLE, [E("selfpay")], [S("s1", "2026-03-01", "3003.33")], FakeAssessor())
    assert lines[0].amount == Decimal("1001.66")  # 2003.33×0.5 = 1001.665 → 1001.66
    assert isinstance(lines[0].amount, Decimal)
    assert lines[0].amount.as_tuple().exponent == -2


def test_trace_records_every_step() -> None:
    settlements = [S("s1", "2026-03-01", "3800"), S("s2", "2026-04-01", "10000", days=3)]
    result = evaluate_member(EXAMPLE, [E("selfpay")], settlements, FakeAssessor())
    trace = result.lines[1].trace.as_dict()
    assert trace["rule"] == "selfpay.inpatient"
    assert trace["base"] == "10000.00"
    assert trace["days"] == 3
    assert trace["cum_before"] == "3800.00"
    assert trace["cum_after"] == "13800.00"
    assert trace["slices"] == [
        {"from": "1000", "to": "5000", "ratio": "0.5", "portion": "1200.00", "amount": "600.000"},
        {"from": "5000", "to": "20000", "ratio": "0.6", "portion": "8800.00", "amount": "5280.000"},
    ]
    assert Decimal(str(trace["raw"])) == Decimal("5880")
    # After s1 paid 1400: benefit cap left 28600, period cap left 28800, neither bound.
    assert trace["benefit_cap"] == {"cap": "30000", "left": "28600.00", "bound": False}
    assert trace["period_cap"] == {"cap": "30200", "left": "28800.00", "bound": False}
    assert trace["amount"] == "5880.00"
    assert trace["coverage"]["enrolment_start"] == "2026-01-01"
    assert trace["coverage"]["renewal"] is True
    assert trace["coverage"]["sex_ok"] is True


def test_trace_of_capped_lump_sum_and_categories() -> None:
    settlements = [
        S("s1", "2026-04-02", "100", med="11", lv=1, dx="D05.1"),
        S("s2", "2026-05-01", "100", med="11", lv=1, dx="C34.9", op="36.1"),
    ]
    result = evaluate_member(EXAMPLE, [E("critical", renewal=False)], settlements, FakeAssessor())
    trace = result.lines[1].trace.as_dict()
    assert trace["lump_sum"] == "15000"
    assert trace["raw"] == "15000"
    assert trace["period_cap"] == {"cap": "15000", "left": "10000.00", "bound": True}
    assert trace["benefit_cap"] is None
    assert trace["coverage"]["waiting_end"] == "2026-04-01"
    assert trace["coverage"]["renewal"] is False
    assert [c["code"] for c in trace["categories"]] == ["malignant_tumor", "cabg"]
    assert [c["decision"] for c in trace["categories"]] == ["needs_review", "auto_accept"]


def test_trace_is_json_serialisable() -> None:
    import json

    lines = calculate_member(EXAMPLE, [E("selfpay")], [S("s1", "2026-03-01", "3000")], FakeAssessor())
    assert json.loads(json.dumps(lines[0].trace.as_dict()))["amount"] == "1000.00"


def test_calculate_groups_members_and_resolves_reversals_across_the_input() -> None:
    settlements = [
        S("m1", "2026-03-01", "3000", who=M1),
        S("f1", "2026-03-01", "3000", who=F1),
        S("f2", "2026-04-01", "3000", who=F1),
        S("rf1", "2026-04-05", "3000", who=F1, refd=True, orig="f1"),
    ]
    enrolments = [E("selfpay", who=F1), E("selfpay", who=M1), E("selfpay", who=F2)]
    lines = calculate(EXAMPLE, enrolments, settlements, FakeAssessor())
    # Members in certno order (F1 < M1 here); f1 reversed, so f2 starts from cum 0.
    assert sorted([F1, M1]) == [F1, M1]
    assert _lines(lines) == [
        ("f2", "inpatient", "1000.00", "auto", ""),
        ("m1", "inpatient", "1000.00", "auto", ""),
    ]


def test_assessments_are_cached_by_diagnosis_strings() -> None:
    fake = FakeAssessor()
    cache = AssessmentCache(fake)
    settlements = [S(f"s{i}", "2026-03-01", "0", med="11", lv=1, dx="C34.9", who=F1) for i in range(5)]
    settlements += [S(f"t{i}", "2026-03-01", "0", med="11", lv=1, dx="C34.9", who=F2) for i in range(5)]
    calculate(EXAMPLE, [E("critical"), E("critical", who=F2)], settlements, cache)
    assert fake.calls == 1


def test_case_from_settlement_pairs_codes_and_names_by_position() -> None:
    s = Settlement(
        setl_id="s1",
        certno=F1,
        med_type="21",
        hosp_lv=2,
        begndate=date(2026, 3, 1),
        enddate=date(2026, 3, 2),
        medfee_sumamt=Decimal(0),
        fund_pay_sumamt=Decimal(0),
        hosp_part_amt=Decimal(0),
        fulamt_ownpay_amt=Decimal(0),
        overlmt_selfpay=Decimal(0),
        diag_codes="I21.900x011;I10",
        diag_names="急性心肌梗死;高血压;糖尿病",
        oprn_codes="36.1；88.5",
    )
    case = case_from_settlement(s)
    assert [(d.code, d.name) for d in case.diagnoses] == [
        ("I21.900x011", "急性心肌梗死"),
        ("I10", "高血压"),
        (None, "糖尿病"),
    ]
    assert [p.code for p in case.procedures] == ["36.1", "88.5"]


def test_member_result_total_and_skip_labels() -> None:
    result = evaluate_member(
        EXAMPLE,
        [E("selfpay")],
        [S("s1", "2026-03-01", "3000"), S("s2", "2026-03-02", "500", lv=1)],
        FakeAssessor(),
    )
    assert result.total == Decimal("1000.00")
    # s1: living allowance applies but the member is not in the critical item; s2: level 1.
    assert {s.label for s in result.skipped} == {"未参加该互助项目", "不符合任何补助的适用条件"}


def test_evaluate_member_rejects_mixed_members() -> None:
    with pytest.raises(ValueError, match="several members"):
        evaluate_member(
            EXAMPLE, [], [S("a", "2026-03-01", who=F1), S("b", "2026-03-01", who=M1)], FakeAssessor()
        )


def test_enrolments_of_other_years_do_not_cover() -> None:
    enrolment = Enrolment(F1, 2025, "selfpay", date(2025, 1, 1), True)
    result = evaluate_member(EXAMPLE, [enrolment], [S("s1", "2026-03-01", "3000")], FakeAssessor())
    assert result.lines == ()
    assert [(s.benefit, s.reason) for s in result.skipped] == [
        ("inpatient", "not_enrolled"),
        ("living_allowance", "not_enrolled"),
    ]


def _F(tiers: list[tuple[Decimal, Decimal | None, Decimal]], x: Decimal) -> Decimal:
    """The spec's F(x) = Σ ratio·max(0, min(x, to) − from)."""
    total = Decimal(0)
    for low, high, ratio in tiers:
        top = x if high is None else min(x, high)
        total += ratio * max(Decimal(0), top - low)
    return total


TIERS = [
    (Decimal(0), Decimal(1000), Decimal(0)),
    (Decimal(1000), Decimal(5000), Decimal("0.5")),
    (Decimal(5000), Decimal(20000), Decimal("0.6")),
    (Decimal(20000), None, Decimal("0.7")),
]
UNCAPPED = parse_policy(
    """
plan: 无封顶
year: 2026
items:
  - code: selfpay
    name: 自负
    fee: 0
    period_cap: 99999999
    benefits:
      - code: inpatient
        kind: tiered_ratio
        tiers:
          - {from: 0, to: 1000, ratio: 0}
          - {from: 1000, to: 5000, ratio: 0.5}
          - {from: 5000, to: 20000, ratio: 0.6}
          - {from: 20000, to: null, ratio: 0.7}
"""
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2_500_000), min_size=1, max_size=8))
def test_tiered_raw_is_F_difference(cents: list[int]) -> None:
    """Each line's raw amount is F(cum + base) − F(cum), cum growing by every base."""
    bases = [Decimal(c).scaleb(-2) for c in cents]
    settlements = [S(f"s{i}", "2026-03-01", str(b)) for i, b in enumerate(bases)]
    # setl_ids s0..s7 sort in input order, so cum follows the list.
    result = evaluate_member(UNCAPPED, [E("selfpay")], settlements, FakeAssessor())
    by_id = {line.setl_id: line for line in result.lines}
    cum = Decimal(0)
    for i, base in enumerate(bases):
        expected = _F(TIERS, cum + base) - _F(TIERS, cum)
        cum += base
        line = by_id.get(f"s{i}")
        paid = line.amount if line else Decimal(0)
        assert paid == expected.quantize(Decimal("0.01"), rounding="ROUND_DOWN")
        if line:
            assert line.trace.raw == expected


def test_plan_filter_agrees_with_plan_may_apply() -> None:
    """The simulator's tabulated filter gives exactly the reference answer."""
    from gonghui.mutual_aid.engine.calculate import PlanFilter, plan_may_apply

    rng = random.Random(11)
    fake = AssessmentCache(FakeAssessor())
    fast = PlanFilter(EXAMPLE, fake)
    codes = [*FAKE_TABLE, "", "C34.9;J18.9"]
    meds = ["11", "14", "21", "22", "24", "28", "51", "52"]
    for i in range(500):
        s = S(
            f"s{i}",
            rng.choice(["2025-12-30", "2026-03-01", "2026-09-09"]),
            str(rng.randrange(5000)),
            med=rng.choice(meds),
            lv=rng.randrange(4),
            dx=rng.choice(codes),
            op=rng.choice(["", "36.1"]),
        )
        assert fast(s) == plan_may_apply(EXAMPLE, s, fake), s
