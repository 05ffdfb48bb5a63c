"""Demo data for mutual aid: a 2026 plan, enrolments, consents, a year of 医保 settlements
sent through the real intake and screening, and claims in every state (fixed seed)."""

from __future__ import annotations

import csv
import datetime as dt
import math
import random
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.core.factories import make_bank_card
from gonghui.members.models import Member
from gonghui.mutual_aid import claims as claim_services
from gonghui.mutual_aid import payouts
from gonghui.mutual_aid.engine.io import SETTLEMENT_HEADER
from gonghui.mutual_aid.intake import screen_after_intake, settlements_import
from gonghui.mutual_aid.models import Claim, ClaimEvent, Consent, Enrolment, Plan
from gonghui.mutual_aid.plans import plan_create
from gonghui.orgs.models import OrgUnit

SEED = 2026
POLICY = Path(__file__).resolve().parent / "data" / "policy_2026.yaml"
HOSPITALS = [
    ("萧山区第一人民医院", 3),
    ("示范区中医院", 2),
    ("浙江大学医学院附属第二医院", 3),
    ("城厢街道社区卫生服务中心", 1),
    ("示范区第三人民医院", 2),
    ("杭州市第一人民医院", 3),
]
ORDINARY = [
    ("J18.900", "肺炎"),
    ("K35.800", "急性阑尾炎"),
    ("K80.200", "胆囊结石伴慢性胆囊炎"),
    ("S82.200", "胫骨干骨折"),
    ("I10.x00", "高血压"),
    ("E11.900", "2型糖尿病"),
    ("M51.202", "腰椎间盘突出"),
    ("N20.000", "肾结石"),
    ("H25.900", "老年性白内障"),
    ("O80.000", "单胎顺产"),
    ("I25.103", "冠状动脉粥样硬化性心脏病"),
    ("J44.100", "慢性阻塞性肺病急性加重"),
]
CRITICAL = [
    ("C34.100", "右肺上叶腺癌", ""),
    ("C50.900", "乳腺浸润性导管癌", ""),
    ("I21.900x011", "急性前壁心肌梗死", ""),
    ("I25.103", "冠状动脉粥样硬化性心脏病", "36.1200"),
    ("C16.900", "胃癌", ""),
    ("D05.100", "乳腺导管原位癌", ""),
    ("C73.x00", "甲状腺乳头状癌", ""),
]
SPECIAL = [("N18.500", "慢性肾脏病5期"), ("E11.900", "2型糖尿病"), ("I10.x00", "高血压病")]
HEADER = list(SETTLEMENT_HEADER)


def seed_demo(*, stdout: Any) -> None:
    from django.test.utils import override_settings

    # Demo members are fictional: their texts go to the outbox table only, not the console.
    with override_settings(SMS_BACKEND="gonghui.accounts.sms.LocmemSmsBackend"):
        _seed(stdout)


def _seed(stdout: Any) -> None:
    district = OrgUnit.objects.filter(division_code="330199", level="district").first()
    if district is None or Plan.objects.filter(org_unit=district, year=2026).exists():
        return
    rng = random.Random(SEED)
    plan = plan_create(
        actor=None,
        org_unit=district,
        policy_yaml=POLICY.read_text(encoding="utf-8"),
        second_level_benefits=["critical_illness"],
    )
    members = list(
        Member.objects.filter(org_unit__path__startswith=district.path, status="active")
        .only("id", "id_number", "name", "sex", "org_unit_id", "user_id")
        .order_by("pk")
    )
    worker_member = Member.objects.filter(user__username="worker").first()
    enrolled, consenting = _enrol(plan, members, rng, worker_member)
    # Settlements arrive month by month, as the 医保 feed would deliver them: each monthly
    # intake is screened, so claims are per month, not one per member for the whole year.
    created = new_claims = 0
    for month, path in _settlements_files(consenting, rng, worker_member):
        try:
            result = settlements_import(
                actor=None,
                org_unit=district,
                path=path,
                filename=f"2026年{month}月医保结算数据（演示）.csv",
                source="demo",
            )
        finally:
            Path(path).unlink(missing_ok=True)
        created += result.batch.rows_created
        new_claims += len(screen_after_intake(result=result))
    _process(plan, district, rng, worker_member)
    stdout.write(
        f"医疗互助：参保 {len(enrolled)} 人，授权 {len(consenting)} 人，结算单 {created} 条，"
        f"筛查生成申报 {new_claims} 笔。"
    )


