"""揭榜挂帅 services: every move's guard against a hand-written table, team assembly,
qualification, the review ranking (the innovation engine, a hand-computed trimmed mean),
公示 over a holiday, contracts and milestones, acceptance (pass → outcome library and 12
benefit months, extend, fail), 流榜 by the deadline, and who may do what."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from typing import Any

import pytest

from gonghui.accounts.models import Role, RoleGrant, User
from gonghui.assist import challenges as svc
from gonghui.assist import errors
from gonghui.assist.demo_challenges import (
    GOOD_SCORES,
    Timeline,
    challenge_through,
    full_terms,
    make_challenge_judge,
    make_craftsman,
)
from gonghui.assist.models import (
    BenefitRecord,
    Challenge,
    ChallengeEvent,
    ChallengeScore,
    ChallengeTeam,
    Craftsman,
    LibraryOutcome,
    Milestone,
)
from gonghui.audit.models import AuditEntry
from gonghui.conftest import PASSWORD, World
from gonghui.core.errors import DomainError, PermissionDenied

pytestmark = pytest.mark.django_db
S = Challenge.Status
T = ChallengeTeam.Status
M = Milestone.Status
START = dt.date(2025, 9, 1)  # a Monday; the deadline is 2025-09-21
DAY = dt.timedelta(days=1)

# The spec's state machine, written out by hand (not derived from the code under test).
ALLOWED: dict[str, set[str]] = {
    "collecting": {"vetting", "withdrawn"},
    "vetting": {"published", "collecting", "withdrawn"},
    "published": {"qualifying", "unclaimed", "withdrawn"},
    "qualifying": {"reviewing", "withdrawn"},
    "reviewing": {"publicity", "withdrawn"},
    "publicity": {"contracted", "reviewing", "withdrawn"},
    "contracted": {"implementing", "terminated"},
    "implementing": {"midterm", "acceptance", "terminated"},
    "midterm": {"implementing", "terminated"},
    "acceptance": {"passed", "implementing", "failed"},
    "passed": set(),
    "failed": set(),
    "unclaimed": set(),
    "withdrawn": set(),
    "terminated": set(),
}


# --- fixtures ----------------------------------------------------------------------------


@pytest.fixture
def craftsmen(world: World) -> list[Craftsman]:
    names = ["王建军", "李红梅", "张伟", "陈立新"]
    return [
        make_craftsman(username=f"c{i}", name=name, org_unit=world.street_a, password=PASSWORD)
        for i, name in enumerate(names, start=1)
    ]


@pytest.fixture
def judges(world: World) -> list[User]:
    return [
        make_challenge_judge(username=f"j{i}", name=f"评委{i}", org_unit=world.district, password=PASSWORD)
        for i in range(1, 7)
    ]


@pytest.fixture
def staff(world: World) -> User:
    return world.users["street_a_admin"]


@pytest.fixture
def build(
    world: World, staff: User, craftsmen: list[Craftsman], judges: list[User]
) -> Callable[..., Challenge]:
    """A street-A challenge driven to ``to`` (one team of craftsmen 1+2, three judges)."""

    def make(to: str, **kwargs: Any) -> Challenge:
        kwargs.setdefault("judges", judges[:3])
        return challenge_through(
            to=to, staff=staff, org_unit=world.street_a, craftsmen=craftsmen, start=START, **kwargs
        )

    return make


def _user(craftsman: Craftsman) -> User:
    assert craftsman.user is not None
    return craftsman.user


def _team(challenge: Challenge) -> ChallengeTeam:
    return ChallengeTeam.objects.filter(challenge=challenge).order_by("pk").first()  # type: ignore[return-value]


def _state(challenge: Challenge) -> tuple[Any, ...]:
    """Everything a refused move must leave as it was."""
    challenge.refresh_from_db()
    return (
        challenge.status,
        challenge.updated_at,
        challenge.publicity_ends_on,
        challenge.result_outcome_id,
        ChallengeEvent.objects.filter(challenge=challenge).count(),
        tuple(
            ChallengeTeam.objects.filter(challenge=challenge).order_by("pk").values_list("status", flat=True)
        ),
        Milestone.objects.filter(challenge=challenge).count(),
        LibraryOutcome.objects.count(),
        AuditEntry.objects.count(),
    )


def _expect(code: str, call: Callable[[], Any]) -> DomainError:
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code, caught.value.message
    return caught.value


# --- the transition table ----------------------------------------------------------------


def test_transition_table_is_the_spec() -> None:
    assert {k: set(v) for k, v in svc.TRANSITIONS.items()} == ALLOWED
    assert set(ALLOWED) == set(S.values)


def _attempts(
    challenge: Challenge, staff: User, team: ChallengeTeam | None
) -> dict[str, list[Callable[[], Any]]]:
    """For each target status, every service call that moves a challenge there, with inputs
    valid for a challenge on the builder's timeline."""
    team = team or ChallengeTeam(name="—")
    deadline = challenge.deadline or START
    after_publicity = (challenge.publicity_ends_on or START) + DAY
    milestone = [svc.MilestoneInput(team.pk or 0, "方案", after_publicity + 30 * DAY, Decimal(1000))]
    c: dict[str, Any] = {"challenge": challenge, "actor": staff}
    return {
        S.VETTING: [lambda: svc.challenge_submit_for_vetting(**c)],
        S.COLLECTING: [lambda: svc.challenge_return(**c, reason="补充设备型号")],
        S.PUBLISHED: [lambda: svc.challenge_publish(**c, today=START)],
        S.WITHDRAWN: [lambda: svc.challenge_withdraw(**c, reason="企业已自行解决")],
        S.TERMINATED: [lambda: svc.challenge_terminate(**c, reason="企业停产")],
        S.QUALIFYING: [lambda: svc.challenge_start_qualification(**c, today=deadline + DAY)],
        S.UNCLAIMED: [lambda: svc.challenge_close_unclaimed(**c, today=deadline + DAY)],
        S.REVIEWING: [
            lambda: svc.challenge_start_review(**c),
            lambda: svc.challenge_reopen_review(**c, reason="异议成立"),
        ],
        S.PUBLICITY: [lambda: svc.challenge_publicize(**c, selected=[team], today=deadline + 2 * DAY)],
        S.CONTRACTED: [lambda: svc.challenge_contract(**c, milestones=milestone, today=after_publicity)],
        S.IMPLEMENTING: [
            lambda: svc.challenge_start_implementation(**c),
            lambda: svc.challenge_finish_midterm(**c, passed=True, comment="进度正常"),
            lambda: svc.challenge_extend(
                **c, team=team, title="整改", due_on=dt.date(2099, 1, 1), reason="需补充试验", today=START
            ),
        ],
        S.MIDTERM: [lambda: svc.challenge_start_midterm(**c)],
        S.ACCEPTANCE: [lambda: svc.challenge_request_acceptance(**c)],
        S.PASSED: [lambda: svc.challenge_pass(**c, comment="达到验收标准")],
        S.FAILED: [lambda: svc.challenge_fail(**c, reason="未达到验收标准")],
    }


