"""The service ledger in the browser: the district's staff record a visit with two trainees and
two problems, record the enterprise's confirmation of one, and read the new figures on the KPI
dashboard — the person trained earlier in street B counts once in the district, the
person-times add up, only the confirmed problem counts."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from gonghui.assist import ledger
from gonghui.assist.ledger import ActivityInput, TraineeInput
from gonghui.assist.models import Craftsman, KpiTarget, ServiceActivity
from gonghui.conftest import World
from gonghui.core.validators import id_number_check_char
from tests.browser.pages import has_horizontal_overflow, screenshot, sign_in, wait_for_charts

pytestmark = pytest.mark.browser


def _id(serial: int) -> str:
    first17 = f"330109199001010{serial:02d}"
    return first17 + id_number_check_char(first17)


PERSON_X, PERSON_Y = _id(11), _id(23)


def _stock(world: World) -> list[Craftsman]:
    """Two craftsmen, the district's targets, and a training in street B that trained X."""
    team = [
        Craftsman.objects.create(name="张建国", org_unit=world.district, region="330199"),
        Craftsman.objects.create(name="李秀英", org_unit=world.district, region="330199"),
    ]
    year = timezone.localdate().year
    KpiTarget.objects.create(
        org_unit=world.district, year=year, craftsman_visits=10, enterprises=4, problems=4, people_trained=8
    )
    ledger.activity_create(
        actor=world.users["district_admin"],
        data=ActivityInput(
            org_unit=world.street_b,
            kind=ServiceActivity.Kind.TRAINING,
            title="乙街道焊接培训",
            held_on=timezone.localdate(),
            craftsmen=team[1:],
            enterprise=world.enterprise_b,
            trainees=[TraineeInput("王小明", PERSON_X)],
            person_times=1,
        ),
    )
    return team


def test_staff_record_an_activity_and_see_it_on_the_kpi_dashboard(
    live_world: World, base_url: str, desk_page: Page
) -> None:
    _stock(live_world)
    page = desk_page
    sign_in(page, base_url, live_world.users["district_admin"])
    page.goto(f"{base_url}/assist/ledger/")
    page.get_by_test_id("ledger-create").click()
    form = page.get_by_test_id("ledger-form")
    form.get_by_label("组织工会").select_option(label=live_world.street_a.name)
    form.get_by_label("服务类别").select_option(label="上门服务")
    form.get_by_label("活动名称").fill("数控车床主轴异响诊断")
    form.get_by_label("服务企业").select_option(label=live_world.enterprise_a.name)
    form.get_by_label("参与劳模工匠").select_option(label=["张建国", "李秀英"])
    form.get_by_label("解决的问题").fill("主轴轴承磨损\n冷却液泄漏")
    form.get_by_label("培训人员").fill(f"王小明 {PERSON_X}\n赵丽 {PERSON_Y}")
    form.get_by_label("培训人次").fill("3")
    form.get_by_label("预计效益（元）").fill("50000")
    form.get_by_role("button", name="登记").click()

    expect(page.locator(".alert-success")).to_contain_text("已登记服务活动 数控车床主轴异响诊断")
    expect(page.get_by_test_id("trainee-count")).to_have_text("2")
    expect(page.get_by_test_id("person-times")).to_have_text("3")
    first = page.get_by_test_id("problem-1")
    first.get_by_label("企业确认人").fill("设备科 陈工")
    first.get_by_role("button", name="确认解决").click()
    expect(page.locator(".alert-success")).to_contain_text("设备科 陈工 已确认解决：主轴轴承磨损")
    expect(page.get_by_test_id("problem-1").get_by_test_id("problem-status")).to_have_text(
        "✓ 已解决（企业确认）"
    )
    expect(page.get_by_test_id("problem-2").get_by_test_id("problem-status")).to_have_text("处理中")
    expect(page.get_by_test_id("problems-summary")).to_have_text("企业已确认解决 1 / 2")
    screenshot(page, "assist-ledger-detail")

    page.get_by_role("link", name="服务台账").first.click()
    page.get_by_test_id("kpi-link").click()
    expect(page.get_by_test_id("kpi-unit")).to_have_text(live_world.district.name)
    # 2 craftsmen on the visit + 1 on street B's training.
    expect(page.get_by_test_id("kpi-craftsman_visits-value")).to_have_text("3")
    expect(page.get_by_test_id("kpi-craftsman_visits-progress")).to_have_text("30.0%")
    expect(page.get_by_test_id("kpi-enterprises-value")).to_have_text("2")
    expect(page.get_by_test_id("kpi-problems-value")).to_have_text("1")  # only the confirmed one
    expect(page.get_by_test_id("kpi-problems_handled-value")).to_have_text("2")
    # X trained in street B and street A: one person in the district, person-times 1 + 3.
    expect(page.get_by_test_id("kpi-people_trained-value")).to_have_text("2")
    expect(page.get_by_test_id("kpi-people_trained-progress")).to_have_text("25.0%")
    expect(page.get_by_test_id("kpi-person_times-value")).to_have_text("4")
    expect(page.get_by_test_id("kpi-estimated_benefit-value")).to_have_text("5.00")
    rows = page.get_by_test_id("kpi-table").get_by_test_id("kpi-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).get_by_test_id("cell-people_trained")).to_have_text("2")
    expect(rows.nth(1).get_by_test_id("cell-people_trained")).to_have_text("1")  # X again, in street B
    expect(page.get_by_test_id("total-people_trained")).to_have_text("2")
    expect(page.get_by_test_id("total-person_times")).to_have_text("4")
    wait_for_charts(page, "chart-month", "chart-node")
    month = timezone.localdate().month
    series = page.evaluate(
        """() => echarts.getInstanceByDom(document.getElementById('chart-month'))
            .getOption().series.map(s => s.data)"""
    )
    assert [s[month - 1] for s in series] == [3, 4, 2, 1]  # visits, person-times, people, problems
    assert not has_horizontal_overflow(page)
    screenshot(page, "assist-kpi")
