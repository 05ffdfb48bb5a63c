"""Builders for open challenges (揭榜挂帅), shared by the tests and the demo seeder, and the
demo data itself: a challenge being implemented (a team, milestones, one checked in), one
published with a team still recruiting for an open position, one passed whose result is in
the outcome library with a few months of benefit, and one 流榜.

Everything goes through the real services with explicit dates; afterwards each history row
is dated to the day its step was taken (``_date_events``), so the history, the publicity
period and the 12 benefit months read as a real timeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.accounts.services import user_create
from gonghui.assist import challenges as svc
from gonghui.assist.models import Challenge, ChallengeEvent, ChallengeTeam, Craftsman, Milestone
from gonghui.core.workdays import add_working_days
from gonghui.orgs.models import Enterprise, OrgUnit

S = Challenge.Status
DEMO_PASSWORD = "gonghui2026"  # noqa: S105 - fictional demo accounts only
DAY = dt.timedelta(days=1)

# The order a challenge normally runs through; ``challenge_through`` stops at the target.
MAIN_PATH: tuple[str, ...] = (
    S.COLLECTING,
    S.VETTING,
    S.PUBLISHED,
    S.QUALIFYING,
    S.REVIEWING,
    S.PUBLICITY,
    S.CONTRACTED,
    S.IMPLEMENTING,
    S.ACCEPTANCE,
    S.PASSED,
)
# Ends and side states: (the status they branch from, the service call that reaches them).
BRANCHES: dict[str, str] = {
    S.WITHDRAWN: S.COLLECTING,
    S.UNCLAIMED: S.PUBLISHED,
    S.MIDTERM: S.IMPLEMENTING,
    S.TERMINATED: S.IMPLEMENTING,
    S.FAILED: S.ACCEPTANCE,
}
GOOD_SCORES = {"feasibility": 5, "innovation": 4, "team": 5, "schedule": 4, "defence": 4}


def make_craftsman(
    *, username: str, name: str, org_unit: OrgUnit, password: str | None = None, **fields: Any
) -> Craftsman:
    """A craftsman of the library with a login (role craftsman); reused when it exists."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(actor=None, username=username, display_name=name, password=password)
    if not RoleGrant.objects.filter(user=user, role=Role.CRAFTSMAN, revoked_at=None).exists():
        RoleGrant.objects.create(user=user, role=Role.CRAFTSMAN, org_unit=org_unit)
    craftsman = Craftsman.objects.filter(user=user).first()
    if craftsman is None:
        craftsman = Craftsman.objects.create(name=name, org_unit=org_unit, user=user, **fields)
    return craftsman


def make_challenge_judge(*, username: str, name: str, org_unit: OrgUnit, password: str | None = None) -> User:
    """A user holding the judge role on ``org_unit`` (judges every challenge below it)."""
    user = User.objects.filter(username=username).first()
    if user is None:
        user = user_create(actor=None, username=username, display_name=name, password=password)
    if not RoleGrant.objects.filter(user=user, role=Role.JUDGE, org_unit=org_unit, revoked_at=None).exists():
        RoleGrant.objects.create(user=user, role=Role.JUDGE, org_unit=org_unit)
    return user


def full_terms(*, start: dt.date, budget: Decimal = Decimal("300000")) -> dict[str, Any]:
    """Every term 发榜 requires, with the deadline 20 days after ``start``."""
    return {
        "acceptance_criteria": "连续运行 30 天故障率低于 0.5%，经企业与工会联合验收",
        "deadline": start + 20 * DAY,
        "budget": budget,
        "reward": Decimal("50000"),
        "ip_terms": "成果知识产权归企业所有，揭榜团队享有署名权和推广收益分成",
        "confidentiality": "揭榜团队签署保密协议，不得披露企业工艺参数",
        "conditions": "劳模工匠资源库在库工匠，团队 2–5 人，具备同类设备维修经验",
    }


@dataclass
class Timeline:
    """The days each step of ``challenge_through`` was taken (for assertions and the demo)."""

    start: dt.date
    days: dict[str, dt.date] = field(default_factory=dict)
    team: ChallengeTeam | None = None
    milestones: list[Milestone] = field(default_factory=list)