@pytest.mark.parametrize("status", sorted(S.values))
def test_refused_moves_raise_state_error_and_change_nothing(
    build: Callable[..., Challenge], staff: User, status: str
) -> None:
    challenge = build(status)
    assert challenge.status == status
    before = _state(challenge)
    refused = [to for to in S.values if to not in ALLOWED[status]]
    for to in refused:
        for attempt in _attempts(challenge, staff, _team(challenge))[to]:
            _expect(errors.CHALLENGE_STATE, attempt)
            assert _state(challenge) == before, f"{status} → {to} changed something"


# Which of a target's services an allowed move uses (the others are for other sources).
SERVICE_FOR = {
    ("publicity", "reviewing"): 1,
    ("midterm", "implementing"): 1,
    ("acceptance", "implementing"): 2,
}
ALLOWED_PAIRS = sorted((src, dst) for src, targets in ALLOWED.items() for dst in targets)


@pytest.mark.parametrize(("source", "target"), ALLOWED_PAIRS)
def test_allowed_moves_succeed_with_history_and_audit(
    build: Callable[..., Challenge], staff: User, judges: list[User], source: str, target: str
) -> None:
    challenge = build(
        source, with_team=target != S.UNCLAIMED, judges=() if source == S.REVIEWING else judges[:3]
    )
    # The work each move waits for besides the status (its own guards are tested below).
    team = _team(challenge)
    if (source, target) == (S.QUALIFYING, S.REVIEWING):
        svc.team_qualify(team=team, actor=staff, qualified=True, note="合格")
    elif (source, target) == (S.REVIEWING, S.PUBLICITY):
        for judge in judges[:3]:
            svc.challenge_score_submit(team=team, actor=judge, scores=GOOD_SCORES)
    elif (source, target) == (S.IMPLEMENTING, S.ACCEPTANCE):
        for milestone in Milestone.objects.filter(challenge=challenge):
            svc.milestone_check_in(milestone=milestone, actor=_user(team.leader), report="完成")
            svc.milestone_confirm(milestone=milestone, actor=staff, passed=True)
    audits = AuditEntry.objects.filter(action=f"assist.challenge.{target}").count()
    attempt = _attempts(challenge, staff, _team(challenge))[target][SERVICE_FOR.get((source, target), 0)]
    moved = attempt()
    assert moved.status == target
    assert ChallengeEvent.objects.filter(challenge=challenge, from_status=source, to_status=target).exists()
    assert AuditEntry.objects.filter(action=f"assist.challenge.{target}").count() == audits + 1


# --- 需求征集 / 审核 / 发榜 ---------------------------------------------------------------------


def test_publish_lists_every_missing_term_and_needs_a_future_deadline(world: World, staff: User) -> None:
    challenge = svc.challenge_create(
        actor=staff, org_unit=world.street_a, title="数控机床主轴温漂", description="主轴热变形导致精度下降"
    )
    svc.challenge_submit_for_vetting(challenge=challenge, actor=staff)
    error = _expect(errors.CHALLENGE_INVALID, lambda: svc.challenge_publish(challenge=challenge, actor=staff))
    for label in ("验收标准", "揭榜截止日期", "经费预算", "知识产权约定", "保密要求", "揭榜条件"):
        assert label in error.message
    assert error.field == "acceptance_criteria"
    terms = full_terms(start=START)
    svc.challenge_edit(challenge=challenge, actor=staff, **terms)
    error = _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.challenge_publish(challenge=challenge, actor=staff, today=terms["deadline"]),
    )
    assert error.field == "deadline"
    svc.challenge_edit(challenge=challenge, actor=staff, budget=Decimal(0))
    assert (
        "经费预算须大于 0"
        in _expect(
            errors.CHALLENGE_INVALID,
            lambda: svc.challenge_publish(challenge=challenge, actor=staff, today=START),
        ).message
    )
    svc.challenge_edit(challenge=challenge, actor=staff, budget=Decimal(1000), reward=None)
    assert svc.challenge_publish(challenge=challenge, actor=staff, today=START).status == S.PUBLISHED


def test_vetting_edit_desensitises_and_is_recorded_and_locked_after_publishing(
    build: Callable[..., Challenge], staff: User
) -> None:
    challenge = build(S.VETTING)
    svc.challenge_edit(challenge=challenge, actor=staff, description="某企业冲压模具开裂（已脱敏）")
    note = ChallengeEvent.objects.filter(challenge=challenge).latest("pk")
    assert note.from_status == note.to_status == S.VETTING and "审核脱敏" in note.comment
    audit = AuditEntry.objects.filter(action="assist.challenge.edit").latest("pk")
    assert "description" in audit.before and audit.after["description"].endswith("（已脱敏）")
    svc.challenge_publish(challenge=challenge, actor=staff, today=START)
    _expect(
        errors.CHALLENGE_STATE, lambda: svc.challenge_edit(challenge=challenge, actor=staff, title="新名称")
    )


