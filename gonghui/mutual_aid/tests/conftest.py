"""Fixtures for the mutual-aid flow: a 2026 plan over the shared test world, consenting
enrolled members, and a deterministic table assessor (the real one is tested on its own)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from gonghui.conftest import World
from gonghui.members.models import Member
from gonghui.mutual_aid.assessment.types import Assessment, Case, CategoryMatch
from gonghui.mutual_aid.models import Enrolment, IntakeBatch, Plan, Settlement
from gonghui.mutual_aid.plans import consent_grant, plan_create

POLICY = (Path(__file__).resolve().parents[1] / "data" / "policy_2026.yaml").read_text(encoding="utf-8")


def table_assessor(case: Case) -> Assessment:
    """C-codes → malignant tumour needing review; 36.1 procedure → CABG auto-accepted."""
    found = []
    for d in case.diagnoses:
        if (d.code or "").upper().startswith("C") and not (d.code or "").upper().startswith(("C44", "C73")):
            found.append(CategoryMatch("malignant_tumor", "severe", "needs_review", "病理报告", "dx_rule:C"))
    for p in case.procedures:
        if (p.code or "").replace(".", "").startswith("361"):
            found.append(CategoryMatch("cabg", "severe", "auto_accept", "手术记录", "proc_rule:361"))
    return Assessment(case_id=case.id, categories=tuple(found))


@pytest.fixture
def plan(world: World) -> Plan:
    return plan_create(
        actor=None, org_unit=world.district, policy_yaml=POLICY, second_level_benefits=["critical_illness"]
    )


@pytest.fixture
def enrolled(world: World, plan: Plan) -> list[Member]:
    """Members of enterprise A (and B's first) enrolled as renewals in every item their sex
    allows, with live 医保 consent."""
    members = [*world.members_a, world.members_b[0]]
    rows = []
    for m in members:
        for item in ("selfpay", "critical", "female"):
            if item == "female" and m.sex != "F":
                continue
            rows.append(
                Enrolment(
                    plan=plan,
                    member=m,
                    item=item,
                    start_date=dt.date(2026, 1, 1),
                    renewal=True,
                    fee=Decimal("36"),
                    org_unit=m.org_unit,
                )
            )
        consent_grant(member=m, source="medical_insurance", actor=None)
    Enrolment.objects.bulk_create(rows)
    return members


_counter = {"n": 0}


def add_settlement(
    member: Member,
    *,
    med_type: str = "21",
    hosp_lv: int = 3,
    begin: str = "2026-03-01",
    end: str = "2026-03-08",
    personal: str = "6000",
    diag: str = "J18.9",
    names: str = "肺炎",
    oprn: str = "",
    setl_id: str | None = None,
    reversal_of: str = "",
) -> Settlement:
    """A stored settlement whose in-scope personal share is exactly ``personal``."""
    _counter["n"] += 1
    batch = IntakeBatch.objects.first() or IntakeBatch.objects.create(org_unit=member.org_unit, filename="t")
    amount = Decimal(personal)
    return Settlement.objects.create(
        setl_id=setl_id or f"S{_counter['n']:06d}",
        member=member,
        batch=batch,
        med_type=med_type,
        hosp_lv=hosp_lv,
        begndate=dt.date.fromisoformat(begin),
        enddate=dt.date.fromisoformat(end),
        medfee_sumamt=amount + Decimal("10000"),
        fund_pay_sumamt=Decimal("10000"),
        hosp_part_amt=Decimal("0"),
        fulamt_ownpay_amt=Decimal("0"),
        overlmt_selfpay=Decimal("0"),
        preselfpay_amt=Decimal("0"),
        diag_codes=diag,
        diag_names=names,
        oprn_codes=oprn,
        refd_setl_flag=bool(reversal_of),
        orig_setl_id=reversal_of,
    )