def _at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10, 0)))


def _date_events(challenge: Challenge, after_id: int, day: dt.date) -> int:
    """Date the history rows written since ``after_id`` to ``day``; returns the last id."""
    rows = ChallengeEvent.objects.filter(challenge=challenge, pk__gt=after_id)
    rows.update(at=_at(day))
    return max([after_id, *rows.values_list("pk", flat=True)])


def challenge_through(
    *,
    to: str,
    staff: User,
    org_unit: OrgUnit,
    craftsmen: Sequence[Craftsman],
    judges: Sequence[User] = (),
    start: dt.date,
    title: str = "高速冲压线模具频繁开裂攻关",
    description: str = "某汽车零部件企业高速冲压线模具使用寿命不足 3 万次即出现开裂，需查明原因并提出改进方案。",
    enterprise: Enterprise | None = None,
    with_team: bool = True,
    scores: dict[str, int] | None = None,
    timeline: Timeline | None = None,
) -> Challenge:
    """Create a challenge on ``start`` and drive it through the real services to ``to``.

    Past 发榜, ``craftsmen[0]`` leads a team with an open 工艺工程师 position that
    ``craftsmen[1]`` takes, and the team applies (``with_team=False`` leaves the board empty,
    as 流榜 needs). ``judges`` score it with ``scores`` at 评审.
    """
    timeline = timeline if timeline is not None else Timeline(start=start)
    branch_from = BRANCHES.get(to)
    target = branch_from or to
    path = MAIN_PATH[: MAIN_PATH.index(target) + 1]
    challenge = svc.challenge_create(
        actor=staff,
        org_unit=org_unit,
        title=title,
        description=description,
        enterprise=enterprise,
        **full_terms(start=start),
    )
    last = _date_events(challenge, 0, start)
    timeline.days[S.COLLECTING] = start
    deadline = start + 20 * DAY
    day = start
    for step in path[1:]:
        if step == S.VETTING:
            challenge = svc.challenge_submit_for_vetting(challenge=challenge, actor=staff)
        elif step == S.PUBLISHED:
            challenge = svc.challenge_publish(challenge=challenge, actor=staff, today=day)
            if with_team and to != S.UNCLAIMED:
                last = _date_events(challenge, last, day)
                day += DAY
                timeline.team = _form_team(challenge, craftsmen, day)
        elif step == S.QUALIFYING:
            day = deadline + DAY
            challenge = svc.challenge_start_qualification(challenge=challenge, actor=staff, today=day)
        elif step == S.REVIEWING:
            assert timeline.team is not None
            svc.team_qualify(team=timeline.team, actor=staff, qualified=True, note="资质齐全，人员到位")
            challenge = svc.challenge_start_review(challenge=challenge, actor=staff)
        elif step == S.PUBLICITY:
            assert timeline.team is not None
            for judge in judges:
                svc.challenge_score_submit(team=timeline.team, actor=judge, scores=scores or GOOD_SCORES)
            day += DAY
            challenge = svc.challenge_publicize(
                challenge=challenge, actor=staff, selected=[timeline.team], today=day
            )
        elif step == S.CONTRACTED:
            assert timeline.team is not None and challenge.publicity_ends_on is not None
            day = challenge.publicity_ends_on + DAY
            challenge = svc.challenge_contract(
                challenge=challenge,
                actor=staff,
                milestones=[
                    svc.MilestoneInput(
                        timeline.team.pk, "失效分析与改进方案", day + 30 * DAY, Decimal("90000")
                    ),
                    svc.MilestoneInput(
                        timeline.team.pk, "新模具试制与连续运行验证", day + 75 * DAY, Decimal("160000")
                    ),
                ],
                today=day,
            )
            timeline.milestones = list(Milestone.objects.filter(challenge=challenge).order_by("due_on"))
        elif step == S.IMPLEMENTING:
            challenge = svc.challenge_start_implementation(challenge=challenge, actor=staff)
        elif step == S.ACCEPTANCE:
            last = _date_events(challenge, last, day)
            for milestone in timeline.milestones:
                day = milestone.due_on - 2 * DAY
                svc.milestone_check_in(
                    milestone=milestone,
                    actor=_user(craftsmen[0]),
                    report=f"{milestone.title}已完成，附检测报告",
                )
                svc.milestone_confirm(milestone=milestone, actor=staff, passed=True, note="经现场核查属实")
                last = _date_events(challenge, last, day)
            day += 3 * DAY
            challenge = svc.challenge_request_acceptance(challenge=challenge, actor=staff)
        elif step == S.PASSED:
            day += 2 * DAY
            challenge = svc.challenge_pass(
                challenge=challenge,
                actor=staff,
                comment="连续运行 30 天无开裂，模具寿命提升到 12 万次，验收通过",
                tags=["冲压模具", "失效分析"],
            )
        last = _date_events(challenge, last, day)
        timeline.days[step] = day
    if branch_from is not None:
        day += DAY
        reason: dict[str, str] = {
            S.WITHDRAWN: "企业已自行解决",
            S.TERMINATED: "企业停产转型",
            S.FAILED: "未达到验收标准",
        }
        if to == S.WITHDRAWN:
            challenge = svc.challenge_withdraw(challenge=challenge, actor=staff, reason=reason[to])
        elif to == S.UNCLAIMED:
            day = deadline + DAY
            challenge = svc.challenge_close_unclaimed(challenge=challenge, actor=None, today=day)
        elif to == S.MIDTERM:
            challenge = svc.challenge_start_midterm(challenge=challenge, actor=staff)
        elif to == S.TERMINATED:
            challenge = svc.challenge_terminate(challenge=challenge, actor=staff, reason=reason[to])
        elif to == S.FAILED:
            challenge = svc.challenge_fail(challenge=challenge, actor=staff, reason=reason[to])
        _date_events(challenge, last, day)
        timeline.days[to] = day
    challenge.refresh_from_db()
    return challenge