def test_challenge_from_a_demand_takes_its_enterprise_and_text(world: World, staff: User) -> None:
    from gonghui.assist.models import Demand

    demand = Demand.objects.create(
        enterprise=world.enterprise_a,
        org_unit=world.unit_a(),
        title="焊缝气孔率高",
        description="机器人焊接气孔率 3%",
        created_by=staff,
    )
    challenge = svc.challenge_create(
        actor=staff, org_unit=world.street_a, title="", description="", demand=demand
    )
    assert (challenge.title, challenge.enterprise, challenge.demand) == (
        "焊缝气孔率高",
        world.enterprise_a,
        demand,
    )
    with pytest.raises(DomainError, match="不在本工会范围内"):
        svc.challenge_create(
            actor=world.users["district_admin"],
            org_unit=world.street_a,
            title="x",
            description="y",
            enterprise=world.enterprise_b,
        )


# --- 揭榜: team assembly -----------------------------------------------------------------------


def test_leader_fills_a_position_and_others_join_open_ones(
    build: Callable[..., Challenge], craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.PUBLISHED, with_team=False)
    leader, second, third, _ = craftsmen
    team = svc.team_create(
        challenge=challenge,
        actor=_user(leader),
        name="冲压攻关队",
        leader_role="总负责",
        positions=[svc.PositionInput("工艺工程师", "热处理"), svc.PositionInput("检测", "金相")],
        today=START,
    )
    positions = list(team.positions.order_by("pk"))
    assert [(p.role, p.craftsman_id) for p in positions] == [
        ("总负责", leader.pk),
        ("工艺工程师", None),
        ("检测", None),
    ]
    assert team.status == T.FORMING and team.leader == leader
    svc.team_join(position=positions[1], actor=_user(second), today=START)
    # An occupied position cannot be taken; a craftsman already in a team cannot join another.
    _expect(
        errors.TEAM_INVALID, lambda: svc.team_join(position=positions[1], actor=_user(third), today=START)
    )
    _expect(
        errors.TEAM_INVALID, lambda: svc.team_join(position=positions[2], actor=_user(second), today=START)
    )
    # A member may leave while forming (the position opens again); the leader may not.
    svc.team_leave(position=positions[1], actor=_user(second), today=START)
    assert positions[1].__class__.objects.get(pk=positions[1].pk).craftsman_id is None
    _expect(
        errors.TEAM_INVALID, lambda: svc.team_leave(position=positions[0], actor=_user(leader), today=START)
    )
    with pytest.raises(PermissionDenied):
        svc.team_leave(position=positions[2], actor=_user(third), today=START)


def test_a_craftsman_is_in_at_most_one_team_per_challenge(
    build: Callable[..., Challenge], craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.PUBLISHED, with_team=False)
    leader, second, third, _ = craftsmen
    first = svc.team_create(
        challenge=challenge,
        actor=_user(leader),
        name="甲队",
        positions=[svc.PositionInput("工艺")],
        today=START,
    )
    svc.team_join(position=first.positions.get(craftsman=None), actor=_user(second), today=START)
    # Neither the leader nor a member may lead a second team on the same challenge.
    for craftsman in (leader, second):
        _expect(
            errors.TEAM_INVALID,
            partial(svc.team_create, challenge=challenge, actor=_user(craftsman), name="新队", today=START),
        )
    other = svc.team_create(
        challenge=challenge,
        actor=_user(third),
        name="乙队",
        positions=[svc.PositionInput("检测")],
        today=START,
    )
    _expect(
        errors.TEAM_INVALID,
        lambda: svc.team_join(position=other.positions.get(craftsman=None), actor=_user(leader), today=START),
    )
    # Team names are unique per challenge.
    _expect(
        errors.TEAM_INVALID,
        lambda: svc.team_create(challenge=challenge, actor=_user(craftsmen[3]), name="甲队", today=START),
    )
    # On another challenge the same craftsman may form a team again.
    elsewhere = build(S.PUBLISHED, with_team=False, title="另一榜单")
    assert svc.team_create(challenge=elsewhere, actor=_user(leader), name="甲队", today=START).pk


def test_applying_needs_every_position_filled_and_a_plan(
    build: Callable[..., Challenge], craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.PUBLISHED, with_team=False)
    leader, second = craftsmen[:2]
    team = svc.team_create(
        challenge=challenge,
        actor=_user(leader),
        name="攻关队",
        positions=[svc.PositionInput("工艺"), svc.PositionInput("检测")],
        today=START,
    )
    process, testing = team.positions.filter(craftsman=None).order_by("pk")
    svc.team_join(position=process, actor=_user(second), today=START)
    error = _expect(
        errors.TEAM_INVALID, lambda: svc.team_apply(team=team, actor=_user(leader), plan="方案", today=START)
    )
    assert "检测" in error.message and error.field == "positions"
    # Only the leader manages positions and applies.
    with pytest.raises(PermissionDenied):
        svc.team_remove_position(position=testing, actor=_user(second), today=START)
    svc.team_remove_position(position=testing, actor=_user(leader), today=START)
    _expect(
        errors.TEAM_INVALID,
        lambda: svc.team_remove_position(position=process, actor=_user(leader), today=START),
    )
    with pytest.raises(PermissionDenied):
        svc.team_apply(team=team, actor=_user(second), plan="方案", today=START)
    _expect(
        errors.TEAM_INVALID, lambda: svc.team_apply(team=team, actor=_user(leader), plan=" ", today=START)
    )
    applied = svc.team_apply(team=team, actor=_user(leader), plan="金相分析 + 热处理优化", today=START)
    assert applied.status == T.APPLIED
    # Once applied the team is fixed.
    _expect(
        errors.TEAM_INVALID,
        lambda: svc.team_add_position(team=team, actor=_user(leader), role="新岗位", today=START),
    )


