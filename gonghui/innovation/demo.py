"""Demo data for worker innovation (fixed seed): a few hundred outcomes in every state filed by
workers across the demo district, judges, a finished 15-entry roadshow and one being prepared,
studios rated for two years, and an alliance. Everything goes through the real services;
only the dates are spread over two years afterwards so the statistics have a history."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.accounts.services import user_create
from gonghui.innovation import evaluations as ev
from gonghui.innovation import studios as st
from gonghui.innovation.factories import advance, make_judge
from gonghui.innovation.models import Outcome, OutcomeTransition, Studio, StudioMember
from gonghui.innovation.outcomes import TeamMemberInput, outcome_create
from gonghui.innovation.outcomes import outcome_add_patent as add_patent
from gonghui.members.models import Member
from gonghui.orgs.models import OrgUnit

SEED = 4242
DEMO_PASSWORD = "gonghui2026"  # noqa: S105 - fictional demo accounts only
S = Outcome.Status

SUBJECTS = [
    "数控车床",
    "焊接工装",
    "输煤皮带",
    "变压器检修",
    "注塑模具",
    "包装流水线",
    "低压配电柜",
    "空压机",
    "锅炉给水泵",
    "叉车",
    "立体货架",
    "SMT贴片机",
    "细纱机",
    "灌装线",
    "桥式起重机",
    "冷却塔",
]
ACTIONS = [
    ("快速换型装置", "换型需停机 40 分钟，影响交付", "设计定位快换结构，一次对准", "换型时间缩短到 8 分钟"),
    ("防错检测工装", "人工目检漏检率高", "加装传感器与防错销", "漏检降为零"),
    ("节能改造", "设备空载运行能耗大", "加装变频器并优化启停逻辑", "年节电约 12 万千瓦时"),
    ("自动清扫装置", "粉尘堆积需人工清理，存在安全隐患", "设计刮板式自动清扫机构", "减少人工清扫 2 人/班"),
    ("故障预警方法", "突发故障造成停线", "采集振动与温度数据设定预警阈值", "非计划停机减少 60%"),
    ("定位夹具改进", "工件装夹找正耗时", "改用一面两销定位", "装夹时间减少一半"),
    ("润滑方式优化", "人工加油不均导致磨损", "改为集中定量润滑", "轴承寿命延长一倍"),
    ("安全防护罩", "旋转部件外露，存在卷入风险", "加装联锁防护罩", "消除卷入隐患"),
    ("在线检测装置", "离线抽检滞后", "在线激光测量并自动剔除", "不良品外流为零"),
    ("先进操作法", "新员工操作差异大", "总结六步操作法并编制口诀", "合格率提升到 99.5%"),
]
# (status, count): every state has content; most outcomes are past review.
STATUS_MIX = [
    (S.DRAFT, 10),
    (S.SUBMITTED, 22),
    (S.ACCEPTED, 18),
    (S.IN_REVIEW, 20),
    (S.TRIAL, 8),
    (S.SHELVED, 10),
    (S.DECLINED, 14),
    (S.ADOPTED, 16),
    (S.IMPLEMENTED, 18),
    (S.BENEFIT_CALCULATED, 14),
    (S.GRADED, 30),
    (S.REWARDED, 30),
    (S.ARCHIVED, 20),
]
SAVINGS = [Decimal(v) for v in ("6000", "35000", "80000", "150000", "420000", "680000", "1250000")]
JUDGES = [
    ("judge1", "王建国", "大国工匠"),
    ("judge2", "李秀英", "全国劳动模范"),
    ("judge3", "张卫东", "浙江工匠"),
    ("judge4", "陈志强", "高级工程师"),
    ("judge5", "刘海燕", "全国五一劳动奖章"),
    ("judge6", "赵国平", "杭州工匠"),
]


def seed_demo(*, stdout: Any) -> None:
    from django.test.utils import override_settings

    district = OrgUnit.objects.filter(division_code="330199", level="district").first()
    if district is None or Outcome.objects.filter(org_unit__path__startswith=district.path).exists():
        return
    with override_settings(SMS_BACKEND="gonghui.accounts.sms.LocmemSmsBackend"), transaction.atomic():
        _seed(district, stdout)


def _proposers(district: OrgUnit, rng: random.Random) -> list[Member]:
    """About 60 members across enterprises get a login (the demo worker among them)."""
    members = list(
        Member.objects.filter(
            org_unit__path__startswith=district.path, org_unit__level="enterprise", employer__isnull=False
        )
        .select_related("org_unit", "employer")
        .order_by("pk")[:3000]
    )
    chosen = rng.sample(members, 60)
    worker = Member.objects.filter(user__username="worker").select_related("org_unit", "employer").first()
    if worker is not None:
        chosen.insert(0, worker)
    for member in chosen:
        if member.user_id is None:
            member.user = user_create(
                actor=None, username=f"w{member.pk}", display_name=member.name, password=None
            )
            member.save(update_fields=["user"])
    return chosen


def _file(member: Member, rng: random.Random, index: int, status: str, admin: User) -> Outcome:
    subject = SUBJECTS[index % len(SUBJECTS)]
    action, situation, measures, effect = ACTIONS[(index // len(SUBJECTS)) % len(ACTIONS)]
    kind = (
        "operation_method"
        if action == "先进操作法"
        else rng.choice(["five_small", "five_small", "rationalisation", "tech_innovation", "invention"])
    )
    suffix = "" if index < len(SUBJECTS) * len(ACTIONS) else "（二期）"
    colleague = (
        Member.objects.filter(employer=member.employer)
        .exclude(pk=member.pk)
        .values_list("name", flat=True)
        .first()
    )
    team = [TeamMemberInput(name=member.name, share=Decimal(100), member_id=member.pk)]
    if colleague and rng.random() < 0.6:
        team = [
            TeamMemberInput(name=member.name, share=Decimal(60), member_id=member.pk),
            TeamMemberInput(name=colleague, share=Decimal(40)),
        ]
    outcome = outcome_create(
        actor=member.user,  # type: ignore[arg-type]
        org_unit=member.org_unit,
        type=kind,
        subtype=rng.choice(["小发明", "小创造", "小革新", "小设计", "小建议"])
        if kind == "five_small"
        else "",
        title=f"{subject}{action}{suffix}",
        situation=f"{subject}{situation}",
        measures=measures,
        effect=effect,
        tags=[subject],
        estimated_benefit=rng.choice(SAVINGS),
        team=team,
    )
    return advance(
        outcome,
        proposer=member.user,  # type: ignore[arg-type]
        staff=admin,
        to=status,
        saving=rng.choice(SAVINGS),
        implemented_on=dt.date(2025, rng.randint(1, 10), rng.randint(1, 28)),
        paid_on=dt.date(2026, rng.randint(1, 10), rng.randint(1, 28)),
    )


def _backdate(outcomes: list[Outcome], rng: random.Random) -> None:
    """Spread filing dates over 2025–2026 so monthly and year-on-year charts have a history."""
    today = timezone.now()
    for outcome in outcomes:
        offset = dt.timedelta(days=rng.randint(5, 640), hours=rng.randint(0, 9))
        when = today - offset
        Outcome.objects.filter(pk=outcome.pk).update(
            created_at=when, submitted_at=when if outcome.submitted_at else None
        )
        OutcomeTransition.objects.filter(outcome=outcome, to_status__in=[S.DRAFT, S.SUBMITTED]).update(
            at=when
        )


def _studios(district: OrgUnit, admin: User, outcomes: list[Outcome], rng: random.Random) -> list[Studio]:
    hosts = [o for o in outcomes if o.enterprise_id][:: max(1, len(outcomes) // 10)][:8]
    studios: list[Studio] = []
    for index, outcome in enumerate(hosts):
        leader = outcome.team.order_by("order").first()
        studio = st.studio_create(
            actor=admin,
            org_unit=outcome.org_unit,
            enterprise=outcome.enterprise,
            name=f"{leader.name if leader else '示范'}{SUBJECTS[index % len(SUBJECTS)]}创新工作室",
            leader_name=leader.name if leader else "示范",
            leader_title=rng.choice(["省级工匠", "市级劳动模范", "区级技能大师", "全国技术能手"]),
            level=rng.choice([Studio.Level.DISTRICT, Studio.Level.CITY, Studio.Level.ENTERPRISE]),
            field=SUBJECTS[index % len(SUBJECTS)],
            founded_on=dt.date(2019 + index % 4, 3, 1),
            space_sqm=rng.choice([0, 80, 120, 200]) if index == 7 else rng.choice([80, 120, 200]),
            rules="工作室管理办法、课题管理制度",
            plans="年度攻关课题 3 项",
            funding=Decimal(rng.choice([50000, 100000, 200000])),
        )
        studios.append(studio)
        strength = 0.4 + 0.6 * (index / 7)
        # Outcomes filed under the studio: its host enterprise's, plus a share of the rest.
        own = [o for o in outcomes if o.enterprise_id == outcome.enterprise_id or o.pk % 8 == index]
        Outcome.objects.filter(pk__in=[o.pk for o in own]).update(studio=studio)
        verified = [o for o in own if o.verified_at is not None]
        for n, o in enumerate(verified):
            assert o.verified_at is not None
            year = 2025 if n % 2 else 2026
            Outcome.objects.filter(pk=o.pk).update(
                verified_at=o.verified_at.replace(year=year), licensed=n < int(6 * strength)
            )
            Outcome.objects.filter(pk=o.pk, implemented_on__isnull=False).update(
                implemented_on=dt.date(year, 5, 1)
            )
        for n, o in enumerate(own[: int(8 * strength)]):
            add_patent(
                outcome=o,
                actor=admin,
                number=f"ZL{2024 + n % 2}2{index:02d}{n:05d}.X",
                kind=rng.choice(["utility", "invention"]),
                status="granted",
                granted_on=dt.date(2025 + n % 2, 1 + n, 15),
            )
        for year in (2025, 2026):
            for n in range(4):
                st.studio_add_person(
                    actor=admin, studio=studio, name=f"骨干{n + 1}号", role=StudioMember.Role.CORE, year=year
                )
            for n in range(int(12 * strength)):
                st.studio_add_person(
                    actor=admin,
                    studio=studio,
                    name=f"徒弟{n + 1}号",
                    role=StudioMember.Role.APPRENTICE,
                    year=year,
                )
            for n in range(int(4 * strength)):
                st.studio_add_person(
                    actor=admin,
                    studio=studio,
                    name=f"高技能{n + 1}号",
                    role=StudioMember.Role.HIGH_SKILL,
                    year=year,
                )
            haves = ["leader", "core_team", "facilities", "rules", "plans", "mentoring"]
            if index == 6 and year == 2026:
                haves.remove("mentoring")  # a studio that lost its evidence: delisted on re-rating
            for have in haves:
                st.studio_add_evidence(
                    actor=admin, studio=studio, have=have, description=f"{year} 年度佐证材料", year=year
                )
            for n in range(int(24 * strength)):
                st.studio_add_activity(
                    actor=admin,
                    studio=studio,
                    kind="problem",
                    title=f"现场难题攻关 {n + 1}",
                    held_on=dt.date(year, 1 + n % 10, 10),
                    participants=6,
                    confirmed=rng.random() < 0.85,
                )
            for n in range(int(14 * strength)):
                st.studio_add_activity(
                    actor=admin,
                    studio=studio,
                    kind="culture",
                    title=f"创新沙龙 {n + 1}",
                    held_on=dt.date(year, 1 + n % 10, 20),
                    participants=30,
                )
        st.studio_rate(studio=studio, actor=admin, year=2025)
        st.studio_rate(studio=studio, actor=admin, year=2026)
    return studios


def _roadshows(district: OrgUnit, admin: User, outcomes: list[Outcome], rng: random.Random) -> None:
    judges = [
        make_judge(u, unit=district, display_name=name, password=DEMO_PASSWORD) for u, name, _ in JUDGES
    ]
    rubric = ev.rubric_create(actor=admin, org_unit=district, name="职工创新成果路演评分细则")
    eligible = [o for o in outcomes if o.status in ev.ELIGIBLE_STATUSES]
    finished = ev.evaluation_create(
        actor=admin,
        org_unit=district,
        title="2026 年示范区职工创新成果路演",
        rubric=rubric,
        held_on=dt.date(2026, 9, 18),
        venue="示范区职工服务中心报告厅",
        outcomes=eligible[:15],
        judges=[(j, title) for j, (_, _, title) in zip(judges, JUDGES, strict=True)],
    )
    ev.evaluation_start(evaluation=finished, actor=admin)
    quality = {e.pk: rng.uniform(2.2, 4.8) for e in finished.entries.all()}
    for assignment in ev.Assignment.objects.filter(entry__evaluation=finished).select_related(
        "judge__user", "entry"
    ):
        if assignment.entry.order == 4 and assignment.judge.seat == 2:
            ev.judge_declare_conflict(
                assignment=assignment, actor=assignment.judge.user, reason="与该项目完成人同一车间"
            )
            continue
        base = quality[assignment.entry_id]
        scores = {
            code: max(1, min(5, round(base + rng.uniform(-1, 1))))
            for code in ("novelty", "technology", "practicality", "economic", "social", "presentation")
        }
        ev.score_submit(assignment=assignment, actor=assignment.judge.user, scores=scores)
    ev.evaluation_close(evaluation=finished, actor=admin)
    ev.evaluation_create(
        actor=admin,
        org_unit=district,
        title="2026 年第四季度金点子路演",
        rubric=rubric,
        held_on=timezone.localdate() + dt.timedelta(days=7),
        venue="示范区职工服务中心",
        outcomes=eligible[15:20],
        judges=[(j, title) for j, (_, _, title) in list(zip(judges, JUDGES, strict=True))[:3]],
        presentation_seconds=300,
        qa_seconds=180,
    )


def _seed(district: OrgUnit, stdout: Any) -> None:
    rng = random.Random(SEED)
    admin = User.objects.get(username="district_admin")
    proposers = _proposers(district, rng)
    statuses = [status for status, count in STATUS_MIX for _ in range(count)]
    rng.shuffle(statuses)
    outcomes = []
    for index, status in enumerate(statuses):
        member = proposers[0] if index < 4 else rng.choice(proposers)
        outcomes.append(_file(member, rng, index, status, admin))
    _backdate(outcomes, rng)
    outcomes = list(Outcome.objects.filter(pk__in=[o.pk for o in outcomes]).order_by("pk"))
    studios = _studios(district, admin, outcomes, rng)
    _roadshows(district, admin, outcomes, rng)
    alliance = st.alliance_create(
        actor=admin,
        org_unit=district,
        name="示范区智能制造创新工作室联盟",
        field="智能制造",
        founded_on=dt.date(2024, 5, 1),
        description="区内外创新工作室共享设备与专家，联合攻关共性难题。",
        studios=studios[:5],
        lead=studios[0],
    )
    st.alliance_add_project(
        actor=admin,
        alliance=alliance,
        title="数控设备预测性维护联合攻关",
        studios=studios[:3],
        started_on=dt.date(2025, 3, 1),
    )
    st.alliance_share(
        actor=admin,
        alliance=alliance,
        studio=studios[1],
        kind="equipment",
        name="三坐标测量机",
        description="每周二、四开放预约",
    )
    st.alliance_share(
        actor=admin,
        alliance=alliance,
        studio=studios[0],
        kind="expert",
        name=studios[0].leader_name,
        description="数控维修",
    )
    st.alliance_add_activity(
        actor=admin,
        alliance=alliance,
        title="联盟年度技术交流会",
        held_on=dt.date(2025, 11, 20),
        participants=86,
    )
    stdout.write(
        f"职工创新：{len(outcomes)} 项成果、{len(studios)} 个创新工作室、2 场路演；"
        "评委账号 judge1–judge6（密码同上，手机打分）。"
    )