def _user(craftsman: Craftsman) -> User:
    assert craftsman.user is not None
    return craftsman.user


def _form_team(challenge: Challenge, craftsmen: Sequence[Craftsman], day: dt.date) -> ChallengeTeam:
    """``craftsmen[0]`` leads with an open position; ``craftsmen[1]`` joins; the team applies."""
    leader, member = craftsmen[0], craftsmen[1]
    team = svc.team_create(
        challenge=challenge,
        actor=_user(leader),
        name=f"{leader.name}攻关队",
        leader_role="负责人",
        positions=[svc.PositionInput("工艺工程师", "模具热处理")],
        today=day,
    )
    position = team.positions.get(craftsman=None)
    svc.team_join(position=position, actor=_user(member), today=day)
    return svc.team_apply(
        team=team,
        actor=_user(leader),
        plan="金相分析查找裂纹源，优化热处理工艺并改用粉末高速钢镶块。",
        today=day,
    )


# --- demo ----------------------------------------------------------------------------------

DEMO_CRAFTSMEN = [
    ("jb_wang", "王建军", ["全国劳动模范"], ["模具工"]),
    ("jb_li", "李红梅", ["浙江工匠"], ["热处理工"]),
    ("jb_zhang", "张伟", ["杭州工匠"], ["数控车工"]),
    ("jb_chen", "陈立新", ["省级技能大师"], ["电工"]),
]
DEMO_JUDGES = [("jb_judge1", "周国华"), ("jb_judge2", "吴晓燕"), ("jb_judge3", "郑建平")]


def seed_challenges(*, district: OrgUnit, stdout: Any) -> None:
    """Demo challenges in the district (idempotent: nothing is added when it has any)."""
    if Challenge.objects.filter(org_unit__path__startswith=district.path).exists():
        return
    staff = (
        User.objects.filter(grants__role=Role.ADMIN, grants__org_unit=district, grants__revoked_at=None)
        .order_by("pk")
        .first()
    )
    if staff is None:
        stdout.write("揭榜挂帅演示数据：区总工会没有管理员账号，跳过。")
        return
    with transaction.atomic():
        _seed(district, staff, stdout)