def test_teams_form_only_while_published_and_before_the_deadline(
    build: Callable[..., Challenge], world: World, craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.PUBLISHED, with_team=False)
    deadline = challenge.deadline
    assert deadline is not None
    # The deadline day itself still counts.
    assert svc.team_create(challenge=challenge, actor=_user(craftsmen[0]), name="甲队", today=deadline).pk
    _expect(
        errors.CHALLENGE_STATE,
        lambda: svc.team_create(
            challenge=challenge, actor=_user(craftsmen[1]), name="乙队", today=deadline + DAY
        ),
    )
    vetting = build(S.VETTING)
    _expect(
        errors.CHALLENGE_STATE,
        lambda: svc.team_create(challenge=vetting, actor=_user(craftsmen[1]), name="乙队", today=START),
    )
    # Only craftsmen of the library take challenges.
    _expect(
        errors.TEAM_INVALID,
        lambda: svc.team_create(challenge=challenge, actor=world.users["worker_a"], name="丙队", today=START),
    )


# --- 资格审查 ------------------------------------------------------------------------------------


def test_qualification_needs_a_note_and_every_team_decided(
    build: Callable[..., Challenge], staff: User, craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.PUBLISHED)
    second = svc.team_create(challenge=challenge, actor=_user(craftsmen[2]), name="第二队", today=START + DAY)
    svc.team_apply(team=second, actor=_user(craftsmen[2]), plan="方案二", today=START + DAY)
    forming = svc.team_create(
        challenge=challenge, actor=_user(craftsmen[3]), name="未揭榜队", today=START + DAY
    )
    challenge = svc.challenge_start_qualification(
        challenge=challenge, actor=staff, today=dt.date(2025, 9, 22)
    )
    first = _team(challenge)
    _expect(errors.TEAM_INVALID, lambda: svc.team_qualify(team=first, actor=staff, qualified=True, note=" "))
    _expect(
        errors.TEAM_INVALID, lambda: svc.team_qualify(team=forming, actor=staff, qualified=True, note="x")
    )
    svc.team_qualify(team=second, actor=staff, qualified=False, note="团队无同类设备经验")
    error = _expect(
        errors.CHALLENGE_STATE, lambda: svc.challenge_start_review(challenge=challenge, actor=staff)
    )
    assert first.name in error.message
    svc.team_qualify(team=first, actor=staff, qualified=True, note="资质齐全")
    moved = svc.challenge_start_review(challenge=challenge, actor=staff)
    assert moved.status == S.REVIEWING and moved.rubric is not None
    assert moved.rubric.name == svc.DEFAULT_RUBRIC_NAME
    second.refresh_from_db()
    assert (second.status, second.qualification_note) == (T.DISQUALIFIED, "团队无同类设备经验")
    assert "资格审查：第二队 资格审查未通过" in " ".join(
        ChallengeEvent.objects.filter(challenge=challenge).values_list("comment", flat=True)
    )


def test_review_refused_when_no_team_qualified(build: Callable[..., Challenge], staff: User) -> None:
    challenge = build(S.QUALIFYING)
    svc.team_qualify(team=_team(challenge), actor=staff, qualified=False, note="条件不符")
    _expect(errors.CHALLENGE_STATE, lambda: svc.challenge_start_review(challenge=challenge, actor=staff))


def test_qualification_before_the_deadline_or_without_applicants_is_refused(
    build: Callable[..., Challenge], staff: User
) -> None:
    challenge = build(S.PUBLISHED)
    assert challenge.deadline is not None
    _expect(
        errors.CHALLENGE_STATE,
        lambda: svc.challenge_start_qualification(challenge=challenge, actor=staff, today=challenge.deadline),
    )
    empty = build(S.PUBLISHED, with_team=False)
    _expect(
        errors.CHALLENGE_STATE,
        lambda: svc.challenge_start_qualification(challenge=empty, actor=staff, today=dt.date(2025, 9, 22)),
    )


# --- 评审/答辩 ------------------------------------------------------------------------------------


def _reviewing_with_two_teams(
    build: Callable[..., Challenge], staff: User, craftsmen: list[Craftsman]
) -> tuple[Challenge, ChallengeTeam, ChallengeTeam]:
    challenge = build(S.PUBLISHED)
    second = svc.team_create(challenge=challenge, actor=_user(craftsmen[2]), name="第二队", today=START + DAY)
    svc.team_apply(team=second, actor=_user(craftsmen[2]), plan="方案二", today=START + DAY)
    challenge = svc.challenge_start_qualification(
        challenge=challenge, actor=staff, today=dt.date(2025, 9, 22)
    )
    first = _team(challenge)
    for team in (first, second):
        svc.team_qualify(team=team, actor=staff, qualified=True, note="合格")
    challenge = svc.challenge_start_review(challenge=challenge, actor=staff)
    return challenge, first, second


def _all(level: int) -> dict[str, int]:
    return dict.fromkeys(GOOD_SCORES, level)


