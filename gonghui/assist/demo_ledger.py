"""Demo service ledger for the demo district (fixed seed): a year of service activities across
its streets — visits, trainings, remote answers and joint 攻关 with craftsmen, enterprises,
problems (most confirmed by the enterprise) and members trained, some of them several times —
checked by the ledger's own rules and inserted in bulk; yearly targets for the district and
each street; mentor pairs and 先用后转 trials in every state through the services.

A few craftsmen and library outcomes are created when the library is still empty (the library
demo normally runs first).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import Role, User
from gonghui.assist import ledger, pairs, trials
from gonghui.assist.ledger import ActivityInput, TraineeInput
from gonghui.assist.models import (
    Craftsman,
    KpiTarget,
    LibraryOutcome,
    MentorPair,
    ServiceActivity,
    ServiceProblem,
    TrialApplication,
)
from gonghui.assist.selectors_ledger import children_of
from gonghui.members.models import Member
from gonghui.orgs.models import Enterprise, OrgUnit

SEED = 330199
ACTIVITIES = 620
K = ServiceActivity.Kind
KIND_WEIGHTS = {K.VISIT: 40, K.TRAINING: 25, K.REMOTE: 20, K.JOINT: 15}
SUBJECTS = [
    "数控车床",
    "注塑机",
    "焊接机器人",
    "空压机",
    "变频器",
    "输送线",
    "冲压模具",
    "包装机",
    "锅炉",
    "配电柜",
    "激光切割机",
    "叉车",
]
TITLES = {
    K.VISIT: ["{s}故障上门诊断", "{s}精度恢复现场指导", "{s}节能改造现场服务"],
    K.TRAINING: ["{s}操作技能培训", "{s}维护保养培训", "{s}安全操作规程培训"],
    K.REMOTE: ["{s}异常远程解答", "{s}参数设置远程指导"],
    K.JOINT: ["{s}工艺联合攻关", "{s}良品率提升联合攻关"],
}
PROBLEMS = [
    "{s}主轴异响",
    "{s}温控漂移",
    "{s}加工尺寸超差",
    "{s}液压系统泄漏",
    "{s}能耗偏高",
    "{s}频繁停机",
    "{s}程序优化",
    "{s}备件寿命短",
]
CONFIRMERS = ["设备科 陈工", "生产部 刘经理", "厂长 王总", "技术部 周工", "车间主任 李师傅"]
DEMO_CRAFTSMEN = [
    ("张建国", "330199", ["全国劳动模范"], "senior_technician"),
    ("李秀英", "330199", ["浙江工匠"], "technician"),
    ("王海波", "330201", ["大国工匠"], "senior_technician"),  # Ningbo: cross-region pairs
    ("陈立新", "330106", ["杭州工匠"], "technician"),
    ("周志强", "510100", ["全国技术能手"], "senior_technician"),  # Chengdu
    ("刘红梅", "330199", ["杭州市劳动模范"], "senior"),
]
DEMO_OUTCOMES = [
    ("数控刀具快换装置", "换刀时间由 20 分钟降到 3 分钟"),
    ("注塑机余热回收系统", "年节电约 12 万千瓦时"),
    ("焊缝视觉检测工装", "漏检率降为零"),
    ("空压机群控节能方法", "空载能耗下降 30%"),
    ("输送线防跑偏装置", "跑偏停机减少 80%"),
]


def seed_ledger(*, district: OrgUnit, stdout: Any) -> None:
    """Seed the ledger of ``district`` once (a district that already has activities is left
    alone). Needs an administrator of the district; prints a one-line summary to ``stdout``."""
    if ServiceActivity.objects.filter(org_unit__path__startswith=district.path).exists():
        return
    staff = (
        User.objects.filter(grants__role=Role.ADMIN, grants__org_unit=district, grants__revoked_at=None)
        .order_by("pk")
        .first()
    )
    if staff is None:
        stdout.write("服务台账演示数据：区总工会没有管理员账号，跳过。")
        return
    with transaction.atomic():
        _seed(district, staff, stdout)


def _craftsmen(district: OrgUnit) -> list[Craftsman]:
    existing = list(
        Craftsman.objects.filter(org_unit__path__startswith=district.path, active=True).order_by("pk")
    )
    if existing:
        return existing
    return [
        Craftsman.objects.create(
            name=name,
            org_unit=district,
            region=region,
            honours=honours,
            skill_level=level,
            max_apprentices=3,
            trades=["设备维修"],
        )
        for name, region, honours, level in DEMO_CRAFTSMEN
    ]


def _outcomes(district: OrgUnit) -> list[LibraryOutcome]:
    """Outcomes of the district's own library to offer (already offered ones first)."""
    existing = list(
        LibraryOutcome.objects.filter(org_unit=district, active=True).order_by("-trial_offered", "pk")[
            : len(DEMO_OUTCOMES)
        ]
    )
    if len(existing) >= len(DEMO_OUTCOMES):
        return existing
    return [
        LibraryOutcome.objects.create(title=title, description=effect, org_unit=district, type="五小")
        for title, effect in DEMO_OUTCOMES
    ]


