"""揭榜挂帅 as real users, from 发榜 to 验收: street staff publish a vetted challenge on the
desk; a craftsman leader forms a team on the phone with an open position and a second
craftsman joins it from the challenge page; the team applies; staff qualify it after the
deadline; three judges score it on their phones; staff publicise the selected team, sign the
contract with a milestone after the 公示 period, the team checks in, staff confirm and pass
the acceptance — and the result is in the outcome library (database and page)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from gonghui.accounts.models import User
from gonghui.assist import challenges as svc
from gonghui.assist.demo_challenges import full_terms, make_challenge_judge, make_craftsman
from gonghui.assist.models import Challenge, ChallengeScore, ChallengeTeam, LibraryOutcome, Milestone
from gonghui.conftest import World
from tests.browser.pages import PageFactory, has_horizontal_overflow, screenshot, sign_in

pytestmark = pytest.mark.browser
S = Challenge.Status
DAY = dt.timedelta(days=1)
SCORES = {"feasibility": 5, "innovation": 4, "team": 5, "schedule": 4, "defence": 4}


def _user(craftsman: object) -> User:
    user = getattr(craftsman, "user", None)
    assert isinstance(user, User)
    return user


@pytest.fixture
def vetted(live_world: World) -> Challenge:
    """A challenge collected and desensitised by street A, waiting to be published."""
    staff = live_world.users["street_a_admin"]
    today = timezone.localdate()
    challenge = svc.challenge_create(
        actor=staff,
        org_unit=live_world.street_a,
        enterprise=live_world.enterprise_a,
        title="高速冲压线模具频繁开裂攻关",
        description="冲压线模具使用寿命不足 3 万次即开裂，需查明原因并提出改进方案。",
        **{**full_terms(start=today), "deadline": today + 10 * DAY},
    )
    return svc.challenge_submit_for_vetting(challenge=challenge, actor=staff)


def test_challenge_from_publishing_to_acceptance(
    live_world: World, vetted: Challenge, open_page: PageFactory, base_url: str
) -> None:
    leader = make_craftsman(username="gj_wang", name="王建军", org_unit=live_world.street_a)
    member = make_craftsman(username="gj_li", name="李红梅", org_unit=live_world.street_a)
    judges = [
        make_challenge_judge(username=f"pw{i}", name=f"评委{i}", org_unit=live_world.district)
        for i in range(1, 4)
    ]
    detail_url = f"{base_url}{vetted.get_absolute_url()}"

    # 发榜: street staff publish from the desk.
    desk: Page = open_page("desk")
    sign_in(desk, base_url, live_world.users["street_a_admin"])
    desk.goto(detail_url)
    expect(desk.get_by_test_id("status")).to_have_text("工会审核")
    desk.get_by_test_id("do-publish").click()
    expect(desk.get_by_test_id("status")).to_have_text("已发榜")
    screenshot(desk, "assist-challenge-desk-published")

    # 揭榜: the leader finds it on the board and forms a team with an open position.
    phone = open_page("phone")
    sign_in(phone, base_url, _user(leader))
    phone.goto(f"{base_url}/assist/challenges/")
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "assist-challenge-phone-board")
    phone.get_by_test_id("board-item").filter(has_text="高速冲压线模具频繁开裂攻关").click()
    phone.get_by_test_id("new-team").click()
    phone.get_by_label("团队名称").fill("王建军攻关队")
    phone.get_by_label("招募岗位").fill("工艺工程师 模具热处理")
    phone.get_by_label("技术方案（揭榜时必填）").fill(
        "金相分析查找裂纹源，优化热处理工艺并改用粉末高速钢镶块。"
    )
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "assist-challenge-phone-team-form")
    phone.get_by_test_id("create-team").click()
    expect(phone.get_by_test_id("team-name")).to_have_text("王建军攻关队")
    expect(phone.get_by_test_id("positions")).to_contain_text("空缺")
    expect(phone.get_by_test_id("do-apply")).to_be_disabled()
    screenshot(phone, "assist-challenge-phone-team-recruiting")

    # A second craftsman joins the open position from the challenge page.
    second = open_page("phone")
    sign_in(second, base_url, _user(member))
    second.goto(detail_url)
    expect(second.get_by_test_id("open-position")).to_have_count(1)
    assert not has_horizontal_overflow(second)
    screenshot(second, "assist-challenge-phone-open-position")
    second.locator('[data-testid^="join-"]').click()
    expect(second.get_by_test_id("my-team-link")).to_contain_text("王建军攻关队")
    expect(second.get_by_test_id("teams")).to_contain_text("工艺工程师（模具热处理）：李红梅")

    # The leader applies now that every position is filled.
    phone.reload()
    phone.get_by_test_id("do-apply").click()
    expect(phone.get_by_test_id("team-status")).to_have_text("已揭榜")
    team = ChallengeTeam.objects.get(challenge=vetted)

    # The 揭榜 deadline passes; staff qualify the team and open the review.
    Challenge.objects.filter(pk=vetted.pk).update(deadline=timezone.localdate() - DAY)
    desk.goto(detail_url)
    desk.get_by_test_id("do-start_qualification").click()
    expect(desk.get_by_test_id("status")).to_have_text("资格审查")
    qualify = desk.get_by_test_id(f"action-qualify-{team.pk}")
    qualify.get_by_label("审查结论").select_option("qualified")
    qualify.get_by_label("审查意见").fill("在库工匠，具备同类模具维修经验")
    desk.get_by_test_id(f"do-qualify-{team.pk}").click()
    expect(desk.get_by_test_id(f"team-status-{team.pk}")).to_have_text("资格审查通过")
    desk.get_by_test_id("do-start_review").click()
    expect(desk.get_by_test_id("status")).to_have_text("评审答辩")

    # 评审/答辩: three judges score on their phones with the rubric.
    for number, judge in enumerate(judges, start=1):
        sheet = open_page("phone")
        sign_in(sheet, base_url, judge)
        sheet.goto(f"{base_url}/assist/challenges/")
        sheet.get_by_test_id(f"score-link-{team.pk}").click()
        for code, value in SCORES.items():
            sheet.get_by_test_id(f"score-{code}-{value}").click()
        expect(sheet.get_by_test_id("live-total")).to_have_text("90.00")
        if number == 1:
            assert not has_horizontal_overflow(sheet)
            screenshot(sheet, "assist-challenge-phone-judge-sheet")
        sheet.get_by_test_id("score-submit").click()
        expect(sheet.get_by_test_id("status")).to_have_text("评审答辩")
    assert ChallengeScore.objects.filter(team=team).count() == 3

    # 公示: staff select the team; publicity runs 5 working days.
    desk.reload()
    expect(desk.get_by_test_id(f"team-rank-{team.pk}")).to_contain_text("第 1 名 · 90.00")
    desk.get_by_test_id("action-publicize").get_by_label("王建军攻关队").check()
    desk.get_by_test_id("do-publicize").click()
    expect(desk.get_by_test_id("status")).to_have_text("公示")
    vetted.refresh_from_db()
    assert vetted.publicity_ends_on is not None
    expect(desk.get_by_test_id("publicity-ends")).to_contain_text(f"{vetted.publicity_ends_on:%Y-%m-%d}")
    expect(desk.get_by_test_id("contract-wait")).to_be_visible()

    # The publicity period ends; staff sign the contract with a milestone and start the work.
    Challenge.objects.filter(pk=vetted.pk).update(publicity_ends_on=timezone.localdate() - DAY)
    desk.reload()
    row = desk.get_by_test_id("milestone-row-0")
    row.get_by_label("团队").select_option(str(team.pk))
    row.get_by_label("里程碑").fill("失效分析与改进方案")
    row.get_by_label("计划日期").fill((timezone.localdate() + 30 * DAY).isoformat())
    row.get_by_label("付款金额（元）").fill("90000")
    desk.get_by_test_id("do-contract").click()
    expect(desk.get_by_test_id("status")).to_have_text("已签约")
    desk.get_by_test_id("do-start_implementation").click()
    expect(desk.get_by_test_id("status")).to_have_text("实施中")
    milestone = Milestone.objects.get(challenge=vetted)

    # 实施: the leader reports the milestone from the phone.
    phone.reload()
    form = phone.get_by_test_id(f"check-in-{milestone.pk}")
    form.get_by_label("进展报告").fill("完成金相分析，裂纹源为热处理脱碳层，已提交改进方案。")
    phone.get_by_test_id(f"do-check-in-{milestone.pk}").click()
    expect(phone.get_by_test_id(f"milestone-status-{milestone.pk}")).to_have_text("已报告")
    screenshot(phone, "assist-challenge-phone-check-in")

    # 验收: staff confirm the milestone and pass the acceptance.
    desk.reload()
    desk.get_by_test_id(f"do-confirm-{milestone.pk}").click()
    expect(desk.get_by_test_id(f"milestone-status-{milestone.pk}")).to_have_text("已确认")
    desk.get_by_test_id("do-request_acceptance").click()
    expect(desk.get_by_test_id("status")).to_have_text("验收")
    passing = desk.get_by_test_id("action-pass")
    passing.get_by_label("验收意见").fill("连续运行 30 天无开裂，模具寿命提升到 12 万次")
    passing.get_by_label("成果名称（默认榜单名称）").fill("高寿命冲压模具热处理工艺")
    desk.get_by_test_id("do-pass").click()
    expect(desk.get_by_test_id("status")).to_have_text("验收通过")
    expect(desk.get_by_test_id("result-outcome")).to_contain_text("高寿命冲压模具热处理工艺")
    expect(desk.get_by_test_id("history")).to_contain_text("确认，付款节点 90000.00 元")
    screenshot(desk, "assist-challenge-desk-passed")

    # The result is in the outcome library: in the database and on its page.
    vetted.refresh_from_db()
    outcome = LibraryOutcome.objects.get(source=LibraryOutcome.Source.CHALLENGE)
    assert vetted.result_outcome == outcome and outcome.title == "高寿命冲压模具热处理工艺"
    desk.get_by_test_id("result-outcome").get_by_role("link").click()
    expect(desk.locator("main")).to_contain_text("高寿命冲压模具热处理工艺")
    screenshot(desk, "assist-challenge-library-outcome")

    # The desk list shows the finished challenge with its status.
    desk.goto(f"{base_url}/assist/challenges/?status=passed")
    expect(desk.get_by_test_id("list-table")).to_contain_text("高速冲压线模具频繁开裂攻关")
    screenshot(desk, "assist-challenge-desk-list")