def test_five_judges_trimmed_mean_by_hand(
    build: Callable[..., Challenge], staff: User, craftsmen: list[Craftsman], judges: list[User]
) -> None:
    _challenge, first, second = _reviewing_with_two_teams(build, staff, craftsmen)
    # Default rubric weights 30/20/20/15/15; a criterion gives score / 5 × weight.
    sheets_first = [
        _all(5),  # 1号 100
        _all(4),  # 2号 80
        _all(3),  # 3号 60
        {**_all(4), "feasibility": 5},  # 4号 30 + (20 + 20 + 15 + 15) × 4/5 = 86
        _all(2),  # 5号 40
    ]
    for judge, sheet in zip(judges[:5], sheets_first, strict=True):
        row = svc.challenge_score_submit(
            team=first, actor=judge, scores={k: str(v) for k, v in sheet.items()}
        )
        svc.challenge_score_submit(team=second, actor=judge, scores=_all(4))
    assert row.total == Decimal("40.00")
    first.refresh_from_db()
    second.refresh_from_db()
    # Drop 100 (1号) and 40 (5号): (80 + 60 + 86) / 3 = 75.333… → 75.33; the other team 80.
    assert (first.score, first.rank) == (Decimal("75.33"), 2)
    assert (second.score, second.rank) == (Decimal("80.00"), 1)
    assert "去掉最高分：评委 1号 100.00" in first.explanation
    assert "去掉最低分：评委 5号 40.00" in first.explanation
    assert "5 位评委计分，去掉一个最高分和一个最低分后取平均（3 位）：75.33" in first.explanation
    # A judge resubmitting replaces the sheet (one per judge and team).
    svc.challenge_score_submit(team=first, actor=judges[4], scores=_all(3))
    assert ChallengeScore.objects.filter(team=first).count() == 5
    first.refresh_from_db()
    # Now 1号 100 and 3号/5号 60 tie low (3号 sorts first and is dropped): (80 + 86 + 60) / 3.
    assert first.score == Decimal("75.33") and "去掉最低分：评委 3号 60.00" in first.explanation


def test_fewer_than_five_judges_plain_mean(
    build: Callable[..., Challenge], staff: User, craftsmen: list[Craftsman], judges: list[User]
) -> None:
    _challenge, first, _ = _reviewing_with_two_teams(build, staff, craftsmen)
    for judge, level in zip(judges[:3], (5, 4, 2), strict=True):
        svc.challenge_score_submit(team=first, actor=judge, scores=_all(level))
    first.refresh_from_db()
    assert first.score == Decimal("73.33")  # (100 + 80 + 40) / 3
    assert "3 位评委计分，算术平均（3 位）：73.33" in first.explanation


def test_who_may_score_and_what(
    build: Callable[..., Challenge],
    world: World,
    staff: User,
    craftsmen: list[Craftsman],
    judges: list[User],
) -> None:
    _challenge, first, second = _reviewing_with_two_teams(build, staff, craftsmen)
    outsider = make_challenge_judge(username="jb", name="乙街道评委", org_unit=world.street_b)
    for user in (outsider, staff, _user(craftsmen[3])):
        with pytest.raises(PermissionDenied):
            svc.challenge_score_submit(team=first, actor=user, scores=_all(4))
    error = _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.challenge_score_submit(team=first, actor=judges[0], scores={**_all(4), "team": 6}),
    )
    assert error.field == "team"
    missing = {k: v for k, v in _all(4).items() if k != "defence"}
    assert (
        _expect(
            errors.CHALLENGE_INVALID,
            lambda: svc.challenge_score_submit(team=first, actor=judges[0], scores=missing),
        ).field
        == "defence"
    )
    # A craftsman of the team who is also a judge must recuse.
    RoleGrant.objects.create(user=_user(craftsmen[1]), role=Role.JUDGE, org_unit=world.district)
    _expect(
        errors.TEAM_INVALID,
        lambda: svc.challenge_score_submit(team=first, actor=_user(craftsmen[1]), scores=_all(4)),
    )
    assert svc.challenge_score_submit(team=second, actor=_user(craftsmen[1]), scores=_all(4)).total == 80
    assert not ChallengeScore.objects.filter(team=first).exists()


# --- 公示 --------------------------------------------------------------------------------------


def test_publicity_runs_five_working_days_over_the_national_day_holiday(
    build: Callable[..., Challenge], staff: User, judges: list[User]
) -> None:
    challenge = build(S.REVIEWING)
    team = _team(challenge)
    for judge in judges[:3]:
        svc.challenge_score_submit(team=team, actor=judge, scores=GOOD_SCORES)
    # Tue 30 Sep 2025: 1–8 Oct are the 国庆/中秋 holiday and Sat 11 Oct is a 调休 working day,
    # so the five working days are 9, 10, 11, 13 and 14 October.
    moved = svc.challenge_publicize(
        challenge=challenge, actor=staff, selected=[team], today=dt.date(2025, 9, 30)
    )
    assert moved.publicity_ends_on == dt.date(2025, 10, 14)
    assert "公示至 2025-10-14" in ChallengeEvent.objects.filter(challenge=challenge).latest("pk").comment
    milestones = [svc.MilestoneInput(team.pk, "方案", dt.date(2025, 12, 1), Decimal(1000))]
    _expect(
        errors.CHALLENGE_STATE,
        lambda: svc.challenge_contract(
            challenge=challenge, actor=staff, milestones=milestones, today=dt.date(2025, 10, 14)
        ),
    )
    contracted = svc.challenge_contract(
        challenge=challenge, actor=staff, milestones=milestones, today=dt.date(2025, 10, 15)
    )
    assert contracted.status == S.CONTRACTED


def test_publicity_over_a_weekend(build: Callable[..., Challenge], staff: User, judges: list[User]) -> None:
    challenge = build(S.REVIEWING)
    team = _team(challenge)
    for judge in judges[:3]:
        svc.challenge_score_submit(team=team, actor=judge, scores=GOOD_SCORES)
    # Thu 20 Nov 2025 + 5 working days: Fri 21, Mon 24, Tue 25, Wed 26, Thu 27.
    moved = svc.challenge_publicize(
        challenge=challenge, actor=staff, selected=[team], today=dt.date(2025, 11, 20)
    )
    assert moved.publicity_ends_on == dt.date(2025, 11, 27)