def _activities(
    district: OrgUnit, staff: User, craftsmen: list[Craftsman], rng: random.Random, today: dt.date
) -> dict[int, dict[str, Any]]:
    """About 620 activities over the last 365 days; returns per-street tallies for the targets."""
    streets = children_of(district)
    enterprises: dict[str, list[Enterprise]] = defaultdict(list)
    for candidate in Enterprise.objects.filter(union__path__startswith=district.path).select_related("union"):
        enterprises[candidate.union.path[: len(district.path) + OrgUnit.steplen]].append(candidate)
    members: dict[int, list[Member]] = defaultdict(list)
    for member in Member.objects.filter(
        org_unit__path__startswith=district.path, employer__isnull=False, status=Member.Status.ACTIVE
    ).only("pk", "name", "id_number_index", "employer_id"):
        members[member.employer_id].append(member)  # type: ignore[index]
    kinds, weights = list(KIND_WEIGHTS), list(KIND_WEIGHTS.values())
    prepared = []
    tallies: dict[int, dict[str, Any]] = defaultdict(
        lambda: {"visits": 0, "enterprises": set(), "problems": 0, "people": set(), "times": 0}
    )
    for index in range(ACTIVITIES):
        street = rng.choice(streets) if streets and rng.random() < 0.9 else district
        pool = enterprises.get(street.path) or [e for group in enterprises.values() for e in group]
        kind = rng.choices(kinds, weights)[0]
        subject = SUBJECTS[index % len(SUBJECTS)]
        enterprise: Enterprise | None = (
            rng.choice(pool) if pool and (kind != K.TRAINING or rng.random() < 0.7) else None
        )
        team = rng.sample(craftsmen, min(len(craftsmen), rng.choice((1, 1, 2, 2, 3))))
        problems = (
            [rng.choice(PROBLEMS).format(s=subject) for _ in range(rng.choice((1, 1, 2, 3)))]
            if enterprise is not None and kind != K.TRAINING
            else []
        )
        trainees: list[TraineeInput] = []
        if enterprise is not None and (kind == K.TRAINING or rng.random() < 0.25):
            staff_pool = members.get(enterprise.pk, [])
            chosen = rng.sample(staff_pool, min(len(staff_pool), rng.randint(4, 30)))
            trainees = [TraineeInput(name=m.name, member=m) for m in chosen]
        # Some trainees attend more than one session of the activity: person-times ≥ people.
        person_times = len(trainees) + (rng.randint(0, len(trainees)) if trainees else 0)
        if kind == K.TRAINING and not trainees:
            person_times = rng.randint(20, 60)  # a public lecture: counted, names not taken
        estimated = Decimal(rng.choice((5000, 12000, 30000, 80000, 150000))) if rng.random() < 0.6 else None
        verified = (
            (estimated * Decimal(rng.choice(("0.6", "0.8", "1.0"))))
            if estimated and rng.random() < 0.5
            else None
        )
        data = ActivityInput(
            org_unit=street,
            kind=kind,
            title=rng.choice(TITLES[kind]).format(s=subject),
            held_on=today - timedelta(days=rng.randint(0, 364)),
            craftsmen=team,
            enterprise=enterprise,
            problems=list(dict.fromkeys(problems)),
            trainees=trainees,
            person_times=person_times,
            estimated_benefit=estimated,
            verified_benefit=verified,
            long_term_agreement=enterprise is not None and kind in (K.VISIT, K.JOINT) and rng.random() < 0.12,
        )
        prepared.append(data)
        if street.pk != district.pk and data.held_on.year == today.year:
            tally = tallies[street.pk]
            tally["visits"] += len(team)
            tally["problems"] += len(data.problems)
            tally["times"] += person_times
            if enterprise is not None:
                tally["enterprises"].add(enterprise.pk)
            tally["people"].update(ledger.person_key_for(member=t.member) for t in trainees)
    activities = ledger.activities_record(actor=staff, items=prepared)  # the ledger's rules, bulk insert
    _confirm_most(activities, rng)
    return tallies


