"""职工创新 as real users: a worker files a 小建议 on a phone and is warned about a similar
outcome; a street reviewer accepts and adopts it; district staff record implementation, the
benefit calculation and the finance verification, and the grade appears."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from gonghui.conftest import World
from gonghui.innovation.factories import advance
from gonghui.innovation.models import Outcome
from gonghui.innovation.outcomes import TeamMemberInput, outcome_create
from tests.browser.pages import PageFactory, has_horizontal_overflow, screenshot, sign_in

pytestmark = pytest.mark.browser
S = Outcome.Status


@pytest.fixture
def earlier(live_world: World) -> Outcome:
    """An outcome filed last year in enterprise B: the prior art the warning should find."""
    worker = live_world.users["district_admin"]
    outcome = outcome_create(
        actor=worker,
        org_unit=live_world.unit_b(),
        type=Outcome.Type.FIVE_SMALL,
        subtype="小革新",
        title="输煤皮带自动清扫装置",
        situation="皮带下方积煤需人工清理",
        measures="加装刮板式自动清扫机构",
        team=[TeamMemberInput(name="周工", share=Decimal(100))],
    )
    return advance(outcome, proposer=worker, staff=worker, to=S.ADOPTED)


def test_worker_files_suggestion_and_staff_grade_it(
    live_world: World, earlier: Outcome, open_page: PageFactory, base_url: str
) -> None:
    phone: Page = open_page("phone")
    sign_in(phone, base_url, live_world.users["worker_a"])
    phone.goto(f"{base_url}/innovation/")
    phone.get_by_test_id("new-outcome").click()
    phone.get_by_label("类型").select_option("five_small")
    phone.get_by_label("五小类别").select_option("小建议")
    phone.get_by_label("成果名称").fill("输煤皮带清扫装置改进建议")
    phone.get_by_label("改进措施").fill("在皮带回程段加装刮板清扫")
    # The warning appears while typing (htmx), naming the earlier outcome and the shared terms.
    warning = phone.get_by_test_id("similar-warning")
    expect(warning).to_contain_text("输煤皮带自动清扫装置")
    expect(warning).to_contain_text("清扫")
    assert not has_horizontal_overflow(phone)
    screenshot(phone, "innovation-phone-similar-warning")
    phone.get_by_label("完成人及贡献占比").fill(f"{live_world.members_a[0].name} 80\n李四 20")
    phone.get_by_test_id("submit-outcome").click()
    # Filing with a known similar outcome needs an explicit confirmation.
    phone.get_by_test_id("confirm-similar").check()
    phone.get_by_test_id("submit-outcome").click()
    expect(phone.get_by_test_id("status")).to_have_text("已提交")
    screenshot(phone, "innovation-phone-submitted")
    outcome = Outcome.objects.get(title="输煤皮带清扫装置改进建议")
    assert outcome.subtype == "小建议" and outcome.proposer == live_world.users["worker_a"]

    desk = open_page("desk")
    sign_in(desk, base_url, live_world.users["street_a_reviewer"])
    desk.goto(f"{base_url}/innovation/outcomes/queue/")
    desk.get_by_role("link", name="输煤皮带清扫装置改进建议").click()
    expect(desk.get_by_test_id("similar-warning")).to_contain_text("输煤皮带自动清扫装置")
    desk.get_by_test_id("do-accept").click()
    expect(desk.get_by_test_id("status")).to_have_text("已受理")
    desk.get_by_test_id("do-start_review").click()
    desk.get_by_test_id("action-decide").get_by_label("评审结论").select_option("adopted")
    desk.get_by_test_id("do-decide").click()
    expect(desk.get_by_test_id("status")).to_have_text("采纳实施")

    staff = open_page("desk")
    sign_in(staff, base_url, live_world.users["district_admin"])
    staff.goto(f"{base_url}{outcome.get_absolute_url()}")
    start = (dt.date.today() - dt.timedelta(days=400)).isoformat()
    staff.get_by_test_id("action-implement").get_by_label("实施日期").fill(start)
    staff.get_by_test_id("do-implement").click()
    expect(staff.get_by_test_id("status")).to_have_text("已实施")
    form = staff.get_by_test_id("action-benefit")
    form.get_by_label("首次产生效益日期").fill(start)
    form.get_by_label("每次节约工时").fill("2")
    form.get_by_label("人工成本（元/工时）").fill("60")
    form.get_by_label("每年发生次数").fill("700")
    form.get_by_label("投入成本（元）").fill("4000")
    staff.get_by_test_id("do-benefit").click()
    # 2 × 60 × 700 = 84,000 − 4,000 = 80,000
    expect(staff.get_by_test_id("calculated")).to_have_text("80000.00")
    verify = staff.get_by_test_id("action-verify")
    verify.get_by_label("核验方").select_option("finance")
    verify.get_by_label("核验单位/人").fill("企业财务部")
    verify.get_by_label("核验年效益（元）").fill("78000")
    staff.get_by_test_id("do-verify").click()
    expect(staff.get_by_test_id("grade")).to_have_text("四等")
    expect(staff.get_by_test_id("history")).to_contain_text("按核验年效益 78000.00 元评为四等")
    screenshot(staff, "innovation-outcome-graded")

    # The worker sees the result on the phone.
    phone.goto(f"{base_url}/innovation/")
    expect(phone.get_by_test_id("my-outcomes")).to_contain_text("已评级")