def test_several_teams_selected_in_parallel_and_three_judges_needed(
    build: Callable[..., Challenge], staff: User, craftsmen: list[Craftsman], judges: list[User]
) -> None:
    challenge = build(S.PUBLISHED)
    for craftsman, name in ((craftsmen[2], "第二队"), (craftsmen[3], "第三队")):
        team = svc.team_create(challenge=challenge, actor=_user(craftsman), name=name, today=START + DAY)
        svc.team_apply(team=team, actor=_user(craftsman), plan="方案", today=START + DAY)
    challenge = svc.challenge_start_qualification(
        challenge=challenge, actor=staff, today=dt.date(2025, 9, 22)
    )
    teams = list(ChallengeTeam.objects.filter(challenge=challenge).order_by("pk"))
    for team in teams:
        svc.team_qualify(team=team, actor=staff, qualified=True, note="合格")
    challenge = svc.challenge_start_review(challenge=challenge, actor=staff)
    for judge in judges[:2]:
        for team, level in zip(teams, (5, 4, 3), strict=True):
            svc.challenge_score_submit(team=team, actor=judge, scores=_all(level))
    error = _expect(
        errors.CHALLENGE_STATE,
        lambda: svc.challenge_publicize(challenge=challenge, actor=staff, selected=teams[:2], today=START),
    )
    assert "不足 3 人" in error.message
    for team in teams:
        svc.challenge_score_submit(team=team, actor=judges[2], scores=_all(4))
    _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.challenge_publicize(challenge=challenge, actor=staff, selected=[]),
    )
    moved = svc.challenge_publicize(
        challenge=challenge, actor=staff, selected=teams[:2], today=dt.date(2025, 9, 23)
    )
    statuses = list(
        ChallengeTeam.objects.filter(challenge=challenge).order_by("pk").values_list("status", flat=True)
    )
    assert statuses == [T.SELECTED, T.SELECTED, T.NOT_SELECTED]
    assert moved.publicity_ends_on == dt.date(2025, 9, 29)  # Sun 28 Sep is a 调休 working day
    # Contract: each selected team needs a milestone; payments within the budget.
    day = dt.date(2025, 9, 30)
    one = [svc.MilestoneInput(teams[0].pk, "方案", day + 30 * DAY, Decimal(1000))]
    assert (
        "第二队"
        in _expect(
            errors.CHALLENGE_INVALID,
            lambda: svc.challenge_contract(challenge=challenge, actor=staff, milestones=one, today=day),
        ).message
    )
    both = [*one, svc.MilestoneInput(teams[1].pk, "方案", day + 30 * DAY, Decimal("299001"))]
    assert (
        "超出经费预算"
        in _expect(
            errors.CHALLENGE_INVALID,
            lambda: svc.challenge_contract(challenge=challenge, actor=staff, milestones=both, today=day),
        ).message
    )
    loser = [*one, svc.MilestoneInput(teams[2].pk, "方案", day + 30 * DAY, Decimal(1))]
    _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.challenge_contract(challenge=challenge, actor=staff, milestones=loser, today=day),
    )
    past = [*one, svc.MilestoneInput(teams[1].pk, "方案", day, Decimal(1))]
    _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.challenge_contract(challenge=challenge, actor=staff, milestones=past, today=day),
    )
    ok = [*one, svc.MilestoneInput(teams[1].pk, "方案", day + 40 * DAY, Decimal("299000"))]
    assert (
        svc.challenge_contract(challenge=challenge, actor=staff, milestones=ok, today=day).status
        == S.CONTRACTED
    )
    assert Milestone.objects.filter(challenge=challenge).count() == 2


def test_objection_during_publicity_reopens_the_review(build: Callable[..., Challenge], staff: User) -> None:
    challenge = build(S.PUBLICITY)
    _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.challenge_reopen_review(challenge=challenge, actor=staff, reason=""),
    )
    moved = svc.challenge_reopen_review(
        challenge=challenge, actor=staff, reason="收到异议：团队成员资质存疑，复核属实"
    )
    assert moved.status == S.REVIEWING and moved.publicity_ends_on is None
    assert _team(challenge).status == T.QUALIFIED


# --- 实施 / 中期检查 / 验收 -------------------------------------------------------------------------


def test_milestone_check_in_by_the_team_and_confirmation_by_staff(
    build: Callable[..., Challenge], staff: User, craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.IMPLEMENTING)
    first, second = Milestone.objects.filter(challenge=challenge).order_by("due_on")
    with pytest.raises(PermissionDenied):
        svc.milestone_check_in(milestone=first, actor=_user(craftsmen[2]), report="不是本队")
    _expect(errors.CHALLENGE_STATE, lambda: svc.milestone_confirm(milestone=first, actor=staff, passed=True))
    _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.milestone_check_in(milestone=first, actor=_user(craftsmen[1]), report=""),
    )
    # Any member of the team may report (here the member, not the leader).
    svc.milestone_check_in(milestone=first, actor=_user(craftsmen[1]), report="完成失效分析")
    with pytest.raises(PermissionDenied):
        svc.milestone_confirm(milestone=first, actor=_user(craftsmen[0]), passed=True)
    _expect(
        errors.CHALLENGE_INVALID, lambda: svc.milestone_confirm(milestone=first, actor=staff, passed=False)
    )
    refused = svc.milestone_confirm(milestone=first, actor=staff, passed=False, note="缺少金相照片")
    assert refused.status == M.FAILED
    svc.milestone_check_in(milestone=first, actor=_user(craftsmen[0]), report="补充金相照片")
    assert svc.milestone_confirm(milestone=first, actor=staff, passed=True).status == M.PASSED
    _expect(
        errors.CHALLENGE_STATE,
        lambda: svc.milestone_check_in(milestone=first, actor=_user(craftsmen[0]), report="again"),
    )
    # Acceptance waits for every milestone.
    error = _expect(
        errors.CHALLENGE_STATE, lambda: svc.challenge_request_acceptance(challenge=challenge, actor=staff)
    )
    assert second.title in error.message
    history = " ".join(ChallengeEvent.objects.filter(challenge=challenge).values_list("comment", flat=True))
    assert "报告里程碑“失效分析与改进方案”" in history and "不通过：缺少金相照片" in history
    assert "确认，付款节点 90000.00 元" in history