def _confirm_most(activities: list[ServiceActivity], rng: random.Random) -> None:
    """About 70% of problems confirmed by the enterprise a few days later, 10% reported solved."""
    by_activity = {a.pk: a for a in activities}
    problems = list(ServiceProblem.objects.filter(activity_id__in=list(by_activity)))
    now = timezone.now()
    for problem in problems:
        roll = rng.random()
        held_on = by_activity[problem.activity_id].held_on
        if roll < 0.7:
            confirmed = timezone.make_aware(
                dt.datetime.combine(held_on, dt.time(10)) + timedelta(days=rng.randint(1, 10))
            )
            problem.solved = True
            problem.confirmed_by = rng.choice(CONFIRMERS)
            problem.confirmed_at = min(confirmed, now)
        elif roll < 0.8:
            problem.solved = True
    ServiceProblem.objects.bulk_update(problems, ["solved", "confirmed_by", "confirmed_at"], batch_size=500)


def _targets(district: OrgUnit, tallies: dict[int, dict[str, Any]], rng: random.Random, year: int) -> None:
    """Targets a little above or below the pace of the year (progress bars show both)."""
    done_share = max(timezone.localdate().timetuple().tm_yday / 365, 0.2)

    def goal(value: float) -> int:
        return max(10, round(value / done_share * rng.uniform(0.85, 1.3) / 10) * 10)

    rows = []
    totals = {"visits": 0, "enterprises": 0, "problems": 0, "people": 0, "times": 0}
    for street_id, tally in tallies.items():
        figures = {
            "visits": tally["visits"],
            "enterprises": len(tally["enterprises"]),
            "problems": tally["problems"],
            "people": len(tally["people"]),
            "times": tally["times"],
        }
        for key, value in figures.items():
            totals[key] += value
        rows.append(
            KpiTarget(
                org_unit_id=street_id,
                year=year,
                craftsman_visits=goal(figures["visits"]),
                enterprises=goal(figures["enterprises"]),
                problems=goal(figures["problems"] * 0.7),
                people_trained=goal(figures["people"]),
                person_times=goal(figures["times"]),
            )
        )
    rows.append(
        KpiTarget(
            org_unit=district,
            year=year,
            craftsman_visits=goal(totals["visits"] * 1.1),
            enterprises=goal(totals["enterprises"]),
            problems=goal(totals["problems"] * 0.75),
            people_trained=goal(totals["people"]),
            person_times=goal(totals["times"] * 1.1),
        )
    )
    KpiTarget.objects.bulk_create(rows, ignore_conflicts=True)


def _pairs(
    district: OrgUnit, staff: User, craftsmen: list[Craftsman], rng: random.Random, today: dt.date
) -> int:
    """Pairs in every state: active (with check-ins), completed (出师) and ended (解除)."""
    units = list(
        OrgUnit.objects.filter(path__startswith=district.path, level=OrgUnit.Level.ENTERPRISE).order_by(
            "path"
        )[:40]
    )
    apprentices = list(
        Member.objects.filter(org_unit__in=units, status=Member.Status.ACTIVE)
        .defer("id_number", "phone")
        .select_related("org_unit")
        .order_by("pk")[:200]
    )
    rng.shuffle(apprentices)
    active, completed, ended = MentorPair.Status.ACTIVE, MentorPair.Status.COMPLETED, MentorPair.Status.ENDED
    # Interleaved, so even a small district gets every state.
    plan = [active, completed, ended, active, completed, active] + [active, completed] * 4
    created = 0
    for index, (status, apprentice) in enumerate(zip(plan, apprentices, strict=False)):
        mentor = craftsmen[index % len(craftsmen)]
        if (
            MentorPair.objects.filter(mentor=mentor, status=MentorPair.Status.ACTIVE).count()
            >= mentor.max_apprentices
        ):
            continue
        starts = today - timedelta(days=rng.randint(60, 330))
        pair = pairs.pair_create(
            actor=staff,
            mentor=mentor,
            apprentice=apprentice,
            goals=rng.choice(("一年内取得高级工证书", "独立完成设备故障诊断", "掌握数控编程与调试")),
            agreement="师傅每月带教不少于 8 学时；徒弟每月提交学习小结。",
            starts_on=starts,
            ends_on=starts + timedelta(days=365),
            level_before=rng.choice(("junior", "middle")),
        )
        for weeks in range(1, rng.randint(3, 7)):
            on = starts + timedelta(weeks=weeks * 3)
            if on <= today:
                pairs.pair_check_in(
                    actor=staff,
                    pair=pair,
                    on=on,
                    note=rng.choice(("讲解设备原理", "现场故障排除", "工艺参数调试", "安全操作演练")),
                )
        if status == MentorPair.Status.COMPLETED:
            pairs.pair_complete(actor=staff, pair=pair, level_after=rng.choice(("senior", "technician")))
        elif status == MentorPair.Status.ENDED:
            pairs.pair_end(actor=staff, pair=pair, reason=rng.choice(("徒弟调岗", "企业停产检修")))
        created += 1
    return created