def _enrol(
    plan: Plan, members: list[Member], rng: random.Random, worker: Member | None
) -> tuple[list[Member], list[Member]]:
    enrolled = [m for m in members if rng.random() < 0.85 or (worker and m.pk == worker.pk)]
    rows = []
    for m in enrolled:
        renewal = rng.random() < 0.8
        for item, fee in (("selfpay", "36"), ("critical", "60"), ("female", "20")):
            if item == "female" and m.sex != "F":
                continue
            rows.append(
                Enrolment(
                    plan=plan,
                    member=m,
                    item=item,
                    start_date=dt.date(2026, 1, 1),
                    renewal=renewal,
                    fee=Decimal(fee),
                    org_unit_id=m.org_unit_id,
                )
            )
    Enrolment.objects.bulk_create(rows, batch_size=2000)
    consenting = [m for m in enrolled if rng.random() < 0.8 or (worker and m.pk == worker.pk)]
    now = timezone.now()
    Consent.objects.bulk_create(
        [
            Consent(member=m, source=s, text_version="2026-01", channel="demo", granted_at=now)
            for m in consenting
            for s in ("medical_insurance", "health_commission")
        ],
        batch_size=2000,
    )
    return enrolled, consenting


def _amounts(rng: random.Random, personal: float) -> list[str]:
    fund = round(personal * rng.uniform(1.2, 3.0), 2)
    own = round(rng.uniform(0, personal * 0.1), 2)
    total = round(fund + personal + own, 2)
    return [f"{total:.2f}", f"{fund:.2f}", "0.00", f"{own:.2f}", "0.00", "0.00"]


def _settlements_files(
    members: list[Member], rng: random.Random, worker: Member | None
) -> list[tuple[int, str]]:
    """One CSV per month of the year so far (reversals travel with their original)."""
    by_month: dict[int, list[list[Any]]] = {}

    class _Writer:
        def writerow(self, row: list[Any]) -> None:
            by_month.setdefault(dt.date.fromisoformat(row[7]).month, []).append(row)

    writer = _Writer()
    n = 0
    today = timezone.localdate()
    last = min(today - dt.timedelta(days=2), dt.date(2026, 12, 31))
    span = (last - dt.date(2026, 1, 3)).days
    for m in members:
        visits = rng.choices([0, 1, 2, 3, 4, 6], [20, 25, 20, 15, 12, 8])[0]
        if worker and m.pk == worker.pk:
            visits = 0
        for _ in range(visits):
            n += 1
            end = dt.date(2026, 1, 3) + dt.timedelta(days=rng.randrange(span))
            hospital, level = rng.choice(HOSPITALS)
            kind = rng.choices(["outpatient", "special", "inpatient", "critical"], [55, 9, 33, 3])[0]
            oprn = ""
            if kind == "outpatient":
                med, begin, (code, name) = "11", end, rng.choice(ORDINARY)
                personal = rng.uniform(20, 600)
            elif kind == "special":
                med, begin, (code, name) = "14", end, rng.choice(SPECIAL)
                personal = rng.uniform(200, 3000)
            elif kind == "inpatient":
                med = rng.choice(["21", "21", "21", "22", "24", "28"])
                begin = end - dt.timedelta(days=rng.randrange(1, 15))
                code, name = rng.choice(ORDINARY)
                personal = min(math.exp(rng.gauss(math.log(2200), 0.7)), 30000.0)
            else:
                med = "21"
                begin = end - dt.timedelta(days=rng.randrange(5, 25))
                code, name, oprn = rng.choice(CRITICAL)
                personal = min(math.exp(rng.gauss(math.log(9000), 0.6)), 60000.0)
            setl_id = f"DEMO2026{n:07d}"
            writer.writerow(
                [
                    setl_id,
                    m.id_number,
                    m.name,
                    med,
                    level,
                    hospital,
                    begin.isoformat(),
                    end.isoformat(),
                    *_amounts(rng, personal),
                    code,
                    name,
                    oprn,
                    "0",
                    "",
                    "1",
                ]
            )
            if rng.random() < 0.02:  # a later correction: the hospital reverses the settlement
                n += 1
                writer.writerow(
                    [
                        f"DEMO2026{n:07d}",
                        m.id_number,
                        m.name,
                        med,
                        level,
                        hospital,
                        begin.isoformat(),
                        end.isoformat(),
                        *_amounts(random.Random(n), personal),
                        code,
                        name,
                        oprn,
                        "1",
                        setl_id,
                        "1",
                    ]
                )
    if worker is not None:  # the demo worker has one fresh candidate waiting for them
        n += 1
        end = today - dt.timedelta(days=3)
        writer.writerow(
            [
                f"DEMO2026{n:07d}",
                worker.id_number,
                worker.name,
                "21",
                3,
                "萧山区第一人民医院",
                (end - dt.timedelta(days=6)).isoformat(),
                end.isoformat(),
                *_amounts(rng, 7800.0),
                "K35.800",
                "急性阑尾炎",
                "47.0100",
                "0",
                "",
                "1",
            ]
        )
    files = []
    for month in sorted(by_month):
        handle = tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False, encoding="utf-8", newline="")  # noqa: SIM115
        with handle:
            out = csv.writer(handle)
            out.writerow(HEADER)
            out.writerows(by_month[month])
        files.append((month, handle.name))
    return files