def test_midterm_passes_back_to_implementing_or_terminates(
    build: Callable[..., Challenge], staff: User
) -> None:
    challenge = build(S.MIDTERM)
    _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.challenge_finish_midterm(challenge=challenge, actor=staff, passed=True, comment=""),
    )
    assert svc.challenge_finish_midterm(
        challenge=challenge, actor=staff, passed=True, comment="进度正常"
    ).status == (S.IMPLEMENTING)
    svc.challenge_start_midterm(challenge=challenge, actor=staff)
    ended = svc.challenge_finish_midterm(
        challenge=challenge, actor=staff, passed=False, comment="进度严重滞后"
    )
    assert ended.status == S.TERMINATED
    assert (
        ChallengeEvent.objects.filter(challenge=challenge).latest("pk").comment
        == "中期检查不通过：进度严重滞后"
    )


def test_acceptance_pass_puts_the_result_in_the_library(
    build: Callable[..., Challenge], world: World, staff: User
) -> None:
    timeline = Timeline(start=START)
    challenge = build(S.ACCEPTANCE, enterprise=world.enterprise_a, timeline=timeline)
    _expect(
        errors.CHALLENGE_INVALID, lambda: svc.challenge_pass(challenge=challenge, actor=staff, comment=" ")
    )
    passed = svc.challenge_pass(
        challenge=challenge,
        actor=staff,
        comment="模具寿命提升到 12 万次",
        outcome_title="高寿命冲压模具",
        tags=["冲压"],
    )
    outcome = passed.result_outcome
    assert outcome is not None and passed.status == S.PASSED
    assert (outcome.title, outcome.source, outcome.org_unit, outcome.industry, outcome.tags) == (
        "高寿命冲压模具",
        LibraryOutcome.Source.CHALLENGE,
        world.street_a,
        world.enterprise_a.industry,
        ["冲压"],
    )
    assert "模具寿命提升到 12 万次" in outcome.description and "王建军攻关队" in outcome.description
    assert LibraryOutcome.objects.visible_to(staff).filter(pk=outcome.pk).exists()


def test_benefit_is_tracked_for_the_twelve_months_after_acceptance(
    build: Callable[..., Challenge], staff: User
) -> None:
    challenge = build(S.PASSED)
    # The builder dates acceptance: start 2025-09-01 → passed on …; pin it to 10 Dec 2025.
    event = ChallengeEvent.objects.get(challenge=challenge, to_status=S.PASSED)
    ChallengeEvent.objects.filter(pk=event.pk).update(at=dt.datetime(2025, 12, 10, 10, tzinfo=dt.UTC))
    months = svc.benefit_months(challenge)
    assert months[0] == dt.date(2026, 1, 1) and months[-1] == dt.date(2026, 12, 1) and len(months) == 12
    today = dt.date(2027, 3, 1)

    def record(month: dt.date, amount: str = "1000", on: dt.date = today) -> Any:
        return svc.benefit_record(
            challenge=challenge, actor=staff, month=month, amount=Decimal(amount), today=on
        )

    for outside in (dt.date(2025, 12, 1), dt.date(2027, 1, 1)):
        assert "2026-01 至 2026-12" in _expect(errors.CHALLENGE_INVALID, partial(record, outside)).message
    _expect(errors.CHALLENGE_INVALID, lambda: record(dt.date(2026, 5, 1), on=dt.date(2026, 4, 30)))
    _expect(errors.CHALLENGE_INVALID, lambda: record(dt.date(2026, 5, 1), amount="-1"))
    assert record(dt.date(2026, 1, 20)).month == dt.date(2026, 1, 1)  # any day means its month
    record(dt.date(2026, 1, 1), amount="1500")  # a correction replaces the month
    assert BenefitRecord.objects.get(challenge=challenge).amount == Decimal("1500.00")
    for month in months[1:]:
        record(month, amount="2000")
    challenge.refresh_from_db()
    assert challenge.result_outcome is not None
    assert challenge.result_outcome.verified_benefit == Decimal("23500.00")  # 1,500 + 11 × 2,000
    other = build(S.IMPLEMENTING, title="未验收的榜单")
    _expect(
        errors.CHALLENGE_STATE,
        lambda: svc.benefit_record(
            challenge=other, actor=staff, month=months[0], amount=Decimal(1), today=today
        ),
    )


def test_acceptance_extend_adds_a_milestone_and_returns_to_implementing(
    build: Callable[..., Challenge], staff: User, craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.ACCEPTANCE)
    team = _team(challenge)
    today = dt.date(2026, 3, 1)
    _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.challenge_extend(
            challenge=challenge, actor=staff, team=team, title="整改", due_on=today, reason="x", today=today
        ),
    )
    _expect(
        errors.CHALLENGE_INVALID,
        lambda: svc.challenge_extend(
            challenge=challenge,
            actor=staff,
            team=team,
            title="整改",
            due_on=today + DAY,
            reason=" ",
            today=today,
        ),
    )
    moved = svc.challenge_extend(
        challenge=challenge,
        actor=staff,
        team=team,
        title="补充高温工况试验",
        due_on=dt.date(2026, 4, 30),
        reason="高温工况数据不足",
        today=today,
    )
    assert moved.status == S.IMPLEMENTING
    extra = Milestone.objects.get(challenge=challenge, title="补充高温工况试验")
    assert (extra.status, extra.due_on, extra.team) == (M.PENDING, dt.date(2026, 4, 30), team)
    _expect(
        errors.CHALLENGE_STATE, lambda: svc.challenge_request_acceptance(challenge=challenge, actor=staff)
    )
    svc.milestone_check_in(milestone=extra, actor=_user(craftsmen[0]), report="高温试验完成")
    svc.milestone_confirm(milestone=extra, actor=staff, passed=True)
    svc.challenge_request_acceptance(challenge=challenge, actor=staff)
    assert svc.challenge_pass(challenge=challenge, actor=staff, comment="通过").status == S.PASSED