def _seed(district: OrgUnit, staff: User, stdout: Any) -> None:
    today = timezone.localdate()
    street = district.get_children().order_by("path").first() or district
    enterprises = list(Enterprise.objects.filter(union__path__startswith=district.path).order_by("pk")[:4])
    craftsmen = [
        make_craftsman(
            username=username,
            name=name,
            org_unit=street,
            password=DEMO_PASSWORD,
            honours=honours,
            trades=trades,
            skill_level=Craftsman.SkillLevel.SENIOR_TECHNICIAN,
        )
        for username, name, honours, trades in DEMO_CRAFTSMEN
    ]
    judges = [
        make_challenge_judge(username=u, name=n, org_unit=district, password=DEMO_PASSWORD)
        for u, n in DEMO_JUDGES
    ]

    def enterprise(i: int) -> Enterprise | None:
        return enterprises[i] if i < len(enterprises) else None

    # 验收通过: accepted about five months ago, benefit recorded for the months since.
    passed_start = today - 265 * DAY
    passed = challenge_through(
        to=S.PASSED,
        staff=staff,
        org_unit=district,
        craftsmen=craftsmen[:2],
        judges=judges,
        start=passed_start,
        enterprise=enterprise(0),
    )
    for month in svc.benefit_months(passed):
        if month >= svc.first_of_month(today):
            break
        svc.benefit_record(challenge=passed, actor=staff, month=month, amount=Decimal("38000"), today=today)

    # 实施中: contracted a month ago, the first milestone reported and waiting for confirmation.
    timeline = Timeline(start=today - 45 * DAY)
    running = challenge_through(
        to=S.IMPLEMENTING,
        staff=staff,
        org_unit=street,
        craftsmen=[craftsmen[2], craftsmen[3]],
        judges=judges,
        start=timeline.start,
        title="注塑机液压系统异响与油温过高",
        description="注塑车间 8 台 280 吨注塑机液压系统异响、油温超过 60℃，需在不停产条件下完成诊断和改造。",
        enterprise=enterprise(1),
        scores={"feasibility": 4, "innovation": 4, "team": 4, "schedule": 3, "defence": 4},
        timeline=timeline,
    )
    first = Milestone.objects.filter(challenge=running).order_by("due_on").first()
    if first is not None:
        svc.milestone_check_in(
            milestone=first, actor=_user(craftsmen[2]), report="已完成 8 台设备振动与油温检测，出具诊断报告"
        )

    # 揭榜中: a leader recruits for an open position.
    published = challenge_through(
        to=S.PUBLISHED,
        staff=staff,
        org_unit=street,
        craftsmen=craftsmen,
        start=today - 3 * DAY,
        title="变电站巡检机器人图像识别误报率高",
        description="巡检机器人对表计读数与异物识别误报率约 15%，需优化识别算法与现场标定方法。",
        enterprise=enterprise(2),
        with_team=False,
    )
    svc.team_create(
        challenge=published,
        actor=_user(craftsmen[3]),
        name="陈立新电气创新队",
        positions=[
            svc.PositionInput("图像算法", "深度学习、OpenCV"),
            svc.PositionInput("现场标定", "变电运维"),
        ],
        today=today,
    )

    # 流榜: nobody applied before the deadline.
    challenge_through(
        to=S.UNCLAIMED,
        staff=staff,
        org_unit=district,
        craftsmen=craftsmen,
        start=today - 60 * DAY,
        title="老旧锅炉燃烧控制系统国产化替代",
        description="进口燃烧控制器停产，需以国产控制器替代并保证燃烧效率不下降。",
        enterprise=enterprise(3),
        with_team=False,
    )
    ends = add_working_days(today, svc.PUBLICITY_WORKING_DAYS)
    stdout.write(
        f"揭榜挂帅：4 个榜单（实施中、揭榜中、验收通过并入成果库、流榜）；工匠账号 "
        f"{'、'.join(u for u, *_ in DEMO_CRAFTSMEN)}，评审专家 {'、'.join(u for u, _ in DEMO_JUDGES)}"
        f"（密码 {DEMO_PASSWORD}）。今天开始的公示将持续到 {ends:%Y-%m-%d}。"
    )