def _process(plan: Plan, district: OrgUnit, rng: random.Random, worker: Member | None) -> None:
    """Move older claims along the real services, then spread the timestamps over the year."""
    reviewer = _user("district_reviewer")
    city_reviewer = _city_reviewer(district)
    admin = _user("district_admin")
    cutoff = timezone.localdate() - dt.timedelta(days=10)
    claims = list(
        Claim.objects.filter(plan=plan, status="candidate", first_discharge__lt=cutoff)
        .exclude(member=worker)
        .select_related("member")
        .order_by("pk")
    )
    for claim in claims:
        if rng.random() < 0.08:
            continue  # some members never apply
        user = claim_services._worker_user_for(claim.member)
        claim = claim_services.claim_apply(
            actor=user,
            claim=claim,
            bank_card=make_bank_card(rng),
            bank_name=rng.choice(["中国工商银行萧山支行", "中国农业银行萧山支行", "杭州联合银行"]),
        )
        if claim.status == "needs_documents":
            for kind in claim_services.required_documents(claim):
                from django.core.files.base import ContentFile

                from gonghui.mutual_aid.models import ClaimDocument

                ClaimDocument.objects.create(
                    claim=claim, kind=kind, file=ContentFile(b"%PDF-1.4 demo", name="report.pdf")
                )
            Claim.objects.filter(pk=claim.pk).update(status="in_review")
            claim.refresh_from_db()
        if claim.status == "in_review" and rng.random() < 0.85 and reviewer:
            if rng.random() < 0.1:
                claim_services.claim_reject(
                    actor=reviewer, claim=claim, reason="住院日期在参保等待期内，不符合补助条件"
                )
                continue
            claim = claim_services.claim_approve(actor=reviewer, claim=claim, note="材料齐全")
            if claim.status == "in_review" and city_reviewer:
                claim_services.claim_approve(actor=city_reviewer, claim=claim, note="同意")
    # Pay what was approved, then put the dates where a real year would have them.
    if admin:
        batch = payouts.payout_batch_create(actor=admin, org_unit=district)
        if batch is not None:
            rows = ["流水号,状态,说明"] + [
                f"{i.serial},{'失败' if rng.random() < 0.01 else '成功'}," for i in batch.items.all()
            ]
            payouts.payout_return_import(
                actor=admin, batch=batch, data="\n".join(rows).encode(), filename="return.csv"
            )
    with transaction.atomic():
        for claim in Claim.objects.filter(plan=plan).exclude(applied_at__isnull=True):
            assert claim.first_discharge is not None
            applied = timezone.make_aware(
                dt.datetime.combine(
                    claim.first_discharge + dt.timedelta(days=rng.randrange(1, 8)),
                    dt.time(rng.randrange(8, 20), rng.randrange(60)),
                )
            )
            updates: dict[str, Any] = {"applied_at": applied, "created_at": applied - dt.timedelta(days=1)}
            if claim.decided_at:
                updates["decided_at"] = applied + dt.timedelta(
                    hours=0 if not claim.needs_review else rng.randrange(4, 72)
                )
            if claim.paid_at:
                updates["paid_at"] = applied + dt.timedelta(days=rng.randrange(2, 5))
            Claim.objects.filter(pk=claim.pk).update(**updates)
            ClaimEvent.objects.filter(claim=claim).update(created_at=applied)


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _city_reviewer(district: OrgUnit) -> User | None:
    city = district.get_parent()
    if city is None:
        return None
    user = _user("city_reviewer")
    if user is None:
        from gonghui.accounts.services import user_create
        from gonghui.core.management.commands.seed_demo import DEMO_PASSWORD

        user = user_create(
            actor=None, username="city_reviewer", display_name="市总工会审核员", password=DEMO_PASSWORD
        )
        RoleGrant.objects.create(user=user, role=Role.REVIEWER, org_unit=city)
    return user