def test_acceptance_fail_needs_a_reason(build: Callable[..., Challenge], staff: User) -> None:
    challenge = build(S.ACCEPTANCE)
    _expect(errors.CHALLENGE_INVALID, lambda: svc.challenge_fail(challenge=challenge, actor=staff, reason=""))
    failed = svc.challenge_fail(challenge=challenge, actor=staff, reason="故障率 2%，未达标准")
    assert failed.status == S.FAILED and failed.result_outcome is None
    assert not LibraryOutcome.objects.exists()


def test_withdraw_and_terminate_need_reasons(build: Callable[..., Challenge], staff: User) -> None:
    published = build(S.PUBLISHED)
    _expect(
        errors.CHALLENGE_INVALID, lambda: svc.challenge_withdraw(challenge=published, actor=staff, reason=" ")
    )
    assert svc.challenge_withdraw(challenge=published, actor=staff, reason="企业已解决").status == S.WITHDRAWN
    running = build(S.IMPLEMENTING, title="实施中的榜单")
    _expect(
        errors.CHALLENGE_INVALID, lambda: svc.challenge_terminate(challenge=running, actor=staff, reason="")
    )
    assert svc.challenge_terminate(challenge=running, actor=staff, reason="企业停产").status == S.TERMINATED


# --- 流榜 ---------------------------------------------------------------------------------------


def test_unclaimed_when_nobody_applied_by_the_deadline(
    build: Callable[..., Challenge], staff: User, craftsmen: list[Craftsman]
) -> None:
    empty = build(S.PUBLISHED, with_team=False, title="无人揭榜")
    forming_only = build(S.PUBLISHED, with_team=False, title="只有组队中")
    svc.team_create(challenge=forming_only, actor=_user(craftsmen[0]), name="没来得及", today=START)
    applied = build(S.PUBLISHED, title="有人揭榜")
    later = build(S.PUBLISHED, with_team=False, title="尚未截止")
    Challenge.objects.filter(pk=later.pk).update(deadline=dt.date(2025, 10, 31))
    deadline = dt.date(2025, 9, 21)
    assert svc.challenges_close_expired(today=deadline) == []  # the deadline day still counts
    closed = svc.challenges_close_expired(today=deadline + DAY)
    assert sorted(c.pk for c in closed) == sorted([empty.pk, forming_only.pk])
    for challenge, status in (
        (empty, S.UNCLAIMED),
        (forming_only, S.UNCLAIMED),
        (applied, S.PUBLISHED),
        (later, S.PUBLISHED),
    ):
        challenge.refresh_from_db()
        assert challenge.status == status
    event = ChallengeEvent.objects.get(challenge=empty, to_status=S.UNCLAIMED)
    assert event.actor is None and "揭榜截止（2025-09-21）无团队揭榜" in event.comment
    audit = AuditEntry.objects.filter(action="assist.challenge.unclaimed").latest("pk")
    assert audit.actor is None  # the scheduled job, not a person
    assert svc.challenges_close_expired(today=deadline + DAY) == []  # idempotent
    # Staff can close one by hand only when it qualifies.
    _expect(
        errors.CHALLENGE_STATE,
        lambda: svc.challenge_close_unclaimed(challenge=applied, actor=staff, today=deadline + DAY),
    )


# --- who may act -------------------------------------------------------------------------------


def test_craftsmen_and_other_streets_cannot_act_on_a_challenge(
    build: Callable[..., Challenge], world: World, staff: User, craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.QUALIFYING)
    team = _team(challenge)
    before = _state(challenge)
    for outsider in (_user(craftsmen[0]), world.users["street_b_admin"], world.users["district_viewer"]):
        with pytest.raises(PermissionDenied):
            svc.team_qualify(team=team, actor=outsider, qualified=True, note="通过")
        with pytest.raises(PermissionDenied):
            svc.challenge_withdraw(challenge=challenge, actor=outsider, reason="x")
        with pytest.raises(PermissionDenied):
            svc.challenge_start_review(challenge=challenge, actor=outsider)
    assert _state(challenge) == before
    # Staff above the street (the district) may act; a street reviewer too.
    assert svc.team_qualify(team=team, actor=world.users["street_a_reviewer"], qualified=True, note="通过")
    with pytest.raises(PermissionDenied):
        svc.challenge_create(
            actor=world.users["street_b_admin"], org_unit=world.street_a, title="x", description="y"
        )


# --- demo ------------------------------------------------------------------------------------


def test_demo_seeds_one_challenge_per_showcase_state(world: World) -> None:
    import io

    from gonghui.assist.demo_challenges import seed_challenges

    out = io.StringIO()
    seed_challenges(district=world.district, stdout=out)
    by_status = {c.status: c for c in Challenge.objects.all()}
    assert sorted(by_status) == sorted([S.IMPLEMENTING, S.PUBLISHED, S.PASSED, S.UNCLAIMED])
    running = by_status[S.IMPLEMENTING]
    assert Milestone.objects.filter(challenge=running).count() == 2
    assert Milestone.objects.filter(challenge=running, status=M.CHECKED_IN).count() == 1
    assert ChallengeTeam.objects.filter(challenge=by_status[S.PUBLISHED], positions__craftsman=None).exists()
    passed = by_status[S.PASSED]
    assert (
        passed.result_outcome is not None and passed.result_outcome.source == LibraryOutcome.Source.CHALLENGE
    )
    assert 3 <= BenefitRecord.objects.filter(challenge=passed).count() < 12
    assert "揭榜挂帅" in out.getvalue()
    seed_challenges(district=world.district, stdout=out)  # idempotent
    assert Challenge.objects.count() == 4