def _trials(
    district: OrgUnit, staff: User, outcomes: list[LibraryOutcome], rng: random.Random, today: dt.date
) -> int:
    """Offers with the owner's terms (kept when already offered), and applications in every state."""
    for index, outcome in enumerate(outcomes):
        if outcome.trial_offered:
            continue
        trials.outcome_offer_for_trial(
            actor=staff,
            outcome=outcome,
            owner_name=outcome.owner_name or rng.choice(("张建国", "李秀英", "示范精密机械有限公司")),
            licence_form=LibraryOutcome.LicenceForm.LICENCE
            if index % 3
            else LibraryOutcome.LicenceForm.TRANSFER,
            licence_fee=Decimal(rng.choice((0, 8000, 20000, 50000))),
            trial_months=rng.choice((3, 6, 6, 12)),
        )
    enterprises = list(Enterprise.objects.filter(union__path__startswith=district.path).order_by("pk")[:30])
    rng.shuffle(enterprises)
    T = TrialApplication.Status
    # Interleaved, so even a small district gets every state; one application per pair.
    plan = [T.CONVERTED, T.IN_TRIAL, T.APPLIED, T.EXTENDED, T.WITHDRAWN] * 3
    combos = [(e, o) for o in outcomes for e in enterprises]
    for index, (status, (enterprise, outcome)) in enumerate(zip(plan, combos, strict=False)):
        application = trials.trial_apply(actor=staff, outcome=outcome, enterprise=enterprise)
        if status == T.APPLIED:
            continue
        if status == T.WITHDRAWN and index % 2:
            trials.trial_withdraw(actor=staff, application=application, feedback="企业产线调整，暂不需要")
            continue
        signed = today - timedelta(days=rng.randint(40, 200))
        application = trials.trial_sign(actor=staff, application=application, signed_on=signed)
        for month in range(1, 4):
            on = signed + timedelta(days=30 * month)
            if on <= today:
                trials.trial_report(
                    actor=staff,
                    application=application,
                    on=on,
                    usage=rng.choice(("运行稳定，效率提升明显", "试用中发现需调整参数", "已在两条产线推广")),
                )
        if status == T.EXTENDED:
            assert application.trial_ends_on is not None
            trials.trial_extend(
                actor=staff, application=application, new_end=application.trial_ends_on + timedelta(days=60)
            )
        elif status == T.CONVERTED:
            fee = application.outcome.licence_fee or Decimal(0)
            amount = fee if index % 2 else (fee * Decimal("0.9")).quantize(Decimal("0.01"))
            trials.trial_convert(actor=staff, application=application, amount=amount)
        elif status == T.WITHDRAWN:
            trials.trial_withdraw(actor=staff, application=application, feedback="与现有设备接口不匹配")
    return min(len(plan), len(combos))


def _seed(district: OrgUnit, staff: User, stdout: Any) -> None:
    rng = random.Random(SEED)
    today = timezone.localdate()
    craftsmen = _craftsmen(district)
    tallies = _activities(district, staff, craftsmen, rng, today)
    _targets(district, tallies, rng, today.year)
    pair_count = _pairs(district, staff, craftsmen, rng, today)
    trial_count = _trials(district, staff, _outcomes(district), rng, today)
    stdout.write(
        f"服务台账：{ACTIVITIES} 次服务活动，{len(tallies) + 1} 个年度目标，"
        f"{pair_count} 对师徒结对，{trial_count} 项先用后转申请。"
    )
