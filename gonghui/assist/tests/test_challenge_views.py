"""揭榜挂帅 pages: the staff list (filter, export, query-count guard), the board for craftsmen
and judges, the detail page per role, forming and joining a team on the phone pages, the
judges' score sheet, and 404 for everyone who may not see or act."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gonghui.accounts.models import User
from gonghui.assist import challenges as svc
from gonghui.assist.demo_challenges import (
    GOOD_SCORES,
    challenge_through,
    make_challenge_judge,
    make_craftsman,
)
from gonghui.assist.models import Challenge, ChallengeScore, ChallengeTeam, Craftsman, Milestone
from gonghui.conftest import PASSWORD, World

pytestmark = pytest.mark.django_db
S = Challenge.Status
T = ChallengeTeam.Status


@pytest.fixture
def craftsmen(world: World) -> list[Craftsman]:
    return [
        make_craftsman(username=f"c{i}", name=name, org_unit=world.street_a, password=PASSWORD)
        for i, name in enumerate(["王建军", "李红梅", "张伟"], start=1)
    ]


@pytest.fixture
def judges(world: World) -> list[User]:
    return [
        make_challenge_judge(username=f"j{i}", name=f"评委{i}", org_unit=world.district, password=PASSWORD)
        for i in range(1, 4)
    ]


@pytest.fixture
def build(world: World, craftsmen: list[Craftsman], judges: list[User]) -> Callable[..., Challenge]:
    """A street-A challenge on a timeline that puts 'today' inside the step it stops at."""

    def make(to: str, *, start: dt.date | None = None, **kwargs: Any) -> Challenge:
        kwargs.setdefault("judges", judges)
        return challenge_through(
            to=to,
            staff=world.users["street_a_admin"],
            org_unit=world.street_a,
            craftsmen=craftsmen,
            start=start or timezone.localdate() - dt.timedelta(days=2),
            **kwargs,
        )

    return make


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _user(craftsman: Craftsman) -> User:
    assert craftsman.user is not None
    return craftsman.user


def _page(client: Client, challenge: Challenge) -> str:
    response = client.get(challenge.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


def _action(challenge: Challenge, action: str) -> str:
    return reverse("assist:challenge_action", args=[challenge.pk, action])


# --- list / board ----------------------------------------------------------------------------


def test_staff_list_filters_by_status_and_exports(world: World, build: Callable[..., Challenge]) -> None:
    build(S.PUBLISHED, title="揭榜中的榜单", with_team=False)
    build(S.VETTING, title="审核中的榜单")
    client = _client(world.users["district_admin"])
    page = client.get(reverse("assist:challenge_list")).content.decode()
    assert "揭榜中的榜单" in page and "审核中的榜单" in page
    filtered = client.get(reverse("assist:challenge_list"), {"status": "vetting"}).content.decode()
    assert "审核中的榜单" in filtered and "揭榜中的榜单" not in filtered
    export = client.get(reverse("assist:challenge_list"), {"export": "xlsx"})
    assert export.status_code == 200 and "spreadsheetml" in export["Content-Type"]
    # Street B sees none of street A's challenges.
    other = _client(world.users["street_b_admin"]).get(reverse("assist:challenge_list")).content.decode()
    assert "揭榜中的榜单" not in other


def test_staff_list_query_count_does_not_grow(
    world: World, build: Callable[..., Challenge], django_assert_max_num_queries: Any
) -> None:
    client = _client(world.users["district_admin"])
    build(S.PUBLISHED, with_team=False)
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("assist:challenge_list"))
    for i in range(8):
        build(S.VETTING, title=f"榜单 {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("assist:challenge_list"))
    assert response.content.decode().count("榜单 ") >= 8


def test_board_query_count_does_not_grow(
    build: Callable[..., Challenge], craftsmen: list[Craftsman], django_assert_max_num_queries: Any
) -> None:
    client = _client(_user(craftsmen[2]))
    build(S.PUBLISHED)
    with django_assert_max_num_queries(15) as few:
        client.get(reverse("assist:challenge_list"))
    for i in range(6):
        build(S.PUBLISHED, title=f"揭榜 {i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("assist:challenge_list"))
    assert response.content.decode().count('data-testid="board-item"') == 7


def test_board_shows_open_challenges_my_teams_and_review_queue(
    build: Callable[..., Challenge], craftsmen: list[Craftsman], judges: list[User]
) -> None:
    open_ = build(S.PUBLISHED, with_team=False, title="正在揭榜")
    svc.team_create(
        challenge=open_, actor=_user(craftsmen[0]), name="招募队", positions=[svc.PositionInput("工艺")]
    )
    build(S.VETTING, title="未发榜")
    reviewing = build(S.REVIEWING, title="评审中", judges=[])
    page = _client(_user(craftsmen[0])).get(reverse("assist:challenge_list")).content.decode()
    assert "正在揭榜" in page and "未发榜" not in page
    assert "招募队" in page and "1 个空缺岗位招募中" in page
    judge_page = _client(judges[0]).get(reverse("assist:challenge_list")).content.decode()
    team = ChallengeTeam.objects.get(challenge=reviewing)
    assert 'data-testid="judge-queue"' in judge_page
    assert reverse("assist:challenge_score", args=[team.pk]) in judge_page


# --- create / detail -------------------------------------------------------------------------


def test_staff_create_vet_and_publish_through_the_pages(world: World) -> None:
    client = _client(world.users["street_a_admin"])
    assert client.get(reverse("assist:challenge_create")).status_code == 200
    response = client.post(
        reverse("assist:challenge_create"),
        {
            "org_unit": world.street_a.pk,
            "title": "空压机能耗高",
            "description": "某厂空压站（含客户名）能耗高",
        },
    )
    challenge = Challenge.objects.get(title="空压机能耗高")
    assert response.status_code == 302 and challenge.status == S.COLLECTING
    client.post(_action(challenge, "submit_vetting"))
    page = _page(client, challenge)
    assert 'data-testid="publish-missing"' in page and "验收标准未填写" in page
    deadline = timezone.localdate() + dt.timedelta(days=20)
    client.post(
        reverse("assist:challenge_edit", args=[challenge.pk]),
        {
            "title": "空压机能耗高",
            "description": "某厂空压站能耗高（已脱敏）",
            "acceptance_criteria": "单位产气能耗下降 10%",
            "deadline": deadline.isoformat(),
            "budget": "100000",
            "reward": "",
            "ip_terms": "归企业",
            "confidentiality": "签保密协议",
            "conditions": "在库工匠",
        },
    )
    response = client.post(_action(challenge, "publish"), follow=True)
    challenge.refresh_from_db()
    assert challenge.status == S.PUBLISHED and challenge.description.endswith("（已脱敏）")
    assert "已发榜" in response.content.decode()
    # Editing after 发榜 is refused with a message, nothing changes.
    client.post(reverse("assist:challenge_edit", args=[challenge.pk]), {"title": "改名", "description": "x"})
    challenge.refresh_from_db()
    assert challenge.title == "空压机能耗高"


def test_craftsman_forms_a_team_on_the_phone_page_and_another_joins(
    build: Callable[..., Challenge], craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.PUBLISHED, with_team=False)
    leader = _client(_user(craftsmen[0]))
    assert 'data-testid="new-team"' in _page(leader, challenge)
    response = leader.post(
        reverse("assist:challenge_team_create", args=[challenge.pk]),
        {
            "name": "冲压攻关队",
            "leader_role": "负责人",
            "positions": "工艺工程师 模具热处理\n检测员",
            "plan": "",
        },
    )
    team = ChallengeTeam.objects.get(challenge=challenge)
    assert response.status_code == 302 and response["Location"] == reverse(
        "assist:challenge_team", args=[team.pk]
    )
    assert [p.role for p in team.positions.order_by("pk")] == ["负责人", "工艺工程师", "检测员"]
    member = _client(_user(craftsmen[1]))
    page = _page(member, challenge)
    open_positions = list(team.positions.filter(craftsman=None).order_by("pk"))
    assert page.count('data-testid="open-position"') == 2
    assert f'data-testid="join-{open_positions[0].pk}"' in page
    member.post(
        reverse("assist:challenge_team_action", args=[team.pk, "join"]),
        {"position": open_positions[0].pk, "next": "challenge"},
    )
    # The leader drops the position nobody took and applies with the plan.
    leader.post(
        reverse("assist:challenge_team_action", args=[team.pk, "remove_position"]),
        {"position": open_positions[1].pk},
    )
    leader.post(
        reverse("assist:challenge_team_action", args=[team.pk, "apply"]), {"plan": "金相分析 + 工艺优化"}
    )
    team.refresh_from_db()
    assert team.status == T.APPLIED and team.positions.filter(craftsman=craftsmen[1]).exists()
    # A third craftsman sees no join buttons any more.
    assert 'data-testid="join-' not in _page(_client(_user(craftsmen[2])), challenge)


def test_team_errors_are_shown_not_raised(
    build: Callable[..., Challenge], craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.PUBLISHED, with_team=False)
    leader = _client(_user(craftsmen[0]))
    leader.post(
        reverse("assist:challenge_team_create", args=[challenge.pk]),
        {"name": "甲队", "leader_role": "负责人", "positions": "检测员"},
    )
    team = ChallengeTeam.objects.get()
    response = leader.post(
        reverse("assist:challenge_team_action", args=[team.pk, "apply"]), {"plan": "方案"}, follow=True
    )
    assert "还有岗位空缺：检测员" in response.content.decode()
    team.refresh_from_db()
    assert team.status == T.FORMING


def test_public_viewers_do_not_see_plans_notes_or_scores(
    build: Callable[..., Challenge], world: World, craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.PUBLICITY)
    team = ChallengeTeam.objects.get(challenge=challenge)
    outsider = _page(_client(_user(craftsmen[2])), challenge)
    assert team.name in outsider and "金相分析" not in outsider and "资质齐全" not in outsider
    assert f'data-testid="scores-{team.pk}"' not in outsider
    assert f'data-testid="team-rank-{team.pk}"' in outsider  # 公示 publishes the selected team's rank
    member = _page(_client(_user(craftsmen[1])), challenge)
    assert "金相分析" in member and "资质齐全" in member
    staff = _page(_client(world.users["street_a_admin"]), challenge)
    assert f'data-testid="scores-{team.pk}"' in staff and "算术平均" in staff


# --- who may see and act ------------------------------------------------------------------


@pytest.mark.parametrize("username", ["street_b_admin", "worker_a", "nobody"])
def test_others_get_404_before_publishing_and_on_every_staff_action(
    build: Callable[..., Challenge], world: World, username: str
) -> None:
    vetting = build(S.VETTING)
    qualifying = build(S.QUALIFYING, title="资格审查中")
    team = ChallengeTeam.objects.get(challenge=qualifying)
    client = _client(world.users[username])
    assert client.get(vetting.get_absolute_url()).status_code == 404
    assert client.get(reverse("assist:challenge_edit", args=[vetting.pk])).status_code == 404
    assert client.post(_action(vetting, "publish")).status_code == 404
    assert (
        client.post(
            _action(qualifying, "qualify"), {"team": team.pk, "decision": "qualified", "note": "x"}
        ).status_code
        == 404
    )
    assert client.post(_action(qualifying, "withdraw"), {"reason": "x"}).status_code == 404
    vetting.refresh_from_db()
    team.refresh_from_db()
    assert (vetting.status, team.status) == (S.VETTING, T.APPLIED)


def test_craftsman_cannot_qualify_teams(build: Callable[..., Challenge], craftsmen: list[Craftsman]) -> None:
    challenge = build(S.QUALIFYING)
    team = ChallengeTeam.objects.get(challenge=challenge)
    client = _client(_user(craftsmen[0]))
    page = _page(client, challenge)  # the leader sees the challenge …
    assert 'data-testid="action-qualify' not in page
    response = client.post(
        _action(challenge, "qualify"), {"team": team.pk, "decision": "qualified", "note": "自评"}
    )
    assert response.status_code == 404  # … but cannot act as staff
    team.refresh_from_db()
    assert team.status == T.APPLIED and team.qualification_note == ""


def test_staff_qualify_and_start_review_from_the_detail_page(
    build: Callable[..., Challenge], world: World
) -> None:
    challenge = build(S.QUALIFYING)
    team = ChallengeTeam.objects.get(challenge=challenge)
    client = _client(world.users["street_a_reviewer"])
    assert f'data-testid="action-qualify-{team.pk}"' in _page(client, challenge)
    client.post(_action(challenge, "qualify"), {"team": team.pk, "decision": "qualified", "note": "资质齐全"})
    client.post(_action(challenge, "start_review"), {"rubric": ""})
    challenge.refresh_from_db()
    team.refresh_from_db()
    assert (challenge.status, team.status) == (S.REVIEWING, T.QUALIFIED)


def test_judge_scores_on_the_phone_sheet(
    build: Callable[..., Challenge], world: World, judges: list[User], craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.REVIEWING, judges=[])
    team = ChallengeTeam.objects.get(challenge=challenge)
    url = reverse("assist:challenge_score", args=[team.pk])
    client = _client(judges[0])
    page = client.get(url).content.decode()
    assert 'data-testid="criterion-feasibility"' in page and "方案完整先进" in page
    response = client.post(url, {**{k: str(v) for k, v in GOOD_SCORES.items()}, "defence": ""})
    assert "请为“答辩表现”打分" in response.content.decode()
    response = client.post(url, {k: str(v) for k, v in GOOD_SCORES.items()})
    assert response.status_code == 302
    assert ChallengeScore.objects.get(team=team, judge=judges[0]).total == Decimal("90.00")
    # Not a judge of this panel (or not a judge at all): 404.
    outsider = make_challenge_judge(username="jb", name="乙街道评委", org_unit=world.street_b)
    for user in (outsider, world.users["street_a_admin"], _user(craftsmen[2])):
        assert _client(user).get(url).status_code == 404


def test_contract_check_in_and_acceptance_through_the_pages(
    build: Callable[..., Challenge], world: World, craftsmen: list[Craftsman]
) -> None:
    challenge = build(S.PUBLICITY)
    Challenge.objects.filter(pk=challenge.pk).update(
        publicity_ends_on=timezone.localdate() - dt.timedelta(days=1)
    )
    team = ChallengeTeam.objects.get(challenge=challenge)
    staff = _client(world.users["street_a_admin"])
    assert 'data-testid="action-contract"' in _page(staff, challenge)
    due = (timezone.localdate() + dt.timedelta(days=30)).isoformat()
    staff.post(
        _action(challenge, "contract"),
        {
            "ms-TOTAL_FORMS": "2",
            "ms-INITIAL_FORMS": "0",
            "ms-0-team": team.pk,
            "ms-0-title": "诊断报告",
            "ms-0-due_on": due,
            "ms-0-payment": "80000",
            "ms-1-team": "",
            "ms-1-title": "",
        },
    )
    challenge.refresh_from_db()
    assert challenge.status == S.CONTRACTED
    staff.post(_action(challenge, "start_implementation"))
    milestone = Milestone.objects.get(challenge=challenge)
    member = _client(_user(craftsmen[1]))
    team_page = member.get(reverse("assist:challenge_team", args=[team.pk])).content.decode()
    assert f'data-testid="check-in-{milestone.pk}"' in team_page
    member.post(
        reverse("assist:challenge_team_action", args=[team.pk, "check_in"]),
        {"milestone": milestone.pk, "report": "诊断完成"},
    )
    staff.post(_action(challenge, "confirm"), {"milestone": milestone.pk, "decision": "passed", "note": ""})
    staff.post(_action(challenge, "request_acceptance"))
    staff.post(_action(challenge, "pass"), {"comment": "达标", "outcome_title": "", "tags": "冲压 模具"})
    challenge.refresh_from_db()
    assert challenge.status == S.PASSED and challenge.result_outcome is not None
    assert challenge.result_outcome.tags == ["冲压", "模具"]
    page = _page(staff, challenge)
    assert 'data-testid="result-outcome"' in page and 'data-testid="action-benefit"' in page
    # A month outside the 12 tracked ones is refused with the message on the page.
    response = staff.post(_action(challenge, "benefit"), {"month": "2001-01", "amount": "100"}, follow=True)
    assert "只跟踪验收后 12 个月" in response.content.decode()


def test_detail_query_count_is_bounded(
    build: Callable[..., Challenge], world: World, django_assert_max_num_queries: Any
) -> None:
    challenge = build(S.IMPLEMENTING)
    with django_assert_max_num_queries(30):
        _page(_client(world.users["district_admin"]), challenge)
